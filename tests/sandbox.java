///usr/bin/env jbang "$0" "$@" ; exit $?
//DESCRIPTION Try the scripts without an AWS account: local S3 (moto) and a CloudFront emulator, then run COMMAND against them
//JAVA 17+
//SOURCES support/CloudFrontEmulator.java
//SOURCES support/LocalServers.java

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A local playground for the scripts: {@code ./jbang tests/sandbox.java [COMMAND ARGS...]}.
 * <p>
 * Starts moto's S3 server and the CloudFront emulator on 127.0.0.1 (free ports), creates the bucket {@value #BUCKET}
 * and the distribution {@value #DISTRIBUTION_ID} ({@value #DOMAIN}, alias {@value #ALIAS}, origin the bucket), and
 * writes a small demo site into a temporary folder ($SANDBOX_SITE).
 * <ul>
 * <li>With a COMMAND: runs it in the current directory with AWS_* variables pointing at the local servers, then prints
 *     what the emulator and the bucket hold, stops the servers and exits with the command's exit code.
 *     Example: {@code ./jbang tests/sandbox.java ./jbang invalidate --distribution www.example.test --wait '/index.html' '/blog/*'}</li>
 * <li>Without: prints {@code export ...} lines for those variables and runs until Ctrl-C or SIGTERM.</li>
 * </ul>
 * Nothing leaves 127.0.0.1; the credentials are fake and only the local servers accept them.
 */
class sandbox {
    static final String BUCKET = "sandbox-site";
    static final String DISTRIBUTION_ID = "E2SANDBOX0EXMPL";
    static final String DOMAIN = "d111111abcdef8.cloudfront.net";
    static final String ALIAS = "www.example.test";
    static final Duration COMPLETION_DELAY = Duration.ofSeconds(3);
    /** Variables of the caller's environment that would mix real AWS settings into the fake credentials. */
    static final List<String> CLEARED = List.of("AWS_SESSION_TOKEN", "AWS_PROFILE");

    static LocalServers.Moto moto;
    static CloudFrontEmulator cloudFront;
    static Path tempDir;
    static volatile Process child;
    static volatile boolean shuttingDown;

    public static void main(String[] args) throws Exception {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            shuttingDown = true;
            if (moto != null) System.err.println("sandbox: stopping");
            Process p = child;
            if (p != null) p.destroy();
            stop();
        }, "sandbox-stop"));

        Map<String, String> env;
        try {
            env = start();
        } catch (Exception e) {
            System.err.println(moto == null && String.valueOf(e.getMessage()).contains("Cannot run program")
                    ? "sandbox: error: moto's server (moto_server) is not installed; install it with: pip install \"moto[server]\""
                    : "sandbox: error: could not start: " + e);
            stop();
            System.exit(1);
            return;
        }
        banner(env);

        if (args.length == 0) {
            for (String name : CLEARED) {
                if (System.getenv(name) != null) System.out.println("unset " + name);
            }
            env.forEach((k, v) -> System.out.println("export " + k + "=" + shellQuote(v)));
            System.out.flush();
            System.err.println("sandbox: paste the lines above into another shell (or eval them); Ctrl-C here stops the sandbox");
            new CountDownLatch(1).await();
            return;
        }

        System.err.println("sandbox: running " + String.join(" ", Stream.of(args).map(sandbox::shellQuote).toList()));
        int code;
        ProcessBuilder pb = new ProcessBuilder(args).inheritIO();
        CLEARED.forEach(pb.environment()::remove);
        pb.environment().putAll(env);
        try {
            child = pb.start();
            code = child.waitFor();
        } catch (IOException e) {
            System.err.println("sandbox: error: cannot run " + args[0] + ": " + e.getMessage());
            code = 127;
        }
        synchronized (sandbox.class) { // not while the shutdown hook (Ctrl-C) is stopping the servers
            if (!shuttingDown) {
                if (child != null) System.err.println("sandbox: " + args[0] + " exited with " + code);
                summary();
            }
        }
        stop();
        System.exit(code);
    }

    /** Starts both servers, creates the bucket, the distribution and the demo site; returns the variables for a command. */
    static Map<String, String> start() throws Exception {
        moto = LocalServers.Moto.start();
        cloudFront = CloudFrontEmulator.start();
        cloudFront.completionDelay(COMPLETION_DELAY);
        cloudFront.addDistribution(DISTRIBUTION_ID, DOMAIN, List.of(ALIAS), List.of(CloudFrontEmulator.Origin.s3(BUCKET)));

        HttpResponse<String> created = http(HttpRequest.newBuilder(bucketUri("")).PUT(HttpRequest.BodyPublishers.noBody()));
        if (created.statusCode() != 200) {
            throw new IOException("creating bucket " + BUCKET + " answered " + created.statusCode() + ": " + created.body());
        }

        tempDir = Files.createTempDirectory("sandbox-");
        Path site = tempDir.resolve(BUCKET);
        write(site.resolve("index.html"), page("Sandbox site", "<p>Hello from the sandbox. Read the <a href=\"/blog/hello/\">first post</a>.</p>"));
        write(site.resolve("css/site.css"), "body { font-family: sans-serif; max-width: 40em; margin: 2em auto; }\n");
        write(site.resolve("blog/hello/index.html"), page("Hello", "<p>A first post, to invalidate.</p>"));

        Map<String, String> env = new LinkedHashMap<>();
        env.put("AWS_ACCESS_KEY_ID", "sandbox");
        env.put("AWS_SECRET_ACCESS_KEY", "sandbox-secret");
        env.put("AWS_REGION", "us-east-1");
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.put("AWS_ENDPOINT_URL_CLOUDFRONT", cloudFront.endpoint().toString());
        env.put("AWS_ENDPOINT_URL_S3", moto.endpoint().toString());
        env.put("CLOUDFRONT_DISTRIBUTION_ID", DISTRIBUTION_ID);
        env.put("SANDBOX_SITE", site.toString());
        return env;
    }

    static void banner(Map<String, String> env) {
        System.err.println("sandbox: S3 (moto) at " + moto.endpoint() + ", bucket " + BUCKET + " (empty)");
        System.err.println("sandbox: CloudFront emulator at " + cloudFront.endpoint() + ", distribution " + DISTRIBUTION_ID
                + " (" + DOMAIN + ", alias " + ALIAS + ", origin " + BUCKET + ".s3.us-east-1.amazonaws.com)");
        System.err.println("sandbox: invalidations complete " + COMPLETION_DELAY.toSeconds() + "s after they are created");
        System.err.println("sandbox: demo site in " + env.get("SANDBOX_SITE") + " ($SANDBOX_SITE)");
        System.err.println("sandbox: credentials are fake (AWS_ACCESS_KEY_ID=sandbox); nothing leaves 127.0.0.1");
    }

    /** What the command left behind: the emulator's invalidations and the bucket's keys. */
    static void summary() {
        List<CloudFrontEmulator.Invalidation> invalidations = cloudFront.invalidations(DISTRIBUTION_ID);
        System.err.println("sandbox: CloudFront " + DISTRIBUTION_ID + ": " + invalidations.size() + " invalidation(s)");
        for (CloudFrontEmulator.Invalidation inv : invalidations) {
            System.err.println("sandbox:   " + inv.id() + " " + inv.status() + " " + String.join(" ", inv.paths()));
        }
        try {
            List<String> keys = bucketKeys();
            System.err.println("sandbox: S3 " + BUCKET + ": " + keys.size() + " object(s)");
            for (String key : keys) System.err.println("sandbox:   " + key);
        } catch (Exception e) {
            System.err.println("sandbox: S3 " + BUCKET + ": cannot list (" + e.getClass().getSimpleName() + "); moto has stopped");
        }
    }

    /** Every key of the bucket, through ListObjectsV2 pages. */
    static List<String> bucketKeys() throws IOException, InterruptedException {
        Pattern keyPattern = Pattern.compile("<Key>(.*?)</Key>");
        Pattern nextPattern = Pattern.compile("<NextContinuationToken>(.*?)</NextContinuationToken>");
        List<String> keys = new ArrayList<>();
        String token = null;
        do {
            String query = "?list-type=2" + (token == null ? "" : "&continuation-token=" + java.net.URLEncoder.encode(token, StandardCharsets.UTF_8));
            HttpResponse<String> r = http(HttpRequest.newBuilder(bucketUri(query)).GET());
            if (r.statusCode() != 200) throw new IOException("answered " + r.statusCode());
            for (Matcher m = keyPattern.matcher(r.body()); m.find(); ) keys.add(unescapeXml(m.group(1)));
            Matcher next = nextPattern.matcher(r.body());
            token = r.body().contains("<IsTruncated>true</IsTruncated>") && next.find() ? unescapeXml(next.group(1)) : null;
        } while (token != null);
        return keys;
    }

    /** Stops both servers and removes the demo site; safe to call twice. */
    static synchronized void stop() {
        if (cloudFront != null) {
            cloudFront.close();
            cloudFront = null;
        }
        if (moto != null) {
            try {
                moto.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            moto = null;
        }
        if (tempDir != null) {
            try (Stream<Path> paths = Files.walk(tempDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a temporary folder; the system cleans it eventually
            }
            tempDir = null;
        }
    }

    static URI bucketUri(String query) {
        return URI.create(moto.endpoint() + "/" + BUCKET + query);
    }

    static HttpResponse<String> http(HttpRequest.Builder request) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static String page(String title, String body) {
        return "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>" + title
                + "</title><link rel=\"stylesheet\" href=\"/css/site.css\"></head>\n<body>\n<h1>" + title + "</h1>\n" + body
                + "\n</body>\n</html>\n";
    }

    static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    static String unescapeXml(String s) {
        return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&");
    }

    static String shellQuote(String s) {
        return s.matches("[A-Za-z0-9_./:=@%+-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }
}
