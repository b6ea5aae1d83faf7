import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Layer 4, differential: the tools people use today run beside {@code invalidate} against the same CloudFront
 * emulator, and the test compares what reached the emulator. It proves the README's two claims, "same flags as
 * travis-ci-cloudfront-invalidation" and "same arguments and JSON output as {@code aws cloudfront
 * create-invalidation}", with exactly the listed {@link Difference}s (the README's table "Differences from
 * travis-ci-cloudfront-invalidation and the AWS CLI"), each shown by at least one case.
 *
 * <p>A case is a command line fragment as a CI shell writes it plus the build's variables; bash expands it into the argv
 * both tools get. Every run gets a distribution of its own, so the emulator holds exactly what that run sent. The outcome
 * of a run is INVALIDATED (exit 0, at least one invalidation), SKIPPED (exit 0, none) or REFUSED (non-zero exit, none),
 * with the items the emulator recorded (sorted) and the number of invalidations. Each case declares the peer's outcome
 * and invalidate's; both are checked against the real runs, so the peer's behaviour is verified, never assumed; and the
 * two differ exactly when the case names a Difference.
 *
 * <p>How the peers are reached (see {@link Peers}): travis-ci-cloudfront-invalidation 1.1.0 with aws-sdk 2.1693.0 is
 * installed once by npm into {@code ~/.cache/static-site-tests/npm} and run by node with a preload script that sets
 * the aws-sdk's CloudFront endpoint to the emulator (v2 reads no endpoint from the environment; the tool's code is as
 * published); the AWS CLI gets {@code --endpoint-url}. {@code invalidate} runs in-process with {@code --endpoint-url}
 * put before the case's arguments, the one argument that differs. Peer runs go in parallel, a few at a time, while the
 * cases run. Without node and npm, or without aws, that part is skipped with an assumption naming the command.
 */
class DifferentialTest {

    /** Each deliberate difference from the peers, with its reason: the first column of the README's table. */
    enum Difference {
        ENCODING("space, non-ASCII and RFC 1738 unsafe characters are percent-encoded; the peers send them raw and CloudFront rejects them"),
        LEADING_SLASH("a path without a leading / gets one; the peers send it as is and CloudFront rejects it"),
        TILDE("a ~ makes a prefix wildcard ending before it: CloudFront rejects a raw ~ and %7E may not match"),
        DUPLICATES("duplicates and paths covered by a wildcard of the same set are dropped (tags compared ignoring case) and the items sorted; the peers send every item"),
        CALLER_REFERENCE("the CallerReference is derived from the distribution, the paths and the CI run, so a re-run in the same CI build returns the same invalidation; the npm tool uses a timestamp and pays twice"),
        CREDENTIALS_OPTIONAL("-a and -s are optional: the SDK's default chain; the npm tool requires both"),
        PULL_REQUEST_OPTIONAL("-p is optional: read from the CI's variables; the npm tool requires it"),
        BRANCH_OPTIONAL("-b is optional: without -b and -o every branch invalidates, as invalidate -c ID /path always did; the npm tool requires -b"),
        BRANCH_GLOBS("-o takes globs such as release/*; the npm tool compares names exactly"),
        BLANK_BRANCH_LIST("-o with only blank items (' ') means master, like -o ''; the npm tool then allows a branch named '' and skips every build"),
        REPEATED_ITEMS("a repeated -i adds its items; the npm tool crashes with a TypeError"),
        REPEATED_BRANCHES("a repeated -o adds its globs; the npm tool crashes with a TypeError"),
        SPACE_SEPARATED_ITEMS("-i /a /b takes both, like the AWS CLI's --paths; the npm tool ignores /b"),
        COMMA_SPLIT("--paths '/a,/b' is two paths, as in the npm tool; the AWS CLI sends one path with a comma");

        final String reason;

        Difference(String reason) {
            this.reason = reason;
        }
    }

    enum Kind { INVALIDATED, SKIPPED, REFUSED }

    /** What a run (or a case's runs) left: its kind, the items the emulator recorded (sorted), how many invalidations. */
    record Outcome(Kind kind, List<String> items, int invalidations) {
        @Override
        public String toString() {
            return kind != Kind.INVALIDATED ? kind.name()
                    : kind + " " + items + (invalidations == 1 ? "" : " in " + invalidations + " invalidations");
        }
    }

    static final Outcome SKIPPED = new Outcome(Kind.SKIPPED, List.of(), 0);
    static final Outcome REFUSED = new Outcome(Kind.REFUSED, List.of(), 0);

    static Outcome invalidated(String... items) {
        return invalidatedIn(1, items);
    }

    static Outcome invalidatedIn(int invalidations, String... items) {
        List<String> sorted = new ArrayList<>(List.of(items));
        Collections.sort(sorted);
        return new Outcome(Kind.INVALIDATED, List.copyOf(sorted), invalidations);
    }

    enum Peer {
        NPM("travis-ci-cloudfront-invalidation"), AWS_CLI("aws cloudfront create-invalidation");

        final String label;

        Peer(String label) {
            this.label = label;
        }
    }

    /**
     * One command line both tools run. For the npm tool {@code fragment} is the whole argument list; for the AWS CLI it
     * follows {@code --distribution-id D} (and invalidate's {@code -c D}). {@code callerReference}, when not null, is the
     * reference both must send.
     */
    record Case(Peer peer, String title, String fragment, Map<String, String> env, int runs, Outcome peerOutcome,
                Outcome invalidateOutcome, Set<Difference> differences, String callerReference) {
        @Override
        public String toString() {
            return title + ": " + fragment + (runs > 1 ? ", run " + runs + " times" : "") + " " + describe(env)
                    + (differences.isEmpty() ? "" : " " + differences);
        }
    }

    // ---------------------------------------------------------------- the builds the cases run in

    static final String BUILD_ID = "481516";
    /** Travis's encrypted variables that the README's line names; absent in a pull request from a fork. */
    static final List<String> SECURE_VARIABLES = List.of("AWS_ACCESS_KEY", "AWS_SECRET_KEY");

    /** A Travis build of {@code branch}; {@code pullRequest} is TRAVIS_PULL_REQUEST ("false" or a number). */
    static Map<String, String> travis(String branch, String pullRequest) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("TRAVIS", "true");
        env.put("TRAVIS_BRANCH", branch);
        env.put("TRAVIS_PULL_REQUEST", pullRequest);
        env.put("TRAVIS_BUILD_ID", BUILD_ID);
        env.put("AWS_ACCESS_KEY", LocalServers.ACCESS_KEY);
        env.put("AWS_SECRET_KEY", LocalServers.SECRET_KEY);
        return Collections.unmodifiableMap(env);
    }

    static final Map<String, String> MASTER = travis("master", "false");

    /** A shell outside any CI, where only the keys are set. */
    static final Map<String, String> NO_CI = Map.of("AWS_ACCESS_KEY", LocalServers.ACCESS_KEY, "AWS_SECRET_KEY", LocalServers.SECRET_KEY);

    static Map<String, String> without(Map<String, String> env, String... names) {
        Map<String, String> copy = new LinkedHashMap<>(env);
        for (String n : names) copy.remove(n);
        return Collections.unmodifiableMap(copy);
    }

    static String describe(Map<String, String> env) {
        if (!"true".equals(env.get("TRAVIS"))) return "(no CI)";
        String vars = env.entrySet().stream()
                .filter(e -> e.getKey().equals("TRAVIS_BRANCH") || e.getKey().equals("TRAVIS_PULL_REQUEST"))
                .map(e -> e.getKey() + "=" + (e.getValue().isEmpty() ? "''" : e.getValue()))
                .collect(Collectors.joining(" "));
        List<String> missing = SECURE_VARIABLES.stream().filter(v -> !env.containsKey(v)).toList();
        return "(Travis " + vars + (missing.isEmpty() ? "" : ", " + String.join(" and ", missing) + " unset") + ")";
    }

    // ---------------------------------------------------------------- the cases

    static final String KEYS = "-a $AWS_ACCESS_KEY -s $AWS_SECRET_KEY -c $DIST";
    static final String README_LINE = "-a $AWS_ACCESS_KEY -s $AWS_SECRET_KEY -c $DIST_ID -i '/*' -b $TRAVIS_BRANCH -p $TRAVIS_PULL_REQUEST";
    /** A command line that invalidates on master; the validateArgv cases leave out one flag each. */
    static final String[] VALID = {"-a $AWS_ACCESS_KEY", "-s $AWS_SECRET_KEY", "-c $DIST", "-i /index.html", "-b master", "-p false"};

    static String validWithout(String... flags) {
        return Arrays.stream(VALID).filter(f -> Arrays.stream(flags).noneMatch(x -> f.startsWith(x + " ")))
                .collect(Collectors.joining(" "));
    }

    static final List<Case> NPM_CASES = List.of(
            // The package's own spec files (src/**/*.test.ts), replayed with their values.
            npm("getArgv spec: long names with =", "--AWSAccessKey=1 --AWSSecretKey=2 --CloudFrontDistributionId=$DIST --ItemsforInvalidation=4 --OnBranches=5 --TravisBranch=6 --TravisPullRequest=7")
                    .on(NO_CI).both(SKIPPED),
            npm("getArgv spec: short flags", "-a 1 -b 6 -c $DIST -i 4 -o 5 -p 7 -s 2").on(NO_CI).both(SKIPPED),
            npm("parseArgv spec: items 'test, test2', branches 'dev,qa', pull request 'true'", "-a 1 -s 2 -c $DIST -i 'test, test2' -o dev,qa -b 6 -p true")
                    .on(NO_CI).both(SKIPPED),
            npm("parseArgv spec: no -o means master", "-a 1 -s 2 -c $DIST -i 'test, test2' -b 6 -p true").on(NO_CI).both(SKIPPED),
            npm("parseArgv spec: no TravisPullRequest", "-a 1 -s 2 -c $DIST -i 'test, test2' -b 6")
                    .on(NO_CI).peer(REFUSED).ours(SKIPPED).because(Difference.PULL_REQUEST_OPTIONAL),
            npm("parseArgv spec: TravisPullRequest 'false', branch 6 is not master", "-a 1 -s 2 -c $DIST -i 'test, test2' -b 6 -p false")
                    .on(NO_CI).both(SKIPPED),
            npm("parseArgv spec values on a listed branch", "-a 1 -s 2 -c $DIST -i 'test, test2' -o dev,qa -b qa -p false")
                    .on(NO_CI).peer(REFUSED).ours(invalidated("/test", "/test2")).because(Difference.LEADING_SLASH),
            npm("validateArgv spec: the six required flags", "-a 1 -s 2 -c $DIST -i 4 -b 6 -p 7").on(NO_CI).both(SKIPPED),
            npm("validateArgv spec: without -a", validWithout("-a")).on(MASTER).both(REFUSED),
            npm("validateArgv spec: without -s", validWithout("-s")).on(MASTER).both(REFUSED),
            npm("validateArgv spec: without -c", validWithout("-c")).on(MASTER).both(REFUSED),
            npm("validateArgv spec: without -i", validWithout("-i")).on(MASTER).both(REFUSED),
            npm("validateArgv spec: without -b", validWithout("-b"))
                    .on(MASTER).peer(REFUSED).ours(invalidated("/index.html")).because(Difference.BRANCH_OPTIONAL),
            npm("validateArgv spec: without -p", validWithout("-p"))
                    .on(MASTER).peer(REFUSED).ours(invalidated("/index.html")).because(Difference.PULL_REQUEST_OPTIONAL),
            npm("without -a and -s: credentials from the environment", validWithout("-a", "-s"))
                    .on(MASTER).peer(REFUSED).ours(invalidated("/index.html")).because(Difference.CREDENTIALS_OPTIONAL),
            npm("only -c and -i", "-c $DIST -i /index.html").on(MASTER).peer(REFUSED).ours(invalidated("/index.html"))
                    .because(Difference.CREDENTIALS_OPTIONAL, Difference.BRANCH_OPTIONAL, Difference.PULL_REQUEST_OPTIONAL),

            // The README's Travis line, in the builds it meets.
            npm("README's Travis line on master", README_LINE).on(MASTER).both(invalidated("/*")),
            npm("README's Travis line on another branch", README_LINE).on(travis("feature/search", "false")).both(SKIPPED),
            npm("README's Travis line in a pull request", README_LINE).on(travis("master", "42")).both(SKIPPED),
            npm("README's Travis line in a pull request from a fork: -a and -s get no value", README_LINE)
                    .on(without(travis("master", "42"), "AWS_ACCESS_KEY", "AWS_SECRET_KEY")).both(SKIPPED),
            npm("README's Travis line outside CI: -b and -p get no value", README_LINE).on(NO_CI).both(SKIPPED),
            npm("README's Travis line re-run in the same build", README_LINE).on(MASTER).twice()
                    .peer(invalidatedIn(2, "/*", "/*")).ours(invalidated("/*")).because(Difference.CALLER_REFERENCE),

            // Branches and pull requests.
            npm("-b develop -p false without -o: only master invalidates", KEYS + " -i '/*' -b develop -p false")
                    .on(travis("develop", "false")).both(SKIPPED),
            npm("-o '' means master", KEYS + " -i '/*' -o '' -b master -p false").on(MASTER).both(invalidated("/*")),
            npm("-o ' ' (blank)", KEYS + " -i '/*' -o ' ' -b master -p false")
                    .on(MASTER).peer(SKIPPED).ours(invalidated("/*")).because(Difference.BLANK_BRANCH_LIST),
            npm("-b ' master ' is trimmed", KEYS + " -i '/*' -b ' master ' -p false").on(MASTER).both(invalidated("/*")),
            npm("-o 'dev, master' items are trimmed", KEYS + " -i '/*' -o 'dev, master' -b master -p false").on(MASTER).both(invalidated("/*")),
            npm("-o 'master,stage' on stage", KEYS + " -i '/*' -o 'master,stage' -b $TRAVIS_BRANCH -p false")
                    .on(travis("stage", "false")).both(invalidated("/*")),
            npm("-o 'master,stage' on a feature branch", KEYS + " -i '/*' -o 'master,stage' -b $TRAVIS_BRANCH -p false")
                    .on(travis("feature/x", "false")).both(SKIPPED),
            npm("-o 'release/*' on release/1.2", KEYS + " -i '/*' -o 'release/*' -b $TRAVIS_BRANCH -p false")
                    .on(travis("release/1.2", "false")).peer(SKIPPED).ours(invalidated("/*")).because(Difference.BRANCH_GLOBS),
            npm("-o 'release/*' on main", KEYS + " -i '/*' -o 'release/*' -b $TRAVIS_BRANCH -p false").on(travis("main", "false")).both(SKIPPED),
            npm("-o 'release/*' on a branch named release/*", KEYS + " -i '/*' -o 'release/*' -b 'release/*' -p false")
                    .on(travis("release/*", "false")).both(invalidated("/*")),
            npm("repeated -o", KEYS + " -i '/*' -o master -o stage -b stage -p false")
                    .on(travis("stage", "false")).peer(REFUSED).ours(invalidated("/*")).because(Difference.REPEATED_BRANCHES),
            npm("-o master without -b: the branch from Travis", KEYS + " -i '/*' -o master -p false")
                    .on(MASTER).peer(REFUSED).ours(invalidated("/*")).because(Difference.BRANCH_OPTIONAL),
            npm("neither -b nor -o on a feature branch", KEYS + " -i '/*' -p false")
                    .on(travis("feature/x", "false")).peer(REFUSED).ours(invalidated("/*")).because(Difference.BRANCH_OPTIONAL),
            npm("neither -b nor -p in a Travis pull request", KEYS + " -i '/*'")
                    .on(travis("master", "42")).peer(REFUSED).ours(SKIPPED).because(Difference.BRANCH_OPTIONAL, Difference.PULL_REQUEST_OPTIONAL),
            npm("-b \"$UNSET\": an empty branch", KEYS + " -i '/*' -b \"$UNSET\" -p false").on(MASTER).both(SKIPPED),
            npm("-b $UNSET unquoted, then another option", KEYS + " -i '/*' -b $UNSET -p false").on(MASTER).both(SKIPPED),
            npm("-b $UNSET unquoted, last", KEYS + " -i '/*' -p false -b $UNSET").on(MASTER).both(SKIPPED),
            npm("-p '' is a pull request", KEYS + " -i '/*' -b master -p ''").on(MASTER).both(SKIPPED),
            npm("-p $TRAVIS_PULL_REQUEST unquoted and empty, then -o", KEYS + " -i '/*' -b master -p $TRAVIS_PULL_REQUEST -o master")
                    .on(travis("master", "")).both(SKIPPED),
            npm("-p $TRAVIS_PULL_REQUEST unquoted and empty, last", KEYS + " -i '/*' -b master -p $TRAVIS_PULL_REQUEST")
                    .on(travis("master", "")).both(SKIPPED),
            npm("-p FALSE is not 'false'", KEYS + " -i '/*' -b master -p FALSE").on(MASTER).both(SKIPPED),
            npm("-p ' false ' is not 'false'", KEYS + " -i '/*' -b master -p ' false '").on(MASTER).both(SKIPPED),

            // Long names.
            npm("long names with separate values", "--AWSAccessKey $AWS_ACCESS_KEY --AWSSecretKey $AWS_SECRET_KEY --CloudFrontDistributionId $DIST"
                    + " --ItemsforInvalidation '/a.html, /b.html' --OnBranches master --TravisBranch $TRAVIS_BRANCH --TravisPullRequest $TRAVIS_PULL_REQUEST")
                    .on(MASTER).both(invalidated("/a.html", "/b.html")),
            npm("long names with =", "--AWSAccessKey=$AWS_ACCESS_KEY --AWSSecretKey=$AWS_SECRET_KEY --CloudFrontDistributionId=$DIST"
                    + " --ItemsforInvalidation=/index.html --OnBranches=master --TravisBranch=$TRAVIS_BRANCH --TravisPullRequest=$TRAVIS_PULL_REQUEST")
                    .on(MASTER).both(invalidated("/index.html")),
            npm("-c by its long name", "-a $AWS_ACCESS_KEY -s $AWS_SECRET_KEY --CloudFrontDistributionId $DIST -i /index.html -b master -p false")
                    .on(MASTER).both(invalidated("/index.html")),

            // Credentials.
            npm("-a '' -s '': credentials from the environment", "-a '' -s '' -c $DIST -i /index.html -b master -p false")
                    .on(MASTER).both(invalidated("/index.html")),

            // Items.
            npm("-i '/index.html, /blog/*' is split and trimmed", KEYS + " -i '/index.html, /blog/*' -b master -p false")
                    .on(MASTER).both(invalidated("/blog/*", "/index.html")),
            npm("-i ''", KEYS + " -i '' -b master -p false").on(MASTER).both(REFUSED),
            npm("-i ' '", KEYS + " -i ' ' -b master -p false").on(MASTER).both(REFUSED),
            npm("-i with empty items", KEYS + " -i '/a.html,,/b.html,' -b master -p false").on(MASTER).both(REFUSED),
            npm("-i with an empty item in a pull request: the pull request decides first", KEYS + " -i '/a.html,,/b.html' -b master -p $TRAVIS_PULL_REQUEST")
                    .on(travis("master", "42")).both(SKIPPED),
            npm("a space in a path", KEYS + " -i '/about us.html' -b master -p false")
                    .on(MASTER).peer(REFUSED).ours(invalidated("/about%20us.html")).because(Difference.ENCODING),
            npm("non-ASCII paths", KEYS + " -i '/café/menü.html' -b master -p false")
                    .on(MASTER).peer(REFUSED).ours(invalidated("/caf%C3%A9/men%C3%BC.html")).because(Difference.ENCODING),
            npm("an encoded path stays as it is", KEYS + " -i '/about%20us.html' -b master -p false").on(MASTER).both(invalidated("/about%20us.html")),
            npm("a path without /", KEYS + " -i index.html -b master -p false")
                    .on(MASTER).peer(REFUSED).ours(invalidated("/index.html")).because(Difference.LEADING_SLASH),
            npm("a path with ~", KEYS + " -i '/docs/~old/x.html' -b master -p false")
                    .on(MASTER).peer(REFUSED).ours(invalidated("/docs/*")).because(Difference.TILDE),
            npm("duplicates and covered paths", KEYS + " -i '/a.html,/a.html,/blog/*,/blog/post.html' -b master -p false")
                    .on(MASTER).peer(invalidated("/a.html", "/a.html", "/blog/*", "/blog/post.html")).ours(invalidated("/a.html", "/blog/*"))
                    .because(Difference.DUPLICATES),
            npm("* before the end", KEYS + " -i '/a*/b.html' -b master -p false").on(MASTER).both(REFUSED),
            npm("repeated -i", KEYS + " -i /a.html -i /b.html -b master -p false")
                    .on(MASTER).peer(REFUSED).ours(invalidated("/a.html", "/b.html")).because(Difference.REPEATED_ITEMS),
            npm("-i /a.html /b.html", KEYS + " -b master -p false -i /a.html /b.html")
                    .on(MASTER).peer(invalidated("/a.html")).ours(invalidated("/a.html", "/b.html")).because(Difference.SPACE_SEPARATED_ITEMS),
            npm("a cache tag", KEYS + " -i '#product:tv' -b master -p false").on(MASTER).both(invalidated("#product:tv")),
            npm("a cache tag and a path", KEYS + " -i '#product:tv, /index.html' -b master -p false")
                    .on(MASTER).both(invalidated("#product:tv", "/index.html")),
            npm("cache tags equal ignoring case", KEYS + " -i '#Product:TV,#product:tv' -b master -p false")
                    .on(MASTER).peer(invalidated("#Product:TV", "#product:tv")).ours(invalidated("#Product:TV")).because(Difference.DUPLICATES),
            npm("a cache tag with *", KEYS + " -i '#bad*tag' -b master -p false").on(MASTER).both(REFUSED));

    static final String BATCH_JSON = "{\"Paths\":{\"Quantity\":2,\"Items\":[\"/a\",\"/b\"]},\"CallerReference\":\"ref-1\"}";

    static final List<Case> CLI_CASES = List.of(
            cli("everything", "--paths '/*'").both(invalidated("/*")),
            cli("two paths", "--paths /index.html /blog/").both(invalidated("/blog/", "/index.html")),
            cli("two paths out of order", "--paths /b.html /a.html").both(invalidated("/a.html", "/b.html")),
            cli("a space", "--paths '/about us.html'").peer(REFUSED).ours(invalidated("/about%20us.html")).because(Difference.ENCODING),
            cli("non-ASCII", "--paths '/café.html'").peer(REFUSED).ours(invalidated("/caf%C3%A9.html")).because(Difference.ENCODING),
            cli("braces", "--paths '/items/{id}.html'").peer(REFUSED).ours(invalidated("/items/%7Bid%7D.html")).because(Difference.ENCODING),
            cli("an encoded path", "--paths /about%20us.html").both(invalidated("/about%20us.html")),
            cli("a ~", "--paths '/docs/~old/x.html'").peer(REFUSED).ours(invalidated("/docs/*")).because(Difference.TILDE),
            cli("no leading slash", "--paths index.html").peer(REFUSED).ours(invalidated("/index.html")).because(Difference.LEADING_SLASH),
            cli("a duplicate", "--paths /a.html /a.html").peer(invalidated("/a.html", "/a.html")).ours(invalidated("/a.html"))
                    .because(Difference.DUPLICATES),
            cli("a path under a wildcard", "--paths '/blog/*' /blog/post.html").peer(invalidated("/blog/*", "/blog/post.html"))
                    .ours(invalidated("/blog/*")).because(Difference.DUPLICATES),
            cli("a cache tag", "--paths '#product:tv'").both(invalidated("#product:tv")),
            cli("a cache tag and paths", "--paths '#product:tv' /index.html '/blog/*'").both(invalidated("#product:tv", "/blog/*", "/index.html")),
            cli("cache tags equal ignoring case", "--paths '#Product:TV' '#product:tv'")
                    .peer(invalidated("#Product:TV", "#product:tv")).ours(invalidated("#Product:TV")).because(Difference.DUPLICATES),
            cli("a comma", "--paths '/a.html,/b.html'").peer(invalidated("/a.html,/b.html")).ours(invalidated("/a.html", "/b.html"))
                    .because(Difference.COMMA_SPLIT),
            cli("* before the end", "--paths '/a*/b.html'").both(REFUSED),
            cli("a cache tag with a space", "--paths '#bad tag'").both(REFUSED),
            cli("an empty path", "--paths ''").both(REFUSED),
            cli("--invalidation-batch file://", "--invalidation-batch file://$BATCH_FILE").reference("ref-1").both(invalidated("/a", "/b")),
            cli("--invalidation-batch JSON", "--invalidation-batch '" + BATCH_JSON + "'").reference("ref-1").both(invalidated("/a", "/b")),
            cli("--invalidation-batch shorthand", "--invalidation-batch 'Paths={Quantity=2,Items=[/a,/b]},CallerReference=ref-1'")
                    .reference("ref-1").both(invalidated("/a", "/b")),
            cli("--invalidation-batch with a Quantity that does not match", "--invalidation-batch 'Paths={Quantity=3,Items=[/a,/b]},CallerReference=ref-1'")
                    .both(REFUSED));

    static Stream<Case> npmCases() {
        return NPM_CASES.stream();
    }

    static Stream<Case> cliCases() {
        return CLI_CASES.stream();
    }

    // ---------------------------------------------------------------- the tests

    @ParameterizedTest(name = "{0}")
    @MethodSource("npmCases")
    void behavesLikeTheNpmToolOrAsDeclared(Case c) throws Exception {
        assumeTrue(npmMissing == null, npmMissing);
        if (npmInstallFailure != null) fail("the npm tool could not be installed: " + npmInstallFailure, npmInstallFailure);
        compare(c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cliCases")
    void behavesLikeTheAwsCliOrAsDeclared(Case c) throws Exception {
        assumeTrue(awsMissing == null, awsMissing);
        compare(c);
    }

    @Test
    void everyDivergenceNamesADifferenceAndEveryDifferenceIsShown() {
        Set<Difference> shown = EnumSet.noneOf(Difference.class);
        Set<String> titles = new HashSet<>();
        for (Case c : all()) {
            assertDeclaredConsistently(c);
            assertTrue(titles.add(c.peer() + " " + c.title()), () -> "two cases are titled " + c.title());
            shown.addAll(c.differences());
        }
        assertEquals(EnumSet.allOf(Difference.class), shown, "every Difference must be shown by a case");
        assertTrue(NPM_CASES.size() >= 40, "at least 40 npm flag sets");
        assertTrue(CLI_CASES.size() >= 12, "at least 12 AWS CLI path sets");
    }

    /** invalidate --dry-run's JSON is a request the AWS CLI's --cli-input-json sends as it is: the README says so. */
    @Test
    void theDryRunsJsonIsARequestTheAwsCliSends() throws Exception {
        assumeTrue(awsMissing == null, awsMissing);
        String dist = newDistribution();
        try {
            var dry = invalidate(List.of("--dry-run", "-c", dist, "--caller-reference", "dry-run-1", "/a b.html", "#product:tv", "/blog/*"), Map.of());
            assertEquals(0, dry.exitCode(), dry::toString);
            assertEquals(List.of(), emulator.invalidations(dist), "a dry run sends nothing");
            Path input = scratch.resolve("dry-run.json");
            Files.writeString(input, dry.stdout(), StandardCharsets.UTF_8);
            var cli = Peers.awsCli(List.of("--endpoint-url", emulator.endpoint().toString(), "--cli-input-json", "file://" + input), scratch);
            assertEquals(0, cli.exitCode(), cli::toString);
            var made = emulator.invalidations(dist);
            assertEquals(1, made.size(), made::toString);
            assertEquals(List.of("#product:tv", "/a%20b.html", "/blog/*"), made.get(0).paths());
            assertEquals("dry-run-1", made.get(0).callerReference());
        } finally {
            emulator.removeDistribution(dist);
        }
    }

    /** The README's table of differences lists exactly these, so the documentation and the test cannot drift apart. */
    @Test
    void theReadmeListsExactlyTheseDifferences() throws Exception {
        String readme = Files.readString(LocalServers.repoRoot().resolve("README.md"), StandardCharsets.UTF_8);
        String heading = "### Differences from travis-ci-cloudfront-invalidation and the AWS CLI";
        int start = readme.indexOf(heading);
        assertTrue(start >= 0, "the README has no section " + heading);
        int end = readme.indexOf("\n#", start + heading.length());
        java.util.regex.Matcher row = java.util.regex.Pattern.compile("(?m)^\\| `([A-Z_]+)` \\|")
                .matcher(readme.substring(start, end < 0 ? readme.length() : end));
        Set<String> listed = new java.util.TreeSet<>();
        while (row.find()) listed.add(row.group(1));
        assertEquals(Arrays.stream(Difference.values()).map(Enum::name).collect(Collectors.toCollection(java.util.TreeSet::new)), listed);
    }

    /** (c): declared outcomes are equal exactly when the case names no difference. */
    static void assertDeclaredConsistently(Case c) {
        boolean same = c.peerOutcome().equals(c.invalidateOutcome());
        assertEquals(same, c.differences().isEmpty(), () -> same
                ? "declares equal outcomes but names " + c.differences() + ": " + c
                : "declares " + c.peerOutcome() + " for " + c.peer().label + " and " + c.invalidateOutcome()
                        + " for invalidate but names no Difference: " + c);
    }

    /** (a) the peer behaves as declared, (b) invalidate behaves as declared, plus the printed JSON and the references. */
    void compare(Case c) throws Exception {
        assertDeclaredConsistently(c);
        Observed peer = peerRuns.get(c).get(PEER_WAIT.toSeconds(), TimeUnit.SECONDS);
        Observed ours = runInvalidate(c);
        List<Executable> checks = new ArrayList<>();
        checks.add(() -> assertEquals(c.peerOutcome(), peer.outcome(c.peer().label),
                () -> c.peer().label + " did not behave as declared\n" + peer));
        checks.add(() -> assertEquals(c.invalidateOutcome(), ours.outcome("invalidate"),
                () -> "invalidate did not behave as declared\n" + ours));
        if (c.callerReference() != null) {
            checks.add(() -> assertEquals(List.of(c.callerReference()), peer.references(), () -> c.peer().label + "'s CallerReference\n" + peer));
            checks.add(() -> assertEquals(List.of(c.callerReference()), ours.references(), () -> "invalidate's CallerReference\n" + ours));
        }
        if (c.peer() == Peer.AWS_CLI && c.peerOutcome().kind() == Kind.INVALIDATED && c.invalidateOutcome().kind() == Kind.INVALIDATED) {
            checks.add(() -> assertSameJson(c, peer, ours));
        }
        assertAll(c.toString(), checks);
    }

    /**
     * Both printed the same document but for the invalidation's Id, CreateTime, the Location's last segment (and its
     * distribution, which differs by construction) and the CallerReference; items compare as sorted lists. When the case
     * names a difference, the paths are left out of the comparison and each document must show what its tool sent.
     */
    static void assertSameJson(Case c, Observed peer, Observed ours) {
        boolean pathsDiffer = !c.differences().isEmpty();
        Object peerDocument = comparable(peer, pathsDiffer, c.peer().label);
        Object ourDocument = comparable(ours, pathsDiffer, "invalidate");
        assertEquals(peerDocument, ourDocument, () -> "the JSON printed differs\n--- " + c.peer().label + "\n" + peer.last().stdout()
                + "\n--- invalidate\n" + ours.last().stdout());
    }

    @SuppressWarnings("unchecked")
    static Object comparable(Observed o, boolean pathsDiffer, String tool) {
        Object parsed;
        try {
            parsed = MiniJson.parse(o.last().stdout());
        } catch (IllegalArgumentException e) {
            throw new AssertionError(tool + " printed no JSON document on stdout: " + e.getMessage() + "\n" + o, e);
        }
        if (!(parsed instanceof Map<?, ?> document) || !(document.get("Invalidation") instanceof Map<?, ?> invalidation)
                || !(invalidation.get("InvalidationBatch") instanceof Map<?, ?> batch) || !(batch.get("Paths") instanceof Map<?, ?> paths)) {
            throw new AssertionError(tool + " printed JSON without Invalidation.InvalidationBatch.Paths\n" + o);
        }
        Map<String, Object> doc = (Map<String, Object>) deepCopy(document);
        Map<String, Object> inv = (Map<String, Object>) doc.get("Invalidation");
        Map<String, Object> b = (Map<String, Object>) inv.get("InvalidationBatch");
        Map<String, Object> p = (Map<String, Object>) b.get("Paths");
        if (doc.get("Location") instanceof String location) {
            doc.put("Location", location.replace("/distribution/" + o.distribution() + "/", "/distribution/DIST/")
                    .replaceFirst("/[^/]*$", "/ID"));
        }
        if (inv.containsKey("Id")) inv.put("Id", "ID");
        if (inv.containsKey("CreateTime")) inv.put("CreateTime", "TIME");
        if (b.containsKey("CallerReference")) b.put("CallerReference", "REFERENCE");
        if (p.get("Items") instanceof List<?> items) {
            List<Object> sorted = new ArrayList<>(items);
            sorted.sort((x, y) -> String.valueOf(x).compareTo(String.valueOf(y)));
            p.put("Items", sorted);
        }
        if (pathsDiffer) {
            List<String> sent = o.invalidations().stream().flatMap(i -> i.paths().stream()).sorted().toList();
            assertEquals(sent, p.get("Items"), () -> tool + " printed other Items than it sent\n" + o);
            assertEquals((long) sent.size(), p.get("Quantity"), () -> tool + " printed another Quantity than it sent\n" + o);
            b.put("Paths", "PATHS");
        }
        return doc;
    }

    private static Object deepCopy(Object value) {
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> copy = new LinkedHashMap<>();
            m.forEach((k, v) -> copy.put((String) k, deepCopy(v)));
            return copy;
        }
        if (value instanceof List<?> l) return new ArrayList<>(l.stream().map(DifferentialTest::deepCopy).toList());
        return value;
    }

    // ---------------------------------------------------------------- runs

    /** What one tool's runs of a case left: the argv (after expansion), each run's output, the distribution's invalidations. */
    record Observed(String distribution, List<String> argv, List<Peers.Run> runs, List<CloudFrontEmulator.Invalidation> invalidations) {
        /** The outcome, or an AssertionError when the runs fit none of INVALIDATED, SKIPPED and REFUSED. */
        Outcome outcome(String tool) {
            boolean allSucceeded = runs.stream().allMatch(r -> r.exitCode() == 0);
            boolean allFailed = runs.stream().allMatch(r -> r.exitCode() != 0);
            if (allSucceeded && invalidations.isEmpty()) return SKIPPED;
            if (allSucceeded) {
                return invalidatedIn(invalidations.size(), invalidations.stream().flatMap(i -> i.paths().stream()).toArray(String[]::new));
            }
            if (allFailed && invalidations.isEmpty()) return REFUSED;
            throw new AssertionError(tool + " neither invalidated, skipped nor refused\n" + this);
        }

        List<String> references() {
            return invalidations.stream().map(CloudFrontEmulator.Invalidation::callerReference).toList();
        }

        Peers.Run last() {
            return runs.get(runs.size() - 1);
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("argv " + argv + "\n");
            for (int i = 0; i < runs.size(); i++) b.append("--- run ").append(i + 1).append(": ").append(runs.get(i)).append('\n');
            b.append("--- the emulator recorded ").append(invalidations.size()).append(" invalidation(s)");
            invalidations.forEach(inv -> b.append("\n    ").append(inv.paths()).append(" reference ").append(inv.callerReference()));
            return b.toString();
        }
    }

    static final int PEER_PARALLELISM = 3;
    static final Duration PEER_WAIT = Duration.ofMinutes(3);
    static final Duration INVALIDATE_TIMEOUT = Duration.ofSeconds(60);
    static final AtomicInteger DISTRIBUTIONS = new AtomicInteger();

    static CloudFrontEmulator emulator;
    @TempDir
    static Path scratch;
    static ExecutorService peerPool;
    static final Map<Case, Future<Observed>> peerRuns = new ConcurrentHashMap<>();
    static String npmMissing;
    static String awsMissing;
    static Exception npmInstallFailure;
    static Peers.NpmTool npmTool;

    /** Starts the emulator, installs the npm tool when needed, and starts every peer run in the background. */
    @BeforeAll
    static void startEmulatorAndPeers() throws Exception {
        LocalServers.init();
        emulator = CloudFrontEmulator.start();
        Files.writeString(scratch.resolve("batch.json"), BATCH_JSON);
        AtomicInteger threads = new AtomicInteger();
        peerPool = Executors.newFixedThreadPool(PEER_PARALLELISM, r -> {
            Thread t = new Thread(r, "peer-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        npmMissing = missing("node", "npm");
        if (npmMissing == null) {
            try {
                npmTool = Peers.NpmTool.install(scratch);
                for (Case c : NPM_CASES) peerRuns.put(c, peerPool.submit(() -> runPeer(c)));
            } catch (Exception e) {
                npmInstallFailure = e;
            }
        }
        awsMissing = missing("aws");
        if (awsMissing == null) {
            for (Case c : CLI_CASES) peerRuns.put(c, peerPool.submit(() -> runPeer(c)));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (peerPool != null) {
            peerPool.shutdownNow();
            peerPool.awaitTermination(1, TimeUnit.MINUTES);
        }
        LocalServers.closeAll(emulator);
    }

    static String missing(String... commands) {
        List<String> absent = Arrays.stream(commands).filter(c -> Peers.onPath(c) == null).toList();
        if (absent.isEmpty()) return null;
        return String.join(" and ", absent) + (absent.size() > 1 ? " are" : " is") + " not installed (not on the PATH):"
                + " the cases that compare with " + (commands[0].equals("aws") ? Peer.AWS_CLI.label : Peer.NPM.label) + " are skipped";
    }

    static Observed runPeer(Case c) throws Exception {
        String dist = newDistribution();
        try {
            List<String> argv = Peers.expand(c.fragment(), variables(c, dist), scratch);
            List<Peers.Run> runs = new ArrayList<>();
            for (int i = 0; i < c.runs(); i++) {
                if (c.peer() == Peer.NPM) {
                    runs.add(npmTool.run(argv, c.env(), emulator.endpoint(), scratch));
                } else {
                    List<String> args = new ArrayList<>(List.of("--endpoint-url", emulator.endpoint().toString(), "--distribution-id", dist));
                    args.addAll(argv);
                    runs.add(Peers.awsCli(args, scratch));
                }
            }
            return new Observed(dist, argv, runs, emulator.invalidations(dist));
        } finally {
            emulator.removeDistribution(dist);
        }
    }

    /**
     * invalidate in-process with the case's argv, {@code --endpoint-url} first (so the case's last argument stays last),
     * the build's variables and the local credentials, and an empty stdin.
     */
    static Observed runInvalidate(Case c) throws Exception {
        String dist = newDistribution();
        try {
            List<String> argv = new ArrayList<>(List.of("--endpoint-url", emulator.endpoint().toString()));
            if (c.peer() == Peer.AWS_CLI) argv.addAll(List.of("-c", dist));
            argv.addAll(Peers.expand(c.fragment(), variables(c, dist), scratch));
            Map<String, String> env = new HashMap<>(c.env());
            env.put("AWS_ACCESS_KEY_ID", LocalServers.ACCESS_KEY);
            env.put("AWS_SECRET_ACCESS_KEY", LocalServers.SECRET_KEY);
            List<Peers.Run> runs = new ArrayList<>();
            for (int i = 0; i < c.runs(); i++) runs.add(assertTimeoutPreemptively(INVALIDATE_TIMEOUT, () -> invalidate(argv, env)));
            return new Observed(dist, argv, runs, emulator.invalidations(dist));
        } finally {
            emulator.removeDistribution(dist);
        }
    }

    static Peers.Run invalidate(List<String> argv, Map<String, String> env) {
        var run = InProcess.invalidate(env, "", argv);
        return new Peers.Run(run.exitCode(), run.stdout(), run.stderr());
    }

    /** The variables bash expands the fragment with: the build's, the distribution ($DIST, $DIST_ID) and the batch file. */
    static Map<String, String> variables(Case c, String dist) {
        Map<String, String> vars = new HashMap<>(c.env());
        vars.put("DIST", dist);
        vars.put("DIST_ID", dist);
        vars.put("BATCH_FILE", scratch.resolve("batch.json").toString());
        return vars;
    }

    static String newDistribution() {
        int n = DISTRIBUTIONS.incrementAndGet();
        String id = String.format("EDIFF%09d", n);
        emulator.addDistribution(id, null, List.of(), List.of(CloudFrontEmulator.Origin.s3("differential-" + n)));
        return id;
    }

    static List<Case> all() {
        List<Case> all = new ArrayList<>(NPM_CASES);
        all.addAll(CLI_CASES);
        return all;
    }

    // ---------------------------------------------------------------- declaring cases

    static CaseBuilder npm(String title, String fragment) {
        return new CaseBuilder(Peer.NPM, title, fragment);
    }

    static CaseBuilder cli(String title, String fragment) {
        return new CaseBuilder(Peer.AWS_CLI, title, fragment).on(Map.of());
    }

    /** {@code npm(title, fragment).on(build)[.twice()]} then {@code .both(outcome)} or {@code .peer(a).ours(b).because(...)}. */
    static final class CaseBuilder {
        private final Peer peer;
        private final String title;
        private final String fragment;
        private Map<String, String> env;
        private int runs = 1;
        private String callerReference;
        private Outcome peerOutcome;
        private Outcome oursOutcome;

        CaseBuilder(Peer peer, String title, String fragment) {
            this.peer = peer;
            this.title = title;
            this.fragment = fragment;
        }

        CaseBuilder on(Map<String, String> build) {
            this.env = build;
            return this;
        }

        /** Each tool runs the same command line twice, on the same distribution. */
        CaseBuilder twice() {
            this.runs = 2;
            return this;
        }

        CaseBuilder reference(String expected) {
            this.callerReference = expected;
            return this;
        }

        Case both(Outcome outcome) {
            return build(outcome, outcome, Set.of());
        }

        CaseBuilder peer(Outcome outcome) {
            this.peerOutcome = outcome;
            return this;
        }

        CaseBuilder ours(Outcome outcome) {
            this.oursOutcome = outcome;
            return this;
        }

        Case because(Difference... differences) {
            return build(peerOutcome, oursOutcome, Set.copyOf(Arrays.asList(differences)));
        }

        private Case build(Outcome p, Outcome o, Set<Difference> differences) {
            if (env == null) throw new IllegalStateException("no build for " + title);
            if (p == null || o == null) throw new IllegalStateException("both outcomes must be declared for " + title);
            Set<Difference> sorted = differences.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(differences));
            return new Case(peer, title, fragment, env, runs, p, o, sorted, callerReference);
        }
    }
}
