import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The real servers the tests talk to on 127.0.0.1, and the way the tests run the scripts as users do. */
final class LocalServers {
    private LocalServers() {
    }

    /** Credentials that only the local servers accept; the secret doubles as a marker that must never be printed. */
    static final String ACCESS_KEY = "AKIDLOCALTEST";
    static final String SECRET_KEY = "local-secret-MARKER-7f3a9c";

    static {
        // In-process runs: the SDK's default chains read system properties first; nothing may leave loopback.
        System.setProperty("aws.accessKeyId", ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", SECRET_KEY);
        System.setProperty("aws.region", "us-east-1");
        System.setProperty("aws.disableEc2Metadata", "true");
    }

    static void init() {
        // Touching the class runs the static block above.
    }

    static boolean motoAvailable() {
        try {
            Process p = new ProcessBuilder("moto_server", "--help").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** User + system CPU seconds of a process so far, from /proc (Linux clock ticks of 1/100 s); 0 where there is none. */
    static double cpuSeconds(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** moto's server: a real S3 API on 127.0.0.1, a free port, one per test class. */
    static final class Moto implements AutoCloseable {
        private final Process process;
        private final URI endpoint;

        private Moto(Process process, URI endpoint) {
            this.process = process;
            this.endpoint = endpoint;
        }

        /** CPU seconds (user + system) moto's process has spent so far (see {@link LocalServers#cpuSeconds}). */
        double cpuSeconds() {
            return LocalServers.cpuSeconds(process.pid());
        }

        static Moto start() throws IOException, InterruptedException {
            Process process = new ProcessBuilder("moto_server", "-H", "127.0.0.1", "-p", "0").redirectErrorStream(true).start();
            BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            CompletableFuture<URI> bound = CompletableFuture.supplyAsync(() -> {
                Pattern running = Pattern.compile("Running on (http://127\\.0\\.0\\.1:\\d+)");
                try {
                    for (String line; (line = lines.readLine()) != null; ) {
                        Matcher m = running.matcher(line);
                        if (m.find()) return URI.create(m.group(1));
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                throw new IllegalStateException("moto_server ended before it listened");
            });
            URI endpoint;
            try {
                endpoint = bound.get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                process.destroyForcibly();
                throw new IOException("moto_server did not start: " + e, e);
            }
            // Keep draining its output so it never blocks on a full pipe.
            Thread drain = new Thread(() -> {
                try {
                    while (lines.readLine() != null) {
                        // discard
                    }
                } catch (IOException ignored) {
                    // the server ended
                }
            }, "moto-output");
            drain.setDaemon(true);
            drain.start();
            return new Moto(process, endpoint);
        }

        URI endpoint() {
            return endpoint;
        }

        /** Clears every bucket: tests share one server per class. */
        void reset() throws IOException, InterruptedException {
            HttpClient.newHttpClient().send(HttpRequest.newBuilder(endpoint.resolve("/moto-api/reset"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
        }
    }

    /** What a finished process (or in-process run) printed and returned. */
    record Run(int exitCode, String stdout, String stderr) {
        String all() {
            return stdout + stderr;
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    /** The repository root: the folder with jbang-catalog.json, from the working directory upward. */
    /** Closes what a test class started, in the order given, skipping what never started. */
    static void closeAll(AutoCloseable... started) throws Exception {
        for (AutoCloseable c : started) {
            if (c != null) c.close();
        }
    }

    static Path repoRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("jbang-catalog.json"))) dir = dir.getParent();
        if (dir == null) throw new IllegalStateException("run the tests from inside the repository");
        return dir;
    }

    /**
     * The environment a user's CI job would have, minus anything of this machine's CI or AWS set-up:
     * only PATH, HOME, JAVA_HOME and JBang's own variables pass through, then the given ones.
     */
    static Map<String, String> cleanEnvironment(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>();
        for (String name : List.of("PATH", "HOME", "JAVA_HOME", "JBANG_DIR", "JBANG_CACHE_DIR", "JBANG_LAUNCHER_CACHE",
                "XDG_CACHE_HOME", "TMPDIR", "LANG", "PYENV_ROOT", "PYENV_VERSION")) {
            String value = System.getenv(name);
            if (value != null) env.put(name, value);
        }
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.put("JBANG_NO_VERSION_CHECK", "true");
        env.putAll(extra);
        env.values().removeIf(v -> v == null);
        return env;
    }

    /** Runs ./jbang ARGS from the repository root as a subprocess, exactly as a user would, with stdin from the given text. */
    static Run jbang(Map<String, String> env, String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(repoRoot().resolve("jbang").toString());
        command.addAll(List.of(args));
        return run(command, repoRoot(), env, stdin);
    }

    static Run run(List<String> command, Path dir, Map<String, String> env, String stdin) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        try (var in = p.getOutputStream()) {
            if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("timed out: " + command);
        }
        return new Run(p.exitValue(), out.join(), err.join());
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    static Duration seconds(double s) {
        return Duration.ofMillis((long) (s * 1000));
    }
}
