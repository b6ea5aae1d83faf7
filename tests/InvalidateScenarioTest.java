import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Layer 2: invalidate's orchestration run in-process against the CloudFront emulator. Each test asserts on what
 * CloudFront holds and received afterwards (invalidations, requests, CallerReferences), then on what was printed.
 */
class InvalidateScenarioTest {
    static final String DIST = "E1SCENARIO";
    static final String OTHER = "E2OTHER";
    static final String OTHER_DOMAIN = "d111111abcdef8.cloudfront.net";
    /** Long enough never to pass during a test: tests that need room complete invalidations once the script has shown it waits. */
    static final Duration NEVER = Duration.ofMinutes(10);
    static final String CREATE = "CreateInvalidation";

    static CloudFrontEmulator emulator;

    @BeforeAll
    static void startEmulator() {
        LocalServers.init();
        emulator = CloudFrontEmulator.start();
        emulator.addDistribution(DIST, null, List.of("www.example.com"), List.of(CloudFrontEmulator.Origin.s3("example-site")));
        emulator.addDistribution(OTHER, OTHER_DOMAIN, List.of("blog.example.com"), List.of(CloudFrontEmulator.Origin.s3("blog-site")));
        // Two distributions in front of one bucket (two origin paths): the bucket name alone is ambiguous.
        emulator.addDistribution("E3SHAREDA", null, List.of(), List.of(CloudFrontEmulator.Origin.s3("shared-bucket", "us-east-1", "/a")));
        emulator.addDistribution("E4SHAREDB", null, List.of(), List.of(CloudFrontEmulator.Origin.s3("shared-bucket", "us-east-1", "/b")));
    }

    @AfterAll
    static void stopEmulator() {
        emulator.close();
    }

    @BeforeEach
    void resetEmulator() {
        emulator.reset();
        emulator.completionDelay(Duration.ZERO);
    }

    // ---------------------------------------------------------------- running the command in-process

    /** The environment of a developer's shell: credentials only (the SDK reads them from system properties in-process). */
    static Map<String, String> shell(String... kv) {
        Map<String, String> env = new HashMap<>();
        env.put("AWS_ACCESS_KEY_ID", LocalServers.ACCESS_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", LocalServers.SECRET_KEY);
        for (int i = 0; i < kv.length; i += 2) env.put(kv[i], kv[i + 1]);
        return env;
    }

    static LocalServers.Run invalidate(String... args) {
        return invalidate(shell(), "", args);
    }

    /** Runs the command against the emulator; every run, whatever its outcome, must keep the secret to itself. */
    static LocalServers.Run invalidate(Map<String, String> env, String stdin, String... args) {
        List<String> all = new ArrayList<>(List.of("--endpoint-url", emulator.endpoint().toString()));
        if (!List.of(args).contains("--poll-interval")) all.addAll(List.of("--poll-interval", "50ms"));
        all.addAll(List.of(args));
        var run = InProcess.invalidate(env, stdin, all);
        assertFalse(run.all().contains(LocalServers.SECRET_KEY), () -> "the secret was printed:\n" + run);
        return run;
    }

    static CompletableFuture<LocalServers.Run> invalidateInBackground(Map<String, String> env, String stdin, String... args) {
        return CompletableFuture.supplyAsync(() -> invalidate(env, stdin, args));
    }

    /** Waits until the condition holds, or the run ended without it (its assertions then tell why). */
    static void awaitWhileRunning(CompletableFuture<LocalServers.Run> run, String what, BooleanSupplier condition) throws InterruptedException {
        Instant giveUp = Instant.now().plus(Duration.ofMinutes(1));
        while (!condition.getAsBoolean() && !run.isDone()) {
            if (Instant.now().isAfter(giveUp)) {
                emulator.completeAll(); // let the run end rather than go on into the next test
                throw new AssertionError("gave up waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    /** A CreateInvalidation that CloudFront itself refused (not an injected fault): no room under the in-progress limits. */
    static boolean refused(CloudFrontEmulator.RecordedRequest r) {
        return r.operation().equals(CREATE) && r.status() == 400 && r.fault() == null;
    }

    static List<CloudFrontEmulator.Invalidation> held(String distribution) {
        return emulator.invalidations(distribution);
    }

    static CloudFrontEmulator.Invalidation onlyInvalidation(String distribution) {
        var all = held(distribution);
        assertEquals(1, all.size(), () -> "invalidations on " + distribution + ": " + all);
        return all.get(0);
    }

    private static final Pattern CALLER_REFERENCE = Pattern.compile("<CallerReference>([^<]*)</CallerReference>");

    /** The CallerReference of every CreateInvalidation the emulator received, faulted ones included. */
    static List<String> sentCallerReferences() {
        return emulator.requests().stream().filter(r -> r.operation().equals(CREATE)).map(r -> {
            Matcher m = CALLER_REFERENCE.matcher(r.body());
            assertTrue(m.find(), r.body());
            return m.group(1);
        }).toList();
    }

    static List<String> operations() {
        return emulator.requests().stream().map(CloudFrontEmulator.RecordedRequest::operation).toList();
    }

    static void assertOneErrorLine(LocalServers.Run run, String... fragments) {
        List<String> lines = run.stderr().lines().toList();
        assertEquals(1, lines.size(), run::toString);
        assertTrue(lines.get(0).startsWith("invalidate: error: "), run::toString);
        for (String fragment : fragments) assertTrue(lines.get(0).contains(fragment), () -> fragment + " missing:\n" + run);
        assertFalse(run.stderr().contains("Exception") || run.stderr().contains("\tat "), run::toString);
    }

    // ---------------------------------------------------------------- one invalidation, three output formats

    @Test
    void createsOneInvalidationAndPrintsItInTheAwsCliShape() {
        emulator.completionDelay(NEVER);
        var run = invalidate("-c", DIST, "/index.html", "/blog/*");
        assertEquals(0, run.exitCode(), run::toString);

        var inv = onlyInvalidation(DIST);
        assertEquals(List.of("/blog/*", "/index.html"), inv.paths());
        String createTime = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC).format(inv.createTime());
        assertEquals("""
                {
                    "Location": "https://cloudfront.amazonaws.com/2020-05-31/distribution/%s/invalidation/%s",
                    "Invalidation": {
                        "Id": "%s",
                        "Status": "InProgress",
                        "CreateTime": "%s",
                        "InvalidationBatch": {
                            "Paths": {
                                "Quantity": 2,
                                "Items": [
                                    "/blog/*",
                                    "/index.html"
                                ]
                            },
                            "CallerReference": "%s"
                        }
                    }
                }
                """.formatted(DIST, inv.id(), inv.id(), createTime, inv.callerReference()), run.stdout());
    }

    @Test
    void printsOnlyTheIdWithOutputId() {
        var run = invalidate("-c", DIST, "--output", "id", "/a");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(onlyInvalidation(DIST).id() + "\n", run.stdout());
    }

    @Test
    void printsOneLineEachWithOutputText() {
        emulator.completionDelay(NEVER);
        var run = invalidate("-c", DIST, "--output", "text", "/a", "/b");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(onlyInvalidation(DIST).id() + " InProgress 2 paths on " + DIST + "\n", run.stdout());
    }

    // ---------------------------------------------------------------- --wait and --timeout

    @Test
    void waitPollsUntilCompletedAndPrintsTheFinalStatus() throws Exception {
        emulator.completionDelay(NEVER);
        var running = invalidateInBackground(shell(), "", "-c", DIST, "--wait", "--output", "text", "/a");
        awaitWhileRunning(running, "it polled twice", () -> emulator.count("GetInvalidation") >= 2);
        assertFalse(running.isDone(), "it waits while the invalidation is InProgress");
        emulator.completeAll();
        var run = running.join();
        assertEquals(0, run.exitCode(), run::toString);
        var inv = onlyInvalidation(DIST);
        assertEquals(inv.id() + " Completed 1 path on " + DIST + "\n", run.stdout());
        assertTrue(run.stderr().contains("completed after"), run::toString);
    }

    @Test
    void waitThatOutlivesTheTimeoutFailsNamingTheInvalidation() {
        emulator.completionDelay(Duration.ofMinutes(5));
        var run = invalidate("-c", DIST, "--wait", "--timeout", "400ms", "--output", "id", "/a");
        assertEquals(1, run.exitCode(), run::toString);
        var inv = onlyInvalidation(DIST);
        assertEquals("InProgress", inv.status());
        assertEquals(inv.id() + "\n", run.stdout(), "the id is still printed for the next step");
        assertTrue(run.stderr().contains("invalidate: error: timed out waiting for invalidation " + inv.id()), run::toString);
    }

    @Test
    void warnOnTimeoutMakesATimedOutWaitAWarning() {
        emulator.completionDelay(Duration.ofMinutes(5));
        var run = invalidate("-c", DIST, "--wait", "--timeout", "400ms", "--warn-on-timeout", "--output", "id", "/a");
        assertEquals(0, run.exitCode(), run::toString);
        var inv = onlyInvalidation(DIST);
        assertEquals(inv.id() + "\n", run.stdout());
        assertTrue(run.stderr().contains("invalidate: warning: timed out waiting for invalidation " + inv.id()), run::toString);
        assertFalse(run.stderr().contains("error"), run::toString);
    }

    // ---------------------------------------------------------------- CloudFront's limits and transient failures

    @Test
    void waitsOutTooManyInvalidationsInProgress() throws Exception {
        emulator.completionDelay(NEVER);
        List<String> fifteenWildcards = IntStream.range(0, 15).mapToObj(i -> "/w" + i + "/*").toList();
        assertEquals(0, invalidate(Stream.concat(Stream.of("-c", DIST), fifteenWildcards.stream()).toArray(String[]::new)).exitCode());

        var running = invalidateInBackground(shell(), "", "-c", DIST, "--output", "id", "/x/*");
        awaitWhileRunning(running, "CloudFront refused it", () -> emulator.requests().stream().anyMatch(InvalidateScenarioTest::refused));
        assertFalse(running.isDone(), "it waits for room");
        emulator.completeAll();
        var run = running.join();
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.stderr().contains("CloudFront has no room for 1 more path(s) (TooManyInvalidationsInProgress): retrying in"), run::toString);
        var all = held(DIST);
        assertEquals(List.of(fifteenWildcards.stream().sorted().toList(), List.of("/x/*")), all.stream().map(CloudFrontEmulator.Invalidation::paths).toList());
        assertEquals(all.get(1).id() + "\n", run.stdout());
    }

    static Stream<Arguments> transientFaults() {
        return Stream.of(
                Arguments.of("503 ServiceUnavailable", CloudFrontEmulator.Fault.SERVICE_UNAVAILABLE),
                Arguments.of("Throttling", CloudFrontEmulator.Fault.THROTTLING),
                Arguments.of("500 InternalError", CloudFrontEmulator.Fault.INTERNAL_ERROR),
                Arguments.of("dropped connection", CloudFrontEmulator.Fault.DROP_CONNECTION),
                Arguments.of("lost response", CloudFrontEmulator.Fault.LOST_RESPONSE));
    }

    /** More faults than the SDK's own 5 attempts: the script's retry loop must carry on, with the same CallerReference. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("transientFaults")
    void retriesTransientFailuresWithTheSameCallerReferenceAndCreatesOneInvalidation(String name, CloudFrontEmulator.Fault fault) {
        int faults = 6;
        emulator.inject(CREATE, fault, faults);
        var run = invalidate("-c", DIST, "--output", "id", "/a");
        assertEquals(0, run.exitCode(), run::toString);

        var inv = onlyInvalidation(DIST);
        assertEquals(inv.id() + "\n", run.stdout());
        List<String> references = sentCallerReferences();
        assertTrue(references.size() > faults, "every fault was met and one more attempt succeeded: " + references.size());
        assertEquals(List.of(inv.callerReference()), references.stream().distinct().toList());
        assertTrue(run.stderr().contains("retrying"), "the script's own loop retried:\n" + run);
    }

    // ---------------------------------------------------------------- CallerReference: one paid invalidation per CI run

    @Test
    void aCiReRunGetsTheSameInvalidationBack() {
        var first = invalidate(shell("GITHUB_ACTIONS", "true", "GITHUB_RUN_ID", "4242", "GITHUB_RUN_ATTEMPT", "1", "GITHUB_EVENT_NAME", "push"),
                "", "-c", DIST, "--output", "id", "/a", "/b");
        var rerun = invalidate(shell("GITHUB_ACTIONS", "true", "GITHUB_RUN_ID", "4242", "GITHUB_RUN_ATTEMPT", "2", "GITHUB_EVENT_NAME", "push"),
                "", "-c", DIST, "--output", "id", "/b", "/a");
        assertEquals(0, first.exitCode(), first::toString);
        assertEquals(0, rerun.exitCode(), rerun::toString);
        assertEquals(first.stdout(), rerun.stdout());
        assertEquals(onlyInvalidation(DIST).id() + "\n", rerun.stdout());
        assertEquals(2, emulator.count(CREATE));
    }

    @Test
    void outsideCiEachCallMakesItsOwnInvalidation() {
        var first = invalidate("-c", DIST, "--output", "id", "/a");
        var second = invalidate("-c", DIST, "--output", "id", "/a");
        assertEquals(0, first.exitCode() + second.exitCode(), first + "\n" + second);
        assertNotEquals(first.stdout(), second.stdout());
        assertEquals(2, held(DIST).size());
    }

    @Test
    void aCallerReferenceReusedForOtherPathsFailsWithInvalidationBatchAlreadyExists() {
        assertEquals(0, invalidate("-c", DIST, "--caller-reference", "deploy-77", "/a").exitCode());
        var run = invalidate("-c", DIST, "--caller-reference", "deploy-77", "/b");
        assertEquals(1, run.exitCode(), run::toString);
        assertOneErrorLine(run, "InvalidationBatchAlreadyExists", "HTTP 409");
        assertEquals(List.of("/a"), onlyInvalidation(DIST).paths());
    }

    // ---------------------------------------------------------------- finding the distribution

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({
            "www.example.com,  E1SCENARIO",
            "BLOG.example.com, E2OTHER",
            OTHER_DOMAIN + ",  E2OTHER",
            "example-site,     E1SCENARIO",
            "s3://blog-site/,  E2OTHER",
    })
    void findsTheDistributionByAliasDomainOrOriginBucket(String name, String id) {
        var run = invalidate("--distribution", name, "/a");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(List.of("/a"), onlyInvalidation(id).paths());
        assertTrue(run.stderr().contains("distribution " + name + " is " + id), run::toString);
        assertEquals(1, emulator.count(CREATE));
    }

    @Test
    void anAmbiguousDistributionNameListsTheCandidatesAndSendsNothing() {
        var run = invalidate("--distribution", "shared-bucket", "/a");
        assertEquals(1, run.exitCode(), run::toString);
        assertOneErrorLine(run, "2 distributions match 'shared-bucket'", "E3SHAREDA", "E4SHAREDB", "--distribution-id");
        assertEquals(List.of("ListDistributions"), operations());
    }

    @Test
    void aDistributionNameMatchingNothingFails() {
        var run = invalidate("--distribution", "nothing.example.org", "/a");
        assertEquals(1, run.exitCode(), run::toString);
        assertOneErrorLine(run, "no distribution has the alias, domain or origin bucket 'nothing.example.org'");
        assertEquals(List.of("ListDistributions"), operations());
    }

    @Test
    void anUnknownDistributionFailsInOneLineWithTheAwsErrorCode() {
        var run = invalidate("-c", "ENOSUCHDIST", "/a");
        assertEquals(1, run.exitCode(), run::toString);
        assertOneErrorLine(run, "NoSuchDistribution", "HTTP 404", "request id ");
        assertEquals(List.of(CREATE), operations(), "a 404 is not retried");
    }

    @Test
    void verboseAddsTheStackTrace() {
        var run = invalidate("-c", "ENOSUCHDIST", "--verbose", "/a");
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.stderr().startsWith("invalidate: error: NoSuchDistribution"), run::toString);
        assertTrue(run.stderr().contains("NoSuchDistributionException") && run.stderr().contains("\tat "), run::toString);
    }

    // ---------------------------------------------------------------- which paths are sent

    @Test
    void sendsMoreThan3000PathsAsBatchesThatWaitForRoom() throws Exception {
        emulator.completionDelay(NEVER);
        List<String> paths = IntStream.range(0, 3001).mapToObj(i -> String.format("/p/%05d.html", i)).toList();
        var running = invalidateInBackground(shell(), String.join("\n", paths) + "\n", "-c", DIST, "--paths-from", "-");
        awaitWhileRunning(running, "CloudFront refused the second batch", () -> emulator.requests().stream().anyMatch(InvalidateScenarioTest::refused));
        assertFalse(running.isDone(), "the second batch waits for the first");
        assertEquals(List.of(3000), held(DIST).stream().map(i -> i.paths().size()).toList());
        emulator.completeAll();
        var run = running.join();
        assertEquals(0, run.exitCode(), run::toString);

        var all = held(DIST);
        assertEquals(List.of(3000, 1), all.stream().map(i -> i.paths().size()).toList());
        assertEquals(paths, Stream.concat(all.get(0).paths().stream(), all.get(1).paths().stream()).toList());
        assertTrue(run.stdout().startsWith("[\n    {\n        \"Location\""), run::toString);
        assertEquals(List.of(all.get(0).id(), all.get(1).id()), printedIds(run.stdout()));
    }

    static List<String> printedIds(String json) {
        List<String> ids = new ArrayList<>();
        Matcher m = Pattern.compile("\"Id\": \"([^\"]+)\"").matcher(json);
        while (m.find()) ids.add(m.group(1));
        return ids;
    }

    @Test
    void maxPathsSendsTheCollapsedSet() {
        var run = invalidate("-c", DIST, "--max-paths", "3", "/a.html", "/docs/x/1.html", "/docs/x/2.html", "/docs/y.html");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(List.of("/a.html", "/docs/x/*", "/docs/y.html"), onlyInvalidation(DIST).paths());
    }

    @Test
    void filesUnderTheRootAreSentAsTheUrlsThatServeThem() {
        var run = invalidate("-c", DIST, "--files", "public", "public/x/index.html", "public/css/site.css", "README.md");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(List.of("/css/site.css", "/x/", "/x/index.html"), onlyInvalidation(DIST).paths());
        assertTrue(run.stderr().contains("1 input(s) not under public ignored"), run::toString);
    }

    /**
     * With --files the folder is the site, so --max-paths gets the cheapest plan for it, as deploy-site plans: here the
     * changed tag pages fold into /tags/t* (no unchanged URL under it) rather than /* or /tags/*, and the note says what
     * the plan invalidates besides and what /* would have.
     */
    @Test
    void filesWithAPathBudgetGetTheCheapestPlanForTheSite(@TempDir Path dir) throws Exception {
        Path site = dir.resolve("public");
        for (String f : List.of("index.html", "css/site.css", "css/print.css", "tags/t1/index.html", "tags/t2/index.html", "tags/t3/index.html",
                "tags/other/index.html", "posts/a/index.html", "posts/b/index.html")) {
            Files.createDirectories(site.resolve(f).getParent());
            Files.writeString(site.resolve(f), f);
        }
        String root = site.toString();
        List<String> changed = List.of(root + "/tags/t1/index.html", root + "/tags/t2/index.html", root + "/tags/t3/index.html", root + "/css/site.css");
        List<String> args = new ArrayList<>(List.of("-c", DIST, "--files", root, "--max-paths", "2"));
        args.addAll(changed);
        var run = invalidate(args.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(List.of("/css/site.css", "/tags/t*"), onlyInvalidation(DIST).paths());
        // 9 files are 16 URLs, 7 of them changed: 9 unchanged, none hit by the plan
        assertTrue(run.stderr().contains("plan: 2 path(s) for 7 changed URL(s) of the 16 under " + root
                + "; 0 unchanged URL(s) also invalidated (/* would invalidate 9)"), run::toString);

        emulator.reset();
        var tight = invalidate(shell(), "", "-c", DIST, "--files", root, "--max-paths", "1", "--dry-run", "--output", "text", changed.get(0), changed.get(3));
        assertEquals(0, tight.exitCode(), tight::toString);
        assertTrue(tight.stdout().contains("  /*\n"), tight::toString);
        // /tags/t1/, /tags/t1/index.html and /css/site.css within one path: only /*, which hits the 13 other URLs
        assertTrue(tight.stderr().contains("13 unchanged URL(s) also invalidated (/* would invalidate 13)"), tight::toString);
        assertEquals(List.of(), emulator.requests());
    }

    @Test
    void readsPathsFromStandardInputSkippingCommentsAndBlankLines() {
        var run = invalidate(shell(), "# changed pages\n\n/a.html\n   /b c.html  \n# /not-this\n\n", "-c", DIST, "--paths-from", "-");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(List.of("/a.html", "/b%20c.html"), onlyInvalidation(DIST).paths());
    }

    @Test
    void takesCommaListsAndSpaceSeparatedValuesLikeTheAwsCli() {
        var run = invalidate("-c", DIST, "-i", "/a,/b", "--paths", "/c", "/d", "-i", "/e");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(List.of("/a", "/b", "/c", "/d", "/e"), onlyInvalidation(DIST).paths());
    }

    // ---------------------------------------------------------------- CI awareness

    @Test
    void writesTheInvalidationIdAndASummaryOnGitHubActions(@TempDir Path dir) throws Exception {
        Path output = dir.resolve("output");
        Path summary = dir.resolve("summary.md");
        var env = shell("GITHUB_ACTIONS", "true", "GITHUB_RUN_ID", "77", "GITHUB_EVENT_NAME", "push", "GITHUB_REF_NAME", "main",
                "GITHUB_OUTPUT", output.toString(), "GITHUB_STEP_SUMMARY", summary.toString());
        var run = invalidate(env, "", "-c", DIST, "/index.html");
        assertEquals(0, run.exitCode(), run::toString);
        String id = onlyInvalidation(DIST).id();
        assertEquals("invalidation-id=" + id + "\n", Files.readString(output));
        String table = Files.readString(summary);
        assertTrue(table.contains("| Distribution | Invalidation | Status | Paths |\n|---|---|---|---|\n"), table);
        assertTrue(table.contains("| " + DIST + " | " + id + " | Completed | 1: `/index.html` |"), table);
    }

    static Stream<Arguments> pullRequestBuilds() {
        return Stream.of(
                Arguments.of("GitHub Actions", Map.of("GITHUB_ACTIONS", "true", "GITHUB_RUN_ID", "5", "GITHUB_EVENT_NAME", "pull_request",
                        "GITHUB_REF", "refs/pull/9/merge", "GITHUB_HEAD_REF", "feature")),
                Arguments.of("Travis CI", Map.of("TRAVIS", "true", "TRAVIS_BUILD_ID", "5", "TRAVIS_BRANCH", "master", "TRAVIS_PULL_REQUEST", "12")),
                Arguments.of("GitLab CI", Map.of("GITLAB_CI", "true", "CI_PIPELINE_ID", "5", "CI_COMMIT_REF_NAME", "feature", "CI_MERGE_REQUEST_IID", "3")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pullRequestBuilds")
    void skipsPullRequestBuildsSendingNothing(String ci, Map<String, String> ciEnv) {
        var env = shell();
        env.putAll(ciEnv);
        var run = invalidate(env, "", "-c", DIST, "/*");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(List.of(), emulator.requests());
        assertEquals("", run.stdout());
        assertTrue(run.stderr().contains("skipped: pull request build on " + ci), run::toString);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pullRequestBuilds")
    void allowPullRequestsInvalidatesInAPullRequestBuild(String ci, Map<String, String> ciEnv) {
        var env = shell();
        env.putAll(ciEnv);
        var run = invalidate(env, "", "-c", DIST, "--allow-pull-requests", "/*");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(List.of("/*"), onlyInvalidation(DIST).paths());
    }

    @Test
    void onlyBranchSkipsOtherBranches() {
        var run = invalidate(shell("GITLAB_CI", "true", "CI_PIPELINE_ID", "8", "CI_COMMIT_REF_NAME", "dev"), "",
                "-c", DIST, "--only-branch", "main,release/*", "/*");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(List.of(), emulator.requests());
        assertTrue(run.stderr().contains("skipped: branch dev is not one of main,release/*"), run::toString);
    }

    @Test
    void onlyBranchInvalidatesOnAMatchingBranch() {
        var run = invalidate(shell("GITLAB_CI", "true", "CI_PIPELINE_ID", "8", "CI_COMMIT_REF_NAME", "release/2.1"), "",
                "-c", DIST, "--only-branch", "main,release/*", "/*");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(List.of("/*"), onlyInvalidation(DIST).paths());
    }

    // ---------------------------------------------------------------- command lines caught before anything is sent

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            // the -a/-s warning would be a second line before the error
            "-a without -s                 | 2 | -a (access key) and -s (secret key) go together | -a AKIDONLY /a",
            // zero would retry and poll CloudFront in a tight loop
            "--poll-interval 0             | 2 | --poll-interval must be more than 0            | --wait --poll-interval 0 /a",
            // the JDK's message alone is the bare file name
            "--paths-from a missing file   | 1 | I/O: cannot read --paths-from /nonexistent/paths.txt: no such file | --paths-from /nonexistent/paths.txt",
    })
    void rejectsACommandLineInOneLineBeforeSendingAnything(String name, int exitCode, String message, String args) {
        var run = invalidate(Stream.concat(Stream.of("-c", DIST), Stream.of(args.split(" "))).toArray(String[]::new));
        assertEquals(exitCode, run.exitCode(), run::toString);
        assertOneErrorLine(run, message);
        assertEquals(List.of(), emulator.requests());
    }

    @Test
    void aPathsFromDirectorySaysWhichFileCouldNotBeRead(@TempDir Path dir) {
        var run = invalidate("-c", DIST, "--paths-from", dir.toString());
        assertEquals(1, run.exitCode(), run::toString);
        assertOneErrorLine(run, "I/O: cannot read --paths-from " + dir + ": ");
    }

    // ---------------------------------------------------------------- dry run, credentials, secrets

    @Test
    void dryRunSendsNothingAndPrintsThePathsAndTheCost() {
        var run = invalidate("-c", DIST, "--dry-run", "--output", "text", "/b c.html", "/a.html");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(List.of(), emulator.requests());
        List<String> lines = run.stdout().lines().toList();
        assertTrue(lines.get(0).startsWith("dry run: would invalidate 2 path(s) on " + DIST + " with CallerReference invalidate-local-"), run::toString);
        assertEquals(List.of("  /a.html", "  /b%20c.html"), lines.subList(1, 3));
        assertEquals("dry run: cost 2 paths: free within the account's 1,000 free paths this month, else $0.010", lines.get(3));
    }

    @Test
    void dryRunPrintsTheRequestAsJsonByDefaultAndNoIdForId() {
        var json = invalidate(shell("TRAVIS", "true", "TRAVIS_BUILD_ID", "77"), "", "-c", DIST, "--dry-run", "/b c.html", "#product:tv");
        assertEquals(0, json.exitCode(), json::toString);
        assertEquals(List.of(), emulator.requests());
        String reference = Invalidate.Invalidations.callerReferences(null, DIST, "", List.of(List.of("#product:tv", "/b%20c.html")), "travis-77", "").get(0);
        assertEquals("""
                {
                    "DistributionId": "%s",
                    "InvalidationBatch": {
                        "Paths": {
                            "Quantity": 2,
                            "Items": [
                                "#product:tv",
                                "/b%%20c.html"
                            ]
                        },
                        "CallerReference": "%s"
                    }
                }
                """.formatted(DIST, reference), json.stdout(), "the request as --cli-input-json reads it");
        assertTrue(json.stderr().contains("dry run: would invalidate 2 path(s)"), json::toString);

        var id = invalidate("-c", DIST, "--dry-run", "--output", "id", "/a");
        assertEquals(0, id.exitCode(), id::toString);
        assertEquals("", id.stdout(), "no invalidation is made, so there is no id to print");
        assertTrue(id.stderr().contains("dry run: would invalidate 1 path(s)") && id.stderr().contains("  /a"), id::toString);
        assertEquals(List.of(), emulator.requests());
    }

    @Test
    void dryRunWithADistributionNameOnlyLooksItUp() {
        var run = invalidate("--distribution", "www.example.com", "--dry-run", "--output", "text", "/a");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(List.of("ListDistributions"), operations());
        assertTrue(run.stdout().startsWith("dry run: would invalidate 1 path(s) on " + DIST), run::toString);
    }

    /** In-process, the SDK's chain also reads this machine's environment and ~/.aws: the tests below need both empty. */
    static void assumeNoCredentialsOnThisMachine() {
        assumeTrue(System.getenv("AWS_ACCESS_KEY_ID") == null && System.getenv("AWS_PROFILE") == null
                && System.getenv("AWS_WEB_IDENTITY_TOKEN_FILE") == null && !Files.exists(Path.of(System.getProperty("user.home"), ".aws")),
                "this machine's own AWS credentials would be found");
    }

    @Test
    void missingCredentialsNameTheWaysToProvideThem() {
        assumeNoCredentialsOnThisMachine();
        String key = System.clearProperty("aws.accessKeyId");
        String secret = System.clearProperty("aws.secretAccessKey");
        try {
            var run = invalidate(new HashMap<>(), "", "-c", DIST, "/a");
            assertEquals(1, run.exitCode(), run::toString);
            assertOneErrorLine(run, "no AWS credentials found", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "--profile", "OIDC");
            assertEquals(List.of(), emulator.requests());
        } finally {
            System.setProperty("aws.accessKeyId", key);
            System.setProperty("aws.secretAccessKey", secret);
        }
    }

    @Test
    void accessKeyAndSecretKeyFlagsAreTheCredentialsWithAWarning() {
        assumeNoCredentialsOnThisMachine();
        String key = System.clearProperty("aws.accessKeyId");
        String secret = System.clearProperty("aws.secretAccessKey");
        try {
            var run = invalidate(new HashMap<>(), "", "-a", LocalServers.ACCESS_KEY, "-s", LocalServers.SECRET_KEY, "-c", DIST, "/a");
            assertEquals(0, run.exitCode(), run::toString);
            assertEquals(List.of("/a"), onlyInvalidation(DIST).paths());
            assertEquals(1, run.stderr().lines().filter(l -> l.contains("-a/-s put secrets on the command line")).count(), run::toString);
        } finally {
            System.setProperty("aws.accessKeyId", key);
            System.setProperty("aws.secretAccessKey", secret);
        }
    }

    /** The secret can reach an error message (here through a misplaced argument); it is masked there and in the stack trace. */
    @Test
    void neverPrintsTheSecretEvenInVerboseFailures() {
        var env = new HashMap<String, String>();
        var fromFlag = invalidate(env, "", "-a", LocalServers.ACCESS_KEY, "-s", LocalServers.SECRET_KEY,
                "--distribution", LocalServers.SECRET_KEY, "--verbose", "/a");
        assertEquals(1, fromFlag.exitCode(), fromFlag::toString);
        assertTrue(fromFlag.stderr().contains("'****'") && fromFlag.stderr().contains("\tat "), fromFlag::toString);

        var fromEnv = invalidate(shell(), "", "-c", DIST, "--timeout", LocalServers.SECRET_KEY, "/a");
        assertEquals(2, fromEnv.exitCode(), fromEnv::toString);
        assertTrue(fromEnv.stderr().contains("invalid duration '****'"), fromEnv::toString);

        var unknownDistribution = invalidate(shell(), "", "-c", "ENOSUCHDIST", "--verbose", "-a", LocalServers.ACCESS_KEY,
                "-s", LocalServers.SECRET_KEY, "/a");
        assertEquals(1, unknownDistribution.exitCode(), unknownDistribution::toString);
        assertTrue(unknownDistribution.stderr().contains("\tat "), unknownDistribution::toString);
        // invalidate() itself asserts that none of these printed the secret
    }
}
