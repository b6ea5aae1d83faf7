import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudfront.CloudFrontClient;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * deploy-site under faults: transient S3 failures on a fraction of uploads, CloudFront's transient errors and limits,
 * a SIGKILL in the middle of the uploads, and a file that changes between hashing and upload. In-process against
 * moto behind the fault proxy and the CloudFront emulator, except the kill, which needs a real process.
 * Assertions are on what the servers hold afterwards (every byte compared) and on the requests they saw.
 */
class FaultToleranceTest {
    static LocalServers.Moto moto;
    static S3FaultProxy proxy;
    static CloudFrontEmulator cloudFront;
    static S3Client s3;
    static final String BUCKET = "fault-site";
    static final String DIST = "E1FAULT000001";
    static final Duration NEVER = Duration.ofDays(365);
    static final String CREATE = "CreateInvalidation";

    /** ~300 files of mixed sizes plus one 17 MiB file (three 8 MiB parts), built once. */
    static Path bigSite;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startServers(@TempDir Path shared) throws Exception {
        LocalServers.init();
        moto = LocalServers.Moto.start();
        proxy = S3FaultProxy.start(moto.endpoint());
        cloudFront = CloudFrontEmulator.start();
        cloudFront.addDistribution(DIST, "d1fault.cloudfront.net", List.of("www.fault.test"), List.of(CloudFrontEmulator.Origin.s3(BUCKET)));
        s3 = TestS3.client(moto.endpoint());
        bigSite = shared.resolve("big");
        Random random = new Random(42);
        String[] ext = {"html", "css", "js", "png", "txt", "json"};
        for (int i = 0; i < 300; i++) {
            int size = i % 10 == 0 ? 64 * 1024 + random.nextInt(448 * 1024) : 1 + random.nextInt(8000);
            byte[] bytes = new byte[size];
            random.nextBytes(bytes);
            String rel = "d" + (i % 7) + "/f" + i + "." + ext[i % ext.length];
            Files.createDirectories(bigSite.resolve(rel).getParent());
            Files.write(bigSite.resolve(rel), bytes);
        }
        byte[] big = new byte[17 * 1024 * 1024];
        random.nextBytes(big);
        Files.write(bigSite.resolve("video.bin"), big);
        Files.writeString(bigSite.resolve("index.html"), "<h1>Home</h1>");
    }

    @AfterAll
    static void stopServers() throws Exception {
        LocalServers.closeAll(s3, cloudFront, proxy, moto);
    }

    @BeforeEach
    void fresh() throws Exception {
        moto.reset();
        proxy.clear();
        proxy.onRequest(null);
        cloudFront.reset();
        cloudFront.completionDelay(Duration.ZERO);
        s3.createBucket(b -> b.bucket(BUCKET));
    }

    // ---------------------------------------------------------------- helpers

    record Run(int code, String out, String err) {
        String all() {
            return out + err;
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Run deploy(String... args) {
        DeploySite cmd = new DeploySite();
        cmd.env = new HashMap<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        List<String> all = new ArrayList<>(List.of("--endpoint-url", proxy.endpoint().toString(),
                "--cloudfront-endpoint-url", cloudFront.endpoint().toString(), "--poll-interval", "50ms"));
        all.addAll(Arrays.asList(args));
        int code = DeploySite.newCommandLine(cmd).execute(all.toArray(String[]::new));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static CompletableFuture<Run> deployInBackground(String... args) {
        return CompletableFuture.supplyAsync(() -> deploy(args));
    }

    /** Every object in the bucket with its bytes. */
    static Map<String, byte[]> bucket() {
        Map<String, byte[]> objects = new TreeMap<>();
        for (var page : s3.listObjectsV2Paginator(r -> r.bucket(BUCKET))) {
            for (var o : page.contents()) objects.put(o.key(), s3.getObjectAsBytes(r -> r.bucket(BUCKET).key(o.key())).asByteArray());
        }
        return objects;
    }

    /** A folder as the bucket should hold it (key -> bytes). */
    static Map<String, byte[]> local(Path root) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                files.put(root.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
            }
        }
        return files;
    }

    static void assertSameContent(Map<String, byte[]> expected, Map<String, byte[]> actual, String context) {
        assertEquals(expected.keySet(), actual.keySet(), context);
        expected.forEach((k, v) -> assertArrayEquals(v, actual.get(k), k + " byte for byte; " + context));
    }

    static void write(Path root, String rel, String text) throws IOException {
        Path f = root.resolve(rel);
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
    }

    static String md5Base64(byte[] bytes) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void await(String what, BooleanSupplier condition, BooleanSupplier gaveUp) throws InterruptedException {
        Instant giveUp = Instant.now().plus(Duration.ofMinutes(2));
        while (!condition.getAsBoolean()) {
            if (gaveUp.getAsBoolean()) throw new AssertionError("ended before " + what);
            if (Instant.now().isAfter(giveUp)) throw new AssertionError("gave up waiting until " + what);
            Thread.sleep(10);
        }
    }

    static final Pattern CALLER_REFERENCE = Pattern.compile("<CallerReference>([^<]*)</CallerReference>");

    static List<String> callerReferences() {
        List<String> refs = new ArrayList<>();
        for (var r : cloudFront.requests()) {
            if (!r.operation().equals(CREATE)) continue;
            Matcher m = CALLER_REFERENCE.matcher(r.body());
            refs.add(m.find() ? m.group(1) : "(none in: " + r.body() + ")");
        }
        return refs;
    }

    static String faultSummary() {
        Map<String, Long> byOperation = proxy.requests().stream()
                .filter(r -> r.fault() != null && !(r.fault() instanceof S3FaultProxy.Fault.Slow s && s.delay().isZero()))
                .collect(Collectors.groupingBy(r -> r.operation() + " " + r.fault(), TreeMap::new, Collectors.counting()));
        return byOperation.toString();
    }

    // ---------------------------------------------------------------- 1. transient S3 faults on a fraction of uploads

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"SLOW_DOWN", "INTERNAL_ERROR", "DROP_CONNECTION", "SLOW"})
    void survivesAFractionOfFailedUploadsAndStoresEveryByte(String kind) throws Exception {
        S3FaultProxy.Fault fault = switch (kind) {
            case "SLOW_DOWN" -> S3FaultProxy.Fault.SLOW_DOWN;
            case "INTERNAL_ERROR" -> S3FaultProxy.Fault.INTERNAL_ERROR;
            case "DROP_CONNECTION" -> S3FaultProxy.Fault.DROP_CONNECTION;
            default -> S3FaultProxy.Fault.SLOW(Duration.ofMillis(300));
        };
        // A key that already failed 3 times is spared (passed on with no delay), so no upload needs more than the
        // SDK's 6 attempts and the outcome does not depend on how the threads interleave with the seeded draws.
        Map<String, Integer> faultsPerKey = new ConcurrentHashMap<>();
        proxy.onRequest(r -> {
            if (r.fault() != null && !(r.fault() instanceof S3FaultProxy.Fault.Slow s && s.delay().isZero())) faultsPerKey.merge(r.key(), 1, Integer::sum);
        });
        proxy.injectAlways(c -> c.operation().equals("PutObject") && faultsPerKey.getOrDefault(c.key(), 0) >= 3, S3FaultProxy.Fault.SLOW(Duration.ZERO));
        proxy.injectFraction("PutObject", fault, 0.2, 20261122L + kind.hashCode());
        proxy.inject("UploadPart", fault, 2); // two of the three parts of the 17 MiB file fail once each
        Instant start = Instant.now();
        Run run = deploy(bigSite.toString(), "s3://" + BUCKET);
        Duration took = Duration.between(start, Instant.now());

        var requests = proxy.requests();
        long puts = requests.stream().filter(r -> r.operation().equals("PutObject")).count();
        long faultedPuts = requests.stream().filter(r -> r.operation().equals("PutObject") && r.fault() != null
                && !(r.fault() instanceof S3FaultProxy.Fault.Slow s && s.delay().isZero())).count();
        long faultedParts = requests.stream().filter(r -> r.operation().equals("UploadPart") && r.fault() != null).count();
        Map<String, byte[]> expected = local(bigSite);
        String figures = kind + ": " + faultedPuts + " of " + puts + " PutObject and " + faultedParts + " UploadPart requests faulted "
                + faultSummary() + ", all survived; " + expected.size() + " files compared byte for byte; deploy took " + took.toMillis() + " ms";
        System.out.println("FaultToleranceTest: " + figures);
        assertEquals(0, run.code, () -> figures + "\n" + run);
        assertTrue(faultedPuts >= 20, "a fifth of ~300 uploads faulted: " + figures);
        assertEquals(2, faultedParts, figures);
        assertSameContent(expected, bucket(), figures);
        assertEquals(1, cloudFront.invalidations(DIST).size(), figures);
        // Nothing partial left behind: no multipart upload is still open.
        assertEquals(0, s3.listMultipartUploads(r -> r.bucket(BUCKET)).uploads().size(), figures);
    }

    // ---------------------------------------------------------------- 2. CloudFront faults

    Path smallSite() throws IOException {
        Path site = tmp.resolve("small");
        write(site, "index.html", "<h1>Home</h1>");
        write(site, "css/site.css", "body{}");
        write(site, "blog/first/index.html", "<h1>First</h1>");
        return site;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"SERVICE_UNAVAILABLE", "THROTTLING"})
    void transientCloudFrontErrorsAreRetriedWithTheSameCallerReference(String kind) throws Exception {
        var fault = kind.equals("THROTTLING") ? CloudFrontEmulator.Fault.THROTTLING : CloudFrontEmulator.Fault.SERVICE_UNAVAILABLE;
        cloudFront.inject(CREATE, fault, 6); // more than the SDK's own retries
        Run run = deploy(smallSite().toString(), "s3://" + BUCKET);
        List<String> refs = callerReferences();
        long faulted = cloudFront.requests().stream().filter(r -> r.operation().equals(CREATE) && r.fault() != null).count();
        String figures = kind + ": " + faulted + " of " + refs.size() + " CreateInvalidation requests faulted, "
                + new TreeSet<>(refs).size() + " distinct CallerReference(s) " + new TreeSet<>(refs) + ", " + cloudFront.invalidations(DIST).size() + " invalidation(s)";
        System.out.println("FaultToleranceTest: " + figures);
        assertEquals(0, run.code, () -> figures + "\n" + run);
        assertEquals(6, faulted, figures);
        assertEquals(7, refs.size(), figures);
        assertEquals(1, new TreeSet<>(refs).size(), "one intent, one CallerReference: " + figures);
        assertEquals(1, cloudFront.invalidations(DIST).size(), "never two invalidations for one intent: " + figures);
        assertEquals(refs.get(0), cloudFront.invalidations(DIST).get(0).callerReference());
    }

    @Test
    void waitsOutTooManyInvalidationsInProgress() throws Exception {
        cloudFront.completionDelay(NEVER);
        try (CloudFrontClient cf = CloudFrontClient.builder().region(Region.AWS_GLOBAL).endpointOverride(cloudFront.endpoint())
                .httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(LocalServers.ACCESS_KEY, LocalServers.SECRET_KEY)))
                .build()) {
            // Both limits full: whatever the deploy plans (a first deploy sends /*), CloudFront has no room for it.
            List<String> filler = IntStream.range(0, CloudFrontEmulator.MAX_FILE_PATHS_IN_PROGRESS).mapToObj(i -> "/filler/" + i).toList();
            cf.createInvalidation(r -> r.distributionId(DIST).invalidationBatch(b -> b.callerReference("filler")
                    .paths(p -> p.quantity(filler.size()).items(filler))));
            List<String> wildcards = IntStream.range(0, CloudFrontEmulator.MAX_WILDCARD_PATHS_IN_PROGRESS).mapToObj(i -> "/filler/" + i + "/*").toList();
            cf.createInvalidation(r -> r.distributionId(DIST).invalidationBatch(b -> b.callerReference("filler-wildcards")
                    .paths(p -> p.quantity(wildcards.size()).items(wildcards))));
        }
        var running = deployInBackground(smallSite().toString(), "s3://" + BUCKET);
        BooleanSupplier refused = () -> cloudFront.requests().stream().anyMatch(r -> r.operation().equals(CREATE) && r.status() == 400 && r.fault() == null);
        await("CloudFront refused the deploy's invalidation", refused, running::isDone);
        assertFalse(running.isDone(), "it waits for room");
        long refusals = cloudFront.requests().stream().filter(r -> r.operation().equals(CREATE) && r.status() == 400).count();
        cloudFront.completeAll();
        Run run = running.get(1, TimeUnit.MINUTES);
        assertEquals(0, run.code, run::toString);
        assertTrue(run.err.contains("TooManyInvalidationsInProgress"), run::toString);
        var all = cloudFront.invalidations(DIST);
        assertEquals(3, all.size(), "the fillers and the deploy's: " + all);
        assertEquals(List.of("/*"), all.get(2).paths(), "a first deploy changes every URL");
        List<String> refs = callerReferences().stream().filter(r -> !r.startsWith("filler")).toList();
        assertEquals(1, new TreeSet<>(refs).size(), "every try carried the same CallerReference, " + refusals + " refusal(s) waited out: " + refs);
        assertSameContent(local(tmp.resolve("small")), bucket(), "after waiting");
    }

    @Test
    void aWaitThatOutlivesTheTimeoutFailsAfterDeletingOrWarnsWhenAsked() throws Exception {
        Path site = smallSite();
        s3.putObject(r -> r.bucket(BUCKET).key("old.html"), RequestBody.fromString("old"));
        cloudFront.completionDelay(NEVER);
        Run run = deploy("--wait", "--timeout", "1s", site.toString(), "s3://" + BUCKET);
        var invalidations = cloudFront.invalidations(DIST);
        assertEquals(1, invalidations.size(), run::toString);
        String id = invalidations.get(0).id();
        assertEquals(1, run.code, run::toString);
        assertTrue(run.err.contains(id) && run.err.contains("timed out"), "the message names the invalidation " + id + ":\n" + run);
        assertSameContent(local(site), bucket(), "uploads and deletions done before the wait");
        assertTrue(invalidations.get(0).paths().stream().anyMatch(p -> p.equals("/old.html") || p.endsWith("*") && "/old.html".startsWith(p.substring(0, p.length() - 1))),
                "the deleted key was invalidated: " + invalidations);

        write(site, "css/site.css", "body{color:red}");
        s3.putObject(r -> r.bucket(BUCKET).key("older.html"), RequestBody.fromString("older"));
        Run warned = deploy("--wait", "--timeout", "1s", "--warn-on-timeout", site.toString(), "s3://" + BUCKET);
        invalidations = cloudFront.invalidations(DIST);
        assertEquals(2, invalidations.size(), warned::toString);
        assertEquals(0, warned.code, warned::toString);
        assertTrue(warned.err.contains(invalidations.get(1).id()), warned::toString);
        assertSameContent(local(site), bucket(), "with --warn-on-timeout");
    }

    // ---------------------------------------------------------------- 3. SIGKILL in the middle of the uploads

    Map<String, String> subprocessEnv() {
        Map<String, String> extra = new HashMap<>();
        extra.put("AWS_ACCESS_KEY_ID", LocalServers.ACCESS_KEY);
        extra.put("AWS_SECRET_ACCESS_KEY", LocalServers.SECRET_KEY);
        extra.put("AWS_REGION", "us-east-1");
        extra.put("AWS_ENDPOINT_URL_S3", proxy.endpoint().toString());
        extra.put("AWS_ENDPOINT_URL_CLOUDFRONT", cloudFront.endpoint().toString());
        extra.put("LANG", "C.UTF-8");
        return LocalServers.cleanEnvironment(extra);
    }

    /** The bucket before the deploy: two changed files and three stale objects that the deploy must delete. */
    void seedBucket() {
        s3.putObject(r -> r.bucket(BUCKET).key("a/site.css"), RequestBody.fromString("body{color:old}"));
        s3.putObject(r -> r.bucket(BUCKET).key("index.html"), RequestBody.fromString("<h1>Old home</h1>"));
        for (String stale : List.of("old/a.html", "old/b.css", "gone.js")) {
            s3.putObject(r -> r.bucket(BUCKET).key(stale), RequestBody.fromString("stale " + stale));
        }
    }

    Path killSite() throws IOException {
        Path site = tmp.resolve("kill");
        write(site, "index.html", "<h1>New home</h1>");
        write(site, "a/site.css", "body{color:new}");
        for (int i = 0; i < 60; i++) write(site, "assets/a" + i + ".js", "console.log(" + i + ");");
        for (int i = 0; i < 5; i++) write(site, "p" + i + "/index.html", "<h1>Page " + i + "</h1>");
        return site;
    }

    static boolean covers(Set<String> sent, String path) {
        return sent.stream().anyMatch(p -> p.equals(path) || (p.endsWith("*") && path.startsWith(p.substring(0, p.length() - 1))));
    }

    /** What the kill-and-re-run scenario leaves: the paths an uninterrupted deploy invalidates, and those the re-run did. */
    record AfterKill(Set<String> expectedPaths, Set<String> sentByRerun, String figures) {
        List<String> missed() {
            return expectedPaths.stream().filter(p -> !covers(sentByRerun, p)).toList();
        }
    }

    @Test
    void aKillMidUploadDeletesNothingAndTheNextRunConverges() throws Exception {
        AfterKill after = killMidUploadThenRerun();
        System.out.println("FaultToleranceTest: " + after.figures() + "; the re-run invalidated " + after.sentByRerun().size() + " of the "
                + after.expectedPaths().size() + " paths an uninterrupted deploy invalidates; never invalidated: " + after.missed());
    }

    /**
     * An object uploaded by the killed run (a changed asset too) is unchanged for the re-run: only the pending record
     * the killed run wrote before its first upload tells the re-run to invalidate it.
     */
    @Test
    void theRunAfterAKillInvalidatesWhatTheKilledRunUploaded() throws Exception {
        AfterKill after = killMidUploadThenRerun();
        assertEquals(List.of(), after.missed(), after.figures());
    }

    AfterKill killMidUploadThenRerun() throws Exception {
        Path site = killSite();
        // --delete-grace 0: the orphaned assets go in the same run, so both runs end with exactly the site.
        String[] args = {"deploy-site", "--max-paths", "1000", "--delete-grace", "0", site.toString(), "s3://" + BUCKET};

        // What an uninterrupted deploy of the same site does (in-process, same bucket state), for comparison.
        seedBucket();
        Run reference = deploy(Arrays.copyOfRange(args, 1, args.length));
        assertEquals(0, reference.code, reference::toString);
        Set<String> expectedPaths = new TreeSet<>(cloudFront.invalidations(DIST).get(0).paths());
        Map<String, byte[]> expected = bucket();
        assertSameContent(local(site), expected, "uninterrupted deploy");
        moto.reset();
        s3.createBucket(b -> b.bucket(BUCKET));
        proxy.clear();
        cloudFront.reset();
        seedBucket();
        Map<String, byte[]> before = bucket();

        int uploads = local(site).size(); // every file is new or changed
        proxy.injectAlways("PutObject", null, S3FaultProxy.Fault.SLOW(Duration.ofMillis(200)));
        List<String> command = new ArrayList<>(List.of(LocalServers.repoRoot().resolve("jbang").toString()));
        command.addAll(List.of(args));
        command.addAll(List.of("--concurrency", "4"));
        ProcessBuilder pb = new ProcessBuilder(command).directory(LocalServers.repoRoot().toFile())
                .redirectOutput(tmp.resolve("killed.out").toFile()).redirectError(tmp.resolve("killed.err").toFile());
        pb.environment().clear();
        pb.environment().putAll(subprocessEnv());
        Process process = pb.start();
        List<ProcessHandle> tree = new ArrayList<>();
        String commandLine;
        try {
            await("some uploads happened", () -> proxy.requests("PutObject").stream().filter(r -> r.status() == 200).count() >= 8,
                    () -> !process.isAlive());
            String full = process.info().commandLine().orElse("?");
            commandLine = process.info().command().orElse("?") + (full.contains("deploy-site") ? " ... deploy-site ..." : " (not the script: " + full + ")");
            tree.add(process.toHandle());
            process.descendants().forEach(tree::add);
        } finally {
            process.destroyForcibly(); // SIGKILL on Linux
            process.descendants().forEach(ProcessHandle::destroyForcibly);
        }
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the process died");
        for (ProcessHandle h : tree) {
            h.onExit().get(30, TimeUnit.SECONDS);
            assertFalse(h.isAlive(), "pid " + h.pid() + " of the tree is dead");
        }
        int exit = process.exitValue();
        String stderr = Files.readString(tmp.resolve("killed.err"));
        long putsDone = proxy.requests("PutObject").stream().filter(r -> r.status() == 200).count();
        String figures = "killed (exit " + exit + ", pid " + process.pid() + " was: " + commandLine + "; tree of " + tree.size()
                + " process(es)) after " + putsDone + " of " + uploads + " uploads answered";
        assertEquals(137, exit, "SIGKILL: " + figures + "\n" + stderr);
        assertTrue(commandLine.endsWith("java ... deploy-site ..."), "the launcher exec'd the JVM, so the pid is the JVM's: " + figures);
        assertTrue(putsDone > 0 && putsDone < uploads, "killed mid-upload: " + figures);

        // Nothing was deleted, nothing invalidated, no page before its assets, no object half-written.
        proxy.onRequest(null);
        Set<String> writes = proxy.writeOperations();
        assertFalse(writes.contains("DeleteObjects") || writes.contains("DeleteObject"), "no deletion: " + writes + "; " + figures);
        assertEquals(0, cloudFront.count(CREATE), "no invalidation yet: " + figures);
        Map<String, byte[]> afterKill = bucket();
        Map<String, byte[]> localFiles = local(site);
        for (String stale : List.of("old/a.html", "old/b.css", "gone.js")) {
            assertArrayEquals(before.get(stale), afterKill.get(stale), stale + " still there; " + figures);
        }
        assertEquals(1, afterKill.keySet().stream().filter(k -> k.startsWith(DeploySite.Site.PENDING)).count(),
                "the killed run's pending record: " + afterKill.keySet());
        for (var e : afterKill.entrySet()) {
            if (e.getKey().startsWith(DeploySite.Site.PENDING)) continue;
            boolean old = before.containsKey(e.getKey()) && Arrays.equals(before.get(e.getKey()), e.getValue());
            boolean fresh = localFiles.containsKey(e.getKey()) && Arrays.equals(localFiles.get(e.getKey()), e.getValue());
            assertTrue(old || fresh, e.getKey() + " holds either its old or its new bytes; " + figures);
        }
        assertArrayEquals(before.get("index.html"), afterKill.get("index.html"), "the entry point is uploaded last: " + figures);
        figures += "; the changed asset a/site.css was " + (Arrays.equals(localFiles.get("a/site.css"), afterKill.get("a/site.css")) ? "" : "not ")
                + "uploaded before the kill";

        // The next run, without faults, converges to the uninterrupted end state.
        proxy.clear();
        var again = LocalServers.jbang(subprocessEnv(), null, args);
        assertEquals(0, again.exitCode(), again::toString);
        assertSameContent(expected, bucket(), "re-run after the kill; " + figures);
        var invalidations = cloudFront.invalidations(DIST);
        assertEquals(1, invalidations.size(), again::toString);
        Set<String> sent = new TreeSet<>(invalidations.get(0).paths());
        for (String path : List.of("/old/a.html", "/gone.js", "/p0/", "/p0/index.html")) {
            assertTrue(covers(sent, path), path + " invalidated by the re-run: " + sent);
        }
        return new AfterKill(expectedPaths, sent, figures);
    }

    // ---------------------------------------------------------------- 4. a file changed between hashing and upload

    /**
     * A file over 8 MiB that changes (same size) after hashing: each part carries the Content-MD5 taken when hashing and
     * deploy-site checks the bytes it streams against it, so the upload fails naming the file (moto checks no
     * Content-MD5, real S3 would answer BadDigest) instead of storing new bytes under the old MD5.
     */
    @Test
    void aMultipartFileChangedAfterHashingIsNeverStoredUnderTheOldChecksum() throws Exception {
        Path site = tmp.resolve("changing-big");
        write(site, "index.html", "<h1>Home</h1>");
        byte[] original = new byte[9 * 1024 * 1024];
        new Random(11).nextBytes(original);
        Files.write(site.resolve("big.bin"), original);
        byte[] changed = original.clone();
        changed[changed.length - 1] ^= 1; // in the second part
        AtomicBoolean rewritten = new AtomicBoolean();
        proxy.injectAlways(call -> {
            if (call.operation().equals("CreateMultipartUpload") && rewritten.compareAndSet(false, true)) {
                try {
                    Files.write(site.resolve("big.bin"), changed);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            return false;
        }, S3FaultProxy.Fault.ACCESS_DENIED);
        Run run = deploy(site.toString(), "s3://" + BUCKET);
        assertTrue(rewritten.get());
        Map<String, byte[]> stored = bucket();
        if (run.code == 0) {
            var head = s3.headObject(r -> r.bucket(BUCKET).key("big.bin"));
            String sentMd5 = head.metadata().get("md5");
            String storedMd5 = java.util.HexFormat.of().formatHex(Base64.getDecoder().decode(md5Base64(stored.get("big.bin"))));
            assertEquals(sentMd5, storedMd5, "the MD5 deploy-site recorded is the MD5 of the bytes stored:\n" + run);
        } else {
            assertTrue(run.err.contains("big.bin"), run::toString);
            assertFalse(stored.containsKey("big.bin"), run::toString);
        }
    }

    @Test
    void aFileChangedAfterHashingIsNeverStoredUnderTheOldChecksum() throws Exception {
        Path site = tmp.resolve("changing");
        for (int i = 0; i < 20; i++) write(site, "assets/a" + i + ".css", "a" + i + "{color:#" + i + "}");
        write(site, "index.html", "<h1>Version one</h1>");
        byte[] big = new byte[9 * 1024 * 1024];
        new Random(7).nextBytes(big);
        Files.write(site.resolve("big.bin"), big);
        byte[] original = Files.readAllBytes(site.resolve("index.html"));
        byte[] changed = "<h1>Version two</h1>".getBytes(StandardCharsets.UTF_8);
        assertEquals(original.length, changed.length, "same size, so only the checksum can tell");

        Map<String, String> contentMd5 = new ConcurrentHashMap<>();
        Map<String, Map<String, List<String>>> partHeaders = new ConcurrentHashMap<>();
        AtomicBoolean rewritten = new AtomicBoolean();
        // Seen as each request's headers arrive (the predicate never faults): on the first upload the scan has hashed
        // every file, and index.html, an entry point, is uploaded after every asset.
        proxy.injectAlways(call -> {
            if (call.operation().equals("PutObject")) {
                contentMd5.put(call.key(), String.valueOf(call.header("content-md5")));
                if (rewritten.compareAndSet(false, true)) {
                    try {
                        Files.write(site.resolve("index.html"), changed);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            }
            if (call.operation().equals("UploadPart")) partHeaders.put(call.rawQuery(), call.headers());
            return false;
        }, S3FaultProxy.Fault.ACCESS_DENIED);
        // moto stores whatever it gets and does not check Content-MD5; S3 answers 400 BadDigest when the bytes do not
        // match it. The proxy stands in for that check: the SDK streams the file from disk, so the bytes on the wire
        // are the file's bytes now.
        proxy.injectAlways(call -> {
            if (!call.operation().equals("PutObject") || call.header("content-md5") == null) return false;
            try {
                return !md5Base64(Files.readAllBytes(site.resolve(call.key()))).equals(call.header("content-md5"));
            } catch (IOException e) {
                return false;
            }
        }, S3FaultProxy.Fault.error(400, "BadDigest", "The Content-MD5 you specified did not match what was received."));

        Run run = deploy("--concurrency", "2", site.toString(), "s3://" + BUCKET);
        assertTrue(rewritten.get());
        assertEquals(md5Base64(original), contentMd5.get("index.html"), "the MD5 sent is the one taken when hashing");
        assertEquals(1, run.code, run::toString);
        // deploy-site's own check of the streamed bytes (or S3's BadDigest) stops it; either way the failure names the file
        assertTrue(run.err.contains("failed for good: index.html")
                && (run.out.contains("index.html: BadDigest") || run.out.contains("changed since it was hashed")), "the failure names the file: " + run);
        Map<String, byte[]> stored = bucket();
        assertFalse(stored.containsKey("index.html"), "never stored with a mismatched checksum: " + run);
        for (var e : stored.entrySet()) {
            if (e.getKey().equals("big.bin")) continue;
            assertEquals(md5Base64(e.getValue()), contentMd5.get(e.getKey()), e.getKey() + ": the Content-MD5 sent is the MD5 of the bytes stored");
        }
        assertEquals(21, stored.size(), "every asset stored: " + stored.keySet());
        assertArrayEquals(big, stored.get("big.bin"));
        assertEquals(2, partHeaders.size());
        for (var h : partHeaders.values()) {
            // Parts carry the SDK's checksum of the bytes as they are read (a trailer), not one taken when hashing.
            assertTrue(h.containsKey("content-md5") || h.keySet().stream().anyMatch(n -> n.startsWith("x-amz-checksum") || n.equals("x-amz-trailer")),
                    "a part carries a checksum: " + h.keySet());
        }

        // The next run hashes the new bytes and stores them.
        proxy.clear();
        Run again = deploy(site.toString(), "s3://" + BUCKET);
        assertEquals(0, again.code, again::toString);
        assertSameContent(local(site), bucket(), "after the re-run");
    }
}
