import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The tools people use today for what {@code invalidate} does, run as subprocesses on this machine for the
 * differential tests, each pointed at a local CloudFront emulator and nowhere else:
 * <ul>
 * <li>the npm tool travis-ci-cloudfront-invalidation, installed once by {@code npm install} into a cache folder and run
 * with node; its aws-sdk v2 reads no endpoint from the environment, so a preload script ({@code node -r}) sets the
 * CloudFront endpoint in {@code AWS.config}, leaving the tool's code as published;</li>
 * <li>the AWS CLI, given {@code --endpoint-url} and no configuration files.</li>
 * </ul>
 * Arguments may hold any characters: they reach a peer through a NUL-separated file that bash reads, never through the
 * JVM's platform encoding (which is ASCII under LANG=C).
 */
final class Peers {
    private Peers() {
    }

    static final String NPM_TOOL = "travis-ci-cloudfront-invalidation";
    static final String NPM_TOOL_VERSION = "1.1.0";
    /** Pinned: the tool asks for ^2.279.1, and a newer v2 release must not change what the tests see. */
    static final String AWS_SDK_VERSION = "2.1693.0";
    static final Duration RUN_TIMEOUT = Duration.ofSeconds(60);
    static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(5);
    /** A temporary install folder this old was left by a killed install. */
    static final Duration STALE_INSTALL = Duration.ofHours(1);
    static final String INSTALLED_MARKER = ".installed";
    /** The one variable the preload script reads. */
    static final String ENDPOINT_VARIABLE = "CLOUDFRONT_EMULATOR_ENDPOINT";

    /** What a peer printed and returned. */
    record Run(int exitCode, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + clip(stdout) + "--- stderr\n" + clip(stderr);
        }

        private static String clip(String s) {
            return s.length() > 3000 ? s.substring(0, 3000) + "...(clipped)\n" : s;
        }
    }

    /** The absolute path of {@code command} on the PATH, or null when it is not there. */
    static Path onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path candidate = Path.of(dir, command);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) return candidate;
        }
        return null;
    }

    /**
     * The argv a CI shell gives a command written with {@code fragment} after it: bash expands the fragment with
     * exactly {@code variables} set (unquoted empty variables vanish, {@code "$UNSET"} is an empty argument, words are
     * split), in the empty folder {@code workDir} so that a glob left unquoted by mistake matches nothing.
     */
    static List<String> expand(String fragment, Map<String, String> variables, Path workDir)
            throws IOException, InterruptedException {
        if (fragment.isBlank()) return List.of();
        Path script = Files.createTempFile(workDir, "expand-", ".sh");
        Files.writeString(script, "printf '%s\\0' " + fragment + "\n", StandardCharsets.UTF_8);
        Path dir = Files.createTempDirectory(workDir, "cwd-");
        try {
            Process p = start(List.of(bash(), script.toString()), variables, dir);
            Output out = collect(p, RUN_TIMEOUT, "bash expanding " + fragment);
            if (out.exitCode != 0) {
                throw new IllegalStateException("bash could not expand " + fragment + ": " + new String(out.stderr, StandardCharsets.UTF_8));
            }
            String all = new String(out.stdout, StandardCharsets.UTF_8);
            List<String> argv = new ArrayList<>(List.of(all.split("\0", -1)));
            argv.remove(argv.size() - 1); // after the last NUL
            return argv;
        } finally {
            Files.deleteIfExists(script);
            Files.deleteIfExists(dir);
        }
    }

    /** Runs {@code command} with exactly {@code env}, in {@code workDir}, stdin empty, killed after {@code timeout}. */
    static Run run(List<String> command, Map<String, String> env, Path workDir, Duration timeout)
            throws IOException, InterruptedException {
        Path argv = Files.createTempFile(workDir, "argv-", ".bin");
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (String a : command) {
                if (a.indexOf('\0') >= 0) throw new IllegalArgumentException("an argument holds NUL: " + a);
                bytes.write(a.getBytes(StandardCharsets.UTF_8));
                bytes.write(0);
            }
            Files.write(argv, bytes.toByteArray());
            Process p = start(List.of(bash(), "-c", "mapfile -d '' -t argv < \"$1\" && exec \"${argv[@]}\"", "bash",
                    argv.toString()), env, workDir);
            Output out = collect(p, timeout, String.join(" ", command));
            return new Run(out.exitCode, new String(out.stdout, StandardCharsets.UTF_8), new String(out.stderr, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(argv);
        }
    }

    private record Output(int exitCode, byte[] stdout, byte[] stderr) {
    }

    private static Process start(List<String> command, Map<String, String> env, Path workDir) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return pb.start();
    }

    private static Output collect(Process p, Duration timeout, String what) throws InterruptedException {
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s: " + what
                    + "\n--- stderr so far\n" + new String(err.getNow(new byte[0]), StandardCharsets.UTF_8));
        }
        return new Output(p.exitValue(), out.join(), err.join());
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private static String bash() {
        Path bash = onPath("bash");
        return bash != null ? bash.toString() : "/bin/bash";
    }

    // ------------------------------------------------------------------ the npm tool

    /** travis-ci-cloudfront-invalidation as npm installed it, and the preload script that points it at an emulator. */
    static final class NpmTool {
        final Path prefix;
        final Path packageDir;
        final Path bin;
        final Path preload;

        private NpmTool(Path prefix, Path preload) {
            this.prefix = prefix;
            this.packageDir = prefix.resolve("node_modules").resolve(NPM_TOOL);
            this.bin = packageDir.resolve("dist/lib/index.js");
            this.preload = preload;
        }

        /**
         * The tool from the cache folder {@code ${XDG_CACHE_HOME:-$HOME/.cache}/static-site-tests/npm/NAME-VERSION},
         * installed there first when it is not complete: into a temporary sibling, renamed when done, so a killed
         * install never leaves a broken cache. The preload script is written to {@code scratch}.
         */
        static NpmTool install(Path scratch) throws IOException, InterruptedException {
            Path prefix = cacheFolder().resolve("npm").resolve(NPM_TOOL + "-" + NPM_TOOL_VERSION);
            if (!complete(prefix)) installInto(prefix, scratch);
            NpmTool tool = new NpmTool(prefix, scratch.resolve("point-aws-sdk-at-emulator.js"));
            Files.writeString(tool.preload, tool.preloadScript(), StandardCharsets.UTF_8);
            return tool;
        }

        /**
         * Runs the tool with {@code args}, the build's {@code variables}, the local credentials and nothing else of
         * this machine's environment but PATH and HOME.
         */
        Run run(List<String> args, Map<String, String> variables, URI endpoint, Path workDir)
                throws IOException, InterruptedException {
            Map<String, String> env = new HashMap<>();
            putIfSet(env, "PATH");
            putIfSet(env, "HOME");
            env.putAll(variables);
            env.put("AWS_ACCESS_KEY_ID", LocalServers.ACCESS_KEY);
            env.put("AWS_SECRET_ACCESS_KEY", LocalServers.SECRET_KEY);
            env.put("AWS_REGION", "us-east-1");
            env.put("AWS_EC2_METADATA_DISABLED", "true");
            env.put("AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE", "1");
            env.put(ENDPOINT_VARIABLE, endpoint.toString());
            List<String> command = new ArrayList<>(List.of(onPath("node").toString(), "-r", preload.toString(), bin.toString()));
            command.addAll(args);
            return Peers.run(command, env, workDir, RUN_TIMEOUT);
        }

        /**
         * Requires aws-sdk from the tool's own folder (the instance the tool uses) and sets CloudFront's endpoint;
         * refuses to run with any endpoint but a loopback one, so nothing can reach AWS.
         */
        private String preloadScript() {
            return "// Written by the differential tests: points the aws-sdk v2 of " + NPM_TOOL + " at the CloudFront\n"
                    + "// emulator (v2 reads no endpoint from the environment). The tool's own code is not touched.\n"
                    + "'use strict';\n"
                    + "const endpoint = process.env." + ENDPOINT_VARIABLE + " || '';\n"
                    + "if (!/^http:\\/\\/127\\.0\\.0\\.1:[0-9]+$/.test(endpoint)) {\n"
                    + "  console.error('preload: " + ENDPOINT_VARIABLE + " must be http://127.0.0.1:PORT, not ' + JSON.stringify(endpoint));\n"
                    + "  process.exit(97);\n"
                    + "}\n"
                    + "const AWS = require(require.resolve('aws-sdk', { paths: [" + jsString(packageDir.toString()) + "] }));\n"
                    + "AWS.config.cloudfront = { endpoint: endpoint };\n";
        }

        private static boolean complete(Path prefix) {
            return Files.isRegularFile(prefix.resolve(INSTALLED_MARKER))
                    && Files.isRegularFile(prefix.resolve("node_modules").resolve(NPM_TOOL).resolve("dist/lib/index.js"))
                    && Files.isRegularFile(prefix.resolve("node_modules/aws-sdk/package.json"));
        }

        private static void installInto(Path prefix, Path scratch) throws IOException, InterruptedException {
            Path parent = prefix.getParent();
            Files.createDirectories(parent);
            String tempPrefix = prefix.getFileName() + ".tmp-";
            removeStaleInstalls(parent, tempPrefix);
            Path temp = Files.createTempDirectory(parent, tempPrefix);
            try {
                List<String> command = List.of(onPath("npm").toString(), "install", "--prefix", temp.toString(),
                        "--no-audit", "--no-fund", "--no-save",
                        NPM_TOOL + "@" + NPM_TOOL_VERSION, "aws-sdk@" + AWS_SDK_VERSION);
                // npm needs this machine's own set-up (registry, proxy, cache): its whole environment.
                Run install = Peers.run(command, System.getenv(), scratch, INSTALL_TIMEOUT);
                String installedSdk = Files.exists(temp.resolve("node_modules/aws-sdk/package.json"))
                        ? Files.readString(temp.resolve("node_modules/aws-sdk/package.json")) : "";
                if (install.exitCode() != 0 || !installedSdk.contains("\"version\": \"" + AWS_SDK_VERSION + "\"")) {
                    throw new IOException("npm could not install " + NPM_TOOL + "@" + NPM_TOOL_VERSION + " with aws-sdk@"
                            + AWS_SDK_VERSION + ": " + install);
                }
                Files.writeString(temp.resolve(INSTALLED_MARKER), NPM_TOOL + "@" + NPM_TOOL_VERSION + " aws-sdk@" + AWS_SDK_VERSION + "\n");
                try {
                    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x")); // a temporary folder is 700
                } catch (UnsupportedOperationException e) {
                    // not a POSIX file system: its default is fine
                }
                try {
                    Files.move(temp, prefix, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
                    if (complete(prefix)) return; // another run finished first; ours is deleted below
                    deleteTree(prefix); // an incomplete folder that no install of ours leaves: replace it
                    Files.move(temp, prefix, StandardCopyOption.ATOMIC_MOVE);
                }
            } finally {
                if (Files.exists(temp)) deleteTree(temp);
            }
        }

        private static void removeStaleInstalls(Path parent, String tempPrefix) throws IOException {
            Instant before = Instant.now().minus(STALE_INSTALL);
            try (Stream<Path> siblings = Files.list(parent)) {
                for (Path p : siblings.filter(p -> p.getFileName().toString().startsWith(tempPrefix)).toList()) {
                    FileTime modified = Files.getLastModifiedTime(p);
                    if (modified.toInstant().isBefore(before)) deleteTree(p);
                }
            }
        }
    }

    private static Path cacheFolder() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isEmpty()) return Path.of(xdg, "static-site-tests");
        String home = System.getenv("HOME");
        return Path.of(home != null && !home.isEmpty() ? home : System.getProperty("user.home"), ".cache", "static-site-tests");
    }

    // ------------------------------------------------------------------ the AWS CLI

    /**
     * {@code aws cloudfront create-invalidation ARGS} (ARGS name the endpoint) with the local credentials, us-east-1,
     * no configuration files (they point at files that do not exist) and nothing else of this machine's environment but
     * PATH, HOME and pyenv's variables (the {@code aws} on the PATH may be a pyenv shim).
     */
    static Run awsCli(List<String> args, Path workDir) throws IOException, InterruptedException {
        Map<String, String> env = new HashMap<>();
        for (String name : List.of("PATH", "HOME", "PYENV_ROOT", "PYENV_VERSION")) putIfSet(env, name);
        env.put("AWS_ACCESS_KEY_ID", LocalServers.ACCESS_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", LocalServers.SECRET_KEY);
        env.put("AWS_DEFAULT_REGION", "us-east-1");
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.put("AWS_CONFIG_FILE", workDir.resolve("no-aws-config/config").toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", workDir.resolve("no-aws-config/credentials").toString());
        List<String> command = new ArrayList<>(List.of(onPath("aws").toString(), "cloudfront", "create-invalidation"));
        command.addAll(args);
        return run(command, env, workDir, RUN_TIMEOUT);
    }

    // ------------------------------------------------------------------ helpers

    private static void putIfSet(Map<String, String> env, String name) {
        String value = System.getenv(name);
        if (value != null) env.put(name, value);
    }

    private static String jsString(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
