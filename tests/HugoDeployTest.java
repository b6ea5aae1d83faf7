import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * deploy-site --hugo beside the real {@code hugo deploy}: one small Hugo site (tests/fixtures/hugo-site, no theme, the
 * matchers of Hugo's documentation), built with the real hugo binary, deployed to moto's S3 by both tools.
 * hugo is required: {@code .ci/run} installs it (Debian's package); without it the class fails, it never skips.
 * Every S3 call of both tools goes through the recording S3 fault proxy (the targets' endpoint), so the test sees
 * which objects each run wrote.
 */
class HugoDeployTest {
    static LocalServers.Moto moto;
    static S3FaultProxy proxy;
    static S3Client s3;
    static Path hugo;
    static String hugoVersion;

    static final String BUCKET_A = "hugo-a"; // target "moto" in the fixture's hugo.toml
    static final String BUCKET_B = "hugo-b"; // target "moto-b"
    static final String RECORDS = ".deploy-site/"; // deploy-site's own objects, not part of the site
    static final Set<String> UPLOADS = Set.of("PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload",
            "CopyObject", "UploadPartCopy");
    /** A 1x1 PNG: the one binary file of the site, written here so that the fixture stays text. */
    static final byte[] PNG = Base64.getDecoder().decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");

    @TempDir
    Path tmp;
    Path site;

    @BeforeAll
    static void startServers() throws Exception {
        hugo = Peers.onPath("hugo");
        if (hugo == null) {
            fail("hugo is not installed (not on the PATH): HugoDeployTest runs the real `hugo` and `hugo deploy`. "
                    + ".ci/run installs it (apt-get install hugo); elsewhere install Hugo with deploy support (Debian's hugo, "
                    + "or a release before 0.137 / a *_withdeploy_* build).");
        }
        LocalServers.init();
        moto = LocalServers.Moto.start();
        proxy = S3FaultProxy.start(moto.endpoint());
        s3 = TestS3.client(moto.endpoint());
    }

    @AfterAll
    static void stopServers() throws Exception {
        LocalServers.closeAll(s3, proxy, moto);
    }

    @BeforeEach
    void freshSite() throws Exception {
        moto.reset();
        proxy.clear();
        s3.createBucket(b -> b.bucket(BUCKET_A));
        s3.createBucket(b -> b.bucket(BUCKET_B));
        site = tmp.resolve("site");
        Path fixture = LocalServers.repoRoot().resolve("tests/fixtures/hugo-site");
        try (Stream<Path> walk = Files.walk(fixture)) {
            for (Path p : walk.toList()) {
                Path to = site.resolve(fixture.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(to);
                else Files.copy(p, to);
            }
        }
        Path config = site.resolve("hugo.toml");
        Files.writeString(config, Files.readString(config).replace("@ENDPOINT@", proxy.endpoint().toString()));
        Files.createDirectories(site.resolve("static/img"));
        Files.write(site.resolve("static/img/logo.png"), PNG);
        if (hugoVersion == null) {
            hugoVersion = hugo("version").stdout().strip();
            System.out.println("HugoDeployTest: " + hugoVersion + " (" + hugo + ")");
        }
        build();
    }

    // ---------------------------------------------------------------- the scenarios

    @Test
    void deploySiteHugoOnABucketThatHugoDeployFilledUploadsNothing() throws Exception {
        hugoDeploy("moto");
        assertEquals(expectedKeys(), siteKeys(BUCKET_A), "hugo deploy stored public/ less the excluded **.{heic,psd}");
        Map<String, String> filled = versions(BUCKET_A);

        // The plan: nothing to upload, nothing to delete, and a dry run writes nothing at all.
        proxy.clear();
        Map<?, ?> plan = deploySite("--hugo", site.toString(), "--target", "moto", "--no-invalidate", "--dry-run", "--output", "json");
        assertEquals(List.of(), keys(plan.get("Uploaded")), "planned uploads on a bucket hugo deploy filled: " + plan.get("Summary"));
        assertEquals(List.of(), plan.get("Deleted"), "planned deletions: " + plan.get("Summary"));
        assertEquals(List.of(), keys(plan.get("Kept")), "orphans: " + plan.get("Summary"));
        assertEquals(List.of(), writes(null), "a dry run only reads");
        assertFalse(proxy.requests("ListObjectsV2").isEmpty(), "deploy-site went through the target's endpoint (the recording proxy)");

        // The real run: no upload, copy or delete of a site object (deploy-site may write its own records).
        proxy.clear();
        Map<?, ?> run = deploySite("--hugo", site.toString(), "--target", "moto", "--no-invalidate", "--output", "json");
        assertEquals(List.of(), keys(run.get("Uploaded")), "uploads: " + run.get("Summary"));
        assertEquals(List.of(), run.get("Deleted"), "deletions: " + run.get("Summary"));
        assertEquals(List.of(), writes(RECORDS), "requests that wrote site objects");
        assertEquals(filled, versions(BUCKET_A), "every object as hugo deploy left it (ETag and LastModified)");

        // Once more: what the first run learned about the gzip objects is remembered, so no body is downloaded again.
        proxy.clear();
        Map<?, ?> again = deploySite("--hugo", site.toString(), "--target", "moto", "--no-invalidate", "--output", "json");
        assertEquals(List.of(), keys(again.get("Uploaded")), "uploads: " + again.get("Summary"));
        assertEquals(List.of(), writes(RECORDS), "requests that wrote site objects");
        assertEquals(List.of(), siteRequests("GetObject"), "site objects downloaded again on the run after the one that compared them");
        assertEquals(filled, versions(BUCKET_A));

        // One page edited: exactly the files whose bytes changed are uploaded.
        Map<String, byte[]> before = publicFiles();
        Path page = site.resolve("content/posts/second.md");
        Files.writeString(page, Files.readString(page).replace("Second post body text.", "Second post body text, edited."));
        build();
        Map<String, byte[]> after = publicFiles();
        Set<String> changed = new TreeSet<>();
        for (String key : after.keySet()) {
            if (!Arrays.equals(before.get(key), after.get(key)) && !excluded(key)) changed.add(key);
        }
        assertEquals(before.keySet(), after.keySet(), "the edit neither adds nor removes a file");
        assertTrue(changed.contains("posts/second/index.html"), "the edited page changed: " + changed);
        proxy.clear();
        Map<?, ?> edit = deploySite("--hugo", site.toString(), "--target", "moto", "--no-invalidate", "--output", "json");
        assertEquals(changed, new TreeSet<>(keys(edit.get("Uploaded"))), "uploaded: " + edit.get("Summary"));
        assertEquals(List.of(), edit.get("Deleted"), "deletions: " + edit.get("Summary"));
        assertEquals(changed, writes(RECORDS).stream().map(S3FaultProxy.Request::key).collect(Collectors.toCollection(TreeSet::new)),
                "the site objects written");
        Map<String, String> now = versions(BUCKET_A);
        for (String key : filled.keySet()) {
            if (!changed.contains(key)) assertEquals(filled.get(key), now.get(key), key + " untouched");
        }
        assertEquals(expectedKeys(), siteKeys(BUCKET_A));
        for (String key : siteKeys(BUCKET_A)) {
            assertArrayEquals(after.get(key), content(BUCKET_A, key), key + " (after gunzip when Content-Encoding: gzip) is public/" + key);
        }
        System.out.println("HugoDeployTest: after hugo deploy, deploy-site --hugo uploaded nothing; after editing one page it uploaded "
                + changed.size() + " changed file(s) " + changed + " of " + expectedKeys().size());
    }

    @Test
    void deploySiteHugoStoresTheSameObjectsAsHugoDeploy() throws Exception {
        hugoDeploy("moto");
        Map<?, ?> run = deploySite("--hugo", site.toString(), "--target", "moto-b", "--no-invalidate", "--output", "json");
        assertEquals(BUCKET_B, run.get("Bucket"), "target moto-b is bucket " + BUCKET_B);

        Set<String> keys = siteKeys(BUCKET_A);
        assertEquals(expectedKeys(), keys, "hugo deploy's keys");
        assertEquals(keys, siteKeys(BUCKET_B), "deploy-site --hugo's keys (" + RECORDS + " aside) are hugo deploy's");
        Map<String, byte[]> local = publicFiles();
        List<String> differences = new ArrayList<>();
        int gzipped = 0;
        Set<String> charsetAdded = new TreeSet<>();
        for (String key : keys) {
            HeadObjectResponse a = s3.headObject(r -> r.bucket(BUCKET_A).key(key));
            HeadObjectResponse b = s3.headObject(r -> r.bucket(BUCKET_B).key(key));
            compare(differences, key, "media type", mediaType(a.contentType()), mediaType(b.contentType()));
            compare(differences, key, "Cache-Control", a.cacheControl(), b.cacheControl());
            compare(differences, key, "Content-Encoding", a.contentEncoding(), b.contentEncoding());
            if ("gzip".equals(a.contentEncoding())) gzipped++;
            if (b.contentType() != null && !b.contentType().equals(a.contentType())) charsetAdded.add(key + ": " + b.contentType());
            byte[] bytesA = content(BUCKET_A, key, a);
            byte[] bytesB = content(BUCKET_B, key, b);
            if (!Arrays.equals(bytesA, bytesB)) differences.add(key + ": the bytes (after gunzip) differ");
            if (!Arrays.equals(local.get(key), bytesA)) differences.add(key + ": hugo deploy's object is not public/" + key);
        }
        assertEquals(List.of(), differences, "hugo deploy (bucket " + BUCKET_A + ") against deploy-site --hugo (bucket " + BUCKET_B + ")");
        System.out.println("HugoDeployTest: compared " + keys.size() + " objects of hugo deploy and deploy-site --hugo (" + gzipped
                + " gzip): same keys, media types, Cache-Control, Content-Encoding and bytes after gunzip"
                + (charsetAdded.isEmpty() ? "" : "; Content-Type differing only in parameters: " + charsetAdded));
    }

    // ---------------------------------------------------------------- hugo

    /** Runs the real hugo in the site folder: a clean PATH, HOME in the temp folder, the local servers' keys. */
    LocalServers.Run hugo(String... args) throws IOException, InterruptedException {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", hugo.getParent() + ":/usr/bin:/bin");
        env.put("HOME", tmp.toString());
        env.put("HUGO_CACHEDIR", tmp.resolve("hugo-cache").toString());
        env.put("AWS_ACCESS_KEY_ID", LocalServers.ACCESS_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", LocalServers.SECRET_KEY);
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        List<String> command = new ArrayList<>(List.of(hugo.toString()));
        command.addAll(List.of(args));
        Path dir = Files.isDirectory(site) ? site : tmp;
        LocalServers.Run run = LocalServers.run(command, dir, env, null);
        assertEquals(0, run.exitCode(), "hugo " + String.join(" ", args) + "\n" + run);
        return run;
    }

    void build() throws IOException, InterruptedException {
        hugo("--quiet");
    }

    void hugoDeploy(String target) throws IOException, InterruptedException {
        LocalServers.Run run = hugo("deploy", "--target", target, "--invalidateCDN=false");
        assertTrue(run.all().contains("Success"), "hugo deploy --target " + target + "\n" + run);
    }

    // ---------------------------------------------------------------- deploy-site

    /** deploy-site in-process with --output json: exit 0 and the parsed report. */
    Map<?, ?> deploySite(String... args) {
        LocalServers.Run run = InProcess.deploySite(new HashMap<>(), List.of(args));
        assertEquals(0, run.exitCode(), "deploy-site " + String.join(" ", args) + "\n" + run);
        try {
            return (Map<?, ?>) MiniJson.parse(run.stdout());
        } catch (RuntimeException e) {
            throw new AssertionError("deploy-site " + String.join(" ", args) + " did not print one JSON report\n" + run, e);
        }
    }

    /** The "Key" of each entry of a report's list. */
    static List<String> keys(Object entries) {
        assertNotNull(entries, "a list in the report");
        return ((List<?>) entries).stream().map(e -> (String) ((Map<?, ?>) e).get("Key")).toList();
    }

    /**
     * Recorded requests that wrote: with a prefix, those that uploaded, copied or deleted an object outside it (the
     * planned deletions are checked in the report); with null, every write of any kind.
     */
    static List<S3FaultProxy.Request> writes(String allowedPrefix) {
        return proxy.requests().stream()
                .filter(r -> r.isWrite())
                .filter(r -> allowedPrefix == null || (r.key() != null && !r.key().startsWith(allowedPrefix)
                        && (UPLOADS.contains(r.operation()) || r.operation().equals("DeleteObject"))))
                .toList();
    }

    static List<S3FaultProxy.Request> siteRequests(String operation) {
        return proxy.requests(operation).stream().filter(r -> r.key() != null && !r.key().startsWith(RECORDS)).toList();
    }

    // ---------------------------------------------------------------- the site and the buckets

    /** public/ as key -> bytes. */
    Map<String, byte[]> publicFiles() throws IOException {
        Path publicDir = site.resolve("public");
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(publicDir)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                files.put(publicDir.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
            }
        }
        return files;
    }

    /** The targets' exclude = '**.{heic,psd}'. */
    static boolean excluded(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.endsWith(".heic") || k.endsWith(".psd");
    }

    Set<String> expectedKeys() throws IOException {
        Set<String> keys = publicFiles().keySet().stream().filter(k -> !excluded(k)).collect(Collectors.toCollection(TreeSet::new));
        assertTrue(keys.containsAll(List.of("index.html", "sitemap.xml", "index.xml", "css/site.css", "js/app.js", "img/logo.png",
                "robots.txt", "posts/first/index.html")), "the fixture builds: " + keys);
        return keys;
    }

    /** The bucket's keys, deploy-site's own records aside. */
    static Set<String> siteKeys(String bucket) {
        Set<String> keys = new TreeSet<>();
        for (var page : s3.listObjectsV2Paginator(r -> r.bucket(bucket))) {
            for (var o : page.contents()) if (!o.key().startsWith(RECORDS)) keys.add(o.key());
        }
        return keys;
    }

    /** key -> ETag@LastModified of the site objects. */
    static Map<String, String> versions(String bucket) {
        Map<String, String> versions = new TreeMap<>();
        for (var page : s3.listObjectsV2Paginator(r -> r.bucket(bucket))) {
            for (var o : page.contents()) if (!o.key().startsWith(RECORDS)) versions.put(o.key(), o.eTag() + "@" + o.lastModified());
        }
        return versions;
    }

    static byte[] content(String bucket, String key) {
        return content(bucket, key, s3.headObject(r -> r.bucket(bucket).key(key)));
    }

    /** The object's bytes, gunzipped when its Content-Encoding is gzip. */
    static byte[] content(String bucket, String key, HeadObjectResponse head) {
        byte[] stored = s3.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asByteArray();
        if (!"gzip".equalsIgnoreCase(head.contentEncoding())) return stored;
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(stored))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(bucket + "/" + key + " says Content-Encoding: gzip but does not gunzip", e);
        }
    }

    /** The media type without parameters ("text/html; charset=utf-8" -> "text/html"). */
    static String mediaType(String contentType) {
        return contentType == null ? null : contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    }

    static void compare(List<String> differences, String key, String what, String hugoDeploy, String deploySite) {
        if (hugoDeploy == null ? deploySite != null : !hugoDeploy.equals(deploySite)) {
            differences.add(key + ": " + what + " " + (hugoDeploy == null ? "none" : "'" + hugoDeploy + "'") + " by hugo deploy, "
                    + (deploySite == null ? "none" : "'" + deploySite + "'") + " by deploy-site --hugo");
        }
    }
}
