import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * deploy-site's listing in ranges (Bucket.list with the cuts Site.listingCuts picks) against moto behind the recording
 * proxy: whatever the cuts, the ranges together are exactly the one pass, in S3's order, for at most one request more
 * per range; and where the bucket holds the site, exactly the one pass's requests. One bucket of 1,260 keys (more than
 * a page, so a range needs a continuation) filled once for the class.
 */
class ListingTest {
    static LocalServers.Moto moto;
    static S3FaultProxy proxy;
    static S3Client s3;
    static DeploySite.Bucket bucket;
    static final String BUCKET = "listing-ranges";
    static final String PREFIX = "site/";
    /** Keys beside the 1,250 pages: S3's order differs from Java's for the last two (U+FF5E sorts before U+1F600 in UTF-8). */
    static final List<String> SPECIAL = List.of("site/.deploy-site/pending/20261130T000000Z-abcdefgh.txt", "site/a b+c.txt",
            "site/caf\u00e9/index.html", "site/\uFF5E/tilde.html", "site/\uD83D\uDE00/smile.html", "site/p/0500.txt/x",
            "sitex/not-under-the-prefix.txt", "other/elsewhere.txt", "site", "site/zz");
    static List<String> onePass;

    @BeforeAll
    static void fillTheBucket() throws Exception {
        LocalServers.init();
        moto = LocalServers.Moto.start();
        proxy = S3FaultProxy.start(moto.endpoint());
        s3 = TestS3.client(moto.endpoint());
        s3.createBucket(b -> b.bucket(BUCKET));
        List<String> keys = new ArrayList<>(SPECIAL);
        for (int i = 0; i < 1250; i++) keys.add(String.format("site/p/%04d.txt", i));
        ExecutorService puts = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (String k : keys) done.add(puts.submit(() -> s3.putObject(r -> r.bucket(BUCKET).key(k), RequestBody.fromString(k))));
            for (Future<?> f : done) f.get();
        } finally {
            puts.shutdown();
        }
        onePass = new ArrayList<>();
        for (var page : s3.listObjectsV2Paginator(r -> r.bucket(BUCKET).prefix(PREFIX))) page.contents().forEach(o -> onePass.add(o.key()));
        bucket = DeploySite.Bucket.connect(BUCKET, new DeploySite.Bucket.Settings(
                StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")), "us-east-1", null,
                proxy.endpoint(), true, true, RequestChecksumCalculation.WHEN_SUPPORTED, false), 4);
    }

    @AfterAll
    static void stopServers() throws Exception {
        if (bucket != null) bucket.close();
        LocalServers.closeAll(s3, proxy, moto);
    }

    @AfterEach
    void clear() {
        proxy.clear();
    }

    static Stream<Arguments> cuts() {
        return Stream.of(
                Arguments.of("no cut: one pass", List.of()),
                Arguments.of("after the first key", List.of("site/.deploy-site/pending/20261130T000000Z-abcdefgh.txt")),
                Arguments.of("after the last key", List.of("site/zz")),
                Arguments.of("beyond every key", List.of("site/zzz")),
                Arguments.of("before every key", List.of("site/!")),
                Arguments.of("keys the bucket lacks", List.of("site/p/0100.txt.new", "site/p/0999x", "site/q")),
                Arguments.of("a range of more than a page", List.of("site/a b+c.txt", "site/p/1240.txt")),
                Arguments.of("between the fullwidth tilde and the emoji (S3's order, not Java's)", List.of("site/\uFF5E/tilde.html")),
                Arguments.of("every 100th page key", everyHundredth()),
                Arguments.of("what deploy-site picks for the bucket's own keys", DeploySite.Site.listingCuts(onePassKeys(), 4)));
    }

    static List<String> everyHundredth() {
        List<String> cuts = new ArrayList<>();
        for (int i = 99; i < 1250; i += 100) cuts.add(String.format("site/p/%04d.txt", i));
        return cuts;
    }

    static List<String> onePassKeys() {
        return onePass;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cuts")
    void theRangesTogetherAreTheOnePass(String name, List<String> cuts) {
        List<String> listed = bucket.list(PREFIX, cuts).stream().map(DeploySite.Site.RemoteObject::key).toList();
        assertEquals(onePass, listed);
        long pages = (onePass.size() + 999) / 1000;
        long requests = proxy.count("ListObjectsV2");
        assertTrue(requests <= pages + cuts.size(), requests + " requests for " + pages + " pages and " + (cuts.size() + 1) + " ranges");
        if (!cuts.isEmpty()) {
            assertTrue(proxy.requests("ListObjectsV2").stream().anyMatch(r -> r.rawQuery() != null && r.rawQuery().contains("start-after=")),
                    "the ranges start after their cuts");
        }
    }

    @Test
    void aBucketThatHoldsTheSiteCostsTheOnePasssRequests() {
        List<String> cuts = DeploySite.Site.listingCuts(onePass, 4);
        assertEquals(1, cuts.size(), "1,259 keys: two ranges");
        bucket.list(PREFIX, cuts);
        assertEquals(2, proxy.count("ListObjectsV2"), "as many as the one pass: 2 pages");
    }

    @Test
    void aRangeThatFailsFailsTheListingWithS3sErrorCode() {
        proxy.injectAlways(c -> "ListObjectsV2".equals(c.operation()) && c.rawQuery() != null && c.rawQuery().contains("start-after="),
                S3FaultProxy.Fault.ACCESS_DENIED);
        S3Exception e = assertThrows(S3Exception.class, () -> bucket.list(PREFIX, everyHundredth()));
        assertEquals("AccessDenied", e.awsErrorDetails().errorCode());
    }
}
