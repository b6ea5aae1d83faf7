import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Layer 1: the pure planning functions of invalidate.java, table-driven. */
class InvalidatePlanTest {
    private static final class I extends Invalidate {
    }

    static List<String> notes = new ArrayList<>();

    static String normalize(String input) {
        return Invalidate.Invalidations.normalizePath(input, notes::add);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "index.html              | /index.html",
            "/a b.html               | /a%20b.html",
            "/café/ü.html            | /caf%C3%A9/%C3%BC.html",
            "/日本                   | /%E6%97%A5%E6%9C%AC",
            "/100%.html              | /100%25.html",
            "/100%25.html            | /100%25.html",
            "/a%2fb                  | /a%2Fb",
            "/a%zz                   | /a%25zz",
            "/a+b.html               | /a+b.html",
            "/q?x=1&y=2              | /q?x=1&y=2",
            "\"/a\"\"b\"             | /a%22b",
            "/<x>{y}\\^[]`#         | /%3Cx%3E%7By%7D%5C%5E%5B%5D%60%23",
            "/~user/page.html        | /*",
            "/docs/~old/page         | /docs/*",
            "/docs/v~2               | /docs/v*",
            "/blog/*                 | /blog/*",
            "*                       | /*",
            "https://example.com/a/b | /a/b",
            "http://example.com      | /",
            "/(paren)!$&'=,;:@       | /(paren)!$&'=,;:@",
    })
    void normalizesOnePath(String input, String expected) {
        assertEquals(expected, normalize(input));
    }

    @Test
    void encodesAVerticalBar() {
        assertEquals("/a%7Cb", normalize("/a|b"));
    }

    @Test
    void tildeLeavesANoteNamingTheWildcard() {
        List<String> seen = new ArrayList<>();
        Invalidate.Invalidations.normalizePath("/a/~b", seen::add);
        assertEquals(1, seen.size());
        assertTrue(seen.get(0).contains("/a/*"), seen.get(0));
    }

    @ParameterizedTest(name = "{0} is a usage error: {1}")
    @CsvSource(delimiter = '|', value = {
            "/a*b      | '*' is allowed only as the last character",
            "/*/x      | '*' is allowed only as the last character",
            "**        | '*' is allowed only as the last character",
    })
    void rejectsMisplacedWildcard(String input, String message) {
        var e = assertThrows(Invalidate.Invalidations.UsageError.class, () -> normalize(input));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void rejectsControlCharactersAndOverlongPaths() {
        assertThrows(Invalidate.Invalidations.UsageError.class, () -> normalize("/a\nb"));
        assertThrows(Invalidate.Invalidations.UsageError.class, () -> normalize("/a\tb"));
        assertThrows(Invalidate.Invalidations.UsageError.class, () -> normalize("/a\u007fb"));
        assertEquals(4000, normalize("/" + "a".repeat(3999)).length());
        assertThrows(Invalidate.Invalidations.UsageError.class, () -> normalize("/" + "a".repeat(4000)));
        // the limit applies to the encoded form: 1,500 spaces become 4,500 characters
        assertThrows(Invalidate.Invalidations.UsageError.class, () -> normalize("/" + " ".repeat(1500)));
    }

    @Test
    void dropsDuplicatesAndPathsCoveredByAWildcardAndSorts() {
        var n = Invalidate.Invalidations.normalize(List.of("/b", "a", "/a", "/c/*", "/c/x", "/c/", "/c*", "/d", "/blog/*", "/blog/2024/x"));
        assertEquals(List.of("/a", "/b", "/blog/*", "/c*", "/d"), n.paths());
    }

    @ParameterizedTest(name = "{0} under {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "public/a/b.css         | public   | /a/b.css",
            "public/x/index.html    | public   | /x/ /x/index.html",
            "public/index.html      | public   | / /index.html",
            "./public/x/y/index.html| public/  | /x/y/ /x/y/index.html",
            "public/index.htm       | public   | /index.htm",
            "public/aindex.html     | public   | /aindex.html",
            "src/main.go            | public   | ''",
            "publicity/a.html       | public   | ''",
            "a/b.css                | .        | /a/b.css",
    })
    void mapsFilesToUrls(String file, String root, String expected) {
        List<String> urls = new ArrayList<>();
        Invalidate.Invalidations.keysOfFiles(root, List.of(file), s -> { }).forEach(k -> urls.addAll(Invalidate.Invalidations.urlsOfKey(k, s -> { })));
        assertEquals(expected.isEmpty() ? List.of() : Arrays.asList(expected.split(" ")), urls);
    }

    @Test
    void notesFilesOutsideTheRoot() {
        List<String> seen = new ArrayList<>();
        Invalidate.Invalidations.keysOfFiles("public", List.of("README.md", "src/x", "public/a"), seen::add);
        assertEquals(List.of("2 input(s) not under public ignored"), seen);
    }

    /** A key is a name, not a typed path: its '%' is a character, its '?' and '#' would end a browser's path. */
    @ParameterizedTest(name = "key {0} -> {1}")
    @CsvSource(delimiterString = " => ", value = {
            "100%25.html => /100%2525.html",
            "100%.html => /100%25.html",
            "what?.html => /what%3F.html",
            "#hash.html => /%23hash.html",
            "a b/c d.html => /a%20b/c%20d.html",
            "a+b.html => /a+b.html",
            "a;b=c&d.html => /a;b=c&d.html",
            "caf\u00e9/index.html => /caf%C3%A9/ /caf%C3%A9/index.html",
            "x/index.html => /x/ /x/index.html",
            "index.html => / /index.html",
            "a|b^c[d]{e}`f\"g<h>.css => /a%7Cb%5Ec%5Bd%5D%7Be%7D%60f%22g%3Ch%3E.css",
            "docs/~old/a.html => /docs/*",
            "a*b.html => /a*",
            "~u/index.html => /*",
    })
    void mapsKeysToTheUrlsABrowserRequests(String key, String expected) {
        assertEquals(list(expected), Invalidate.Invalidations.urlsOfKey(key, s -> { }));
    }

    @Test
    void readsFileNamesAsGitQuotesThem() {
        // git diff --name-only quotes a name with non-ASCII or control characters (core.quotePath, on by default)
        assertEquals(List.of("caf\u00e9.html", "a\"b\td.html", "plain.html", "\"q.html"),
                Invalidate.Invalidations.keysOfFiles("public", List.of("\"public/caf\\303\\251.html\"", "\"public/a\\\"b\\td.html\"",
                        "public/plain.html", "public/\"q.html"), s -> { }));
        var n = Invalidate.Invalidations.urlsOfKeys(Invalidate.Invalidations.keysOfFiles("public",
                Invalidate.Invalidations.readPathList("\"public/caf\\303\\251.html\"\n"), s -> { }));
        assertEquals(List.of("/caf%C3%A9.html"), n.paths());
    }

    @Test
    void aFileNamedLikeAnEscapeIsInvalidatedByItsOwnUrl() {
        var n = Invalidate.Invalidations.urlsOfKeys(Invalidate.Invalidations.keysOfFiles("public", List.of("public/100%25.html", "public/what?.html", "public/a~b.html"), s -> { }));
        assertEquals(List.of("/100%2525.html", "/a*", "/what%3F.html"), n.paths());
        assertEquals(1, n.notes().size(), n.notes().toString());
    }

    static List<String> list(String spaceSeparated) {
        return spaceSeparated.isBlank() ? List.of() : Arrays.asList(spaceSeparated.trim().split("\\s+"));
    }

    @ParameterizedTest(name = "{0} within {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            // under budget: unchanged
            "/a /b /c                                   | 3 | /a /b /c",
            // one directory removes enough on its own: the deepest such one
            "/a /docs/x/1 /docs/x/2 /docs/y             | 3 | /a /docs/x/* /docs/y",
            "/a /docs/x/1 /docs/x/2 /docs/y             | 2 | /a /docs/*",
            // nothing deep enough: the root wildcard
            "/a /b /c                                   | 1 | /*",
            // deepest first, even when a shallower directory would do it in one step: /* would throw away the whole cache
            "/p/1 /p/2 /p/3 /q/r/1 /q/r/2 /z            | 3 | /p/* /q/r/* /z",
            // among equally deep directories, the one that removes the most
            "/p/1 /p/2 /p/3 /q/1 /q/2 /z                | 4 | /p/* /q/1 /q/2 /z",
            // wildcards already present count as paths
            "/p/* /p2/1 /p2/2                           | 2 | /p/* /p2/*",
    })
    void collapsesToDirectoryWildcardsWhenOverBudget(String paths, int max, String expected) {
        assertEquals(list(expected), Invalidate.Invalidations.collapse(list(paths), max));
    }

    @Test
    void collapseNeverLeavesMoreThanFifteenWildcards() {
        List<String> paths = IntStream.range(0, 40).boxed()
                .flatMap(i -> java.util.stream.Stream.of("/d" + i + "/a", "/d" + i + "/b")).toList();
        List<String> collapsed = Invalidate.Invalidations.collapse(paths, 30);
        assertTrue(collapsed.size() <= 30, collapsed.toString());
        assertTrue(collapsed.stream().filter(p -> p.endsWith("*")).count() <= 15, collapsed.toString());
        // every input path is still covered
        for (String p : paths) {
            assertTrue(collapsed.stream().anyMatch(c -> c.equals(p) || (c.endsWith("*") && p.startsWith(c.substring(0, c.length() - 1)))), p);
        }
    }

    @Test
    void collapseRejectsABudgetBelowOne() {
        assertThrows(Invalidate.Invalidations.UsageError.class, () -> Invalidate.Invalidations.collapse(List.of("/a"), 0));
    }

    @Test
    void splitsIntoBatchesWithinTheInProgressLimits() {
        List<String> paths = new ArrayList<>(IntStream.range(0, 3001).mapToObj(i -> String.format("/f%05d", i)).toList());
        var batches = Invalidate.Invalidations.batches(paths);
        assertEquals(List.of(3000, 1), batches.stream().map(List::size).toList());
        List<String> wild = IntStream.range(0, 20).mapToObj(i -> "/w" + i + "/*").toList();
        assertEquals(List.of(15, 5), Invalidate.Invalidations.batches(wild).stream().map(List::size).toList());
        assertEquals(List.of(List.of("/a")), Invalidate.Invalidations.batches(List.of("/a")));
    }

    @Test
    void derivesTheSameCallerReferenceForTheSameCiRunPathsAndContent() {
        var refs = Invalidate.Invalidations.callerReferences(null, "E1", "", List.of(List.of("/a", "/b")), "github-42", "u1");
        var again = Invalidate.Invalidations.callerReferences(null, "E1", "", List.of(List.of("/a", "/b")), "github-42", "u2");
        assertEquals(refs, again);
        var otherRun = Invalidate.Invalidations.callerReferences(null, "E1", "", List.of(List.of("/a", "/b")), "github-43", "u1");
        var otherPaths = Invalidate.Invalidations.callerReferences(null, "E1", "", List.of(List.of("/a")), "github-42", "u1");
        var otherDist = Invalidate.Invalidations.callerReferences(null, "E2", "", List.of(List.of("/a", "/b")), "github-42", "u1");
        var otherContent = Invalidate.Invalidations.callerReferences(null, "E1", "put a.html 0cc175b9", List.of(List.of("/a", "/b")), "github-42", "u1");
        var otherContentAgain = Invalidate.Invalidations.callerReferences(null, "E1", "put a.html 0cc175b9", List.of(List.of("/a", "/b")), "github-42", "u2");
        assertTrue(!refs.equals(otherRun) && !refs.equals(otherPaths) && !refs.equals(otherDist) && !refs.equals(otherContent));
        assertEquals(otherContent, otherContentAgain, "the same content in the same run: the same reference");
        // invalidate has no content: its references stay what they were before content was part of them
        assertEquals(List.of("invalidate-github-42-" + Invalidate.Invalidations.sha256("E1\n/a\n/b").substring(0, 24)), refs);
        // outside CI: unique per call
        var local1 = Invalidate.Invalidations.callerReferences(null, "E1", "", List.of(List.of("/a")), null, "u1");
        var local2 = Invalidate.Invalidations.callerReferences(null, "E1", "", List.of(List.of("/a")), null, "u2");
        assertTrue(!local1.equals(local2));
        // given: as is, numbered for several batches
        assertEquals(List.of("deploy-7"), Invalidate.Invalidations.callerReferences("deploy-7", "E1", "", List.of(List.of("/a")), null, "u"));
        assertEquals(List.of("r.1", "r.2"), Invalidate.Invalidations.callerReferences("r", "E1", "", List.of(List.of("/a"), List.of("/b")), null, "u"));
    }

    @Test
    void theSdksRetrySettingsRuleWhenGiven() {
        assertTrue(!Invalidate.Invalidations.retriesConfigured(env()));
        assertTrue(!Invalidate.Invalidations.retriesConfigured(env("AWS_MAX_ATTEMPTS", " ")));
        assertTrue(Invalidate.Invalidations.retriesConfigured(env("AWS_MAX_ATTEMPTS", "1")));
        assertTrue(Invalidate.Invalidations.retriesConfigured(env("AWS_RETRY_MODE", "adaptive")));
    }

    @Test
    void saysWhatTheWebIdentityProviderSaidWhenItWasConfigured() {
        String chain = "Unable to load credentials from any of the providers in the chain AwsCredentialsProviderChain(credentialsProviders=["
                + "SystemPropertyCredentialsProvider(), EnvironmentVariableCredentialsProvider(), WebIdentityTokenFileCredentialsProvider(), "
                + "ProfileCredentialsProvider(profileName=default), ContainerCredentialsProvider(), InstanceProfileCredentialsProvider()]) : "
                + "[SystemPropertyCredentialsProvider(): Unable to load credentials from system settings., "
                + "EnvironmentVariableCredentialsProvider(): Unable to load credentials from system settings., "
                + "WebIdentityTokenFileCredentialsProvider(): %s, ProfileCredentialsProvider(profileName=default): Profile file contained no credentials, "
                + "ContainerCredentialsProvider(): Cannot fetch credentials from container, InstanceProfileCredentialsProvider(): Failed to load]";
        var refused = software.amazon.awssdk.core.exception.SdkClientException.create(chain.formatted(
                "Not authorized to perform sts:AssumeRoleWithWebIdentity (Service: Sts, Status Code: 403, Request ID: 1a2b)"));
        assertEquals("Not authorized to perform sts:AssumeRoleWithWebIdentity (Service: Sts, Status Code: 403, Request ID: 1a2b)",
                Invalidate.Invalidations.Cli.webIdentityFailure(refused));
        var notConfigured = software.amazon.awssdk.core.exception.SdkClientException.create(chain.formatted(
                "Either the environment variable AWS_WEB_IDENTITY_TOKEN_FILE or the javaproperty aws.webIdentityTokenFile must be set."));
        assertEquals(null, Invalidate.Invalidations.Cli.webIdentityFailure(notConfigured));
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        assertEquals(1, Invalidate.Invalidations.Cli.report(refused, "invalidate", new java.io.PrintStream(err, true), false, List.of()));
        assertTrue(err.toString().startsWith("invalidate: error: web identity (OIDC) credentials failed: Not authorized"), err.toString());
    }

    static Map<String, String> env(String... kv) {
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) env.put(kv[i], kv[i + 1]);
        return env;
    }

    @Test
    void detectsTheCiRunBranchAndPullRequest() {
        var github = Invalidate.Invalidations.Ci.detect(env("GITHUB_ACTIONS", "true", "GITHUB_RUN_ID", "99", "GITHUB_RUN_ATTEMPT", "2",
                "GITHUB_EVENT_NAME", "push", "GITHUB_REF_NAME", "main"));
        assertEquals(new Invalidate.Invalidations.Ci("GitHub Actions", "github-99", "main", null), github);
        var githubPr = Invalidate.Invalidations.Ci.detect(env("GITHUB_ACTIONS", "true", "GITHUB_RUN_ID", "99",
                "GITHUB_EVENT_NAME", "pull_request", "GITHUB_REF", "refs/pull/7/merge", "GITHUB_HEAD_REF", "feature"));
        assertEquals("7", githubPr.pullRequest());
        var target = Invalidate.Invalidations.Ci.detect(env("GITHUB_ACTIONS", "true", "GITHUB_EVENT_NAME", "pull_request_target"));
        assertEquals("yes", target.pullRequest());
        var travis = Invalidate.Invalidations.Ci.detect(env("TRAVIS", "true", "TRAVIS_BUILD_ID", "5", "TRAVIS_BRANCH", "master", "TRAVIS_PULL_REQUEST", "false"));
        assertEquals(new Invalidate.Invalidations.Ci("Travis CI", "travis-5", "master", null), travis);
        var travisPr = Invalidate.Invalidations.Ci.detect(env("TRAVIS", "true", "TRAVIS_PULL_REQUEST", "12"));
        assertEquals("12", travisPr.pullRequest());
        var gitlab = Invalidate.Invalidations.Ci.detect(env("GITLAB_CI", "true", "CI_PIPELINE_ID", "8", "CI_COMMIT_REF_NAME", "dev", "CI_MERGE_REQUEST_IID", "3"));
        assertEquals(new Invalidate.Invalidations.Ci("GitLab CI", "gitlab-8", "dev", "3"), gitlab);
        assertEquals(new Invalidate.Invalidations.Ci(null, null, null, null), Invalidate.Invalidations.Ci.detect(env("CI", "true")));
    }

    @Test
    void decidesWhenToSkip() {
        var none = new Invalidate.Invalidations.Ci(null, null, null, null);
        var pr = new Invalidate.Invalidations.Ci("Travis CI", "travis-1", "master", "12");
        assertEquals(Optional.empty(), Invalidate.Invalidations.skipReason(none, null, null, null, false));
        assertTrue(Invalidate.Invalidations.skipReason(none, null, "12", null, false).isPresent(), "-p 12 skips");
        assertEquals(Optional.empty(), Invalidate.Invalidations.skipReason(none, null, "false", null, false));
        assertEquals(Optional.empty(), Invalidate.Invalidations.skipReason(none, null, "12", null, true));
        assertTrue(Invalidate.Invalidations.skipReason(pr, null, null, null, false).isPresent(), "the CI's pull request skips");
        assertEquals(Optional.empty(), Invalidate.Invalidations.skipReason(pr, null, "false", null, false), "-p false wins over the CI");
        // the pull-request check comes first: a Travis PR's branch is its target, which would match
        assertTrue(Invalidate.Invalidations.skipReason(pr, "master", null, List.of("master"), false).get().contains("pull request"));
        assertEquals(Optional.empty(), Invalidate.Invalidations.skipReason(none, "master", null, List.of("master", "release/*"), false));
        assertEquals(Optional.empty(), Invalidate.Invalidations.skipReason(none, "release/1.2", null, List.of("master", "release/*"), false));
        assertTrue(Invalidate.Invalidations.skipReason(none, "dev", null, List.of("master", "release/*"), false).get().contains("dev"));
        assertTrue(Invalidate.Invalidations.skipReason(none, null, null, List.of("master"), false).get().contains("branch unknown"));
        var ciBranch = new Invalidate.Invalidations.Ci("GitLab CI", "gitlab-1", "main", null);
        assertEquals(Optional.empty(), Invalidate.Invalidations.skipReason(ciBranch, null, null, List.of("main"), false));
    }

    /** travis-ci-cloudfront-invalidation's rules: its lines always pass -b, its -o defaults to master, its -p is a PR unless exactly 'false'. */
    @ParameterizedTest(name = "-b {0} -o {1} -p {2} on branch {3}: skips {4}")
    @CsvSource(delimiter = '|', nullValues = "null", value = {
            // no -b, no -o: any branch (invalidate -c ID /path as it always was), the CI's pull request still skips
            "null       | null          | null    | develop | false",
            // -b without -o: only master, as in the npm tool
            "develop    | null          | false   | null    | true",
            "master     | null          | false   | null    | false",
            "' master ' | null          | false   | null    | false",
            "main       | null          | false   | null    | true",
            "''         | null          | false   | null    | true",
            // -o empty (or only commas and blanks) falls back to master
            "master     | ''            | false   | null    | false",
            "develop    | ''            | false   | null    | true",
            "master     | ' , '         | false   | null    | false",
            // -o items trimmed; globs
            "stage      | 'master, stage' | false | null    | false",
            "feature    | 'master, stage' | false | null    | true",
            "release/2  | 'release/*'   | false   | null    | false",
            // -o without -b: the CI's branch
            "null       | main          | null    | main    | false",
            "null       | main          | null    | develop | true",
            // -p: anything but the exact string false is a pull request, an empty one included
            "master     | null          | ''      | null    | true",
            "master     | null          | 'true'  | null    | true",
            "master     | null          | '12'    | null    | true",
            "master     | null          | ' false'| null    | true",
            "master     | null          | 'False' | null    | true",
    })
    void followsTheNpmToolsBranchAndPullRequestRules(String branch, String only, String pr, String ciBranch, boolean skips) {
        var ci = new Invalidate.Invalidations.Ci(ciBranch == null ? null : "GitLab CI", null, ciBranch, null);
        List<String> onlyBranches = only == null ? null : List.of(only.split(",", -1));
        var reason = Invalidate.Invalidations.skipReason(ci, branch, pr, onlyBranches, false);
        assertEquals(skips, reason.isPresent(), reason.orElse("no skip"));
    }

    @Test
    void saysWhyMasterWhenTheNpmDefaultSkips() {
        var none = new Invalidate.Invalidations.Ci(null, null, null, null);
        String why = Invalidate.Invalidations.skipReason(none, "develop", "false", null, false).orElseThrow();
        assertTrue(why.contains("only master invalidates") && why.contains("-o"), why);
        assertEquals(List.of(), Invalidate.Invalidations.branchFilter(null, null));
        assertEquals(List.of("master"), Invalidate.Invalidations.branchFilter("x", null));
        assertEquals(List.of("master"), Invalidate.Invalidations.branchFilter(null, List.of("")));
        assertEquals(List.of("a", "b/*"), Invalidate.Invalidations.branchFilter("x", List.of(" a", "", "b/* ")));
    }

    @ParameterizedTest(name = "-i {0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "'/index.html, /blog/*' | /index.html /blog/*",
            "'test, test2'          | test test2",
            "/a                     | /a",
            "' /a ,/b'              | /a /b",
    })
    void splitsAndTrimsItemsLikeTheNpmTool(String value, String expected) {
        assertEquals(list(expected), Invalidate.splitItems(List.of(value)));
    }

    @ParameterizedTest(name = "-i ''{0}'' is refused")
    @ValueSource(strings = {"", " ", "/a.html,,/b.html", "/a.html,", ",/a", "/a, ,/b"})
    void refusesEmptyItems(String value) {
        var e = assertThrows(Invalidate.Invalidations.UsageError.class, () -> Invalidate.splitItems(List.of(value)));
        assertTrue(e.getMessage().contains("empty item"), e.getMessage());
    }

    @Test
    void refusesAnEmptyPath() {
        assertThrows(Invalidate.Invalidations.UsageError.class, () -> normalize(""));
    }

    @ParameterizedTest(name = "tag {0}")
    @ValueSource(strings = {"#product:tv", "#Product:TV", "#a", "#!~{}[]|\\^`\"<>%/?=&", "#x/y/z"})
    void passesCacheTagsThroughUnencoded(String tag) {
        assertEquals(tag, normalize(tag));
    }

    @Test
    void checksCacheTags() {
        assertEquals(257, normalize("#" + "t".repeat(256)).length());
        for (String bad : List.of("#", "#a,b", "#a b", "#caf\u00e9", "#a*", "#*", "#" + "t".repeat(257), "#a\tb")) {
            var e = assertThrows(Invalidate.Invalidations.UsageError.class, () -> normalize(bad), bad);
            assertTrue(e.getMessage().contains("cache tag"), e.getMessage());
        }
    }

    @Test
    void keepsTagsApartFromPaths() {
        var n = Invalidate.Invalidations.normalize(List.of("#Product:TV", "/a", "#product:tv", "/*", "#other"));
        assertEquals(List.of("#Product:TV", "#other", "/*"), n.paths(), "tags equal ignoring case are one; /* covers paths, not tags");
        assertEquals(List.of("#t1", "#t2", "/docs/*"), Invalidate.Invalidations.collapse(List.of("#t1", "#t2", "/docs/a", "/docs/b"), 3));
        assertEquals(List.of("#t1", "#t2", "#t3"), Invalidate.Invalidations.collapse(List.of("#t1", "#t2", "#t3"), 3));
        assertThrows(Invalidate.Invalidations.UsageError.class, () -> Invalidate.Invalidations.collapse(List.of("#t1", "#t2", "/a"), 2));
        assertThrows(Invalidate.Invalidations.UsageError.class, () -> Invalidate.Invalidations.collapse(List.of("#t1", "#t2"), 1));
        assertEquals(List.of(List.of("#t", "/a")), Invalidate.Invalidations.batches(List.of("#t", "/a")));
    }

    @ParameterizedTest(name = "--invalidation-batch {0}")
    @ValueSource(strings = {
            "Paths={Quantity=2,Items=[/a,/b c]},CallerReference=ref-1",
            "Paths={Quantity=2,Items=[\"/a\",'/b c']},CallerReference=\"ref-1\"",
            "{\"Paths\": {\"Quantity\": 2, \"Items\": [\"/a\", \"/b c\"]}, \"CallerReference\": \"ref-1\"}",
            " { \"CallerReference\" : \"ref-1\", \"Paths\" : { \"Items\" : [ \"/a\" , \"/b\\u0020c\" ], \"Quantity\" : 2 } } ",
    })
    void readsTheAwsClisInvalidationBatch(String text) {
        var batch = Invalidate.CliBatch.parse(text, f -> { throw new AssertionError("no file"); });
        assertEquals(List.of("/a", "/b c"), batch.items());
        assertEquals("ref-1", batch.callerReference());
    }

    @Test
    void readsAnInvalidationBatchFromAFileAndWithoutAReference() {
        var batch = Invalidate.CliBatch.parse("file://batch.json", f -> f.equals("batch.json") ? "{\"Paths\":{\"Quantity\":1,\"Items\":[\"#tag\"]}}" : "");
        assertEquals(List.of("#tag"), batch.items());
        assertEquals(null, batch.callerReference());
    }

    @ParameterizedTest(name = "--invalidation-batch {0} is refused")
    @ValueSource(strings = {
            "Paths={Quantity=3,Items=[/a,/b]},CallerReference=r",
            "{\"Paths\":{\"Quantity\":1,\"Items\":[\"/a\"]},\"CallerReference\":\"\"}",
            "{\"Paths\":{\"Quantity\":1,\"Items\":[1]}}",
            "{\"Paths\":{\"Quantity\":1,\"Items\":[\"/a\"]},\"Other\":1}",
            "{\"Paths\":{\"Quantity\":1,\"Items\":[\"/a\"]}",
            "Paths=/a",
            "/a,/b",
            "",
    })
    void refusesABadInvalidationBatch(String text) {
        assertThrows(Invalidate.Invalidations.UsageError.class, () -> Invalidate.CliBatch.parse(text, f -> ""));
    }

    @ParameterizedTest(name = "{0} = {1} s")
    @CsvSource({"90s, 90", "30m, 1800", "1h, 3600", "1h30m, 5400", "45, 45", "PT2M, 120", "2m30s, 150"})
    void parsesDurations(String text, long seconds) {
        assertEquals(Duration.ofSeconds(seconds), Invalidate.Invalidations.parseDuration(text));
    }

    @Test
    void rejectsBadDurations() {
        for (String bad : List.of("", "abc", "10x", "m10", "1h-", "PTX")) {
            assertThrows(picocli.CommandLine.TypeConversionException.class, () -> Invalidate.Invalidations.parseDuration(bad), bad);
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "my-bucket.s3.amazonaws.com                    | my-bucket",
            "my.bucket.s3.us-east-1.amazonaws.com          | my.bucket",
            "site.s3-website-eu-west-1.amazonaws.com       | site",
            "site.s3-website.eu-central-1.amazonaws.com    | site",
            "cn.s3.cn-north-1.amazonaws.com.cn             | cn",
            "example.com                                   | ''",
            "api.example.execute-api.us-east-1.amazonaws.com | ''",
    })
    void findsTheBucketOfAnOrigin(String domain, String bucket) {
        String found = new Invalidate.Invalidations.Origin("o", domain, "").bucket();
        assertEquals(bucket.isEmpty() ? null : bucket, found);
    }

    @Test
    void findsADistributionByAliasDomainOrBucket() {
        var a = new Invalidate.Invalidations.Distribution("EA", "d1.cloudfront.net", List.of("www.example.com"),
                List.of(new Invalidate.Invalidations.Origin("o", "site-a.s3.amazonaws.com", "")));
        var b = new Invalidate.Invalidations.Distribution("EB", "d2.cloudfront.net", List.of(),
                List.of(new Invalidate.Invalidations.Origin("o", "shared.s3.amazonaws.com", "/b")));
        var c = new Invalidate.Invalidations.Distribution("EC", "d3.cloudfront.net", List.of(),
                List.of(new Invalidate.Invalidations.Origin("o", "shared.s3.amazonaws.com", "/c")));
        var all = List.of(a, b, c);
        assertEquals("EA", Invalidate.Invalidations.findDistribution(all, "WWW.example.com").id());
        assertEquals("EB", Invalidate.Invalidations.findDistribution(all, "d2.cloudfront.net").id());
        assertEquals("EA", Invalidate.Invalidations.findDistribution(all, "site-a").id());
        assertEquals("EA", Invalidate.Invalidations.findDistribution(all, "s3://site-a/").id());
        var ambiguous = assertThrows(Invalidate.Invalidations.Failure.class, () -> Invalidate.Invalidations.findDistribution(all, "shared"));
        assertTrue(ambiguous.getMessage().contains("EB") && ambiguous.getMessage().contains("EC"), ambiguous.getMessage());
        assertThrows(Invalidate.Invalidations.Failure.class, () -> Invalidate.Invalidations.findDistribution(all, "nothing.example"));
    }

    @Test
    void rendersTheAwsCliShape() {
        var r = new Invalidate.Invalidations.Result("E1", "https://cloudfront.amazonaws.com/2020-05-31/distribution/E1/invalidation/I1",
                "I1", "InProgress", java.time.Instant.parse("2026-01-02T03:04:05.678Z"), List.of("/a", "/\"q\""), "ref");
        String json = Invalidate.Invalidations.json(r).render("");
        assertEquals("""
                {
                    "Location": "https://cloudfront.amazonaws.com/2020-05-31/distribution/E1/invalidation/I1",
                    "Invalidation": {
                        "Id": "I1",
                        "Status": "InProgress",
                        "CreateTime": "2026-01-02T03:04:05.678Z",
                        "InvalidationBatch": {
                            "Paths": {
                                "Quantity": 2,
                                "Items": [
                                    "/a",
                                    "/\\"q\\""
                                ]
                            },
                            "CallerReference": "ref"
                        }
                    }
                }""", json);
    }

    @Test
    void statesTheCostBeyondTheFreeTier() {
        assertEquals("1 path: free within the account's 1,000 free paths this month, else $0.005", Invalidate.Invalidations.cost(1));
        assertEquals("3001 paths: free within the account's 1,000 free paths this month, else $15.005", Invalidate.Invalidations.cost(3001));
    }

    @Test
    void redactsSecrets() {
        assertEquals("key **** here", Invalidate.Invalidations.Cli.redact("key s3cr3tvalue here", List.of("s3cr3tvalue")));
    }
}
