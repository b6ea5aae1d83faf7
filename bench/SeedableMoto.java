import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The benchmark's one S3 server: moto's S3 API (the WSGI application the {@code moto_server} command runs) in
 * bench/seedable_moto.py, on 127.0.0.1 and a free port, which can also put a folder's files into a bucket inside
 * moto's process ({@link #seed}).
 *
 * <p>Why not {@link LocalServers.Moto}: over HTTP moto stores 150 to 300 objects a second, so the 30,000-object bucket of
 * the large unchanged scenario would take minutes to fill; in-process it takes seconds, and the objects list with the
 * MD5 ETags and sizes S3 gives after an upload.
 */
final class SeedableMoto implements AutoCloseable {
    /** What a seed put into a bucket, and how long moto took (inside its process). */
    record Seeded(long objects, long bytes, double seconds) {
    }

    private final Process process;
    private final URI endpoint;

    private SeedableMoto(Process process, URI endpoint) {
        this.process = process;
        this.endpoint = endpoint;
    }

    /** Starts the server; everything it prints (one line a request) goes to {@code log}. */
    static SeedableMoto start(Path script, Path log) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("python3", script.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        Pattern running = Pattern.compile("Running on (http://127\\.0\\.0\\.1:\\d+)");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            String said = Files.readString(log);
            Matcher m = running.matcher(said);
            if (m.find()) return new SeedableMoto(process, URI.create(m.group(1)));
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IOException("moto (" + script + ") did not start (it needs python3 with moto[server]: pip install "
                        + "\"moto[server]\"); it said:\n" + said);
            }
            Thread.sleep(50);
        }
    }

    URI endpoint() {
        return endpoint;
    }

    /** The Python process that serves every request (its CPU time is moto's). */
    long pid() {
        // python3 may be a wrapper (pyenv's shim) that execs the interpreter, or that starts it as a child.
        return process.descendants().filter(h -> h.info().commandLine().orElse("").contains("seedable_moto.py"))
                .map(ProcessHandle::pid).reduce((a, b) -> b).orElse(process.pid());
    }

    /** Creates {@code bucket} and puts every file under {@code dir} into it, in moto's process. */
    Seeded seed(String bucket, Path dir) throws IOException, InterruptedException {
        URI uri = endpoint.resolve("/_bench/seed?bucket=" + URLEncoder.encode(bucket, StandardCharsets.UTF_8) + "&dir="
                + URLEncoder.encode(dir.toAbsolutePath().toString(), StandardCharsets.UTF_8));
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IOException("seeding s3://" + bucket + " failed: " + r.body());
        return new Seeded(number(r.body(), "objects"), number(r.body(), "bytes"), Double.parseDouble(field(r.body(), "seconds")));
    }

    private static long number(String json, String name) {
        return Long.parseLong(field(json, name));
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\": ([0-9.]+)").matcher(json);
        if (!m.find()) throw new IllegalStateException("no " + name + " in " + json);
        return m.group(1);
    }

    /** Clears every bucket (moto's own reset route). */
    void reset() throws IOException, InterruptedException {
        HttpClient.newHttpClient().send(HttpRequest.newBuilder(endpoint.resolve("/moto-api/reset"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
    }

    @Override
    public void close() throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
    }
}
