import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudfront.CloudFrontClient;

/**
 * Layer 3: {@code ./jbang invalidate ...} run from the repository root through the catalog, as a subprocess, exactly as
 * a user or a CI job runs it, against the CloudFront emulator. Each run costs a JVM start, so this layer keeps to what
 * only a real process shows: flags and environment variables as CI sets them, exit codes, and what reached CloudFront.
 */
class InvalidateEndToEndTest {
    static final String DIST = "E1ENDTOEND";
    static final String CREATE = "CreateInvalidation";
    static final String HELP_HINT = "Try 'invalidate --help' for more information.";
    /** Long enough never to pass during a test: the tests complete invalidations themselves once the script has shown it waits. */
    static final Duration NEVER = Duration.ofMinutes(10);

    static CloudFrontEmulator emulator;

    @BeforeAll
    static void startEmulatorAndBuildTheScript() throws Exception {
        LocalServers.init();
        emulator = CloudFrontEmulator.start();
        addDistributions(emulator);
        // The first run builds the script's jar; doing it once here keeps the later (and parallel) runs from racing to build it.
        var help = LocalServers.jbang(env(emulator), null, "invalidate", "--help");
        assertEquals(0, help.exitCode(), help::toString);
        assertTrue(help.stdout().contains("Exit codes:") && help.stdout().contains("2   usage error"), help::toString);
    }

    static void addDistributions(CloudFrontEmulator cloudFront) {
        cloudFront.addDistribution(DIST, null, List.of("www.example.com"), List.of(CloudFrontEmulator.Origin.s3("example-site")));
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

    // ---------------------------------------------------------------- running ./jbang invalidate

    /** A CI job's environment: credentials and the endpoint in the variables the SDK reads, a UTF-8 locale, then the given ones. */
    static Map<String, String> env(CloudFrontEmulator cloudFront, String... kv) {
        Map<String, String> extra = new HashMap<>();
        extra.put("AWS_ACCESS_KEY_ID", LocalServers.ACCESS_KEY);
        extra.put("AWS_SECRET_ACCESS_KEY", LocalServers.SECRET_KEY);
        extra.put("AWS_ENDPOINT_URL_CLOUDFRONT", cloudFront.endpoint().toString());
        extra.put("AWS_EC2_METADATA_DISABLED", "true");
        extra.put("LANG", "C.UTF-8");
        for (int i = 0; i < kv.length; i += 2) extra.put(kv[i], kv[i + 1]);
        return LocalServers.cleanEnvironment(extra);
    }

    static LocalServers.Run invalidate(Map<String, String> env, String stdin, String... args) {
        try {
            var run = LocalServers.jbang(env, stdin, Stream.concat(Stream.of("invalidate"), Stream.of(args)).toArray(String[]::new));
            assertFalse(run.all().contains(LocalServers.SECRET_KEY), () -> "the secret was printed:\n" + run);
            return run;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static LocalServers.Run invalidate(String... args) {
        return invalidate(env(emulator), null, args);
    }

    static CompletableFuture<LocalServers.Run> invalidateInBackground(Map<String, String> env, String stdin, String... args) {
        return CompletableFuture.supplyAsync(() -> invalidate(env, stdin, args));
    }

    /** Waits until the condition holds, or the run ended without it (its assertions then tell why). */
    static void awaitWhileRunning(CompletableFuture<LocalServers.Run> run, String what, BooleanSupplier condition) throws InterruptedException {
        Instant giveUp = Instant.now().plus(Duration.ofMinutes(2));
        while (!condition.getAsBoolean() && !run.isDone()) {
            if (Instant.now().isAfter(giveUp)) {
                emulator.completeAll(); // let the run end rather than go on into the next test
                throw new AssertionError("gave up waiting until " + what);
            }
            Thread.sleep(20);
        }
    }

    static boolean refused(CloudFrontEmulator.RecordedRequest r) {
        return r.operation().equals(CREATE) && r.status() == 400 && r.fault() == null;
    }

    static CloudFrontEmulator.Invalidation onlyInvalidation() {
        var all = emulator.invalidations(DIST);
        assertEquals(1, all.size(), all::toString);
        return all.get(0);
    }

    static void assertSkippedSendingNothing(LocalServers.Run run, String reason) {
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(List.of(), emulator.requests());
        assertEquals("", run.stdout());
        assertTrue(run.stderr().contains("invalidate: skipped: " + reason), run::toString);
    }

    // ---------------------------------------------------------------- travis-ci-cloudfront-invalidation's flags

    @Test
    void travisFlagsInvalidateWithOneWarningAboutTheSecretOnTheCommandLine() {
        var env = env(emulator, "TRAVIS", "true", "TRAVIS_BUILD_ID", "555", "TRAVIS_BRANCH", "master", "TRAVIS_PULL_REQUEST", "false");
        env.remove("AWS_ACCESS_KEY_ID");
        env.remove("AWS_SECRET_ACCESS_KEY");
        var run = invalidate(env, null, "-a", LocalServers.ACCESS_KEY, "-s", LocalServers.SECRET_KEY, "-c", DIST, "-i", "/*", "-b", "master", "-p", "false");
        assertEquals(0, run.exitCode(), run::toString);
        var inv = onlyInvalidation();
        assertEquals(List.of("/*"), inv.paths());
        assertTrue(run.stdout().contains("\"Id\": \"" + inv.id() + "\""), run::toString);
        assertEquals(1, run.stderr().lines().filter(l -> l.contains("-a/-s")).count(), run::toString);
    }

    @Test
    void travisPullRequestFlagSkips() {
        var run = invalidate("-a", LocalServers.ACCESS_KEY, "-s", LocalServers.SECRET_KEY, "-c", DIST, "-i", "/*", "-b", "master", "-p", "12");
        assertSkippedSendingNothing(run, "pull request build (-p 12)");
    }

    @Test
    void onlyBranchSkipsAnotherBranch() {
        var run = invalidate("-c", DIST, "-i", "/*", "-o", "master", "-b", "dev");
        assertSkippedSendingNothing(run, "branch dev is not one of master");
    }

    /**
     * AWS_MAX_ATTEMPTS is the SDK's to read: with 1, each 503 reaches the script, whose own retries (same CallerReference)
     * say so on stderr; without it the SDK's five attempts absorb three 503s and the script never sees one.
     */
    @Test
    void theSdksMaxAttemptsFromTheEnvironmentAreHonoured() {
        var fault = CloudFrontEmulator.Fault.error(503, "ServiceUnavailable", "try again");
        emulator.inject("CreateInvalidation", fault, 3);
        var one = invalidate(env(emulator, "AWS_MAX_ATTEMPTS", "1"), null, "-c", DIST, "--poll-interval", "100ms", "/a");
        assertEquals(0, one.exitCode(), one::toString);
        assertEquals(3, one.stderr().lines().filter(l -> l.contains("CloudFront answered 503")).count(), one::toString);
        assertEquals(1, emulator.invalidations(DIST).size());

        emulator.reset();
        emulator.inject("CreateInvalidation", fault, 3);
        var sdk = invalidate(env(emulator), null, "-c", DIST, "--poll-interval", "100ms", "/a");
        assertEquals(0, sdk.exitCode(), sdk::toString);
        assertEquals(0, sdk.stderr().lines().filter(l -> l.contains("CloudFront answered 503")).count(), sdk::toString);
        assertEquals(1, emulator.invalidations(DIST).size());
    }

    /**
     * OIDC as a CI job sets it up (AWS_ROLE_ARN and a token file) with STS failing: the error is what the web identity
     * provider met, not "no AWS credentials found". STS is pointed at the emulator, which answers it with an error.
     */
    @Test
    void aFailingWebIdentityLoginSaysWhatStsSaid(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path token = java.nio.file.Files.writeString(dir.resolve("token"), "eyJhbGciOi.not-a-real-token");
        var e = env(emulator, "AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/site-deploy", "AWS_WEB_IDENTITY_TOKEN_FILE", token.toString(),
                "AWS_REGION", "us-east-1", "AWS_ENDPOINT_URL_STS", emulator.endpoint().toString(), "AWS_MAX_ATTEMPTS", "1",
                "AWS_CONFIG_FILE", dir.resolve("none").toString(), "AWS_SHARED_CREDENTIALS_FILE", dir.resolve("none").toString());
        e.remove("AWS_ACCESS_KEY_ID");
        e.remove("AWS_SECRET_ACCESS_KEY");
        var run = invalidate(e, null, "-c", DIST, "/a");
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.stderr().startsWith("invalidate: error: web identity (OIDC) credentials failed: "), run::toString);
        assertFalse(run.stderr().contains("no AWS credentials found"), run::toString);
        assertEquals(1, run.stderr().lines().count(), run::toString);
        assertEquals(0, emulator.count("CreateInvalidation"));
    }

    // ---------------------------------------------------------------- CI environment variables

    static Stream<Arguments> pullRequestBuilds() {
        return Stream.of(
                Arguments.of("GitHub Actions", new String[] {"GITHUB_ACTIONS", "true", "GITHUB_RUN_ID", "31", "GITHUB_EVENT_NAME", "pull_request",
                        "GITHUB_REF", "refs/pull/9/merge", "GITHUB_HEAD_REF", "feature"}),
                Arguments.of("Travis CI", new String[] {"TRAVIS", "true", "TRAVIS_BUILD_ID", "32", "TRAVIS_BRANCH", "master", "TRAVIS_PULL_REQUEST", "12"}),
                Arguments.of("GitLab CI", new String[] {"GITLAB_CI", "true", "CI_PIPELINE_ID", "33", "CI_COMMIT_REF_NAME", "feature", "CI_MERGE_REQUEST_IID", "3"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pullRequestBuilds")
    void skipsPullRequestBuildsFromTheCiEnvironment(String ci, String[] ciEnv) {
        var run = invalidate(env(emulator, ciEnv), null, "-c", DIST, "/*");
        assertSkippedSendingNothing(run, "pull request build on " + ci);
    }

    @Test
    void aReRunOfTheSameGitHubRunGetsTheSameInvalidation() {
        var first = invalidate(env(emulator, "GITHUB_ACTIONS", "true", "GITHUB_RUN_ID", "9001", "GITHUB_RUN_ATTEMPT", "1",
                "GITHUB_EVENT_NAME", "push", "GITHUB_REF_NAME", "main"), null, "-c", DIST, "--output", "id", "/index.html", "/about/");
        var rerun = invalidate(env(emulator, "GITHUB_ACTIONS", "true", "GITHUB_RUN_ID", "9001", "GITHUB_RUN_ATTEMPT", "2",
                "GITHUB_EVENT_NAME", "push", "GITHUB_REF_NAME", "main"), null, "-c", DIST, "--output", "id", "/index.html", "/about/");
        assertEquals(0, first.exitCode(), first::toString);
        assertEquals(0, rerun.exitCode(), rerun::toString);
        assertEquals(onlyInvalidation().id() + "\n", first.stdout());
        assertEquals(first.stdout(), rerun.stdout());
        assertEquals(2, emulator.count(CREATE));
    }

    // ---------------------------------------------------------------- waiting

    @Test
    void waitReturnsOnceTheInvalidationIsCompleted() throws Exception {
        emulator.completionDelay(NEVER);
        var running = invalidateInBackground(env(emulator), null, "-c", DIST, "--wait", "--poll-interval", "100ms", "--output", "text", "/a");
        awaitWhileRunning(running, "it asked for the status", () -> emulator.count("GetInvalidation") >= 1);
        assertFalse(running.isDone(), "it waits while the invalidation is InProgress");
        emulator.completeAll();
        var run = running.join();
        assertEquals(0, run.exitCode(), run::toString);
        var inv = onlyInvalidation();
        assertEquals(inv.id() + " Completed 1 path on " + DIST + "\n", run.stdout());
        assertTrue(run.stderr().contains("completed after"), run::toString);
    }

    @Test
    void waitsOutTooManyInvalidationsInProgress() throws Exception {
        emulator.completionDelay(NEVER);
        List<String> fifteenWildcards = IntStream.range(0, 15).mapToObj(i -> "/w" + i + "/*").toList();
        try (CloudFrontClient client = CloudFrontClient.builder().region(Region.AWS_GLOBAL).endpointOverride(emulator.endpoint())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(LocalServers.ACCESS_KEY, LocalServers.SECRET_KEY)))
                .httpClient(UrlConnectionHttpClient.create()).build()) {
            client.createInvalidation(r -> r.distributionId(DIST).invalidationBatch(b -> b.callerReference("earlier-deploy")
                    .paths(p -> p.quantity(fifteenWildcards.size()).items(fifteenWildcards))));
        }
        var running = invalidateInBackground(env(emulator), null, "-c", DIST, "--poll-interval", "100ms", "--output", "id", "/x/*");
        awaitWhileRunning(running, "CloudFront refused it", () -> emulator.requests().stream().anyMatch(InvalidateEndToEndTest::refused));
        emulator.completeAll();
        var run = running.join();
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.stderr().contains("TooManyInvalidationsInProgress") && run.stderr().contains("retrying"), run::toString);
        var all = emulator.invalidations(DIST);
        assertEquals(List.of(fifteenWildcards, List.of("/x/*")), all.stream().map(CloudFrontEmulator.Invalidation::paths).toList());
        assertEquals(all.get(1).id() + "\n", run.stdout());
    }

    @Test
    void sends3001PathsFromStandardInputInBatchesWithinTheLimits() throws Exception {
        emulator.completionDelay(NEVER);
        List<String> paths = IntStream.range(0, 3001).mapToObj(i -> String.format("/posts/%05d/", i)).toList();
        var running = invalidateInBackground(env(emulator), String.join("\n", paths) + "\n", "-c", DIST, "--poll-interval", "100ms", "--paths-from", "-");
        awaitWhileRunning(running, "CloudFront refused the second batch", () -> emulator.requests().stream().anyMatch(InvalidateEndToEndTest::refused));
        var refusedAt = emulator.requests().stream().filter(InvalidateEndToEndTest::refused).findFirst().orElseThrow().time();
        emulator.completeAll();
        var run = running.join();
        assertEquals(0, run.exitCode(), run::toString);

        var all = emulator.invalidations(DIST);
        assertEquals(List.of(3000, 1), all.stream().map(i -> i.paths().size()).toList());
        assertEquals(paths, Stream.concat(all.get(0).paths().stream(), all.get(1).paths().stream()).toList());
        assertTrue(all.get(1).createTime().isAfter(refusedAt.minusMillis(1)), "the second batch was created after the refusal");
        Matcher ids = Pattern.compile("\"Id\": \"([^\"]+)\"").matcher(run.stdout());
        List<String> printed = new ArrayList<>();
        while (ids.find()) printed.add(ids.group(1));
        assertTrue(run.stdout().startsWith("["), run::toString);
        assertEquals(List.of(all.get(0).id(), all.get(1).id()), printed);
    }

    // ---------------------------------------------------------------- encoding, as the arguments reach the JVM

    @Test
    void encodesNonAsciiSpacePercentAndTildeAsCloudFrontNeedsThem() {
        var run = invalidate("-c", DIST, "--output", "id", "/café menu.html", "/100%.html", "/50%25off.html", "/docs/~old/page.html", "/日本.html");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(List.of("/%E6%97%A5%E6%9C%AC.html", "/100%25.html", "/50%25off.html", "/caf%C3%A9%20menu.html", "/docs/*"),
                onlyInvalidation().paths());
        assertTrue(run.stderr().contains("invalidating /docs/* instead"), run::toString);
    }

    // ---------------------------------------------------------------- bad inputs: exit code, one line, nothing sent

    /** One bad command line; operations: what may reach CloudFront (nothing, or only the call that fails). */
    record BadInput(String name, int exitCode, String message, List<String> operations, String... args) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final List<BadInput> BAD_INPUTS = List.of(
            new BadInput("no path", 2, "no path given", List.of(), "-c", DIST),
            new BadInput("no distribution", 2, "no distribution: pass --distribution-id (-c), --distribution", List.of(), "/a"),
            new BadInput("'*' in the middle", 2, "invalid path '/a*/b': '*' is allowed only as the last character", List.of(), "-c", DIST, "/a*/b"),
            new BadInput("path over 4,000 characters", 2, "4001 characters once encoded, CloudFront allows 4000", List.of(),
                    "-c", DIST, "/" + "a".repeat(4000)),
            new BadInput("control character", 2, "control character at position 2", List.of(), "-c", DIST, "/a\tb"),
            new BadInput("unknown option", 2, "Unknown option: '--bogus'", List.of(), "-c", DIST, "--bogus", "/a"),
            new BadInput("--max-paths 0", 2, "--max-paths must be at least 1", List.of(), "-c", DIST, "--max-paths", "0", "/a"),
            new BadInput("--max-paths abc", 2, "'abc' is not an int", List.of(), "-c", DIST, "--max-paths", "abc", "/a"),
            new BadInput("--timeout 10x", 2, "invalid duration '10x'", List.of(), "-c", DIST, "--timeout", "10x", "/a"),
            new BadInput("--poll-interval 0", 2, "--poll-interval must be more than 0", List.of(), "-c", DIST, "--wait", "--poll-interval", "0", "/a"),
            new BadInput("--output xml", 2, "expected one of [json, id, text]", List.of(), "-c", DIST, "--output", "xml", "/a"),
            // An input file that is not there is an I/O failure (exit 1, as --help documents), named with its option.
            new BadInput("--paths-from a missing file", 1, "cannot read --paths-from /nonexistent/paths.txt: no such file", List.of(),
                    "-c", DIST, "--paths-from", "/nonexistent/paths.txt"),
            new BadInput("-a without -s", 2, "-a (access key) and -s (secret key) go together", List.of(), "-a", LocalServers.ACCESS_KEY, "-c", DIST, "/a"),
            new BadInput("-c and --distribution", 2, "--distribution-id and --distribution are exclusive", List.of(),
                    "-c", DIST, "--distribution", "www.example.com", "/a"),
            new BadInput("--files with every file outside ROOT", 2, "no path left to invalidate from the 2 input(s)", List.of(),
                    "-c", DIST, "--files", "public", "README.md", "src/main.go"),
            new BadInput("unknown distribution id", 1, "NoSuchDistribution: The specified distribution does not exist. (HTTP 404", List.of(CREATE),
                    "-c", "ENOSUCHDIST", "/a"),
            new BadInput("--distribution matching nothing", 1, "no distribution has the alias, domain or origin bucket 'nothing.example.org'",
                    List.of("ListDistributions"), "--distribution", "nothing.example.org", "/a"));

    record Outcome(LocalServers.Run run, List<String> operations) {
    }

    private static Map<BadInput, CompletableFuture<Outcome>> badInputRuns;

    /** Every bad input runs once, three at a time, each against its own emulator so that what reached CloudFront is its own. */
    static synchronized CompletableFuture<Outcome> outcome(BadInput input) {
        if (badInputRuns == null) {
            ExecutorService pool = Executors.newFixedThreadPool(3);
            badInputRuns = BAD_INPUTS.stream().collect(Collectors.toMap(b -> b, b -> CompletableFuture.supplyAsync(() -> {
                try (CloudFrontEmulator own = CloudFrontEmulator.start()) {
                    addDistributions(own);
                    var run = invalidate(env(own), null, b.args());
                    return new Outcome(run, own.requests().stream().map(CloudFrontEmulator.RecordedRequest::operation).toList());
                }
            }, pool)));
            pool.shutdown();
        }
        return badInputRuns.get(input);
    }

    static Stream<BadInput> badInputs() {
        return BAD_INPUTS.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void rejectsABadInputWithItsExitCodeAndOneLineSendingNothing(BadInput input) {
        var outcome = outcome(input).join();
        var run = outcome.run();
        assertEquals(input.exitCode(), run.exitCode(), run::toString);
        assertEquals("", run.stdout(), run::toString);
        List<String> errors = run.stderr().lines().filter(l -> l.startsWith("invalidate: error: ")).toList();
        assertEquals(1, errors.size(), run::toString);
        assertTrue(errors.get(0).contains(input.message()), () -> "expected '" + input.message() + "' in:\n" + run);
        assertTrue(errors.get(0).length() < 240, "a short line: " + errors.get(0));
        // Besides the error: at most picocli's pointer to --help, or a note of the script's ("invalidate: ..."); never a trace.
        assertTrue(run.stderr().lines().allMatch(l -> l.startsWith("invalidate: ") || l.equals(HELP_HINT)), run::toString);
        assertFalse(run.stderr().contains("Exception") || run.stderr().contains("\tat "), run::toString);
        assertEquals(input.operations(), outcome.operations());
    }
}
