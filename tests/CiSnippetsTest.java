//DEPS org.yaml:snakeyaml:2.4

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

import software.amazon.awssdk.services.s3.S3Client;

/**
 * The README's "CI snippets" and this repository's action.yml, read from the files themselves: each block is checked
 * for what its CI requires, then run in order with bash against moto, the CloudFront emulator and an STS stand-in, with
 * that CI's variables set ({@link CiSimulator}). {@code jbang}, {@code hugo} and {@code git clone} of {@code ORG/REPO}
 * are shims on the PATH (this repository's launcher, a small site, this working tree); actions and install steps that
 * download from the internet are replaced by what they do; anything else that reaches for the network fails.
 */
class CiSnippetsTest {
    static final String BUCKET = "www.example.com";
    static final String DIST = "EEXAMPLESITE01";
    static final String ROLE = "arn:aws:iam::123456789012:role/site-deploy";
    static final String GITHUB_DEPLOY = ".github/workflows/deploy.yml";
    static final String GITHUB_JBANG = ".github/workflows/deploy-jbang.yml";
    static final String GITHUB_INVALIDATE = ".github/workflows/invalidate.yml";
    static final String GITLAB = ".gitlab-ci.yml";
    static final String TRAVIS = ".travis.yml";
    static final String SHELL = "deploy.sh";
    static final Set<String> SNIPPETS = Set.of(GITHUB_DEPLOY, GITHUB_JBANG, GITHUB_INVALIDATE, GITLAB, TRAVIS, SHELL);
    static final String ACTION = "ORG/REPO";
    /** The first major of each action that runs on Node 24 (GitHub removed the Node 20 runtime in September 2026). */
    static final Map<String, Integer> NODE24_MAJOR = Map.of("actions/checkout", 5, "actions/cache", 5, "actions/setup-java", 5,
            "aws-actions/configure-aws-credentials", 6);
    /** What the hugo shim builds: a Hugo-like site, a fingerprinted asset included. */
    static final Map<String, String> SITE = new TreeMap<>(Map.of(
            "index.html", "<h1>Home</h1>",
            "posts/hello/index.html", "<h1>Hello</h1>",
            "css/site.3f2a1b9c.css", "body{}",
            "sitemap.xml", "<urlset/>",
            "404.html", "<h1>Not found</h1>"));

    static LocalServers.Moto moto;
    static CloudFrontEmulator cloudFront;
    static StsEmulator sts;
    static S3Client s3;
    static Path repo;
    static Map<String, Snippet> snippets;
    static Map<String, Object> action;

    @TempDir
    static Path classTmp;
    static Path shims;

    @TempDir
    Path tmp;

    record Snippet(String file, String language, String text) {
    }

    @BeforeAll
    static void start() throws Exception {
        LocalServers.init();
        repo = LocalServers.repoRoot();
        snippets = snippets(Files.readString(repo.resolve("README.md"), StandardCharsets.UTF_8));
        action = yaml(Files.readString(repo.resolve("action.yml"), StandardCharsets.UTF_8));
        moto = LocalServers.Moto.start();
        cloudFront = CloudFrontEmulator.start();
        cloudFront.addDistribution(DIST, null, List.of(BUCKET), List.of(CloudFrontEmulator.Origin.s3(BUCKET)));
        sts = StsEmulator.start();
        s3 = TestS3.client(moto.endpoint());
        shims = writeShims(classTmp.resolve("shims"));
        // Build both scripts once up front, as a user's first run would, so the runs below are warm.
        for (String alias : List.of("deploy-site", "invalidate")) {
            var help = LocalServers.jbang(LocalServers.cleanEnvironment(Map.of()), null, alias, "--help");
            assertEquals(0, help.exitCode(), help::toString);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        LocalServers.closeAll(s3, sts, cloudFront, moto);
    }

    @BeforeEach
    void fresh() throws Exception {
        moto.reset();
        cloudFront.reset();
        sts.reset();
        s3.createBucket(b -> b.bucket(BUCKET));
    }

    // ================================================================================================ what each CI requires

    @Test
    void theSectionHoldsExactlyTheTestedSnippetsAndEachHasWhatItsCiRequires() {
        assertEquals(new TreeSet<>(SNIPPETS), new TreeSet<>(snippets.keySet()),
                "every block of the README's CI snippets names its file on its first line, and each is tested here");
        assertEquals(List.of(), githubProblems(yaml(text(GITHUB_DEPLOY))), GITHUB_DEPLOY);
        assertEquals(List.of(), githubProblems(yaml(text(GITHUB_JBANG))), GITHUB_JBANG);
        assertEquals(List.of(), githubProblems(yaml(text(GITHUB_INVALIDATE))), GITHUB_INVALIDATE);
        assertEquals(List.of(), gitlabProblems(yaml(text(GITLAB))), GITLAB);
        assertEquals(List.of(), travisProblems(yaml(text(TRAVIS))), TRAVIS);
        assertEquals(List.of(), shellProblems(text(SHELL)), SHELL);
        assertEquals(List.of(), actionProblems(action), "action.yml");
        assertTrue(text(GITHUB_DEPLOY).contains("uses: " + ACTION + "@v1"), "the GitHub section uses the action");
        assertTrue(text(GITHUB_JBANG).contains("jbang deploy-site@" + ACTION), "and shows the raw jbang form beside it");
    }

    @Test
    void aBrokenSnippetIsCaught() throws Exception {
        String deploy = text(GITHUB_DEPLOY);
        assertProblem(githubProblems(yaml(withoutKey(deploy, "on"))), "no on:");
        assertProblem(githubProblems(yaml(withoutKey(deploy, "permissions"))), "id-token: write");
        assertProblem(githubProblems(yaml(deploy.replace("actions/checkout@v7", "actions/checkout@main"))), "not pinned");
        assertProblem(githubProblems(yaml(deploy.replace("actions/checkout@v7", "actions/checkout@v4"))), "Node 20");
        assertProblem(githubProblems(yaml(deploy.replace("aws-actions/configure-aws-credentials@v6",
                "aws-actions/configure-aws-credentials@v5"))), "Node 20");
        assertProblem(githubProblems(yaml(deploy.replace("run: hugo --minify", "run: hugo --baseURL ${{ github.event.inputs.url }}"))),
                "script injection");
        String jbang = text(GITHUB_JBANG);
        assertProblem(githubProblems(yaml(jbang.replace("actions/cache@v6", "jbangdev/setup-jbang@main"))),
                "not pinned");

        String actionText = Files.readString(repo.resolve("action.yml"), StandardCharsets.UTF_8);
        assertProblem(actionProblems(yaml(actionText.replace("tools=$GITHUB_ACTION_PATH", "tools=${{ inputs.source }}"))),
                "script injection");
        assertProblem(actionProblems(yaml(withoutKey(actionText, "outputs"))), "output invalidation-id");
        assertProblem(actionProblems(yaml(actionText.replace("using: composite", "using: node24"))), "composite");

        String gitlab = text(GITLAB);
        assertProblem(gitlabProblems(yaml(withoutKey(gitlab, "id_tokens"))), "id_tokens");
        assertProblem(gitlabProblems(yaml(gitlab.replace("aud: sts.amazonaws.com", "aud: https://gitlab.com"))), "id_tokens");
        assertProblem(gitlabProblems(yaml(withoutKey(gitlab, "cache"))), "cache");

        String travis = text(TRAVIS);
        String afterDeploy = withoutKey(travis, "deploy") + "after_deploy:\n  - .site-tools/jbang .site-tools/deploy-site.java public s3://x\n";
        assertProblem(travisProblems(yaml(afterDeploy)), "after_deploy");
        assertProblem(travisProblems(yaml(withoutKey(travis, "install"))), "installs");

        assertProblem(shellProblems(text(SHELL).replace("set -euo pipefail", "")), "set -euo pipefail");
    }

    // ================================================================================================ GitHub Actions

    @Test
    void githubWorkflowWithTheActionDeploysTheSite() throws Exception {
        var job = github(origin(Map.of("hugo.toml", "title = 'site'\n")));
        var outcome = job.runner().runJob(checked(GITHUB_DEPLOY), "deploy");
        assertTrue(outcome.success(), outcome::toString);
        assertEquals(SITE, bucket(), outcome::toString);
        var invalidations = cloudFront.invalidations(DIST);
        assertEquals(1, invalidations.size(), outcome::toString);
        Map<String, String> outputs = outcome.step(ACTION + "@v1").outputs();
        assertEquals(invalidations.get(0).id(), outputs.get("invalidation-id"), outcome::toString);
        assertEquals(String.valueOf(SITE.size()), outputs.get("uploaded"));
        assertEquals("0", outputs.get("deleted"));
        assertTrue(outcome.step("Report").log().contains("uploaded " + SITE.size() + " file(s), invalidation " + invalidations.get(0).id()),
                outcome::toString);
        assertTrue(job.runner().summary().contains(invalidations.get(0).id()), job.runner()::summary);
        assertEquals("Completed", invalidations.get(0).status(), "--wait");
    }

    @Test
    void githubWorkflowWithJBangDeploysTheSiteAfterTrustingTheCatalog() throws Exception {
        String workflow = text(GITHUB_JBANG);
        String untrusted = workflow.replaceAll("(?m)^\\s*- run: jbang trust add .*\\n", "");
        assertFalse(untrusted.equals(workflow));
        var refused = github(origin(Map.of())).runner().runJob(yaml(untrusted), "deploy");
        assertFalse(refused.success(), refused::toString);
        assertEquals(10, refused.steps().get(refused.steps().size() - 1).exitCode(), "JBang stops an untrusted catalog with 10 in CI");
        assertEquals(Map.of(), bucket());

        var outcome = github(origin(Map.of())).runner().runJob(checked(GITHUB_JBANG), "deploy");
        assertTrue(outcome.success(), outcome::toString);
        assertEquals(SITE, bucket(), outcome::toString);
        var invalidations = cloudFront.invalidations(DIST);
        assertEquals(1, invalidations.size(), outcome::toString);
        var deploy = outcome.steps().stream().filter(s -> s.log().contains("deployed s3://" + BUCKET)).findFirst().orElseThrow();
        assertEquals(invalidations.get(0).id(), deploy.outputs().get("invalidation-id"), "GITHUB_OUTPUT has invalidation-id");
    }

    @Test
    void githubInvalidateOnlyInvalidatesWhatThePushChangedUnderTheFolder() throws Exception {
        Path origin = origin(Map.of("site/index.html", "<h1>Home</h1>", "site/about.html", "<p>old</p>", "README.md", "x"));
        commit(origin, Map.of("site/about.html", "<p>new</p>", "site/new page.html", "<p>n</p>", "README.md", "y"));
        String workflow = text(GITHUB_INVALIDATE);

        String defaultDepth = workflow.replaceAll("(?m)^\\s*with:\\n\\s*fetch-depth: 2\\n", "");
        assertFalse(defaultDepth.equals(workflow));
        var noParent = github(origin).runner().runJob(yaml(defaultDepth), "invalidate");
        assertFalse(noParent.success(), "the default checkout has no HEAD~1: the snippet needs its fetch-depth\n" + noParent);

        var outcome = github(origin).runner().runJob(checked(GITHUB_INVALIDATE), "invalidate");
        assertTrue(outcome.success(), outcome::toString);
        var invalidations = cloudFront.invalidations(DIST);
        assertEquals(1, invalidations.size(), outcome::toString);
        assertEquals(List.of("/about.html", "/new%20page.html"), invalidations.get(0).paths().stream().sorted().toList());
        assertEquals(invalidations.get(0).id(), outcome.step(ACTION + "@v1").outputs().get("invalidation-id"));

        cloudFront.reset();
        commit(origin, Map.of("README.md", "z"));
        var nothing = github(origin).runner().runJob(yaml(workflow), "invalidate");
        assertTrue(nothing.success(), "a push that changed nothing under site/ passes\n" + nothing);
        assertFalse(nothing.step(ACTION + "@v1").ran(), nothing::toString);
        assertEquals(0, cloudFront.count("CreateInvalidation"));
    }

    @Test
    void theActionSplitsArgsAsAShellDoesAndRefusesAnUnknownCommand() throws Exception {
        assertEquals(List.of(), actionProblems(action), "action.yml");
        var job = github(origin(Map.of()));
        var hugo = LocalServers.run(List.of(shims.resolve("hugo").toString()), job.workspace(), job.env(), "");
        assertEquals(0, hugo.exitCode(), hugo::toString);
        job.runner().export("AWS_ACCESS_KEY_ID", LocalServers.ACCESS_KEY);
        job.runner().export("AWS_SECRET_ACCESS_KEY", LocalServers.SECRET_KEY);

        var outputs = job.runner().runAction(action, repo, Map.of("bucket", BUCKET, "args", "--exclude 'posts/**' --no-invalidate"));
        Map<String, String> expected = new TreeMap<>(SITE);
        expected.remove("posts/hello/index.html");
        assertEquals(expected, bucket());
        assertEquals(String.valueOf(expected.size()), outputs.get("uploaded"));
        assertEquals("", outputs.get("invalidation-id"));

        var invalidated = job.runner().runAction(action, repo, Map.of("command", "invalidate", "distribution", DIST,
                "args", "/index.html \"/a b.html\""));
        assertEquals(List.of("/a%20b.html", "/index.html"), cloudFront.invalidations(DIST).get(0).paths().stream().sorted().toList());
        assertEquals(cloudFront.invalidations(DIST).get(0).id(), invalidated.get("invalidation-id"));

        try {
            job.runner().runAction(action, repo, Map.of("command", "frobnicate"));
            fail("an unknown command must fail the step");
        } catch (Exception e) {
            assertTrue(e.getMessage().contains("exited 2"), e::toString);
        }
    }

    record GitHubJob(CiSimulator.GitHub runner, Path workspace, Map<String, String> env) {
    }

    /** A GitHub-hosted runner for a push to main, its workspace empty until actions/checkout clones {@code origin}. */
    GitHubJob github(Path origin) throws Exception {
        Path root = Files.createTempDirectory(tmp, "github-");
        Path workspace = root.resolve("workspace");
        Files.createDirectories(workspace);
        Path temp = Files.createDirectories(root.resolve("runner-temp"));
        Map<String, String> ci = new HashMap<>();
        ci.put("GITHUB_ACTIONS", "true");
        ci.put("CI", "true");
        ci.put("GITHUB_RUN_ID", String.valueOf(1_000_000 + (long) (Math.random() * 1_000_000)));
        ci.put("GITHUB_RUN_ATTEMPT", "1");
        ci.put("GITHUB_REF", "refs/heads/main");
        ci.put("GITHUB_REF_NAME", "main");
        ci.put("GITHUB_EVENT_NAME", "push");
        ci.put("GITHUB_REPOSITORY", "owner/site");
        ci.put("GITHUB_WORKSPACE", workspace.toString());
        ci.put("RUNNER_OS", "Linux");
        ci.put("RUNNER_TEMP", temp.toString());
        Map<String, String> env = machineEnv(ci);
        Map<String, Object> actionYaml = action;
        CiSimulator.GitHub.Uses uses = (runner, ref, with) -> {
            String action = ref.substring(0, ref.indexOf('@'));
            switch (action) {
                case "actions/checkout" -> {
                    // A clone of the pushed commit, as deep as fetch-depth says (1 by default; 0 is everything).
                    String depth = with.getOrDefault("fetch-depth", "1");
                    List<String> clone = new ArrayList<>(List.of("git", "clone", "--quiet", "--branch", "main"));
                    if (!depth.equals("0")) clone.addAll(List.of("--depth", depth));
                    clone.addAll(List.of("file://" + origin, workspace.toString()));
                    var run = LocalServers.run(clone, root, env, "");
                    if (run.exitCode() != 0) throw runner.failed("checkout: " + run);
                    return Map.of();
                }
                case "actions/cache" -> {
                    // This machine's caches are warm: restoring is nothing. What is cached is checked.
                    String paths = with.getOrDefault("path", "");
                    assertTrue(paths.contains("~/.jbang") && paths.contains("~/.m2/repository"), "cached paths: " + paths);
                    assertFalse(with.getOrDefault("key", "").isBlank(), "a cache key");
                    return Map.of();
                }
                case "actions/setup-java" -> {
                    assertFalse(with.getOrDefault("java-version", "").isBlank());
                    return Map.of(); // this machine's Java 17 is on the PATH
                }
                case "aws-actions/configure-aws-credentials" -> {
                    // Its documented effect: the assumed role's credentials and the region in the job's environment.
                    assertEquals(ROLE, with.get("role-to-assume"));
                    runner.export("AWS_ACCESS_KEY_ID", LocalServers.ACCESS_KEY);
                    runner.export("AWS_SECRET_ACCESS_KEY", LocalServers.SECRET_KEY);
                    runner.export("AWS_SESSION_TOKEN", "local-session-token");
                    runner.export("AWS_REGION", with.get("aws-region"));
                    runner.export("AWS_DEFAULT_REGION", with.get("aws-region"));
                    return Map.of();
                }
                case ACTION -> {
                    return runner.runAction(actionYaml, repo, with);
                }
                default -> throw new IllegalArgumentException("no effect known for the action " + ref);
            }
        };
        Map<String, CiSimulator.GitHub.Substitute> substitutes = Map.of(
                "Install Hugo", (runner, script, stepEnv) -> {
                    assertTrue(script.contains("hugo_extended_${HUGO_VERSION}_linux-amd64.deb") && script.contains("dpkg -i"), script);
                    assertTrue(stepEnv.getOrDefault("HUGO_VERSION", "").matches("\\d+\\.\\d+\\.\\d+"), "a pinned Hugo");
                },
                "Install JBang", (runner, script, stepEnv) -> {
                    assertTrue(script.contains("https://sh.jbang.dev") && script.contains("$GITHUB_PATH"), script);
                    assertEquals("0.132.1", stepEnv.get("JBANG_DOWNLOAD_VERSION"), "a pinned JBang");
                });
        return new GitHubJob(new CiSimulator.GitHub(workspace, temp, env, uses, substitutes), workspace, env);
    }

    // ================================================================================================ GitLab CI

    @Test
    void gitlabPipelineBuildsAndDeploysWithTheOidcToken() throws Exception {
        Path origin = origin(Map.of("hugo.toml", "title = 'site'\n"));
        Path project = tmp.resolve("builds/group/site");
        Files.createDirectories(project.getParent());
        var clone = LocalServers.run(List.of("git", "clone", "--quiet", "--depth", "20", "file://" + origin, project.toString()),
                tmp, LocalServers.cleanEnvironment(Map.of()), "");
        assertEquals(0, clone.exitCode(), clone::toString);
        Map<String, String> predefined = new LinkedHashMap<>();
        predefined.put("CI", "true");
        predefined.put("GITLAB_CI", "true");
        predefined.put("CI_PIPELINE_ID", String.valueOf(2_000_000 + (long) (Math.random() * 1_000_000)));
        predefined.put("CI_JOB_ID", "7001");
        predefined.put("CI_PIPELINE_SOURCE", "push");
        predefined.put("CI_COMMIT_REF_NAME", "main");
        predefined.put("CI_COMMIT_BRANCH", "main");
        predefined.put("CI_DEFAULT_BRANCH", "main");
        predefined.put("CI_PROJECT_DIR", project.toString());
        predefined.put("CI_PROJECT_PATH", "group/site");
        Map<String, String> issued = new LinkedHashMap<>();
        CiSimulator.GitLab.Tokens tokens = (variable, audience) -> {
            String token = jwt(Map.of("iss", "https://gitlab.com", "aud", audience, "sub", "project_path:group/site:ref_type:branch:ref:main"));
            issued.put(audience, token);
            return token;
        };
        var outcome = CiSimulator.GitLab.run(checked(GITLAB), project, machineEnv(Map.of(), false), predefined, tokens,
                CiSnippetsTest::restoreGitLabCache, tmp);
        assertTrue(outcome.success(), outcome::toString);
        assertFalse(outcome.log().contains("jbang: installing JBang"), "the restored cache holds JBang\n" + outcome);
        assertEquals(List.of("build", "deploy"), outcome.steps().stream().filter(CiSimulator.Step::ran).map(CiSimulator.Step::name).toList());
        assertEquals(SITE, bucket(), outcome::toString);
        assertEquals(1, cloudFront.invalidations(DIST).size(), outcome::toString);
        // The credentials came from STS, through the web-identity chain, with the token for the audience sts.amazonaws.com,
        // once for the run: the S3 and the CloudFront client share one credentials provider.
        var assumed = sts.assumed();
        assertEquals(1, assumed.size(), "the scripts assume the role once\n" + outcome);
        for (var a : assumed) {
            assertEquals(ROLE, a.roleArn());
            assertEquals(issued.get("sts.amazonaws.com"), a.webIdentityToken());
        }
    }

    /**
     * GitLab restores the job's cache before it runs: here the folders the job's variables name become this machine's
     * warm ones, laid out as ./jbang lays them out. {@code JBANG_LAUNCHER_CACHE=DIR} holds the launcher's JBang
     * ({@code DIR/VERSION}), JBang's folder ({@code DIR/jbang}) and the Maven repository ({@code DIR/m2}) unless
     * {@code JBANG_DIR} or {@code JBANG_REPO} name others. Each folder must lie inside the cached paths.
     */
    static void restoreGitLabCache(Map<String, Object> job, Map<String, String> vars) throws java.io.IOException {
        if (!job.containsKey("cache")) return;
        Path project = Path.of(vars.get("CI_PROJECT_DIR"));
        List<Path> cached = CiSimulator.lines(CiSimulator.map(job.get("cache")).get("paths")).stream()
                .map(p -> project.resolve(p).normalize()).toList();
        Path home = Path.of(System.getProperty("user.home"));
        Path machineLauncher = envPath("JBANG_LAUNCHER_CACHE", envPath("XDG_CACHE_HOME", home.resolve(".cache")).resolve("jbang-launcher"));
        Path machineJbang = envPath("JBANG_DIR", home.resolve(".jbang"));
        Path machineRepo = envPath("JBANG_REPO", home.resolve(".m2/repository"));
        String launcher = vars.get("JBANG_LAUNCHER_CACHE");
        assertNotNull(launcher, "the job sets no JBANG_LAUNCHER_CACHE: its caches stay outside the project, where GitLab keeps nothing");
        Path launcherCache = Path.of(launcher).normalize();
        Map<Path, Path> links = new LinkedHashMap<>();
        try (var versions = Files.list(machineLauncher)) {
            for (Path v : versions.toList()) links.put(launcherCache.resolve(v.getFileName()), v);
        }
        links.put(vars.containsKey("JBANG_DIR") ? Path.of(vars.get("JBANG_DIR")) : launcherCache.resolve("jbang"), machineJbang);
        links.put(vars.containsKey("JBANG_REPO") ? Path.of(vars.get("JBANG_REPO")) : launcherCache.resolve("m2"), machineRepo);
        for (var link : links.entrySet()) {
            Path at = link.getKey().normalize();
            assertTrue(cached.stream().anyMatch(at::startsWith), at + " is not inside the cached paths " + cached);
            Files.createDirectories(link.getValue());
            Files.createDirectories(at.getParent());
            if (!Files.exists(at, java.nio.file.LinkOption.NOFOLLOW_LINKS)) RESTORED.add(Files.createSymbolicLink(at, link.getValue()));
        }
    }

    /** The links {@link #restoreGitLabCache} made, removed after each test (the temporary folder's cleanup warns about them). */
    static final List<Path> RESTORED = new ArrayList<>();

    @AfterEach
    void removeRestoredCaches() throws java.io.IOException {
        for (Path link : RESTORED) Files.deleteIfExists(link);
        RESTORED.clear();
    }

    static Path envPath(String name, Path otherwise) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? otherwise : Path.of(value);
    }

    // ================================================================================================ Travis CI

    @Test
    void travisBuildDeploysAndIsErroredWhenTheInvalidationFails() throws Exception {
        var passed = travis("false");
        assertEquals("passed", passed.status(), passed::toString);
        assertEquals(SITE, bucket(), passed::toString);
        assertEquals(1, cloudFront.invalidations(DIST).size(), passed::toString);

        fresh();
        cloudFront.inject("CreateInvalidation", CloudFrontEmulator.Fault.error(403, "AccessDenied",
                "User is not authorized to perform: cloudfront:CreateInvalidation"), 20);
        var errored = travis("false");
        assertEquals("errored", errored.status(), "an invalidation that fails must fail the build\n" + errored);
        assertTrue(errored.log().contains("AccessDenied"), errored::toString);
        assertEquals(0, cloudFront.invalidations(DIST).size());

        fresh();
        var pullRequest = travis("42");
        assertEquals("passed", pullRequest.status(), pullRequest::toString);
        assertEquals(Map.of(), bucket(), "a pull-request build does not deploy");
    }

    CiSimulator.Outcome travis(String pullRequest) throws Exception {
        Path origin = origin(Map.of("hugo.toml", "title = 'site'\n"));
        Path build = Files.createTempDirectory(tmp, "travis-").resolve("owner/site");
        Files.createDirectories(build.getParent());
        var clone = LocalServers.run(List.of("git", "clone", "--quiet", "--depth", "50", "file://" + origin, build.toString()),
                tmp, LocalServers.cleanEnvironment(Map.of()), "");
        assertEquals(0, clone.exitCode(), clone::toString);
        Map<String, String> ci = new HashMap<>();
        ci.put("TRAVIS", "true");
        ci.put("CI", "true");
        ci.put("TRAVIS_BRANCH", "main");
        ci.put("TRAVIS_PULL_REQUEST", pullRequest);
        ci.put("TRAVIS_EVENT_TYPE", pullRequest.equals("false") ? "push" : "pull_request");
        ci.put("TRAVIS_BUILD_ID", String.valueOf(3_000_000 + (long) (Math.random() * 1_000_000)));
        ci.put("TRAVIS_BUILD_DIR", build.toString());
        ci.put("TRAVIS_REPO_SLUG", "owner/site");
        // The repository's settings: Travis has no OIDC, so keys.
        ci.put("AWS_ACCESS_KEY_ID", LocalServers.ACCESS_KEY);
        ci.put("AWS_SECRET_ACCESS_KEY", LocalServers.SECRET_KEY);
        return CiSimulator.Travis.run(checked(TRAVIS), build, machineEnv(ci, false), Set.of("hugo"), tmp);
    }

    // ================================================================================================ any other CI

    @Test
    void theShellScriptBuildsAndDeploys() throws Exception {
        Path origin = origin(Map.of("hugo.toml", "title = 'site'\n"));
        Path dir = tmp.resolve("checkout");
        var clone = LocalServers.run(List.of("git", "clone", "--quiet", "file://" + origin, dir.toString()), tmp,
                LocalServers.cleanEnvironment(Map.of()), "");
        assertEquals(0, clone.exitCode(), clone::toString);
        assertEquals(List.of(), shellProblems(text(SHELL)));
        Path script = Files.writeString(dir.resolve(SHELL), text(SHELL));
        Map<String, String> ci = new HashMap<>();
        ci.put("CI", "true");
        ci.put("AWS_ACCESS_KEY_ID", LocalServers.ACCESS_KEY);
        ci.put("AWS_SECRET_ACCESS_KEY", LocalServers.SECRET_KEY);
        var run = LocalServers.run(List.of("bash", script.toString()), dir, machineEnv(ci, false), "");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(SITE, bucket(), run::toString);
        assertEquals(1, cloudFront.invalidations(DIST).size(), run::toString);
        assertFalse(run.all().contains(LocalServers.SECRET_KEY));
    }

    // ================================================================================================ the checks

    static List<String> githubProblems(Map<String, Object> workflow) {
        List<String> problems = new ArrayList<>();
        if (!workflow.containsKey("on")) {
            problems.add("no on: GitHub rejects a workflow without a trigger");
        } else if (!runsOnPushToMain(workflow.get("on"))) {
            problems.add("on: does not run on a push to main");
        }
        Map<String, Object> jobs = CiSimulator.map(workflow.get("jobs"));
        if (jobs.isEmpty()) problems.add("no jobs");
        boolean runsAScript = false;
        for (var j : jobs.entrySet()) {
            Map<String, Object> job = CiSimulator.map(j.getValue());
            String where = "jobs." + j.getKey();
            if (!job.containsKey("runs-on")) problems.add(where + ": no runs-on");
            Map<String, Object> permissions = CiSimulator.map(job.containsKey("permissions") ? job.get("permissions") : workflow.get("permissions"));
            if (!(job.get("steps") instanceof List<?> steps) || steps.isEmpty()) {
                problems.add(where + ": no steps");
                continue;
            }
            boolean oidc = false;
            boolean checkout = false;
            for (Object s : steps) {
                Map<String, Object> step = CiSimulator.map(s);
                if (step.containsKey("uses") == step.containsKey("run")) problems.add(where + ": a step needs uses or run: " + step);
                String uses = CiSimulator.str(step.get("uses"));
                if (uses != null) {
                    problems.addAll(usesProblems(where, uses));
                    checkout |= uses.startsWith("actions/checkout@");
                    if (uses.startsWith("aws-actions/configure-aws-credentials@")) {
                        Map<String, Object> with = CiSimulator.map(step.get("with"));
                        oidc |= with.containsKey("role-to-assume");
                        if (!with.containsKey("role-to-assume")) problems.add(where + ": configure-aws-credentials without role-to-assume");
                        if (!with.containsKey("aws-region")) problems.add(where + ": configure-aws-credentials without aws-region");
                        if (with.containsKey("aws-access-key-id")) problems.add(where + ": a stored AWS key instead of OIDC");
                    }
                    runsAScript |= uses.startsWith(ACTION + "@");
                }
                String run = CiSimulator.str(step.get("run"));
                if (run != null) {
                    if (run.contains("${{")) problems.add(where + ": an expression inside run: (script injection); pass it through env:");
                    runsAScript |= run.contains("deploy-site") || run.contains("invalidate");
                }
            }
            if (oidc && !"write".equals(permissions.get("id-token"))) {
                problems.add(where + ": OIDC (role-to-assume) without permissions id-token: write");
            }
            if (checkout && !permissions.isEmpty() && !"read".equals(permissions.get("contents")) && !"write".equals(permissions.get("contents"))) {
                problems.add(where + ": actions/checkout without permissions contents: read");
            }
        }
        if (!runsAScript) problems.add("runs neither deploy-site nor invalidate");
        return problems;
    }

    static boolean runsOnPushToMain(Object on) {
        if ("push".equals(on)) return true;
        if (on instanceof List<?> events) return events.contains("push");
        Map<String, Object> events = CiSimulator.map(on);
        if (!events.containsKey("push")) return false;
        Object branches = CiSimulator.map(events.get("push")).get("branches");
        return branches == null || CiSimulator.lines(branches).contains("main");
    }

    static final Pattern USES = Pattern.compile("([\\w.-]+/[\\w.-]+)(/[\\w./-]+)?@(.+)");

    static List<String> usesProblems(String where, String ref) {
        Matcher m = USES.matcher(ref);
        if (!m.matches()) return List.of(where + ": uses " + ref + " is not pinned to a version");
        String action = m.group(1);
        String version = m.group(3);
        if (version.matches("[0-9a-f]{40}")) return List.of();
        if (!version.matches("v\\d+(\\.\\d+){0,2}")) return List.of(where + ": uses " + ref + " is not pinned to a release (a major or a SHA)");
        if (action.equals(ACTION)) return List.of();
        Integer first = NODE24_MAJOR.get(action);
        if (first == null) return List.of(where + ": uses " + ref + ": an action not checked for the Node 24 runtime");
        int major = Integer.parseInt(version.substring(1).split("\\.")[0]);
        return major >= first ? List.of() : List.of(where + ": uses " + ref + " runs on Node 20 (removed): " + action + " needs v" + first + " or later");
    }

    /** The action runs a script of its own checkout with its own launcher: "$tools/jbang" "$tools/deploy-site.java". */
    static final Pattern RUNS_OWN_LAUNCHER = Pattern.compile("(?m)^\\s*(?:exec\\s+)?\"\\$(tools|GITHUB_ACTION_PATH)/jbang\" \"\\$(tools|GITHUB_ACTION_PATH)/[\\w-]+\\.java\"");

    static List<String> actionProblems(Map<String, Object> action) {
        List<String> problems = new ArrayList<>();
        Map<String, Object> runs = CiSimulator.map(action.get("runs"));
        if (!"composite".equals(runs.get("using"))) problems.add("runs.using is not composite");
        Map<String, Object> inputs = CiSimulator.map(action.get("inputs"));
        for (String input : List.of("command", "source", "bucket", "distribution", "args")) {
            if (!inputs.containsKey(input)) problems.add("no input " + input);
        }
        if (!"deploy-site".equals(CiSimulator.map(inputs.get("command")).get("default"))) problems.add("command does not default to deploy-site");
        Set<String> ids = new TreeSet<>();
        boolean ownLauncher = false;
        if (runs.get("steps") instanceof List<?> steps) {
            for (Object s : steps) {
                Map<String, Object> step = CiSimulator.map(s);
                if (step.get("id") != null) ids.add(String.valueOf(step.get("id")));
                String uses = CiSimulator.str(step.get("uses"));
                if (uses != null) problems.addAll(usesProblems("runs.steps", uses));
                String run = CiSimulator.str(step.get("run"));
                if (run != null) {
                    if (step.get("shell") == null) problems.add("a run step without shell: " + run.lines().findFirst().orElse(""));
                    if (run.contains("${{")) problems.add("an expression inside run: (script injection); inputs go through env:");
                    if (RUNS_OWN_LAUNCHER.matcher(run).find()) {
                        ownLauncher = true;
                        if (!"true".equals(String.valueOf(CiSimulator.map(step.get("env")).get("JBANG_NO_VERSION_CHECK")))) {
                            problems.add("the launcher runs without JBANG_NO_VERSION_CHECK=true");
                        }
                    }
                }
            }
        } else {
            problems.add("runs.steps is not a list");
        }
        if (!ownLauncher) problems.add("does not run the action's own ./jbang launcher");
        Map<String, Object> outputs = CiSimulator.map(action.get("outputs"));
        for (String output : List.of("invalidation-id", "uploaded", "deleted")) {
            String value = CiSimulator.str(CiSimulator.map(outputs.get(output)).get("value"));
            Matcher m = value == null ? null : Pattern.compile("\\$\\{\\{\\s*steps\\.([\\w-]+)\\.outputs\\." + Pattern.quote(output) + "\\s*}}").matcher(value);
            if (m == null || !m.matches() || !ids.contains(m.group(1))) problems.add("no output " + output + " from a step's outputs");
        }
        return problems;
    }

    static List<String> gitlabProblems(Map<String, Object> ci) {
        List<String> problems = new ArrayList<>();
        Map<String, Object> globals = CiSimulator.map(ci.get("variables"));
        boolean deploys = false;
        for (var e : ci.entrySet()) {
            if (!(e.getValue() instanceof Map<?, ?>) || !CiSimulator.map(e.getValue()).containsKey("script")) continue;
            Map<String, Object> job = CiSimulator.map(e.getValue());
            String where = e.getKey();
            String script = String.join("\n", CiSimulator.lines(job.get("script")));
            if (job.containsKey("only") || job.containsKey("except")) problems.add(where + ": only/except instead of rules");
            boolean onDefaultBranch = job.get("rules") instanceof List<?> rules && rules.stream()
                    .anyMatch(r -> String.valueOf(CiSimulator.map(r).get("if")).contains("$CI_DEFAULT_BRANCH"));
            if (!onDefaultBranch) problems.add(where + ": no rules: entry for the default branch ($CI_DEFAULT_BRANCH)");
            if (!script.contains("deploy-site") && !script.contains("invalidate")) continue;
            deploys = true;
            Map<String, Object> vars = new LinkedHashMap<>(globals);
            vars.putAll(CiSimulator.map(job.get("variables")));
            String tokenVariable = null;
            for (var t : CiSimulator.map(job.get("id_tokens")).entrySet()) {
                if (CiSimulator.lines(CiSimulator.map(t.getValue()).get("aud")).contains("sts.amazonaws.com")) tokenVariable = t.getKey();
            }
            if (tokenVariable == null) {
                problems.add(where + ": no id_tokens entry with aud sts.amazonaws.com");
            } else if (!script.contains("$" + tokenVariable) || !script.contains("$AWS_WEB_IDENTITY_TOKEN_FILE")) {
                problems.add(where + ": the id token is not written to $AWS_WEB_IDENTITY_TOKEN_FILE");
            }
            for (String v : List.of("AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE")) {
                if (!vars.containsKey(v)) problems.add(where + ": no variable " + v);
            }
            if (vars.containsKey("AWS_ACCESS_KEY_ID") || vars.containsKey("AWS_SECRET_ACCESS_KEY")) problems.add(where + ": a stored AWS key");
            if (CiSimulator.lines(CiSimulator.map(job.get("cache")).get("paths")).isEmpty()) {
                problems.add(where + ": no cache of JBang's and Maven's folders");
            }
            if (!script.contains("jbang")) problems.add(where + ": does not run the scripts through jbang");
        }
        if (!deploys) problems.add("no job runs deploy-site or invalidate");
        return problems;
    }

    static final List<String> IGNORED_PHASES = List.of("after_success", "after_failure", "after_deploy", "after_script");

    static List<String> travisProblems(Map<String, Object> travis) {
        List<String> problems = new ArrayList<>();
        List<String> setup = new ArrayList<>();
        for (String phase : List.of("before_install", "install", "before_script", "before_deploy")) setup.addAll(CiSimulator.lines(travis.get(phase)));
        boolean installs = setup.stream().anyMatch(l -> l.contains("sh.jbang.dev")
                || l.matches(".*git clone .*https://github\\.com/" + ACTION + "(\\.git)? .*"));
        if (!installs) problems.add("never installs JBang (or clones the scripts with their launcher)");
        for (String phase : IGNORED_PHASES) {
            for (String line : CiSimulator.lines(travis.get(phase))) {
                if (line.contains("deploy-site") || line.contains("invalidate")) {
                    problems.add(phase + " runs a script whose failure Travis ignores: " + line);
                }
            }
        }
        Object deploy = travis.get("deploy");
        List<Map<String, Object>> deploys = new ArrayList<>();
        if (deploy instanceof List<?> list) list.forEach(d -> deploys.add(CiSimulator.map(d)));
        else if (deploy != null) deploys.add(CiSimulator.map(deploy));
        boolean runs = false;
        for (Map<String, Object> d : deploys) {
            if (!"script".equals(d.get("provider"))) continue;
            String script = CiSimulator.str(d.get("script"));
            if (script == null || script.strip().contains("\n")) problems.add("a script deploy runs exactly one command");
            else runs |= script.contains("jbang") && (script.contains("deploy-site") || script.contains("invalidate"));
            if (!CiSimulator.map(d.get("on")).containsKey("branch")) problems.add("deploy.on.branch missing (Travis would deploy master only)");
            if (Boolean.TRUE.equals(d.get("cleanup"))) problems.add("cleanup: true removes the built site before the deploy");
        }
        if (!runs) problems.add("no deploy: entry (provider script) runs deploy-site or invalidate through jbang");
        for (String g : CiSimulator.lines(travis.get("env") instanceof Map<?, ?> m ? m.get("global") : travis.get("env"))) {
            if (g.contains("AWS_SECRET_ACCESS_KEY=")) problems.add("a secret in .travis.yml");
        }
        return problems;
    }

    static List<String> shellProblems(String script) {
        List<String> problems = new ArrayList<>();
        if (!script.startsWith("#!/usr/bin/env bash\n") && !script.startsWith("#!/bin/bash\n")) problems.add("not a bash script");
        if (!script.lines().anyMatch(l -> l.strip().equals("set -euo pipefail"))) problems.add("no set -euo pipefail");
        if (!script.contains("deploy-site")) problems.add("does not run deploy-site");
        return problems;
    }

    static void assertProblem(List<String> problems, String expected) {
        assertTrue(problems.stream().anyMatch(p -> p.contains(expected)), "expected a problem with '" + expected + "', got " + problems);
    }

    // ================================================================================================ reading the README

    static final Pattern FENCE = Pattern.compile("(?ms)^```([a-z]*)\\n(.*?)^```[ \\t]*$");
    static final Pattern FILE_LINE = Pattern.compile("#\\s+(\\S+?)(?::.*)?");

    /** The fenced blocks of the README's "## CI snippets" section, by the file their first comment line names. */
    static Map<String, Snippet> snippets(String readme) {
        int start = readme.indexOf("\n## CI snippets\n");
        assertTrue(start >= 0, "the README has no section ## CI snippets");
        int end = readme.indexOf("\n## ", start + 1);
        String section = readme.substring(start, end < 0 ? readme.length() : end);
        Map<String, Snippet> found = new LinkedHashMap<>();
        Matcher m = FENCE.matcher(section);
        int unnamed = 0;
        while (m.find()) {
            List<String> lines = m.group(2).lines().toList();
            String first = lines.isEmpty() ? "" : lines.get(0).startsWith("#!") && lines.size() > 1 ? lines.get(1) : lines.get(0);
            Matcher name = FILE_LINE.matcher(first);
            String file = name.matches() ? name.group(1) : "(a block that names no file: " + ++unnamed + ")";
            if (found.put(file, new Snippet(file, m.group(1), m.group(2))) != null) fail("two blocks name " + file);
        }
        return found;
    }

    /** The snippet parsed, after its CI's checks found nothing wrong: a run test never runs a snippet that fails them. */
    static Map<String, Object> checked(String file) {
        Map<String, Object> parsed = yaml(text(file));
        List<String> problems = file.equals(GITLAB) ? gitlabProblems(parsed) : file.equals(TRAVIS) ? travisProblems(parsed) : githubProblems(parsed);
        assertEquals(List.of(), problems, file);
        return parsed;
    }

    static String text(String file) {
        Snippet s = snippets.get(file);
        assertNotNull(s, "the README's CI snippets have no block for " + file);
        return s.text();
    }

    /** The text without the mapping key {@code key} (at any indentation) and everything nested under it. */
    static String withoutKey(String text, String key) {
        StringBuilder out = new StringBuilder();
        int skipIndent = -1;
        for (String line : text.split("\n", -1)) {
            int indent = line.length() - line.stripLeading().length();
            if (skipIndent >= 0) {
                if (line.isBlank() || indent > skipIndent) continue;
                skipIndent = -1;
            }
            if (line.stripLeading().startsWith(key + ":")) {
                skipIndent = indent;
                continue;
            }
            out.append(line).append('\n');
        }
        return out.toString();
    }

    /** YAML 1.2's core schema, as GitHub reads workflows: {@code on} is a key, not the boolean YAML 1.1 makes of it. */
    static Map<String, Object> yaml(String text) {
        LoaderOptions options = new LoaderOptions();
        Resolver yaml12 = new Resolver() {
            @Override
            protected void addImplicitResolvers() {
                addImplicitResolver(Tag.BOOL, Pattern.compile("^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF");
                addImplicitResolver(Tag.INT, Pattern.compile("^[-+]?[0-9]+$"), "-+0123456789");
                addImplicitResolver(Tag.FLOAT, Pattern.compile("^[-+]?(?:\\.[0-9]+|[0-9]+(?:\\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"), "-+.0123456789");
                addImplicitResolver(Tag.NULL, Pattern.compile("^(?:~|null|Null|NULL|)$"), "~nN\0");
                addImplicitResolver(Tag.NULL, EMPTY, null);
            }
        };
        Object loaded = new Yaml(new SafeConstructor(options), new Representer(new DumperOptions()), new DumperOptions(), options, yaml12)
                .load(text);
        return CiSimulator.map(loaded);
    }

    // ================================================================================================ the machine

    /** The environment of a CI machine here: this machine's PATH behind the shims, the local endpoints, no AWS profile. */
    Map<String, String> machineEnv(Map<String, String> ci) throws java.io.IOException {
        return machineEnv(ci, true);
    }

    /**
     * {@code commandCache} false for snippets that run a copy of the scripts from a fresh temporary folder
     * (.site-tools/deploy-site.java): the launcher would only keep an entry per folder that no later run reads.
     */
    Map<String, String> machineEnv(Map<String, String> ci, boolean commandCache) throws java.io.IOException {
        Path state = Files.createTempDirectory(tmp, "shim-state-");
        Map<String, String> extra = new HashMap<>();
        extra.put("PATH", shims + ":" + System.getenv("PATH"));
        extra.put("CI_SHIM_STATE", state.toString());
        extra.put("AWS_ENDPOINT_URL_S3", moto.endpoint().toString());
        extra.put("AWS_ENDPOINT_URL_CLOUDFRONT", cloudFront.endpoint().toString());
        extra.put("AWS_ENDPOINT_URL_STS", sts.endpoint().toString());
        extra.put("AWS_SHARED_CREDENTIALS_FILE", state.resolve("no-credentials").toString());
        extra.put("AWS_CONFIG_FILE", state.resolve("no-config").toString());
        extra.put("LANG", "C.UTF-8");
        if (!commandCache) extra.put("JBANG_LAUNCHER_COMMAND_CACHE", "false");
        extra.putAll(ci);
        return LocalServers.cleanEnvironment(extra);
    }

    /** A repository with one commit of these files on main, as a CI clones it. */
    Path origin(Map<String, String> files) throws Exception {
        Path origin = Files.createTempDirectory(tmp, "origin-");
        git(origin, "init", "--quiet", "--initial-branch=main");
        commit(origin, files.isEmpty() ? Map.of("README.md", "a site\n") : files);
        return origin;
    }

    void commit(Path origin, Map<String, String> files) throws Exception {
        for (var f : files.entrySet()) {
            Path file = origin.resolve(f.getKey());
            Files.createDirectories(file.getParent());
            Files.writeString(file, f.getValue());
        }
        git(origin, "add", "--all");
        git(origin, "-c", "user.name=Site", "-c", "user.email=site@example.test", "commit", "--quiet", "-m", "change");
    }

    void git(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("git"));
        command.addAll(List.of(args));
        var run = LocalServers.run(command, dir, LocalServers.cleanEnvironment(Map.of()), "");
        assertEquals(0, run.exitCode(), run::toString);
    }

    /** The bucket's objects and their content. */
    /** The site the bucket holds: deploy-site's own records (left by a --no-invalidate run) are not site content. */
    static Map<String, String> bucket() {
        Map<String, String> objects = new TreeMap<>();
        for (var o : s3.listObjectsV2(r -> r.bucket(BUCKET)).contents()) {
            if (o.key().startsWith(DeploySite.Site.RESERVED)) continue;
            objects.put(o.key(), s3.getObjectAsBytes(r -> r.bucket(BUCKET).key(o.key())).asUtf8String());
        }
        return objects;
    }

    static String jwt(Map<String, String> claims) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        StringBuilder payload = new StringBuilder("{");
        new TreeMap<>(claims).forEach((k, v) -> payload.append(payload.length() > 1 ? "," : "").append('"').append(k).append("\":\"").append(v).append('"'));
        payload.append('}');
        return b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(payload.toString().getBytes(StandardCharsets.UTF_8)) + "." + b64.encodeToString("local".getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The commands the snippets reach for, as this machine answers them: jbang (this repository's launcher; a catalog
     * alias of ORG/REPO runs from this working tree's catalog once trusted), hugo (writes {@link #SITE}), git (a clone
     * of ORG/REPO is this working tree; other remotes fail), and curl and wget (fail for anything but 127.0.0.1).
     */
    static Path writeShims(Path dir) throws Exception {
        Files.createDirectories(dir);
        String realGit = LocalServers.run(List.of("bash", "-c", "command -v git"), dir, LocalServers.cleanEnvironment(Map.of()), "")
                .stdout().strip();
        assertFalse(realGit.isEmpty(), "git is needed");
        CiSimulator.executable(dir.resolve("jbang"), """
                #!/usr/bin/env bash
                # jbang for CiSnippetsTest: this repository's launcher. NAME@ORG, NAME@ORG/REPO and NAME@ORG/REPO/REF run the
                # alias NAME of this working tree's catalog, once `jbang trust add` named a URL covering
                # https://github.com/ORG/REPO/ (JBang stops an untrusted remote script with exit 10 when it cannot ask).
                set -euo pipefail
                repo=@REPO@
                state=${CI_SHIM_STATE:?}
                if [[ "${1:-}" == trust && "${2:-}" == add ]]; then
                  shift 2
                  for url in "$@"; do printf '%s\\n' "$url" >> "$state/jbang-trusted"; done
                  echo "[jbang] Adding to trusted sources: $*" >&2
                  exit 0
                fi
                args=("$@")
                for i in "${!args[@]}"; do
                  a=${args[$i]}
                  [[ $a == -* ]] && continue
                  if [[ $a =~ ^([A-Za-z0-9._-]+)@ORG(/REPO(/[A-Za-z0-9._-]+)?)?$ ]]; then
                    trusted=no
                    if [[ -f $state/jbang-trusted ]]; then
                      while IFS= read -r t; do
                        if [[ https://github.com/ORG/REPO/ == "${t%/}"/* || https://github.com/ORG/REPO == "${t%/}" ]]; then trusted=yes; fi
                      done < "$state/jbang-trusted"
                    fi
                    if [[ $trusted == no ]]; then
                      echo "[jbang] [ERROR] https://github.com/ORG/REPO/ is not a trusted source; run: jbang trust add https://github.com/ORG/" >&2
                      exit 10
                    fi
                    args[$i]=${BASH_REMATCH[1]}@$repo
                  elif [[ $a == *@* ]]; then
                    echo "jbang (test shim): only aliases of ORG/REPO are known here, not $a" >&2
                    exit 1
                  fi
                  break
                done
                export JBANG_LAUNCHER_USE_PATH=false
                exec "$repo/jbang" "${args[@]}"
                """.replace("@REPO@", CiSimulator.shellQuote(repo.toString())));
        StringBuilder site = new StringBuilder();
        for (var f : SITE.entrySet()) {
            site.append("mkdir -p \"$dest/$(dirname ").append(CiSimulator.shellQuote(f.getKey())).append(")\"\n")
                    .append("printf '%s' ").append(CiSimulator.shellQuote(f.getValue())).append(" > \"$dest/\"")
                    .append(CiSimulator.shellQuote(f.getKey())).append('\n');
        }
        CiSimulator.executable(dir.resolve("hugo"), """
                #!/usr/bin/env bash
                # hugo for CiSnippetsTest: builds the same small site into public/ (or -d DIR) whatever the sources.
                set -euo pipefail
                dest=public
                while [[ $# -gt 0 ]]; do
                  case "$1" in
                    -d|--destination) dest=$2; shift 2 ;;
                    --destination=*) dest=${1#*=}; shift ;;
                    *) shift ;;
                  esac
                done
                @SITE@echo "hugo (test shim): @COUNT@ files in $dest"
                """.replace("@SITE@", site).replace("@COUNT@", String.valueOf(SITE.size())));
        CiSimulator.executable(dir.resolve("git"), """
                #!/usr/bin/env bash
                # git for CiSnippetsTest: a clone of https://github.com/ORG/REPO(.git) gives this working tree's files (tracked,
                # and new ones not ignored), as its tag would hold them; a clone of any other remote fails (no network in
                # tests); everything else is the real git.
                set -euo pipefail
                real=@GIT@
                repo=@REPO@
                if [[ "${1:-}" == clone ]]; then
                  url='' dir=''
                  for ((i = 2; i <= $#; i++)); do
                    a=${!i}
                    case "$a" in
                      --depth|--branch|-b|--origin|-o) i=$((i + 1)) ;;
                      -*) ;;
                      *) if [[ -z $url ]]; then url=$a; else dir=$a; fi ;;
                    esac
                  done
                  if [[ $url =~ ^https://github\\.com/ORG/REPO(\\.git)?$ ]]; then
                    dir=${dir:-REPO}
                    mkdir -p "$dir"
                    (cd "$repo" && "$real" ls-files -z --cached --others --exclude-standard) | while IFS= read -r -d '' f; do
                      if [[ -f "$repo/$f" ]]; then mkdir -p "$dir/$(dirname "$f")"; cp -p "$repo/$f" "$dir/$f"; fi
                    done
                    exit 0
                  fi
                  if [[ $url == *://* && $url != file://* ]]; then
                    echo "git (test shim): no network in tests: $url" >&2
                    exit 128
                  fi
                fi
                exec "$real" "$@"
                """.replace("@GIT@", CiSimulator.shellQuote(realGit)).replace("@REPO@", CiSimulator.shellQuote(repo.toString())));
        for (String tool : List.of("curl", "wget")) {
            CiSimulator.executable(dir.resolve(tool), """
                    #!/usr/bin/env bash
                    # @TOOL@ for CiSnippetsTest: nothing but 127.0.0.1 is reachable from a test.
                    for a in "$@"; do
                      case "$a" in
                        http://127.0.0.1[:/]*) ;;
                        *://*) echo "@TOOL@ (test shim): no network in tests: $a" >&2; exit 6 ;;
                      esac
                    done
                    PATH=${PATH#*:} exec @TOOL@ "$@"
                    """.replace("@TOOL@", tool));
        }
        return dir;
    }
}
