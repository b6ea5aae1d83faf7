///usr/bin/env jbang "$0" "$@" ; exit $?
//DESCRIPTION Load check: a 50,000-file site deployed to moto, then re-deployed unchanged; prints times, peak memory, request counts
//JAVA 17+
//SOURCES ../tests/support/LocalServers.java
//SOURCES ../tests/support/S3FaultProxy.java

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./jbang bench/load.java [FILES]} (default 50,000): generates a deterministic site of small files, deploys it with
 * {@code ./jbang deploy-site --no-invalidate} to moto behind the recording proxy, deploys it again unchanged, and prints
 * for each run the exit code, wall time, peak RSS (/usr/bin/time), the S3 requests by operation and deploy-site's summary
 * (the re-deploy must report every file unchanged). Numbers only: it exits 1 only when a deploy fails.
 * Takes about 10 minutes for 50,000 files here: moto stores about 100 small objects a second.
 */
class load {
    public static void main(String[] args) throws Exception {
        int files = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        Path work = Files.createTempDirectory("deploy-load-");
        Path site = work.resolve("public");
        generate(site, files);
        int failures = 0;
        try (LocalServers.Moto moto = LocalServers.Moto.start(); S3FaultProxy proxy = S3FaultProxy.start(moto.endpoint())) {
            var env = LocalServers.cleanEnvironment(Map.of("AWS_ACCESS_KEY_ID", "x", "AWS_SECRET_ACCESS_KEY", "y", "AWS_REGION", "us-east-1",
                    "AWS_ENDPOINT_URL_S3", proxy.endpoint().toString(), "CI", "true"));
            var mb = LocalServers.run(List.of("aws", "s3", "mb", "s3://load-site", "--endpoint-url", moto.endpoint().toString()),
                    work, env, null);
            if (mb.exitCode() != 0) throw new IllegalStateException(mb.toString());
            for (String label : List.of("full upload", "unchanged re-deploy")) {
                proxy.clear();
                List<String> command = new ArrayList<>(List.of("/usr/bin/time", "-f", "peak-rss-kb %M",
                        LocalServers.repoRoot().resolve("jbang").toString(), "deploy-site", "--no-invalidate", site.toString(), "s3://load-site"));
                long start = System.nanoTime();
                var run = runWithoutLimit(command, env, work);
                double seconds = (System.nanoTime() - start) / 1e9;
                Matcher rss = Pattern.compile("peak-rss-kb (\\d+)").matcher(run.stderr());
                String summary = run.stdout().lines().filter(l -> l.startsWith("deployed ")).findFirst().orElse("(no summary)");
                System.out.printf("%-20s exit %d  %7.1f s  peak RSS %s MB  requests %s%n  %s%n", label, run.exitCode(), seconds,
                        rss.find() ? Long.parseLong(rss.group(1)) / 1024 : "?", counts(proxy), summary);
                if (run.exitCode() != 0) {
                    failures++;
                    System.out.println(run.stderr().lines().filter(l -> l.contains("error")).findFirst().orElse(""));
                }
            }
        }
        System.exit(failures == 0 ? 0 : 1); // after the servers are closed: exiting inside the try left moto running
    }

    /** LocalServers.run gives up after 5 minutes; a 50,000-file upload to moto takes longer. Output goes to files. */
    static LocalServers.Run runWithoutLimit(List<String> command, Map<String, String> env, Path work) throws IOException, InterruptedException {
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(command).directory(LocalServers.repoRoot().toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().clear();
        pb.environment().putAll(env);
        int code = pb.start().waitFor();
        return new LocalServers.Run(code, Files.readString(out), Files.readString(err));
    }

    static String counts(S3FaultProxy proxy) {
        Map<String, Long> byOperation = new java.util.TreeMap<>();
        proxy.requests().forEach(r -> byOperation.merge(r.operation(), 1L, Long::sum));
        return byOperation.toString();
    }

    /** Folders of 100 files, a mix of pages and small assets, the same bytes on every run. */
    static void generate(Path site, int files) throws IOException {
        Random random = new Random(50_000);
        for (int i = 0; i < files; i++) {
            Path dir = site.resolve("section-" + (i / 1000)).resolve("d" + (i / 100 % 10));
            Files.createDirectories(dir);
            String name = i % 4 == 0 ? "p" + i + "/index.html" : "a" + i + (i % 4 == 1 ? ".css" : i % 4 == 2 ? ".js" : ".png");
            Path file = dir.resolve(name);
            Files.createDirectories(file.getParent());
            byte[] body = new byte[200 + random.nextInt(1800)];
            random.nextBytes(body);
            Files.write(file, i % 4 == 0 ? ("<html>" + i + "</html>").getBytes(StandardCharsets.UTF_8) : body);
        }
    }
}
