import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Layer 1: the pure planning functions of deploy-site.java, table-driven. */
class DeploySitePlanTest {
    static final DeploySite.Site.Headers HTML = new DeploySite.Site.Headers("text/html; charset=utf-8", null, null);

    static DeploySite.Site.LocalFile file(String key, long size, String md5) {
        return new DeploySite.Site.LocalFile(key, Path.of(key), size, md5, null, HTML, DeploySite.Site.isEntryPoint(key));
    }

    static DeploySite.Site.RemoteObject object(String key, long size, String etag) {
        return new DeploySite.Site.RemoteObject(key, size, "\"" + etag + "\"");
    }

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @CsvSource(delimiter = '|', value = {
            "s3://my-site            | my-site      | ''",
            "s3://my-site/           | my-site      | ''",
            "s3://my-site/prod       | my-site      | prod/",
            "s3://my-site/prod/      | my-site      | prod/",
            "s3://my-site//a//b      | my-site      | a/b/",
            "s3://www.example.com/x  | www.example.com | x/",
            "s3://abc                | abc          | ''",
    })
    void parsesTargets(String url, String bucket, String prefix) {
        assertEquals(new DeploySite.Site.Target(bucket, prefix), DeploySite.Site.Target.parse(url));
    }

    @ParameterizedTest(name = "{0} is a usage error")
    @CsvSource(delimiter = '|', value = {
            "my-site", "s3:/my-site", "https://my-site", "s3://", "s3://ab", "s3://My-Site", "s3://my_site", "s3://-site",
            "s3://site-", "s3://a..b", "s3://192.168.1.1", "s3://" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "s3://site/../x", "s3://site/./x", "S3://site",
    })
    void rejectsMalformedTargets(String url) {
        assertThrows(Invalidate.Invalidations.UsageError.class == null ? null : DeploySite.Invalidations.UsageError.class,
                () -> DeploySite.Site.Target.parse(url));
    }

    @Test
    void decidesUploadsByContentNotByTime() {
        var local = List.of(
                file("new.html", 10, "aa"),
                file("same.html", 10, "bb"),
                file("resized.html", 11, "cc"),
                file("edited.css", 10, "dd"),     // same size, other bytes: the stale stylesheet aws s3 sync misses
                file("other-parts.js", 10, "ee")); // uploaded in parts of another size: the stored MD5 decides
        var remote = List.of(
                object("same.html", 10, "bb"),
                object("resized.html", 10, "cc"),
                object("edited.css", 10, "00"),
                object("other-parts.js", 10, "0123456789abcdef0123456789abcdef-2"),
                object("gone.html", 5, "ff"));
        assertEquals(List.of("other-parts.js"), DeploySite.Site.needsStoredChecksum(local, remote),
                "this store's ETags are MD5s (same.html matched): a plain ETag that differs is a change, no HEAD needed");
        var plan = DeploySite.Site.plan(local, remote, "", List.of(), false, false, Map.of("other-parts.js", "ee"));
        assertEquals(List.of("edited.css:CHANGED", "new.html:NEW", "resized.html:CHANGED"),
                plan.uploads().stream().map(u -> u.file().key() + ":" + u.reason()).toList());
        assertEquals(List.of("same.html", "other-parts.js"), plan.unchanged().stream().map(DeploySite.Site.LocalFile::key).toList());
        assertEquals(List.of("gone.html"), plan.deletions());
        var forced = DeploySite.Site.plan(local, remote, "", List.of(), false, true, Map.of());
        assertEquals(5, forced.uploads().size());
        assertTrue(forced.uploads().stream().filter(u -> u.file().key().equals("same.html")).allMatch(u -> u.reason() == DeploySite.Site.Reason.FORCED));
    }

    @Test
    void asksForTheStoredMd5WhenNoEtagOfTheStoreIsAnMd5() {
        // SSE-KMS: every ETag is opaque, so each same-size object needs its stored MD5
        var local = List.of(file("a.html", 10, "aa"), file("b.css", 10, "bb"), file("c.js", 3, "cc"));
        var remote = List.of(object("a.html", 10, "0123456789abcdef0123456789abcdef"), object("b.css", 10, "fedcba9876543210fedcba9876543210"),
                object("c.js", 4, "00"));
        assertEquals(List.of("a.html", "b.css"), DeploySite.Site.needsStoredChecksum(local, remote));
        var plan = DeploySite.Site.plan(local, remote, "", List.of(), false, false, Map.of("a.html", "aa", "b.css", "old"));
        assertEquals(List.of("b.css", "c.js"), plan.uploads().stream().map(u -> u.file().key()).toList());
        assertEquals(List.of("a.html"), plan.unchanged().stream().map(DeploySite.Site.LocalFile::key).toList());
    }

    @Test
    void comparesMultipartObjectsByTheirRecomputedEtag() {
        var big = new DeploySite.Site.LocalFile("video.mp4", Path.of("video.mp4"), 20_000_000, "11", "abc-3",
                new DeploySite.Site.Headers("video/mp4", null, null), false);
        var plan = DeploySite.Site.plan(List.of(big), List.of(object("video.mp4", 20_000_000, "abc-3")), "", List.of(), false, false, Map.of());
        assertEquals(List.of(), plan.uploads());
        var other = DeploySite.Site.plan(List.of(big), List.of(object("video.mp4", 20_000_000, "abd-3")), "", List.of(), false, false, Map.of());
        assertEquals(1, other.uploads().size());
    }

    @Test
    void deletesOnlyUnderThePrefixAndNeverHiddenExcludedOrFolderMarkers() {
        var remote = List.of(object("site/a.html", 1, "1"), object("site/old.html", 1, "2"), object("site2/x.html", 1, "3"),
                object("site/.env", 1, "4"), object("site/dir/.keep", 1, "5"), object("site/.well-known/old.txt", 1, "6"),
                object("site/uploads/kept.png", 1, "7"), object("site/folder/", 0, "8"));
        var plan = DeploySite.Site.plan(List.of(file("site/a.html", 1, "1")), remote, "site/", List.of("uploads/**"), false, false, Map.of());
        assertEquals(List.of("site/.well-known/old.txt", "site/old.html"), plan.deletions());
        var hiddenToo = DeploySite.Site.plan(List.of(file("site/a.html", 1, "1")), remote, "site/", List.of(), true, false, Map.of());
        assertEquals(List.of("site/.env", "site/.well-known/old.txt", "site/dir/.keep", "site/old.html", "site/uploads/kept.png"), hiddenToo.deletions());
    }

    @ParameterizedTest(name = "{0} hidden: {1}")
    @CsvSource({".env, true", "a/.git/config, true", ".well-known/security.txt, false", "a/b.html, false", "a.b/c, false", ".well-known/.x, true"})
    void recognisesHiddenPaths(String path, boolean hidden) {
        assertEquals(hidden, DeploySite.Site.isHidden(path));
    }

    static final DeploySite.Site.Rules NO_RULES = DeploySite.Site.Rules.of(List.of(), List.of(), null, List.of());

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "index.html          | text/html; charset=utf-8",
            "a/B.HTM             | text/html; charset=utf-8",
            "css/site.css        | text/css; charset=utf-8",
            "js/app.js           | text/javascript; charset=utf-8",
            "js/mod.mjs          | text/javascript; charset=utf-8",
            "index.json          | application/json; charset=utf-8",
            "index.xml           | application/xml; charset=utf-8",
            "feed.rss            | application/rss+xml; charset=utf-8",
            "feed.atom           | application/atom+xml; charset=utf-8",
            "logo.svg            | image/svg+xml; charset=utf-8",
            "app.wasm            | application/wasm",
            "site.webmanifest    | application/manifest+json; charset=utf-8",
            "f.woff2             | font/woff2",
            "f.woff              | font/woff",
            "f.ttf               | font/ttf",
            "f.otf               | font/otf",
            "i.avif              | image/avif",
            "i.webp              | image/webp",
            "i.png               | image/png",
            "i.jpg               | image/jpeg",
            "i.gif               | image/gif",
            "favicon.ico         | image/vnd.microsoft.icon",
            "doc.pdf             | application/pdf",
            "robots.txt          | text/plain; charset=utf-8",
            "app.js.map          | application/json; charset=utf-8",
            "v.mp4               | video/mp4",
            "v.webm              | video/webm",
            "a.mp3               | audio/mpeg",
            "a.zip               | application/zip",
            "CNAME               | application/octet-stream",
    })
    void choosesContentTypesForTheWeb(String path, String type) {
        assertEquals(type, NO_RULES.headersFor(path).contentType());
    }

    @Test
    void userRulesWinFirstMatchFirst() {
        var rules = DeploySite.Site.Rules.of(List.of("**.html=text/plain; charset=utf-8", "CNAME=text/plain"),
                List.of("img/**=public, max-age=600", "**=no-cache", "img/**=never"), DeploySite.Site.Preset.hugo, List.of());
        assertEquals("text/plain", rules.headersFor("CNAME").contentType());
        assertEquals("public, max-age=600", rules.headersFor("img/a.png").cacheControl());
        assertEquals("no-cache", rules.headersFor("css/main.0123456789.css").cacheControl(), "user rules before the preset");
        assertThrows(DeploySite.Invalidations.UsageError.class, () -> DeploySite.Site.Rules.of(List.of("nonsense"), List.of(), null, List.of()));
        assertThrows(DeploySite.Invalidations.UsageError.class, () -> DeploySite.Site.Rules.of(List.of(), List.of("x="), null, List.of()));
    }

    @ParameterizedTest(name = "hugo preset {0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "css/main.min.5f1e0a3b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f.css | public, max-age=31536000, immutable",
            "js/app.0123abcd.js            | public, max-age=31536000, immutable",
            "images/photo_hu0123456789abcdef_1200x0_resize.jpg | public, max-age=31536000, immutable",
            "index.html                    | public, max-age=0, must-revalidate",
            "blog/index.xml                | public, max-age=0, must-revalidate",
            "sitemap.xml                   | public, max-age=0, must-revalidate",
            "index.json                    | public, max-age=0, must-revalidate",
            "css/site.css                  | ''",
            "images/cafe1234.png           | ''",
            "js/app.0123abc.js             | ''",
    })
    void hugoPresetMakesFingerprintedAssetsImmutableAndPagesRevalidate(String path, String cacheControl) {
        var rules = DeploySite.Site.Rules.of(List.of(), List.of(), DeploySite.Site.Preset.hugo, List.of());
        assertEquals(cacheControl.isEmpty() ? null : cacheControl, rules.headersFor(path).cacheControl());
    }

    @Test
    void gzipsTextTypesOrTheGivenGlob() {
        var text = DeploySite.Site.Rules.of(List.of(), List.of(), null, List.of("**"));
        assertEquals("gzip", text.headersFor("index.html").contentEncoding());
        assertEquals("gzip", text.headersFor("a.svg").contentEncoding());
        assertNull(text.headersFor("a.png").contentEncoding());
        var glob = DeploySite.Site.Rules.of(List.of(), List.of(), null, List.of("**.css"));
        assertEquals("gzip", glob.headersFor("a/b.css").contentEncoding());
        assertNull(glob.headersFor("index.html").contentEncoding());
    }

    @Test
    void anEndpointFromTheEnvironmentTakesPathStyleLikeTheFlag() {
        java.net.URI flag = java.net.URI.create("http://localhost:9000");
        assertTrue(DeploySite.Site.endpointGiven(flag, Map.of()));
        assertTrue(DeploySite.Site.endpointGiven(null, Map.of("AWS_ENDPOINT_URL_S3", "http://localhost:9000")));
        assertTrue(DeploySite.Site.endpointGiven(null, Map.of("AWS_ENDPOINT_URL", "http://localhost:9000")));
        assertFalse(DeploySite.Site.endpointGiven(null, Map.of("AWS_ENDPOINT_URL_CLOUDFRONT", "http://localhost:9000")));
        assertFalse(DeploySite.Site.endpointGiven(null, Map.of("AWS_ENDPOINT_URL_S3", " ")));
        assertFalse(DeploySite.Site.endpointGiven(null, Map.of("AWS_ENDPOINT_URL_S3", "http://localhost:9000", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")));
        assertFalse(DeploySite.Site.endpointGiven(null, Map.of()));
    }

    @Test
    void everyGzipGivenCounts() {
        var cmd = new DeploySite();
        DeploySite.newCommandLine(cmd).parseArgs("--gzip", "**.css", "--gzip", "--gzip", "**.js", "--gzip", "tests", "s3://b");
        assertEquals(List.of("**.css", "**", "**.js", "**"), cmd.gzip, "a bare --gzip adds the text types; an existing folder is never a GLOB");
        var rules = DeploySite.Site.Rules.of(List.of(), List.of(), null, List.of("**.css", "**.bin"));
        assertEquals("gzip", rules.headersFor("a/b.css").contentEncoding());
        assertEquals("gzip", rules.headersFor("data/x.bin").contentEncoding(), "the second glob is kept, not replaced by the last");
        assertNull(rules.headersFor("index.html").contentEncoding());
        var both = DeploySite.Site.Rules.of(List.of(), List.of(), null, List.of("**", "**.bin"));
        assertEquals("gzip", both.headersFor("index.html").contentEncoding());
        assertEquals("gzip", both.headersFor("x.bin").contentEncoding());
        assertNull(both.headersFor("a.png").contentEncoding());
    }

    @ParameterizedTest(name = "{0} entry point: {1}")
    @CsvSource({"index.html, true", "a/b.htm, true", "index.xml, true", "sitemap.xml, true", "feed.atom, true", "site.webmanifest, true",
            "manifest.json, true", "css/a.css, false", "index.json, false", "img/a.svg, false", "robots.txt, false"})
    void recognisesEntryPoints(String path, boolean entry) {
        assertEquals(entry, DeploySite.Site.isEntryPoint(path));
    }

    @ParameterizedTest(name = "{0} under origin path ''{1}'' -> {2}")
    @CsvSource(delimiter = '|', value = {
            "a.html        | ''     | /a.html",
            "prod/a.html   | prod   | /a.html",
            "prod/x/y.css  | prod   | /x/y.css",
            "production/a  | prod   | ''",
            "a.html        | prod   | ''",
    })
    void mapsKeysToUrlsThroughTheOriginPath(String key, String originPath, String url) {
        assertEquals(url.isEmpty() ? null : url, DeploySite.Site.urlOf(key, originPath));
    }

    @Test
    void picksTheOriginThatServesTheBucket() {
        var d = new DeploySite.Invalidations.Distribution("E1", "d.cloudfront.net", List.of(), List.of(
                new DeploySite.Invalidations.Origin("a", "other.s3.amazonaws.com", "/x"),
                new DeploySite.Invalidations.Origin("b", "site.s3.us-east-1.amazonaws.com", "/prod"),
                new DeploySite.Invalidations.Origin("c", "site.s3.us-east-1.amazonaws.com", "")));
        assertEquals("prod", DeploySite.Site.originPath(d, new DeploySite.Site.Target("site", "prod/"), s -> { }));
        assertEquals("", DeploySite.Site.originPath(d, new DeploySite.Site.Target("site", "staging/"), s -> { }));
        List<String> notes = new ArrayList<>();
        assertEquals("", DeploySite.Site.originPath(d, new DeploySite.Site.Target("elsewhere", ""), notes::add));
        assertEquals(1, notes.size());
    }

    static List<DeploySite.Site.LocalFile> site(String... keys) {
        return Arrays.stream(keys).map(k -> file(k, 1, "x")).toList();
    }

    @Test
    void invalidatesExactUrlsWithinTheBudget() {
        var local = site("index.html", "blog/post/index.html", "blog/post/cover.jpg", "css/a.css", "css/b.css", "img/b.png");
        var plan = DeploySite.Site.planInvalidation(List.of("blog/post/index.html", "css/a.css"), List.of("old.html"), local, List.of(), "", 30, s -> { });
        assertEquals(List.of("/blog/post/", "/blog/post/index.html", "/css/a.css", "/old.html"), plan.paths());
        assertEquals(plan.paths(), plan.changedUrls());
        assertEquals(0, plan.alsoInvalidated());
        assertEquals(5, plan.underEverything(), "/, /index.html, /blog/post/cover.jpg, /css/b.css, /img/b.png");
        // without the unchanged cover.jpg beside it, one wildcard costs one path instead of two and invalidates nothing more
        var alone = DeploySite.Site.planInvalidation(List.of("blog/post/index.html", "css/a.css"), List.of("old.html"),
                site("index.html", "blog/post/index.html", "css/a.css", "css/b.css"), List.of(), "", 30, s -> { });
        assertEquals(List.of("/blog/post/*", "/css/a.css", "/old.html"), alone.paths());
        assertEquals(0, alone.alsoInvalidated());
        var root = DeploySite.Site.planInvalidation(List.of("index.html"), List.of(), local, List.of(), "", 30, s -> { });
        assertEquals(List.of("/", "/index.html"), root.paths());
    }

    @Test
    void overBudgetChoosesTheWildcardsThatInvalidateTheFewestUnchangedUrls() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 10; i++) keys.add("tags/t" + i + "/index.html");   // 10 changed pages, 0 unchanged under tags/
        for (int i = 0; i < 100; i++) keys.add("posts/p" + i + "/index.html"); // 100 unchanged pages: 200 URLs
        keys.add("posts/new/index.html");                                        // 1 changed page among them
        keys.add("index.html");
        var local = site(keys.toArray(String[]::new));
        List<String> changed = new ArrayList<>(keys.subList(0, 10));
        changed.add("posts/new/index.html");
        changed.add("index.html");
        var plan = DeploySite.Site.planInvalidation(changed, List.of(), local, List.of(), "", 5, s -> { });
        // nothing unchanged is invalidated, and of the ways to do that the one with the fewest paths
        assertEquals(List.of("/", "/index.html", "/posts/new/*", "/tags/t*"), plan.paths(), "the longest prefix the changed tags share");
        assertEquals(0, plan.alsoInvalidated());
        assertEquals(24, plan.changedUrls().size());
        assertEquals(200, plan.underEverything(), "the 100 unchanged pages are 200 URLs: /posts/pN/ and /posts/pN/index.html");
        // a budget of 3 cannot cover / and /index.html and the rest without the root wildcard, whose cost the plan states
        var tight = DeploySite.Site.planInvalidation(changed, List.of(), local, List.of(), "", 3, s -> { });
        assertEquals(List.of("/*"), tight.paths());
        assertEquals(200, tight.alsoInvalidated());
        // within 30 every changed URL goes as an exact path unless a wildcard saves paths for nothing
        var roomy = DeploySite.Site.planInvalidation(changed, List.of(), local, List.of(), "", 30, s -> { });
        assertEquals(0, roomy.alsoInvalidated());
        assertEquals(4, roomy.paths().size(), roomy.paths().toString());
    }

    /**
     * A Hugo site of 114 files (172 URLs): a new post, an edited stylesheet and four tag pages change 23 URLs. Within 30
     * paths nothing unchanged is invalidated (prefix wildcards such as /index.* cost one path for several URLs); within 10
     * the cheapest plan folds the four tags into /tags/* (44 unchanged URLs: 14 other tags of 3 URLs, /tags/ and
     * /tags/index.html), never /* (149); within 5 nothing but /* fits. Worked out by hand above each assertion.
     */
    @Test
    void aNewPostAndAStylesheetUsePrefixWildcardsAndTheRootOnlyWhenNothingElseFits() {
        List<String> tags = List.of("go", "java", "hugo", "cloud", "aws", "css", "devops", "linux", "python", "rust", "web", "k8s",
                "docker", "ci", "testing", "security", "ux", "search");
        List<String> keys = new ArrayList<>(List.of("index.html", "index.xml", "sitemap.xml", "404.html", "css/site.css", "js/app.js",
                "posts/index.html", "posts/index.xml", "tags/index.html", "categories/index.html"));
        for (int i = 0; i < 35; i++) keys.add(String.format("posts/2025-%02d-post/index.html", i));
        for (int i = 0; i < 31; i++) keys.add(String.format("posts/2025-%02d-post/cover.jpg", i));
        for (String tag : tags) keys.addAll(List.of("tags/" + tag + "/index.html", "tags/" + tag + "/index.xml"));
        keys.addAll(List.of("posts/2026-01-new/index.html", "posts/2026-01-new/cover.jpg"));
        var local = site(keys.toArray(String[]::new));
        List<String> changed = new ArrayList<>(List.of("index.html", "index.xml", "sitemap.xml", "css/site.css", "posts/index.html", "posts/index.xml",
                "posts/2026-01-new/index.html", "posts/2026-01-new/cover.jpg"));
        for (String tag : List.of("go", "hugo", "aws", "css")) changed.addAll(List.of("tags/" + tag + "/index.html", "tags/" + tag + "/index.xml"));

        var roomy = DeploySite.Site.planInvalidation(changed, List.of(), local, List.of(), "", 30, s -> { });
        assertEquals(23, roomy.changedUrls().size());
        assertEquals(149, roomy.underEverything());
        assertEquals(List.of("/", "/css/site.css", "/index.*", "/posts/", "/posts/2026-01-new/*", "/posts/index.*", "/sitemap.xml",
                "/tags/aws/*", "/tags/css/*", "/tags/go/*", "/tags/hugo/*"), roomy.paths());
        assertEquals(0, roomy.alsoInvalidated());

        var ten = DeploySite.Site.planInvalidation(changed, List.of(), local, List.of(), "", 10, s -> { });
        assertEquals(List.of("/", "/css/site.css", "/index.*", "/posts/", "/posts/2026-01-new/*", "/posts/index.*", "/sitemap.xml", "/tags/*"),
                ten.paths());
        assertEquals(44, ten.alsoInvalidated());

        var five = DeploySite.Site.planInvalidation(changed, List.of(), local, List.of(), "", 5, s -> { });
        assertEquals(List.of("/*"), five.paths());
        assertEquals(149, five.alsoInvalidated());
    }

    @Test
    void neverMoreThanFifteenWildcards() {
        List<String> keys = new ArrayList<>();
        for (int d = 0; d < 40; d++) for (int i = 0; i < 3; i++) keys.add("d" + d + "/f" + i + ".css");
        var plan = DeploySite.Site.planInvalidation(keys, List.of(), site(keys.toArray(String[]::new)), List.of(), "", 20, s -> { });
        assertTrue(plan.paths().size() <= 20, plan.paths().toString());
        assertTrue(plan.paths().stream().filter(p -> p.endsWith("*")).count() <= 15, plan.paths().toString());
    }

    /**
     * The cap decides: 20 changed folders of 3 files (60 URLs) beside unchanged ones, budget 30. Each folder's wildcard
     * hits nothing unchanged, so 15 of them (the cap) and 15 exact paths make 30 with nothing unchanged invalidated; a
     * 16th wildcard would need no exact path less, but CloudFront allows 15 in progress. Not /*, not 16.
     */
    @Test
    void theFifteenWildcardCapDecidesThePlan() {
        List<String> changed = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        // beside each changed folder f07/ an unchanged f07x/: any wildcard over two folders (/f0*) hits unchanged pages
        for (int d = 0; d < 20; d++) for (int i = 0; i < 3; i++) changed.add(String.format("f%02d/s%d.css", d, i));
        for (int d = 0; d < 20; d++) keys.add(String.format("f%02dx/page.html", d));
        keys.addAll(changed);
        var plan = DeploySite.Site.planInvalidation(changed, List.of(), site(keys.toArray(String[]::new)), List.of(), "", 30, s -> { });
        assertEquals(30, plan.paths().size(), plan.paths().toString());
        assertEquals(15, plan.paths().stream().filter(p -> p.endsWith("*")).count(), plan.paths().toString());
        assertEquals(0, plan.alsoInvalidated(), plan.paths().toString());
        // with one path less, no plan without collateral fits: 15 wildcards and 14 exact paths cover 59 of the 60 URLs
        var tighter = DeploySite.Site.planInvalidation(changed, List.of(), site(keys.toArray(String[]::new)), List.of(), "", 29, s -> { });
        assertTrue(tighter.paths().size() <= 29 && tighter.alsoInvalidated() > 0, tighter.paths() + " " + tighter.alsoInvalidated());
        assertFalse(tighter.paths().contains("/*"), "a wildcard over some folders (/f0*, /f1*) costs less than /*: " + tighter.paths());
    }

    @Test
    void encodesUrlsAndSkipsKeysOutsideTheOriginPath() {
        List<String> changed = List.of("prod/a b.html", "prod/café/ü.html", "prod/c+d.css", "prod/100%.html", "prod/docs/~user/x.html", "other/z.html");
        // unchanged files beside each: a wildcard would invalidate them, so the changed URLs go as exact paths
        var local = site("prod/a b.html", "prod/café/ü.html", "prod/c+d.css", "prod/100%.html", "prod/docs/~user/x.html", "other/z.html",
                "prod/a b.png", "prod/café/v.html", "prod/c+e.css", "prod/100%.png", "prod/docs/y.html");
        List<String> notes = new ArrayList<>();
        var plan = DeploySite.Site.planInvalidation(changed, List.of(), local, List.of(), "prod", 30, notes::add);
        // '~' falls back to a prefix wildcard ending just before it; other/z.html is outside the origin path
        assertEquals(List.of("/100%25.html", "/a%20b.html", "/c+d.css", "/caf%C3%A9/%C3%BC.html", "/docs/*"), plan.paths());
        assertEquals(1, plan.alsoInvalidated(), "/docs/* also invalidates /docs/y.html");
        assertFalse(notes.isEmpty());
    }

    @Test
    void countsUrlsUnderAPrefixFromTheSortedArray() {
        String[] sorted = {"/a", "/a/b", "/a/c", "/ab", "/b"};
        assertEquals(2, DeploySite.Invalidations.countStartingWith(sorted, "/a/"));
        assertEquals(4, DeploySite.Invalidations.countStartingWith(sorted, "/a"));
        assertEquals(5, DeploySite.Invalidations.countStartingWith(sorted, "/"));
        assertEquals(0, DeploySite.Invalidations.countStartingWith(sorted, "/c"));
    }

    @Test
    void multipartEtagIsTheMd5OfThePartMd5s(@TempDir Path dir) throws Exception {
        byte[] data = new byte[20 * 1024 * 1024 + 123];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 31 + (i >> 11));
        Path f = Files.write(dir.resolve("big.bin"), data);
        var hashed = DeploySite.Local.hash("big.bin", f, new DeploySite.Site.Headers("application/octet-stream", null, null), false);
        MessageDigest all = MessageDigest.getInstance("MD5");
        int part = 8 * 1024 * 1024;
        for (int off = 0; off < data.length; off += part) {
            all.update(MessageDigest.getInstance("MD5").digest(Arrays.copyOfRange(data, off, Math.min(data.length, off + part))));
        }
        assertEquals(HexFormat.of().formatHex(all.digest()) + "-3", hashed.multipartEtag());
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data)), hashed.md5());
        assertEquals(data.length, hashed.size());
        var small = DeploySite.Local.hash("s", Files.write(dir.resolve("s"), new byte[]{1}), HTML, false);
        assertNull(small.multipartEtag());
    }

    @Test
    void gzipIsDeterministicAndHashedAsStored(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("a.html"), "<p>hello</p>".repeat(500));
        var gz = new DeploySite.Site.Headers("text/html; charset=utf-8", null, "gzip");
        var first = DeploySite.Local.hash("a.html", f, gz, true);
        var second = DeploySite.Local.hash("a.html", f, gz, true);
        assertEquals(first.md5(), second.md5());
        Path stored = DeploySite.Local.gzipped(f);
        try {
            assertEquals(Files.size(stored), first.size());
            assertTrue(first.size() < Files.size(f));
        } finally {
            Files.delete(stored);
        }
    }

    // ---------------------------------------------------------------- where the listing is cut

    static List<String> keys(int n) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < n; i++) keys.add(String.format("p/%05d.html", i));
        return keys;
    }

    @ParameterizedTest(name = "{0} local keys, --concurrency {1}: cuts after the keys numbered {2}")
    @CsvSource(delimiter = ';', value = {
            "0; 16; ''", "1; 16; ''", "1000; 16; ''", "1001; 16; 999", "2000; 16; 999", "2001; 16; 999 1999",
            "30000; 16; 999 1999 2999 3999 4999 5999 6999 7999 8999 9999 10999 11999 12999 13999 14999 15999 16999 17999 18999 19999 20999 21999 22999 23999 24999 25999 26999 27999 28999",
            "30000; 1; ''", "1001; 2; 999"})
    void theListingIsCutAfterEveryThousandthLocalKey(int n, int concurrency, String expected) {
        List<String> local = keys(n);
        java.util.Collections.shuffle(local, new java.util.Random(n));
        List<String> want = expected.isBlank() ? List.of()
                : Arrays.stream(expected.split(" ")).map(i -> String.format("p/%05d.html", Integer.parseInt(i))).toList();
        assertEquals(want, DeploySite.Site.listingCuts(local, concurrency));
    }

    @Test
    void cutsFollowS3sOrderNotJavas() {
        List<String> local = new ArrayList<>(keys(999));
        local.add("\uFF5E.html".translateEscapes());     // U+FF5E: after the emoji in Java's UTF-16 order, before it in UTF-8
        local.add("\uD83D\uDE00.html".translateEscapes());
        List<String> cuts = DeploySite.Site.listingCuts(local, 4);
        assertEquals(List.of("\uFF5E.html".translateEscapes()), cuts, "the 1,000th of 1,001 keys in S3's order");
    }

    @Test
    void s3OrderIsTheOrderOfTheUtf8Bytes() {
        java.util.Random random = new java.util.Random(20261130);
        int[] alphabet = {'a', 'z', '/', '.', 0x7F, 0xE9, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFF5E, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF};
        for (int trial = 0; trial < 20_000; trial++) {
            String a = randomKey(random, alphabet), b = randomKey(random, alphabet);
            int bytes = Integer.signum(Arrays.compareUnsigned(a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    b.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            assertEquals(bytes, Integer.signum(DeploySite.Site.S3_ORDER.compare(a, b)), a + " vs " + b);
        }
    }

    static String randomKey(java.util.Random random, int[] alphabet) {
        StringBuilder s = new StringBuilder();
        for (int i = random.nextInt(5); i > 0; i--) s.appendCodePoint(alphabet[random.nextInt(alphabet.length)]);
        return s.toString();
    }
}
