import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Security of both scripts, in-process against moto (through the S3 fault proxy) and the CloudFront emulator:
 * <ul>
 * <li>a marker secret, given everywhere a secret can come from (AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, -s, the
 *     SDK's aws.secretAccessKey), never appears in stdout, stderr, the GitHub output files or the JSON outputs, with
 *     --verbose, on every path: success, dry run, usage errors, AWS errors on each call, timeouts, missing credentials,
 *     skipped builds, failed uploads;</li>
 * <li>keys never have a '..' segment or a leading '/'; nothing outside SOURCE_DIR is read for upload;</li>
 * <li>--dry-run sends no write call.</li>
 * </ul>
 */
class SecretsTest {
    static final String MARKER_STEM = "S3CR3T-MARKER";
    static final String MARKER = MARKER_STEM + "-" + UUID.randomUUID();
    static final String BUCKET = "secret-site";
    static final String DIST = "E1SECRET00001";

    static LocalServers.Moto moto;
    static S3FaultProxy proxy;
    static CloudFrontEmulator cloudFront;
    static S3Client s3;
    static Path tmp;

    Path site;
    Path githubOutput;
    Path githubSummary;

    @BeforeAll
    static void startServers() throws Exception {
        LocalServers.init();
        moto = LocalServers.Moto.start();
        proxy = S3FaultProxy.start(moto.endpoint());
        cloudFront = CloudFrontEmulator.start();
        s3 = TestS3.client(moto.endpoint());
        cloudFront.addDistribution(DIST, "d1secret.cloudfront.net", List.of("www.secret.test"), List.of(CloudFrontEmulator.Origin.s3(BUCKET)));
        tmp = Files.createTempDirectory("secrets-");
    }

    @AfterAll
    static void stopServers() throws Exception {
        LocalServers.closeAll(s3, cloudFront, proxy, moto);
        if (tmp != null) {
            try (var walk = Files.walk(tmp)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                // Files.delete, not File.delete: a name that is not UTF-8 only survives as the Path's own bytes.
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
            }
        }
    }

    @BeforeEach
    void fresh() throws Exception {
        moto.reset();
        proxy.clear();
        cloudFront.reset();
        cloudFront.completionDelay(Duration.ZERO);
        s3.createBucket(b -> b.bucket(BUCKET));
        s3.putObject(r -> r.bucket(BUCKET).key("stale.html"), RequestBody.fromString("old page"));
        Path dir = Files.createTempDirectory(tmp, "case-");
        site = dir.resolve("public");
        write(site, "index.html", "<html><link href=/css/site.css></html>");
        write(site, "css/site.css", "body{}");
        write(site, "blog/post/index.html", "<h1>Post</h1>");
        githubOutput = Files.createFile(dir.resolve("github-output"));
        githubSummary = Files.createFile(dir.resolve("github-summary"));
        // The SDK reads the secret from here in-process (as it reads AWS_SECRET_ACCESS_KEY in a real run).
        System.setProperty("aws.secretAccessKey", MARKER);
        System.setProperty("aws.sessionToken", MARKER);
    }

    @AfterEach
    void restore() {
        System.setProperty("aws.accessKeyId", LocalServers.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", LocalServers.SECRET_KEY);
        System.clearProperty("aws.sessionToken");
        cloudFront.completionDelay(Duration.ZERO);
    }

    static void write(Path root, String rel, String text) throws IOException {
        Path f = root.resolve(rel);
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
    }

    // ---------------------------------------------------------------- running, with the marker everywhere

    record Run(int code, String out, String err, String githubOutput, String githubSummary) {
        String all() {
            return out + err + githubOutput + githubSummary;
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err + "--- GITHUB_OUTPUT\n" + githubOutput
                    + "--- GITHUB_STEP_SUMMARY\n" + githubSummary;
        }
    }

    Map<String, String> env(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>();
        env.put("AWS_SECRET_ACCESS_KEY", MARKER);
        env.put("AWS_SESSION_TOKEN", MARKER);
        env.put("GITHUB_ACTIONS", "true");
        env.put("GITHUB_RUN_ID", UUID.randomUUID().toString());
        env.put("GITHUB_REF_NAME", "main");
        env.put("GITHUB_EVENT_NAME", "push");
        env.put("GITHUB_OUTPUT", githubOutput.toString());
        env.put("GITHUB_STEP_SUMMARY", githubSummary.toString());
        env.putAll(extra);
        return env;
    }

    Run invalidate(Map<String, String> extraEnv, List<String> args) throws IOException {
        Invalidate cmd = new Invalidate();
        cmd.env = env(extraEnv);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        cmd.in = new ByteArrayInputStream("/from-stdin.html\n".getBytes(StandardCharsets.UTF_8));
        List<String> all = new ArrayList<>(List.of("--verbose", "--poll-interval", "50ms"));
        if (!args.contains("--endpoint-url")) all.addAll(List.of("--endpoint-url", cloudFront.endpoint().toString()));
        all.addAll(args);
        int code = Invalidate.newCommandLine(cmd).execute(all.toArray(String[]::new));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
                Files.readString(githubOutput), Files.readString(githubSummary));
    }

    Run deploy(Map<String, String> extraEnv, List<String> args) throws IOException {
        DeploySite cmd = new DeploySite();
        cmd.env = env(extraEnv);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        List<String> all = new ArrayList<>(List.of("--verbose", "--poll-interval", "50ms"));
        if (!args.contains("--endpoint-url")) all.addAll(List.of("--endpoint-url", proxy.endpoint().toString()));
        if (!args.contains("--cloudfront-endpoint-url")) all.addAll(List.of("--cloudfront-endpoint-url", cloudFront.endpoint().toString()));
        all.addAll(args);
        int code = DeploySite.newCommandLine(cmd).execute(all.toArray(String[]::new));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
                Files.readString(githubOutput), Files.readString(githubSummary));
    }

    // ---------------------------------------------------------------- every path, the marker nowhere

    interface Setup {
        void run(SecretsTest t) throws Exception;
    }

    /** A path through a script: its set-up (faults, files), its arguments ({@code $SITE} is the site), the expected exit code. */
    record Way(String name, boolean invalidate, int code, Setup setup, Map<String, String> env, List<String> args) {
        @Override
        public String toString() {
            return (invalidate ? "invalidate: " : "deploy-site: ") + name;
        }
    }

    static Way inv(String name, int code, Setup setup, String... args) {
        return new Way(name, true, code, setup, Map.of(), List.of(args));
    }

    static Way dep(String name, int code, Setup setup, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("$SITE");
        all.add("s3://" + BUCKET);
        return new Way(name, false, code, setup, Map.of(), all);
    }

    static final Setup NONE = t -> { };

    static CloudFrontEmulator.Fault denied() {
        return CloudFrontEmulator.Fault.error(403, "AccessDenied", "User is not authorized");
    }

    static Setup noCredentials() {
        // The access key is gone, the secret is still there: the error about it must not show it.
        return t -> System.clearProperty("aws.accessKeyId");
    }

    static Stream<Way> paths() {
        return Stream.of(
                inv("success, JSON", 0, NONE, "-c", DIST, "/a.html", "/b/*"),
                inv("success, text, -a/-s", 0, NONE, "-a", "AKIDSECRETS", "-s", MARKER, "-c", DIST, "--output", "text", "/a.html"),
                inv("success, --wait", 0, t -> cloudFront.completionDelay(Duration.ofMillis(200)), "-c", DIST, "--wait", "/a.html"),
                inv("success, --distribution, --paths-from -", 0, NONE, "--distribution", "www.secret.test", "--paths-from", "-"),
                inv("success after a 503 and a throttling", 0, t -> {
                    cloudFront.inject("CreateInvalidation", CloudFrontEmulator.Fault.SERVICE_UNAVAILABLE, 1);
                    cloudFront.inject("CreateInvalidation", CloudFrontEmulator.Fault.THROTTLING, 1);
                }, "-c", DIST, "/a.html"),
                inv("dry run", 0, NONE, "-c", DIST, "--dry-run", "/a.html"),
                inv("dry run with --distribution", 0, NONE, "--distribution", "www.secret.test", "--dry-run", "/a.html"),
                inv("usage: unknown option", 2, NONE, "-a", "AKIDSECRETS", "-s", MARKER, "-c", DIST, "--frobnicate", "/a"),
                inv("usage: the secret given as a bad value", 2, NONE, "-c", DIST, "--output", MARKER, "/a"),
                inv("usage: the secret given as a path", 2, NONE, "-c", DIST, "/a*" + MARKER),
                inv("usage: -s without -a", 2, NONE, "-s", MARKER, "-c", DIST, "/a"),
                inv("usage: no distribution", 2, NONE, "-s", MARKER, "-a", "AKIDSECRETS", "/a"),
                inv("AccessDenied on CreateInvalidation", 1, t -> cloudFront.inject("CreateInvalidation", denied(), 1), "-c", DIST, "/a"),
                inv("AccessDenied on ListDistributions", 1, t -> cloudFront.inject("ListDistributions", denied(), 1),
                        "--distribution", "www.secret.test", "/a"),
                inv("AccessDenied on GetInvalidation", 1, t -> {
                    cloudFront.completionDelay(Duration.ofSeconds(5));
                    cloudFront.inject("GetInvalidation", denied(), 1);
                }, 
                        "-c", DIST, "--wait", "/a"),
                inv("NoSuchDistribution", 1, NONE, "-a", "AKIDSECRETS", "-s", MARKER, "-c", "ENOSUCH000001", "/a"),
                inv("dropped connections until --timeout", 1, t -> cloudFront.inject("CreateInvalidation", CloudFrontEmulator.Fault.DROP_CONNECTION, 50),
                        "-c", DIST, "--timeout", "1s", "/a"),
                inv("--wait timeout", 1, t -> cloudFront.completionDelay(Duration.ofSeconds(30)), "-c", DIST, "--wait", "--timeout", "1s", "/a"),
                inv("--wait timeout, --warn-on-timeout", 0, t -> cloudFront.completionDelay(Duration.ofSeconds(30)),
                        "-c", DIST, "--wait", "--timeout", "1s", "--warn-on-timeout", "/a"),
                inv("missing credentials", 1, noCredentials(), "-c", DIST, "/a"),
                inv("skipped pull request", 0, NONE, "-s", MARKER, "-a", "AKIDSECRETS", "-p", "12", "-c", DIST, "/a"),
                inv("skipped branch", 0, NONE, "-c", DIST, "-o", "release/*", "/a"),
                inv("--paths-from a missing file", 1, NONE, "-c", DIST, "--paths-from", "/nonexistent/" + MARKER),

                dep("success, text", 0, NONE),
                dep("success, JSON, --wait", 0, t -> cloudFront.completionDelay(Duration.ofMillis(200)), "--output", "json", "--wait"),
                dep("success after S3 SlowDown", 0, t -> proxy.inject("PutObject", S3FaultProxy.Fault.SLOW_DOWN, 2), "--output", "json"),
                dep("dry run, JSON", 0, NONE, "--dry-run", "--output", "json"),
                dep("usage: unknown option", 2, NONE, "--frobnicate"),
                dep("usage: the secret given as a bad value", 2, NONE, "--output", MARKER),
                dep("usage: the secret given as a glob", 2, NONE, "--exclude", "[" + MARKER),
                new Way("usage: the secret as the bucket", false, 2, NONE, Map.of(), List.of("$SITE", "s3://" + MARKER)),
                dep("AccessDenied on ListObjectsV2", 1, t -> proxy.injectAlways("ListObjectsV2", null, S3FaultProxy.Fault.ACCESS_DENIED)),
                dep("AccessDenied on PutObject: failed uploads", 1, t -> proxy.injectAlways("PutObject", "css/*", S3FaultProxy.Fault.ACCESS_DENIED),
                        "--output", "json"),
                dep("InternalError on every PutObject", 1, t -> proxy.injectAlways("PutObject", null, S3FaultProxy.Fault.INTERNAL_ERROR)),
                dep("AccessDenied on DeleteObjects", 1, t -> proxy.injectAlways("DeleteObjects", null, S3FaultProxy.Fault.ACCESS_DENIED)),
                dep("AccessDenied on ListDistributions", 1, t -> cloudFront.inject("ListDistributions", denied(), 1)),
                dep("AccessDenied on GetDistribution", 1, t -> cloudFront.inject("GetDistribution", denied(), 1), "-c", DIST),
                dep("AccessDenied on CreateInvalidation", 1, t -> cloudFront.inject("CreateInvalidation", denied(), 1)),
                dep("--wait timeout", 1, t -> cloudFront.completionDelay(Duration.ofSeconds(30)), "--wait", "--timeout", "1s"),
                dep("missing credentials", 1, noCredentials()),
                dep("ACL refused", 1, t -> proxy.injectAlways(call -> call.header("x-amz-acl") != null,
                        S3FaultProxy.Fault.error(400, "AccessControlListNotSupported", "The bucket does not allow ACLs")), "--acl", "public-read"),
                dep("link outside the site", 1, t -> Files.createSymbolicLink(t.site.resolve("leak.html"), Path.of("/etc/hostname"))),
                dep("refused by --max-delete", 1, NONE, "--max-delete", "0"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("paths")
    void theMarkerSecretAppearsNowhere(Way p) throws Exception {
        p.setup().run(this);
        List<String> args = p.args().stream().map(a -> a.equals("$SITE") ? site.toString() : a).toList();
        Run run = p.invalidate() ? invalidate(p.env(), args) : deploy(p.env(), args);
        assertEquals(p.code(), run.code(), run::toString);
        assertFalse(run.all().contains(MARKER_STEM), () -> "the marker secret leaked:\n" + run);
        if (p.code() != 0) {
            assertTrue(run.err().contains(p.invalidate() ? "invalidate: error: " : "deploy-site: error: "), run::toString);
        }
    }

    /** The run must show something of each path, else the test proves nothing: --verbose gives traces on errors. */
    @Test
    void verboseShowsTracesSoThePathsAreReallyExercised() throws Exception {
        cloudFront.inject("CreateInvalidation", denied(), 1);
        Run run = invalidate(Map.of(), List.of("-c", DIST, "/a"));
        assertEquals(1, run.code(), run::toString);
        assertTrue(run.err().contains("\tat "), run::toString);
        assertFalse(run.all().contains(MARKER_STEM), run::toString);
    }

    // ---------------------------------------------------------------- keys and what is read

    Map<String, String> keys() {
        Map<String, String> keys = new TreeMap<>();
        for (var page : s3.listObjectsV2Paginator(r -> r.bucket(BUCKET))) {
            for (var o : page.contents()) keys.put(o.key(), s3.getObjectAsBytes(r -> r.bucket(BUCKET).key(o.key())).asUtf8String());
        }
        return keys;
    }

    void trickyNames() throws IOException {
        write(site, "..foo", "dot dot foo");
        write(site, "a/..b", "dot dot b");
        write(site, "a/b..c.html", "two dots inside");
        write(site, "..hidden-dir/x.html", "in a dot-dot folder");
        Files.createSymbolicLink(site.resolve("blog/css-link"), Path.of("../css")); // '../' that stays inside
    }

    @Test
    void keysNeverHaveADotDotSegmentNorALeadingSlash() throws Exception {
        trickyNames();
        Run run = deploy(Map.of(), List.of(site.toString(), "s3://" + BUCKET));
        assertEquals(0, run.code(), run::toString);
        Map<String, String> keys = keys();
        assertTrue(keys.containsKey("blog/css-link/site.css"), keys::toString);
        assertTrue(keys.containsKey("a/b..c.html"), keys::toString);
        for (String key : keys.keySet()) {
            assertFalse(key.startsWith("/"), key);
            assertFalse(key.startsWith("..") || key.contains("/.."), "no hidden '..' name without --include-hidden: " + key);
            assertTrue(Stream.of(key.split("/")).noneMatch(s -> s.equals("..") || s.equals(".") || s.isEmpty()), key);
        }
    }

    @Test
    void withIncludeHiddenDotDotNamesStayNamesNeverSegments() throws Exception {
        trickyNames();
        Run run = deploy(Map.of(), List.of("--include-hidden", "--no-delete",
                site.toString(), "s3://" + BUCKET + "/www"));
        assertEquals(0, run.code(), run::toString);
        Map<String, String> keys = keys();
        assertTrue(keys.containsKey("www/..foo") && keys.containsKey("www/a/..b") && keys.containsKey("www/..hidden-dir/x.html"), keys::toString);
        for (String key : keys.keySet()) {
            assertFalse(key.startsWith("/"), key);
            assertTrue(Stream.of(key.split("/")).noneMatch(s -> s.equals("..") || s.equals(".") || s.isEmpty()), key);
        }
    }

    @Test
    void aLinkToTheParentOfTheSiteIsRefused() throws Exception {
        Files.createSymbolicLink(site.resolve("up"), Path.of("../"));
        assertRefusedReadingNothingOutside();
    }

    @Test
    void aLinkToAFileOutsideIsRefused() throws Exception {
        Path outside = Files.writeString(site.getParent().resolve("outside-secret.txt"), "outside " + MARKER);
        Files.createSymbolicLink(site.resolve("leak.txt"), outside);
        assertRefusedReadingNothingOutside();
    }

    @Test
    void aLinkedFolderOutsideIsRefused() throws Exception {
        Path outside = Files.createDirectories(site.getParent().resolve("outside-folder"));
        Files.writeString(outside.resolve("secret.html"), "outside " + MARKER);
        Files.createSymbolicLink(site.resolve("docs"), outside);
        assertRefusedReadingNothingOutside();
    }

    @Test
    void aLinkOutsideIsRefusedInADryRunToo() throws Exception {
        Path outside = Files.writeString(site.getParent().resolve("outside-secret.txt"), "outside " + MARKER);
        Files.createSymbolicLink(site.resolve("blog/leak.html"), outside);
        Run run = deploy(Map.of(), List.of("--dry-run", site.toString(), "s3://" + BUCKET));
        assertEquals(1, run.code(), run::toString);
        assertTrue(run.err().contains("pointing outside"), run::toString);
        assertFalse(run.all().contains(MARKER_STEM), run::toString);
        assertFalse(proxy.anyWrite(), () -> proxy.requests().toString());
    }

    void assertRefusedReadingNothingOutside() throws Exception {
        Map<String, String> before = keys();
        Run run = deploy(Map.of(), List.of(site.toString(), "s3://" + BUCKET));
        assertEquals(1, run.code(), run::toString);
        assertTrue(run.err().contains("pointing outside"), run::toString);
        assertFalse(run.all().contains(MARKER_STEM), run::toString);
        assertFalse(proxy.anyWrite(), () -> "nothing is uploaded: " + proxy.requests());
        assertEquals(0, cloudFront.count("CreateInvalidation"));
        assertEquals(before, keys());
    }

    // ---------------------------------------------------------------- dry runs write nothing

    @Test
    void deploySiteDryRunSendsNoWriteCall() throws Exception {
        write(site, "new/page.html", "new");
        Run run = deploy(Map.of(), List.of("--dry-run", "--refresh-headers", "--force", site.toString(), "s3://" + BUCKET));
        assertEquals(0, run.code(), run::toString);
        assertNotEquals("", run.out(), "the plan is printed");
        assertFalse(proxy.anyWrite(), () -> "writes: " + proxy.writeOperations());
        assertTrue(proxy.count("ListObjectsV2") >= 1, "it did read");
        assertEquals(0, cloudFront.count("CreateInvalidation"));
        assertEquals(Map.of("stale.html", "old page"), keys());
    }

    @Test
    void invalidateDryRunSendsNoWriteCall() throws Exception {
        Run run = invalidate(Map.of(), List.of("--dry-run", "--distribution", "www.secret.test", "/a.html", "/b/*"));
        assertEquals(0, run.code(), run::toString);
        assertTrue(run.out().contains("/a.html"), run::toString);
        assertEquals(0, cloudFront.count("CreateInvalidation"));
        assertTrue(cloudFront.requests().stream().allMatch(r -> r.method().equals("GET")), () -> cloudFront.requests().toString());
        assertEquals(List.of(), cloudFront.invalidations(DIST));
    }
}
