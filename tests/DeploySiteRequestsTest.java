import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * What deploy-site puts in its requests, as the servers received them: the CallerReference of CreateInvalidation across
 * re-runs of one CI run (CloudFront emulator) and the Content-MD5 of each UploadPart (recorded by the S3 fault proxy).
 * In-process against moto behind the proxy; servers started once for the class.
 */
class DeploySiteRequestsTest {
    static LocalServers.Moto moto;
    static S3FaultProxy proxy;
    static CloudFrontEmulator cloudFront;
    static S3Client s3;
    static final String BUCKET = "requests-site";
    static final String DIST = "E1REQUESTS001";
    static final int PART = 8 * 1024 * 1024;
    static final Pattern CALLER_REFERENCE = Pattern.compile("<CallerReference>([^<]*)</CallerReference>");

    @TempDir
    Path tmp;

    @BeforeAll
    static void startServers() throws Exception {
        LocalServers.init();
        moto = LocalServers.Moto.start();
        proxy = S3FaultProxy.start(moto.endpoint());
        cloudFront = CloudFrontEmulator.start();
        cloudFront.addDistribution(DIST, "d1requests.cloudfront.net", List.of("www.requests.test"),
                List.of(CloudFrontEmulator.Origin.s3(BUCKET)));
        s3 = TestS3.client(moto.endpoint());
    }

    @AfterAll
    static void stopServers() throws Exception {
        LocalServers.closeAll(s3, cloudFront, proxy, moto);
    }

    @BeforeEach
    void fresh() throws Exception {
        moto.reset();
        proxy.clear();
        cloudFront.reset();
        s3.createBucket(b -> b.bucket(BUCKET));
    }

    // ---------------------------------------------------------------- helpers

    static LocalServers.Run deploy(Map<String, String> env, Path site) {
        return InProcess.deploySite(new HashMap<>(env), List.of("--endpoint-url", proxy.endpoint().toString(),
                "--cloudfront-endpoint-url", cloudFront.endpoint().toString(), "--poll-interval", "50ms",
                site.toString(), "s3://" + BUCKET));
    }

    static Map<String, String> githubRun(String runId, String attempt) {
        return Map.of("GITHUB_ACTIONS", "true", "GITHUB_RUN_ID", runId, "GITHUB_RUN_ATTEMPT", attempt,
                "GITHUB_EVENT_NAME", "push", "GITHUB_REF_NAME", "main");
    }

    static void write(Path site, String relative, String content) throws IOException {
        Path f = site.resolve(relative);
        Files.createDirectories(f.getParent());
        Files.writeString(f, content);
    }

    /** An object as stored: its bytes and Content-Type. */
    record Stored(byte[] bytes, String contentType) {
    }

    static Map<String, Stored> bucket() {
        Map<String, Stored> objects = new TreeMap<>();
        for (var page : s3.listObjectsV2Paginator(r -> r.bucket(BUCKET))) {
            for (var o : page.contents()) {
                var got = s3.getObjectAsBytes(r -> r.bucket(BUCKET).key(o.key()));
                objects.put(o.key(), new Stored(got.asByteArray(), got.response().contentType()));
            }
        }
        return objects;
    }

    /** Puts the bucket back exactly as it was: what a deploy added goes, what it changed or deleted comes back. */
    static void restore(Map<String, Stored> state) {
        for (String key : bucket().keySet()) s3.deleteObject(r -> r.bucket(BUCKET).key(key));
        state.forEach((key, o) -> s3.putObject(r -> r.bucket(BUCKET).key(key).contentType(o.contentType()), RequestBody.fromBytes(o.bytes())));
        assertEquals(keysAndBytes(state), keysAndBytes(bucket()), "bucket restored");
    }

    static Map<String, String> keysAndBytes(Map<String, Stored> objects) {
        Map<String, String> out = new TreeMap<>();
        objects.forEach((k, o) -> out.put(k, Base64.getEncoder().encodeToString(o.bytes())));
        return out;
    }

    static Map<String, String> localSite(Path site) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (var walk = Files.walk(site)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                out.put(site.relativize(p).toString().replace('\\', '/'), Base64.getEncoder().encodeToString(Files.readAllBytes(p)));
            }
        }
        return out;
    }

    /** Each file of the site (key -> base64 bytes) is in the bucket with its bytes; anything else may be there too. */
    static void assertSiteIn(Map<String, String> files, Map<String, Stored> objects, String message) {
        Map<String, String> held = keysAndBytes(objects);
        files.forEach((key, bytes) -> assertEquals(bytes, held.get(key), message + ": " + key));
    }

    /** The keys of the site's files that the proxy saw a successful PutObject for (the script's own records left out). */
    static TreeSet<String> sitePuts(Map<String, String> files) {
        TreeSet<String> keys = new TreeSet<>();
        for (var r : proxy.requests("PutObject")) {
            if (r.status() == 200 && files.containsKey(r.key())) keys.add(r.key());
        }
        return keys;
    }

    /** The CallerReference of each CreateInvalidation the emulator answered with 201, in arrival order. */
    static List<String> callerReferencesReceived() {
        List<String> refs = new ArrayList<>();
        for (var r : cloudFront.requests()) {
            if (!r.operation().equals("CreateInvalidation") || r.status() != 201) continue;
            Matcher m = CALLER_REFERENCE.matcher(r.body());
            assertTrue(m.find(), "a CreateInvalidation without CallerReference: " + r.body());
            refs.add(m.group(1));
        }
        return refs;
    }

    static String md5Base64(byte[] bytes, int from, int to) throws Exception {
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        md5.update(bytes, from, to - from);
        return Base64.getEncoder().encodeToString(md5.digest());
    }

    // ---------------------------------------------------------------- tests

    /**
     * A re-run of a CI job (GITHUB_RUN_ATTEMPT 2 of the same GITHUB_RUN_ID) that finds the bucket as the first attempt
     * found it plans the same writes, so it sends the same CallerReference and CloudFront hands back the invalidation
     * the first attempt made instead of charging a second one. Another run (another GITHUB_RUN_ID) is a new invalidation.
     */
    @Test
    void theCallerReferenceOfARerunOfOneCiRunReturnsTheSameInvalidation() throws Exception {
        // The bucket before the run: a stale page (to delete) and an older home page (to overwrite).
        s3.putObject(r -> r.bucket(BUCKET).key("index.html").contentType("text/html"), RequestBody.fromString("<h1>Old home</h1>"));
        s3.putObject(r -> r.bucket(BUCKET).key("old/page.html").contentType("text/html"), RequestBody.fromString("<h1>Gone</h1>"));
        Map<String, Stored> before = bucket();

        Path site = Files.createDirectories(tmp.resolve("public"));
        write(site, "index.html", "<h1>Home</h1>");
        write(site, "css/site.css", "body { color: teal; }");
        write(site, "blog/post/index.html", "<h1>Post</h1>");

        Map<String, String> files = localSite(site);

        LocalServers.Run first = deploy(githubRun("123", "1"), site);
        assertEquals(0, first.exitCode(), first.toString());
        assertSiteIn(files, bucket(), "the first attempt deployed the site");
        assertEquals(files.keySet(), sitePuts(files), "the first attempt uploaded every file: " + proxy.operations());
        assertEquals(1, cloudFront.invalidations(DIST).size(), first.toString());
        String firstId = cloudFront.invalidations(DIST).get(0).id();

        // The re-run finds the bucket as the first attempt found it, so it plans (and makes) the same writes.
        restore(before);
        proxy.clear();
        LocalServers.Run rerun = deploy(githubRun("123", "2"), site);
        assertEquals(0, rerun.exitCode(), rerun.toString());
        assertSiteIn(files, bucket(), "the re-run deployed the site");
        assertEquals(files.keySet(), sitePuts(files), "the re-run uploaded the same files again: " + proxy.operations());

        List<String> refs = callerReferencesReceived();
        assertEquals(2, refs.size(), "one CreateInvalidation per attempt: " + refs);
        assertEquals(refs.get(0), refs.get(1), "both attempts of run 123 send the same CallerReference");
        assertTrue(refs.get(0).startsWith("invalidate-github-123-"), refs.get(0));
        var held = cloudFront.invalidations(DIST);
        assertEquals(1, held.size(), "the second CreateInvalidation returned the existing invalidation: " + held);
        assertEquals(firstId, held.get(0).id());
        assertEquals(refs.get(0), held.get(0).callerReference());

        // Another CI run with the very same plan: a new invalidation.
        restore(before);
        LocalServers.Run other = deploy(githubRun("124", "1"), site);
        assertEquals(0, other.exitCode(), other.toString());
        refs = callerReferencesReceived();
        assertEquals(3, refs.size(), refs.toString());
        assertNotEquals(refs.get(0), refs.get(2), "run 124 does not reuse run 123's CallerReference");
        assertTrue(refs.get(2).startsWith("invalidate-github-124-"), refs.get(2));
        held = cloudFront.invalidations(DIST);
        assertEquals(2, held.size(), "a different GITHUB_RUN_ID is a new invalidation: " + held);
        assertNotEquals(firstId, held.get(1).id());
        assertEquals(refs.get(2), held.get(1).callerReference());
        assertEquals(new TreeSet<>(held.get(0).paths()), new TreeSet<>(held.get(1).paths()), "same plan, same paths: only the run differs");
    }

    /**
     * A 20 MiB file goes up in three 8 MiB parts (the last one 4 MiB); each UploadPart carries the Content-MD5 of exactly
     * its own bytes, so S3 rejects a part corrupted on the way rather than storing it.
     */
    @Test
    void eachUploadPartCarriesTheContentMd5OfItsOwnPart() throws Exception {
        Path site = Files.createDirectories(tmp.resolve("public"));
        byte[] big = new byte[20 * 1024 * 1024];
        new Random(20240607L).nextBytes(big);
        Files.write(site.resolve("big.bin"), big);
        write(site, "index.html", "<h1>Video</h1>");

        // A rule that never faults: it sees each call's headers before forwarding, which Request does not record.
        List<String[]> uploadParts = Collections.synchronizedList(new ArrayList<>()); // {key, partNumber, Content-MD5}
        proxy.injectAlways(call -> {
            if (call.operation().equals("UploadPart")) {
                Matcher m = Pattern.compile("(?:^|&)partNumber=(\\d+)").matcher(call.rawQuery());
                uploadParts.add(new String[] {call.key(), m.find() ? m.group(1) : null, call.header("Content-MD5")});
            }
            return false;
        }, S3FaultProxy.Fault.INTERNAL_ERROR);

        LocalServers.Run run = deploy(Map.of(), site);
        assertEquals(0, run.exitCode(), run.toString());
        assertArrayEquals(big, s3.getObjectAsBytes(r -> r.bucket(BUCKET).key("big.bin")).asByteArray());

        assertEquals(3, proxy.count("UploadPart"), proxy.operations().toString());
        assertEquals(proxy.count("UploadPart"), uploadParts.size());
        TreeSet<Integer> numbers = new TreeSet<>();
        for (String[] part : uploadParts) {
            assertEquals("big.bin", part[0]);
            assertNotNull(part[1], "UploadPart without partNumber");
            int n = Integer.parseInt(part[1]);
            numbers.add(n);
            assertNotNull(part[2], "UploadPart " + n + " has no Content-MD5");
            int from = (n - 1) * PART;
            int to = Math.min(big.length, n * PART);
            assertTrue(from < to, "part " + n + " beyond the file");
            assertEquals(md5Base64(big, from, to), part[2], "Content-MD5 of part " + n + " (bytes " + from + ".." + to + ")");
        }
        assertEquals(new TreeSet<>(List.of(1, 2, 3)), numbers);
    }
}
