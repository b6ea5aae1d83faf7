import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Bad input for both scripts, one table, in-process against moto (through the S3 fault proxy) and the CloudFront
 * emulator. Each case must give its exit code (2 usage, 1 failure), one short error line (picocli's usage errors may
 * add its pointer to --help), no stack trace, nothing on stdout, and change nothing remotely: no S3 write, no
 * invalidation created, the seeded bucket byte for byte as it was.
 */
class BadInputTest {
    static LocalServers.Moto moto;
    static S3FaultProxy proxy;
    static CloudFrontEmulator cloudFront;
    static S3Client s3;
    static Path tmp;
    static final String BUCKET = "site-bucket";
    static final String TWIN_BUCKET = "twin-bucket";
    static final String DIST = "E1BAD00000001";
    static final String[] SEED = {"index.html", "css/old.css", "about/index.html"};

    enum Tool { INVALIDATE, DEPLOY }

    /** What a case may set up: a fresh good site, a scratch folder, the servers. */
    record Ctx(Path site, Path scratch) {
        String src() {
            return site.toString();
        }
    }

    interface Setup {
        void run(Ctx ctx) throws Exception;
    }

    /**
     * One bad input. {@code args} get the context (paths); {@code setup} makes files or injects faults;
     * {@code uploadFailure}: the run fails at upload time, so writes were attempted and refused: nothing may be stored.
     */
    record Case(String name, Tool tool, int code, String message, Setup setup, Function<Ctx, List<String>> args,
                boolean uploadFailure) {
        @Override
        public String toString() {
            return (tool == Tool.INVALIDATE ? "invalidate: " : "deploy-site: ") + name;
        }
    }

    static Case inv(String name, int code, String message, String... args) {
        return new Case(name, Tool.INVALIDATE, code, message, c -> { }, c -> List.of(args), false);
    }

    static Case inv(String name, int code, String message, Setup setup, String... args) {
        return new Case(name, Tool.INVALIDATE, code, message, setup, c -> List.of(args), false);
    }

    /** deploy-site with the good site and the seeded bucket after the given options. */
    static Case dep(String name, int code, String message, String... options) {
        return dep(name, code, message, c -> { }, options);
    }

    static Case dep(String name, int code, String message, Setup setup, String... options) {
        return new Case(name, Tool.DEPLOY, code, message, setup, c -> {
            List<String> all = new ArrayList<>(List.of(options));
            all.add(c.src());
            all.add("s3://" + BUCKET);
            return all;
        }, false);
    }

    /** deploy-site with the arguments as given (SOURCE_DIR and target included). */
    static Case depArgs(String name, int code, String message, Function<Ctx, List<String>> args) {
        return new Case(name, Tool.DEPLOY, code, message, c -> { }, args, false);
    }

    static Case depArgs(String name, int code, String message, Setup setup, Function<Ctx, List<String>> args) {
        return new Case(name, Tool.DEPLOY, code, message, setup, args, false);
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    static final String LONG_PATH = "/" + "a".repeat(4001);

    /**
     * The table. Cases this machine cannot stage are left out rather than aborted (the runner counts an aborted test as
     * failed): unreadable files when the tests run as root, missing credentials when the machine has its own.
     */
    static Stream<Case> cases() {
        return allCases().filter(c -> !(isRoot() && c.name().contains("unreadable")))
                .filter(c -> !(c.name().equals("missing credentials") && machineHasCredentials()));
    }

    static Stream<Case> allCases() {
        return Stream.of(
                // ------------------------------------------------------------ invalidate: paths
                inv("no path at all", 2, "no path given", "-c", DIST),
                inv("'*' inside a path", 2, "'*' is allowed only as the last character", "-c", DIST, "/a*/b.html"),
                inv("'*' first of several", 2, "'*' is allowed only as the last character", "-c", DIST, "/ok.html", "*.css"),
                inv("path over 4,000 characters", 2, "invalid path", "-c", DIST, LONG_PATH),
                inv("path whose encoding exceeds 4,000 characters", 2, "invalid path", "-c", DIST, "/" + "é".repeat(700)),
                inv("control character (BEL) in a path", 2, "control character", "-c", DIST, "/a\u0007b"),
                inv("newline inside a path", 2, "control character", "-c", DIST, "/a\nb"),
                inv("DEL character in a path", 2, "control character", "-c", DIST, "/a\u007fb"),
                inv("--paths-from a folder", 1, "cannot read --paths-from", c -> { }, "-c", DIST, "--paths-from", "/"),
                inv("--paths-from a file of comments only", 2, "no path given",
                        c -> Files.writeString(c.scratch().resolve("paths.txt"), "# nothing\n\n"),
                        "-c", DIST, "--paths-from", "paths.txt"), // made absolute in the test
                inv("an empty path argument", 2, "invalid path '': empty", "-c", DIST, ""),
                inv("-i ''", 2, "empty item in -i ''", "-c", DIST, "-i", ""),
                inv("-i with an empty item inside", 2, "empty item in -i '/a.html,,/b.html'", "-c", DIST, "-i", "/a.html,,/b.html"),
                inv("-i with a trailing comma", 2, "empty item in -i '/a.html,'", "-c", DIST, "-i", "/a.html,"),
                inv("a cache tag with a comma", 2, "invalid cache tag '#a,b'", "-c", DIST, "#a,b"),
                inv("a cache tag with a wildcard", 2, "tags have no wildcards", "-c", DIST, "#product*"),
                inv("a cache tag of non-ASCII", 2, "visible ASCII", "-c", DIST, "#caf\u00e9"),
                inv("an empty cache tag", 2, "no tag after '#'", "-c", DIST, "#"),
                inv("more cache tags than --max-paths", 2, "tags cannot be collapsed", "-c", DIST, "--max-paths", "1", "#a", "#b"),
                inv("--invalidation-batch with a wrong Quantity", 2, "InconsistentQuantities", "-c", DIST,
                        "--invalidation-batch", "Paths={Quantity=3,Items=[/a]},CallerReference=r"),
                inv("--invalidation-batch that is not a batch", 2, "--invalidation-batch", "-c", DIST, "--invalidation-batch", "/a,/b"),
                inv("--invalidation-batch of broken JSON", 2, "--invalidation-batch: expected", "-c", DIST, "--invalidation-batch", "{\"Paths\": {"),
                inv("--invalidation-batch and --paths", 2, "cannot be combined", "-c", DIST,
                        "--invalidation-batch", "Paths={Quantity=1,Items=[/a]}", "--paths", "/b"),
                inv("--invalidation-batch's CallerReference and --caller-reference", 2, "--caller-reference cannot be added", "-c", DIST,
                        "--invalidation-batch", "Paths={Quantity=1,Items=[/a]},CallerReference=r", "--caller-reference", "s"),
                inv("--invalidation-batch file:// of a missing file", 1, "cannot read", "-c", DIST, "--invalidation-batch", "file:///nonexistent/batch.json"),
                // ------------------------------------------------------------ invalidate: options and values
                inv("no distribution at all", 2, "no distribution", "/a"),
                inv("unknown option", 2, "Unknown option: '--frobnicate'", "-c", DIST, "--frobnicate", "/a"),
                inv("unknown short option", 2, "Unknown option", "-c", DIST, "-Z", "/a"),
                inv("--max-paths negative", 2, "--max-paths must be at least 1", "-c", DIST, "--max-paths", "-3", "/a"),
                inv("--max-paths without its value", 2, "Missing required parameter for option '--max-paths'", "-c", DIST, "/a", "--max-paths"),
                inv("--timeout in parsecs", 2, "invalid duration", "-c", DIST, "--timeout", "3parsecs", "/a"),
                inv("--poll-interval not a duration", 2, "invalid duration", "-c", DIST, "--poll-interval", "soon", "/a"),
                inv("--output yaml", 2, "expected one of", "-c", DIST, "--output", "yaml", "/a"),
                inv("-s without -a", 2, "-a (access key) and -s (secret key) go together", "-s", "some-secret-value", "-c", DIST, "/a"),
                inv("--endpoint-url not a URI", 2, "--endpoint-url", "-c", DIST, "--endpoint-url", "http://bad host/", "/a"),
                // ------------------------------------------------------------ invalidate: AWS
                inv("unknown distribution id", 1, "NoSuchDistribution", "-c", "ENOSUCHDIST0001", "/a"),
                inv("--distribution matching nothing", 1, "no distribution has the alias", "--distribution", "nothing.example.org", "/a"),
                inv("--distribution matching two", 1, "2 distributions match", "--distribution", TWIN_BUCKET, "/a"),
                inv("AccessDenied on CreateInvalidation", 1, "AccessDenied",
                        c -> cloudFront.inject("CreateInvalidation", CloudFrontEmulator.Fault.error(403, "AccessDenied", "User is not authorized"), 1),
                        "-c", DIST, "/a"),
                inv("AccessDenied on ListDistributions", 1, "AccessDenied",
                        c -> cloudFront.inject("ListDistributions", CloudFrontEmulator.Fault.error(403, "AccessDenied", "User is not authorized"), 1),
                        "--distribution", "www.example.test", "/a"),
                new Case("missing credentials", Tool.INVALIDATE, 1, "no AWS credentials found", BadInputTest::withoutCredentials,
                        c -> List.of("-c", DIST, "/a"), false),

                // ------------------------------------------------------------ deploy-site: the source
                depArgs("missing source folder", 2, "does not exist", c -> List.of(c.scratch().resolve("missing").toString(), "s3://" + BUCKET)),
                depArgs("a file instead of a folder", 2, "is not a folder",
                        c -> Files.writeString(c.scratch().resolve("file.txt"), "x"),
                        c -> List.of(c.scratch().resolve("file.txt").toString(), "s3://" + BUCKET)),
                depArgs("an empty folder", 1, "holds no file to upload",
                        c -> Files.createDirectories(c.scratch().resolve("empty")),
                        c -> List.of(c.scratch().resolve("empty").toString(), "s3://" + BUCKET)),
                depArgs("a folder of dotfiles only", 1, "holds no file to upload",
                        c -> {
                            Files.createDirectories(c.scratch().resolve("dots/.git"));
                            Files.writeString(c.scratch().resolve("dots/.env"), "X=1");
                            Files.writeString(c.scratch().resolve("dots/.git/HEAD"), "ref");
                        },
                        c -> List.of(c.scratch().resolve("dots").toString(), "s3://" + BUCKET)),
                depArgs("an unreadable source folder", 1, "not readable",
                        c -> {
                            Files.setPosixFilePermissions(c.site(), PosixFilePermissions.fromString("-wx------"));
                        },
                        c -> List.of(c.src(), "s3://" + BUCKET)),
                dep("an unreadable file in the source", 1, "cannot read",
                        c -> {
                            Files.setPosixFilePermissions(c.site().resolve("css/site.css"), PosixFilePermissions.fromString("-w-------"));
                        }),
                dep("a symbolic link to a file outside the site", 1, "pointing outside",
                        c -> Files.createSymbolicLink(c.site().resolve("passwd.html"), writeOutside(c))),
                dep("a symbolic link to a folder outside the site", 1, "pointing outside",
                        c -> Files.createSymbolicLink(c.site().resolve("docs"), writeOutside(c).getParent())),
                dep("a symbolic link to the site's parent", 1, "pointing outside",
                        c -> Files.createSymbolicLink(c.site().resolve("blog/up"), Path.of("../.."))),
                dep("a file name that is not valid UTF-8", 1, "not valid UTF-8", BadInputTest::nonUtf8Name),
                dep("a folder name that is not valid UTF-8", 1, "not valid UTF-8", c -> shell(c.site(), "mkdir \"$(printf 'd\\351j\\340')\" && touch \"$(printf 'd\\351j\\340')/page.html\"")),
                dep("a link looping back to the site's root", 1, "loops back", c -> Files.createSymbolicLink(c.site().resolve("blog/up"), Path.of(".."))),

                // ------------------------------------------------------------ deploy-site: the target
                depArgs("https:// target", 2, "is not s3://BUCKET", c -> List.of(c.src(), "https://" + BUCKET)),
                depArgs("s3:// without a bucket", 2, "invalid bucket name", c -> List.of(c.src(), "s3://")),
                depArgs("bucket with upper case and underscore", 2, "invalid bucket name", c -> List.of(c.src(), "s3://Bad_Bucket")),
                depArgs("bucket name of 2 characters", 2, "invalid bucket name", c -> List.of(c.src(), "s3://ab")),
                depArgs("bucket name of 64 characters", 2, "invalid bucket name", c -> List.of(c.src(), "s3://" + "b".repeat(64))),
                depArgs("bucket name like an IP address", 2, "invalid bucket name", c -> List.of(c.src(), "s3://192.168.1.10")),
                depArgs("bucket name with '..'", 2, "invalid bucket name", c -> List.of(c.src(), "s3://site..bucket")),
                depArgs("bucket name ending with '-'", 2, "invalid bucket name", c -> List.of(c.src(), "s3://site-bucket-")),
                depArgs("prefix with a '..' segment", 2, "invalid prefix", c -> List.of(c.src(), "s3://" + BUCKET + "/a/../b")),
                depArgs("prefix with a '.' segment", 2, "invalid prefix", c -> List.of(c.src(), "s3://" + BUCKET + "/./b")),
                depArgs("S3 URL in upper case", 2, "is not s3://BUCKET", c -> List.of(c.src(), "S3://" + BUCKET)),
                depArgs("target missing", 2, "Missing required parameter", c -> List.of(c.src())),
                depArgs("an extra argument", 2, "Unmatched argument", c -> List.of(c.src(), "s3://" + BUCKET, "extra")),

                // ------------------------------------------------------------ deploy-site: options and values
                dep("unknown option", 2, "Unknown option: '--frobnicate'", "--frobnicate"),
                dep("--concurrency 0", 2, "--concurrency must be between 1 and 256", "--concurrency", "0"),
                dep("--concurrency 1000", 2, "--concurrency must be between 1 and 256", "--concurrency", "1000"),
                dep("--concurrency not a number", 2, "'many' is not an int", "--concurrency", "many"),
                dep("--max-paths 0", 2, "--max-paths must be at least 1", "--max-paths", "0"),
                dep("--max-delete negative", 2, "--max-delete must be 0 or more", "--max-delete", "-1"),
                dep("--poll-interval 0", 2, "--poll-interval must be more than 0", "--poll-interval", "0"),
                dep("--timeout not a duration", 2, "invalid duration", "--timeout", "forever"),
                dep("--output xml", 2, "expected one of", "--output", "xml"),
                dep("--preset jekyll", 2, "expected one of", "--preset", "jekyll"),
                dep("--checksums always", 2, "expected one of", "--checksums", "always"),
                dep("--content-type without '='", 2, "is not GLOB=VALUE", "--content-type", "text/plain"),
                dep("--cache-control with an empty value", 2, "is not GLOB=VALUE", "--cache-control", "*.css="),
                dep("--content-type with a malformed glob", 2, "--content-type", "--content-type", "[a=text/plain"),
                dep("--exclude with a malformed glob", 2, "--exclude", "--exclude", "drafts/[x"),
                dep("--gzip with a malformed glob", 2, "--gzip", "--gzip", "*.{css"),
                dep("-c and --distribution together", 2, "--distribution-id and --distribution are exclusive",
                        "-c", DIST, "--distribution", "www.example.test"),
                dep("--cloudfront-endpoint-url not a URI", 2, "--cloudfront-endpoint-url", "--cloudfront-endpoint-url", "http://bad host/"),

                // ------------------------------------------------------------ deploy-site: AWS
                depArgs("unknown bucket", 1, "NoSuchBucket", c -> List.of(c.src(), "s3://no-such-bucket")),
                depArgs("unknown bucket, -c of another bucket's distribution", 1, "NoSuchBucket",
                        c -> List.of("-c", DIST, c.src(), "s3://no-such-bucket")),
                dep("unknown distribution id", 1, "NoSuchDistribution", "-c", "ENOSUCHDIST0001"),
                dep("--distribution matching nothing", 1, "no distribution has the alias", "--distribution", "nothing.example.org"),
                depArgs("two distributions serve the bucket", 1, "2 distributions serve the bucket", c -> List.of(c.src(), "s3://" + TWIN_BUCKET)),
                dep("AccessDenied on ListObjectsV2", 1, "AccessDenied",
                        c -> proxy.injectAlways("ListObjectsV2", null, S3FaultProxy.Fault.ACCESS_DENIED)),
                dep("AccessDenied on CloudFront GetDistribution", 1, "AccessDenied",
                        c -> cloudFront.inject("GetDistribution", CloudFrontEmulator.Fault.error(403, "AccessDenied", "User is not authorized"), 1),
                        "-c", DIST),
                dep("more deletions than --max-delete", 1, "more than --max-delete 0", "--max-delete", "0"),
                new Case("missing credentials", Tool.DEPLOY, 1, "no AWS credentials found", BadInputTest::withoutCredentials,
                        c -> List.of(c.src(), "s3://" + BUCKET), false),
                new Case("--acl on a bucket without ACLs", Tool.DEPLOY, 1, "AccessControlListNotSupported",
                        c -> proxy.injectAlways(call -> call.header("x-amz-acl") != null,
                                S3FaultProxy.Fault.error(400, "AccessControlListNotSupported", "The bucket does not allow ACLs")),
                        c -> List.of("--acl", "public-read", c.src(), "s3://" + BUCKET), true));
    }

    // ---------------------------------------------------------------- servers, once per class

    @BeforeAll
    static void startServers() throws Exception {
        LocalServers.init();
        moto = LocalServers.Moto.start();
        proxy = S3FaultProxy.start(moto.endpoint());
        cloudFront = CloudFrontEmulator.start();
        s3 = TestS3.client(moto.endpoint());
        cloudFront.addDistribution(DIST, "d1bad.cloudfront.net", List.of("www.example.test"),
                List.of(CloudFrontEmulator.Origin.s3(BUCKET)));
        cloudFront.addDistribution("E1TWIN0000001", null, List.of(), List.of(CloudFrontEmulator.Origin.s3(TWIN_BUCKET)));
        cloudFront.addDistribution("E1TWIN0000002", null, List.of(), List.of(CloudFrontEmulator.Origin.s3(TWIN_BUCKET)));
        for (String bucket : List.of(BUCKET, TWIN_BUCKET)) {
            s3.createBucket(b -> b.bucket(bucket));
            for (String key : SEED) s3.putObject(r -> r.bucket(bucket).key(key), RequestBody.fromString("seeded " + key));
        }
        tmp = Files.createTempDirectory("bad-input-");
    }

    @AfterAll
    static void stopServers() throws Exception {
        LocalServers.closeAll(s3, cloudFront, proxy, moto);
        if (tmp != null) deleteTree(tmp);
    }

    // ---------------------------------------------------------------- the table

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rejectsWithItsExitCodeOneLineAndNoRemoteChange(Case c) throws Exception {
        Path scratch = Files.createTempDirectory(tmp, "case-");
        Path site = goodSite(scratch.resolve("public"));
        Ctx ctx = new Ctx(site, scratch);
        proxy.clear();
        cloudFront.reset();
        Map<String, Map<String, String>> before = buckets();
        Map<String, String> props = credentialProperties();
        try {
            c.setup().run(ctx);
            List<String> args = new ArrayList<>(c.args().apply(ctx));
            // A relative --paths-from is resolved here: the in-process run has the test's working directory.
            int from = args.indexOf("--paths-from");
            if (from >= 0 && args.get(from + 1).equals("paths.txt")) args.set(from + 1, scratch.resolve("paths.txt").toString());
            Run run = c.tool() == Tool.INVALIDATE ? invalidate(args) : deploy(args);
            check(c, run);
        } finally {
            restoreCredentialProperties(props);
            makeWritable(scratch);
        }
        // Nothing changed remotely.
        if (!c.uploadFailure()) assertFalse(proxy.anyWrite(), () -> "an S3 write was sent: " + proxy.requests());
        assertEquals(0, createdInvalidations(), () -> "an invalidation was created: " + cloudFront.requests());
        assertEquals(before, buckets(), "the buckets are byte-identical");
        if (c.uploadFailure()) {
            // Refused uploads: not a single object stored, and no entry point even tried.
            assertTrue(proxy.requests("PutObject").stream().filter(r -> !r.key().startsWith(DeploySite.Site.PENDING))
                    .noneMatch(r -> r.status() / 100 == 2), () -> "stored: " + proxy.requests());
            assertTrue(proxy.requests("PutObject").stream().noneMatch(r -> r.key().endsWith(".html") || r.key().endsWith(".xml")),
                    () -> "an entry point was sent: " + proxy.requests());
        }
    }

    static final String HINT_INVALIDATE = "Try 'invalidate --help' for more information.";
    static final String HINT_DEPLOY = "Try 'deploy-site --help' for more information.";

    static void check(Case c, Run run) {
        String prefix = c.tool() == Tool.INVALIDATE ? "invalidate: error: " : "deploy-site: error: ";
        String hint = c.tool() == Tool.INVALIDATE ? HINT_INVALIDATE : HINT_DEPLOY;
        assertEquals(c.code(), run.code(), run::toString);
        if (!c.uploadFailure()) assertEquals("", run.out(), run::toString);
        assertFalse(run.err().contains("Exception") || run.err().contains("\tat "), run::toString);
        List<String> lines = run.err().lines().toList();
        if (c.uploadFailure()) {
            // An upload failure reports what happened (stdout) and may name each failed file on stderr; one error line.
            lines = lines.stream().filter(l -> l.startsWith("deploy-site: error: ")).toList();
        }
        assertTrue(lines.size() == 1 || lines.size() == 2 && lines.get(1).equals(hint), run::toString);
        assertTrue(lines.get(0).startsWith(prefix), run::toString);
        // A refused upload names its reason on each failed file's line (stdout); the error line sums them up.
        String where = c.uploadFailure() ? run.out() + lines.get(0) : lines.get(0);
        assertTrue(where.contains(c.message()), () -> "expected '" + c.message() + "' in:\n" + run);
        assertTrue(lines.get(0).length() <= 300, () -> "a short line: " + run);
        if (lines.size() == 2) assertEquals(2, c.code(), "only usage errors point to --help");
    }

    // ---------------------------------------------------------------- running the scripts in-process

    record Run(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Run invalidate(List<String> args) {
        Invalidate cmd = new Invalidate();
        cmd.env = new HashMap<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        cmd.in = new java.io.ByteArrayInputStream(new byte[0]);
        List<String> all = new ArrayList<>();
        if (!args.contains("--endpoint-url")) all.addAll(List.of("--endpoint-url", cloudFront.endpoint().toString()));
        all.addAll(List.of("--timeout", "20s", "--poll-interval", "50ms"));
        all.addAll(args);
        int code = Invalidate.newCommandLine(cmd).execute(all.toArray(String[]::new));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Run deploy(List<String> args) {
        DeploySite cmd = new DeploySite();
        cmd.env = new HashMap<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        List<String> all = new ArrayList<>();
        if (!args.contains("--endpoint-url")) all.addAll(List.of("--endpoint-url", proxy.endpoint().toString()));
        if (!args.contains("--cloudfront-endpoint-url")) all.addAll(List.of("--cloudfront-endpoint-url", cloudFront.endpoint().toString()));
        if (!args.contains("--timeout")) all.addAll(List.of("--timeout", "20s"));
        all.addAll(args);
        int code = DeploySite.newCommandLine(cmd).execute(all.toArray(String[]::new));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------- helpers

    static Path goodSite(Path site) throws IOException {
        write(site, "index.html", "<html><link href=/css/site.css><h1>Home</h1></html>");
        write(site, "css/site.css", "body { color: black; }");
        write(site, "js/app.js", "console.log('hi');");
        write(site, "blog/first/index.html", "<h1>First</h1>");
        write(site, "index.xml", "<rss></rss>");
        write(site, "img/logo.png", "PNG-not-really");
        return site;
    }

    static void write(Path root, String rel, String text) throws IOException {
        Path f = root.resolve(rel);
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
    }

    /** A file outside the site, in its own folder: what a link must never let through. */
    static Path writeOutside(Ctx c) throws IOException {
        Path secret = c.scratch().resolve("outside/secret.txt");
        Files.createDirectories(secret.getParent());
        return Files.writeString(secret, "not for the web");
    }

    /** A file whose name has the byte 0xFF: not UTF-8. Made by the shell, since Java names files from strings. */
    static void nonUtf8Name(Ctx c) throws Exception {
        Process p = new ProcessBuilder("/bin/sh", "-c", "touch \"$(printf 'bad\\377name.html')\"")
                .directory(c.site().resolve("blog").toFile()).inheritIO().start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "could not create the file");
        try (var files = Files.list(c.site().resolve("blog"))) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith("bad")), "Java sees the file");
        }
    }

    static boolean machineHasCredentials() {
        return !(System.getenv("AWS_ACCESS_KEY_ID") == null && System.getenv("AWS_PROFILE") == null
                        && System.getenv("AWS_WEB_IDENTITY_TOKEN_FILE") == null && System.getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") == null
                        && System.getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") == null
                        && !Files.exists(Path.of(System.getProperty("user.home"), ".aws")));
    }

    static void shell(Path dir, String script) throws Exception {
        Process p = new ProcessBuilder("/bin/sh", "-c", script).directory(dir.toFile()).inheritIO().start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "could not run: " + script);
    }

    static void withoutCredentials(Ctx c) {
        assumeTrue(!machineHasCredentials(), "this machine has AWS credentials of its own");
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
    }

    static Map<String, String> credentialProperties() {
        Map<String, String> props = new HashMap<>();
        for (String name : List.of("aws.accessKeyId", "aws.secretAccessKey", "aws.sessionToken")) props.put(name, System.getProperty(name));
        return props;
    }

    static void restoreCredentialProperties(Map<String, String> props) {
        props.forEach((name, value) -> {
            if (value == null) System.clearProperty(name);
            else System.setProperty(name, value);
        });
    }

    /** Invalidations the emulator accepted (a refused CreateInvalidation changes nothing). */
    static long createdInvalidations() {
        return cloudFront.requests().stream().filter(r -> r.operation().equals("CreateInvalidation") && r.status() / 100 == 2).count()
                + cloudFront.distributions().stream().mapToLong(d -> cloudFront.invalidations(d.id()).size()).sum();
    }

    /** Every object of both buckets, with its bytes (as MD5 hex to keep messages short) and its ETag and time. */
    static Map<String, Map<String, String>> buckets() throws Exception {
        Map<String, Map<String, String>> all = new TreeMap<>();
        for (String bucket : List.of(BUCKET, TWIN_BUCKET)) {
            Map<String, String> objects = new TreeMap<>();
            for (var page : s3.listObjectsV2Paginator(r -> r.bucket(bucket))) {
                for (var o : page.contents()) {
                    byte[] bytes = s3.getObjectAsBytes(r -> r.bucket(bucket).key(o.key())).asByteArray();
                    objects.put(o.key(), java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5").digest(bytes))
                            + " " + o.eTag() + " " + o.lastModified());
                }
            }
            all.put(bucket, objects);
        }
        return all;
    }

    static void makeWritable(Path root) throws IOException {
        try (var walk = Files.walk(root)) {
            walk.filter(p -> !Files.isSymbolicLink(p)).forEach(p -> {
                try {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwx------" : "rw-------"));
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
    }

    static void deleteTree(Path root) throws IOException {
        makeWritable(root);
        try (var walk = Files.walk(root)) {
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
