import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import software.amazon.awssdk.services.s3.S3Client;

/**
 * Layer 3: {@code ./jbang deploy-site ...} through the catalog as a subprocess, the way a CI job runs it, with endpoints
 * and credentials in the environment variables the SDK reads; and the script copied alone into another folder.
 */
class DeploySiteEndToEndTest {
    static LocalServers.Moto moto;
    static CloudFrontEmulator cloudFront;
    static S3Client s3;
    static final String BUCKET = "e2e-site";
    static final String DIST = "E2ESITE000001";

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        LocalServers.init();
        moto = LocalServers.Moto.start();
        cloudFront = CloudFrontEmulator.start();
        cloudFront.addDistribution(DIST, null, List.of("www.e2e.test"), List.of(CloudFrontEmulator.Origin.s3(BUCKET)));
        s3 = TestS3.client(moto.endpoint());
        // Build once up front, so the timed-out-looking first run is not inside a test.
        var help = LocalServers.jbang(env(), null, "deploy-site", "--help");
        assertEquals(0, help.exitCode(), help::toString);
    }

    @AfterAll
    static void stop() throws Exception {
        LocalServers.closeAll(s3, cloudFront, moto);
    }

    @BeforeEach
    void fresh() throws Exception {
        moto.reset();
        cloudFront.reset();
        s3.createBucket(b -> b.bucket(BUCKET));
    }

    static Map<String, String> env(String... kv) {
        Map<String, String> extra = new HashMap<>();
        extra.put("AWS_ACCESS_KEY_ID", LocalServers.ACCESS_KEY);
        extra.put("AWS_SECRET_ACCESS_KEY", LocalServers.SECRET_KEY);
        extra.put("AWS_REGION", "us-east-1");
        extra.put("AWS_ENDPOINT_URL_S3", moto.endpoint().toString());
        extra.put("AWS_ENDPOINT_URL_CLOUDFRONT", cloudFront.endpoint().toString());
        extra.put("LANG", "C.UTF-8");
        for (int i = 0; i < kv.length; i += 2) extra.put(kv[i], kv[i + 1]);
        return LocalServers.cleanEnvironment(extra);
    }

    Path site() throws Exception {
        Path site = tmp.resolve("public");
        write(site, "index.html", "<h1>Home</h1>");
        write(site, "css/site.css", "body{}");
        write(site, "posts/hello/index.html", "<h1>Hello</h1>");
        write(site, "posts/ünï code/index.html", "<h1>Ü</h1>");
        return site;
    }

    static void write(Path root, String rel, String text) throws Exception {
        Path f = root.resolve(rel);
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
    }

    Map<String, String> bucket() {
        Map<String, String> objects = new TreeMap<>();
        for (var o : s3.listObjectsV2(r -> r.bucket(BUCKET)).contents()) {
            objects.put(o.key(), s3.getObjectAsBytes(r -> r.bucket(BUCKET).key(o.key())).asUtf8String());
        }
        return objects;
    }

    @Test
    void deployAgainChangeDeployThroughTheCatalog() throws Exception {
        Path site = site();
        var first = LocalServers.jbang(env("CI", "true"), null, "deploy-site", site.toString(), "s3://" + BUCKET);
        assertEquals(0, first.exitCode(), first::toString);
        assertEquals(4, bucket().size());
        assertEquals("<h1>Ü</h1>", bucket().get("posts/ünï code/index.html"));
        assertEquals(1, cloudFront.invalidations(DIST).size(), "found the distribution by its origin bucket");
        assertTrue(first.stdout().lines().anyMatch(l -> l.startsWith("deployed s3://" + BUCKET)), first::toString);
        assertFalse(first.all().contains(LocalServers.SECRET_KEY));

        var again = LocalServers.jbang(env("CI", "true"), null, "deploy-site", site.toString(), "s3://" + BUCKET);
        assertEquals(0, again.exitCode(), again::toString);
        assertTrue(again.stdout().contains("0 uploaded") && again.stdout().contains("nothing to invalidate"), again::toString);
        assertEquals(1, cloudFront.invalidations(DIST).size());

        write(site, "css/site.css", "body{color:red}");
        Files.delete(site.resolve("posts/hello/index.html"));
        var change = LocalServers.jbang(env("CI", "true"), null, "deploy-site", "--wait", "--poll-interval", "100ms", site.toString(), "s3://" + BUCKET);
        assertEquals(0, change.exitCode(), change::toString);
        assertEquals("body{color:red}", bucket().get("css/site.css"));
        assertFalse(bucket().containsKey("posts/hello/index.html"));
        var last = cloudFront.invalidations(DIST).get(1);
        // the deleted page's two URLs under one wildcard: nothing else lives under /posts/hello/, and it costs one path
        assertEquals(List.of("/css/site.css", "/posts/hello/*"), last.paths().stream().sorted().toList());
        assertEquals("Completed", last.status());
    }

    /** AWS_ENDPOINT_URL_S3=http://localhost:PORT, as a MinIO or local setup writes it: path-style without --path-style. */
    @Test
    void anS3EndpointOnLocalhostFromTheEnvironmentWorksWithoutPathStyle() throws Exception {
        var e = env("AWS_ENDPOINT_URL_S3", moto.endpoint().toString().replace("127.0.0.1", "localhost"));
        var run = LocalServers.jbang(e, null, "deploy-site", "--no-invalidate", site().toString(), "s3://" + BUCKET);
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(bucket().containsKey("index.html"), run::toString);
    }

    @Test
    void dryRunThroughTheCatalogWritesNothing() throws Exception {
        var dry = LocalServers.jbang(env(), null, "deploy-site", "--dry-run", site().toString(), "s3://" + BUCKET);
        assertEquals(0, dry.exitCode(), dry::toString);
        assertTrue(dry.stdout().contains("would upload   new index.html"), dry::toString);
        // every URL is new: one /* invalidates nothing unchanged, and the summary says what /* costs besides
        assertTrue(dry.stdout().contains("would invalidate /*\n"), dry::toString);
        assertTrue(dry.stdout().contains("0 unchanged URL(s) also invalidated (/* would have invalidated 0)"), dry::toString);
        var json = LocalServers.jbang(env(), null, "deploy-site", "--dry-run", "--output", "json", site().toString(), "s3://" + BUCKET);
        assertEquals(0, json.exitCode(), json::toString);
        assertTrue(json.stdout().contains("\"/posts/%C3%BCn%C3%AF%20code/\""), json::toString);
        assertEquals(Map.of(), bucket());
        assertEquals(0, cloudFront.count("CreateInvalidation"));
    }

    @Test
    void badInputsExitWithOneLineAndChangeNothing() throws Exception {
        Path site = site();
        Path file = Files.writeString(tmp.resolve("file.txt"), "x");
        record Case(int code, String expected, String... args) {
        }
        List<Case> cases = List.of(
                new Case(2, "does not exist", tmp.resolve("missing").toString(), "s3://" + BUCKET),
                new Case(2, "is not a folder", file.toString(), "s3://" + BUCKET),
                new Case(2, "is not s3://BUCKET", site.toString(), "https://" + BUCKET),
                new Case(2, "invalid bucket name", site.toString(), "s3://Bad_Bucket"),
                new Case(2, "Missing required parameter", site.toString()),
                new Case(2, "Unknown option", "--frobnicate", site.toString(), "s3://" + BUCKET),
                new Case(2, "--concurrency", "--concurrency", "0", site.toString(), "s3://" + BUCKET),
                new Case(2, "is not GLOB=VALUE", "--cache-control", "nonsense", site.toString(), "s3://" + BUCKET),
                new Case(1, "NoSuchBucket", site.toString(), "s3://no-such-bucket"),
                new Case(1, "NoSuchDistribution", "--distribution-id", "ENOSUCH", site.toString(), "s3://" + BUCKET));
        for (Case c : cases) {
            var run = LocalServers.jbang(env(), null, java.util.stream.Stream.concat(java.util.stream.Stream.of("deploy-site"),
                    java.util.stream.Stream.of(c.args())).toArray(String[]::new));
            assertEquals(c.code(), run.exitCode(), run::toString);
            assertTrue(run.stderr().contains(c.expected()), run::toString);
            assertTrue(run.stderr().startsWith("deploy-site: error: "), run::toString);
            assertFalse(run.stderr().contains("Exception") || run.stderr().contains("\tat "), run::toString);
            assertEquals(Map.of(), bucket(), "nothing written: " + String.join(" ", c.args()));
            assertEquals(0, cloudFront.count("CreateInvalidation"));
        }
    }

    @Test
    void theScriptCopiedAloneIntoABlogRepositoryRuns() throws Exception {
        Path blog = Files.createDirectories(tmp.resolve("blog"));
        Files.copy(LocalServers.repoRoot().resolve("deploy-site.java"), blog.resolve("deploy-site.java"));
        Path site = site();
        var run = LocalServers.run(List.of(LocalServers.repoRoot().resolve("jbang").toString(), "deploy-site.java", "--no-invalidate",
                site.toString(), "s3://" + BUCKET), blog, env(), null);
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(4, bucket().keySet().stream().filter(k -> !k.startsWith(".deploy-site/")).count(), bucket().keySet()::toString);
        assertEquals(1, bucket().keySet().stream().filter(k -> k.startsWith(".deploy-site/pending/")).count(),
                "--no-invalidate leaves what it owes for a later run: " + bucket().keySet());
    }
}
