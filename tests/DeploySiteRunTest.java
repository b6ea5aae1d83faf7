import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Layer 1: deploy-site's run as values. What a run decides before writing (Site.deployment, Site.refusal), what it does
 * after its uploads (Site.settle) and at its end (Site.finish), as tables; no network.
 */
class DeploySiteRunTest {
    static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
    static final DeploySite.Site.Target ROOT = new DeploySite.Site.Target("site-bucket", "");
    static final DeploySite.Site.Cdn CDN = new DeploySite.Site.Cdn("E1", "");
    static final DeploySite.Site.Headers PNG = new DeploySite.Site.Headers("image/png", "max-age=60", null);

    // ---------------------------------------------------------------- the site every table starts from

    /**
     * index.html changed, css/new.css new, img/logo.png unchanged but with new headers, blog/a/index.html unchanged;
     * the bucket still holds a page the site dropped (old/page.html), an asset this run orphans (css/old.css) and an
     * asset an earlier run orphaned (js/old.js, in the record R1 with blog/a/index.html that R1 still owes).
     */
    static List<DeploySite.Site.LocalFile> local() {
        return List.of(DeploySitePlanTest.file("blog/a/index.html", 5, "b1"), DeploySitePlanTest.file("css/new.css", 5, "c2"),
                new DeploySite.Site.LocalFile("img/logo.png", java.nio.file.Path.of("img/logo.png"), 5, "d1", null, PNG, false),
                DeploySitePlanTest.file("index.html", 5, "a2"));
    }

    static List<DeploySite.Site.RemoteObject> remote() {
        return List.of(DeploySitePlanTest.object("blog/a/index.html", 5, "b1"), DeploySitePlanTest.object("css/old.css", 5, "c1"),
                DeploySitePlanTest.object("img/logo.png", 5, "d1"), DeploySitePlanTest.object("index.html", 5, "a1"),
                DeploySitePlanTest.object("js/old.js", 5, "e1"), DeploySitePlanTest.object("old/page.html", 5, "f1"));
    }

    static DeploySite.Site.Pending r1(Instant deleteAfter) {
        return new DeploySite.Site.Pending(".deploy-site/pending/R1.txt", NOW.minus(Duration.ofDays(2)), List.of("blog/a/index.html"),
                List.of(new DeploySite.Site.Orphan("js/old.js", deleteAfter, List.of("E1/I1"))));
    }

    static DeploySite.Site.Policy policy(String flags) {
        Set<String> f = Set.of(flags.split(" "));
        return new DeploySite.Site.Policy(f.contains("--no-delete"), f.contains("--no-invalidate"), f.contains("--wait"),
                f.contains("--warn-on-timeout"), f.contains("--delete-grace=0") ? Duration.ZERO : DeploySite.Site.DEFAULT_DELETE_GRACE,
                f.contains("--allow-empty"), 256);
    }

    static DeploySite.Site.Deployment deployment(String flags, boolean distribution) {
        return deployment(flags, distribution, List.of(r1(NOW.minus(Duration.ofHours(1)))), Map.of("E1/I1", "Completed"));
    }

    static DeploySite.Site.Deployment deployment(String flags, boolean distribution, List<DeploySite.Site.Pending> records,
                                                  Map<String, String> statuses) {
        var plan = DeploySite.Site.plan(local(), remote(), "", List.of(), false, false, Map.of());
        plan = plan.withHeaderFixes(List.of(local().get(2)));
        DeploySite.Site.Policy policy = policy(flags);
        return DeploySite.Site.deployment("public", ROOT, plan, records, statuses, distribution && !policy.noInvalidate() ? CDN : null,
                new DeploySite.Site.Replan(local(), remote(), "", 30), policy, NOW, note -> { });
    }

    /** What S3 does with the uploads: each group and the header fixes in the order call() sends them; the named keys fail. */
    static DeploySite.Site.Written write(DeploySite.Site.Deployment d, Set<String> failing) {
        DeploySite.Site.Written written = DeploySite.Site.Written.NONE;
        for (var group : d.uploadGroups()) {
            if (!DeploySite.Site.mayContinue(written)) break;
            List<DeploySite.Site.Upload> done = new ArrayList<>();
            Map<String, String> failed = new TreeMap<>();
            for (var u : group) {
                if (failing.contains(u.file().key())) failed.put(u.file().key(), "AccessDenied (HTTP 403)");
                else done.add(u);
            }
            written = written.and(new DeploySite.Site.Written(done, done.size(), failed, List.of()));
        }
        if (DeploySite.Site.mayContinue(written)) {
            List<DeploySite.Site.LocalFile> fixed = new ArrayList<>();
            Map<String, String> failed = new TreeMap<>();
            for (var f : d.plan().headerFixes()) {
                if (failing.contains(f.key())) failed.put(f.key(), "AccessDenied (HTTP 403)");
                else fixed.add(f);
            }
            written = written.and(new DeploySite.Site.Written(List.of(), 0, failed, fixed));
        }
        return written;
    }

    static List<String> list(String csv) {
        return csv.isBlank() ? List.of() : List.of(csv.strip().split(" +"));
    }

    // ---------------------------------------------------------------- deciding the run

    @Test
    void pagesGoNowAssetsWaitAndWhatEarlierRunsOweIsInvalidated() {
        var d = deployment("", true);
        assertEquals(List.of("js/old.js", "old/page.html"), d.deleteNow(), "the dropped page, and the orphan whose grace is over");
        assertEquals(List.of("css/old.css"), d.orphaned(), "the asset this run orphans is kept");
        assertEquals(List.of(), d.carried());
        assertEquals(List.of("blog/a/index.html"), d.owed());
        assertEquals(List.of("blog/a/index.html", "css/new.css", "img/logo.png", "index.html", "js/old.js", "old/page.html"),
                d.keysToInvalidate());
        assertEquals(List.of("/", "/blog/a/", "/blog/a/index.html", "/css/new.css", "/img/logo.png", "/index.html", "/js/old.js",
                "/old/page.html"), d.invalidation().changedUrls());
        assertEquals(List.of("css/new.css"), d.uploadGroups().get(0).stream().map(u -> u.file().key()).toList());
        assertEquals(List.of("index.html"), d.uploadGroups().get(1).stream().map(u -> u.file().key()).toList());
    }

    @ParameterizedTest(name = "orphan kept until {0}, invalidation {1}: due {2}")
    @CsvSource(delimiter = '|', value = {
            "-1h | Completed          | true",
            "-1h | InProgress         | false",
            "-1h |                    | false",
            "-1h | NoSuchInvalidation | true",
            "+1h | Completed          | false",
            "+1h | InProgress         | false",
            "0s  | Completed          | true",
    })
    void anOrphanIsDueWhenItsGraceIsOverAndItsInvalidationCompleted(String offset, String status, boolean due) {
        Duration shift = Duration.parse("PT" + offset.replace("-", "").replace("+", "").toUpperCase());
        Instant after = offset.startsWith("-") ? NOW.minus(shift) : NOW.plus(shift);
        var statuses = status == null ? Map.<String, String>of() : Map.of("E1/I1", status);
        var d = deployment("", true, List.of(r1(after)), statuses);
        assertEquals(due, d.deleteNow().contains("js/old.js"), d.toString());
        assertEquals(!due, d.carried().stream().anyMatch(o -> o.key().equals("js/old.js")), d.toString());
    }

    @Test
    void onlyTheInvalidationsOfOrphansWhoseGraceIsOverAreAskedAbout() {
        assertEquals(Set.of("E1/I1"), DeploySite.Site.invalidationsToCheck(List.of(r1(NOW.minusSeconds(1))), NOW));
        assertEquals(Set.of(), DeploySite.Site.invalidationsToCheck(List.of(r1(NOW.plusSeconds(1))), NOW));
    }

    @Test
    void anOrphanBackInTheSiteIsForgottenAndTwoRecordsOfOneOrphanKeepTheLaterClock() {
        var back = new DeploySite.Site.Pending("R0", NOW, List.of(), List.of(new DeploySite.Site.Orphan("index.html", NOW, List.of())));
        var early = r1(NOW.minus(Duration.ofHours(1)));
        var late = new DeploySite.Site.Pending("R2", NOW, List.of(), List.of(new DeploySite.Site.Orphan("js/old.js", NOW.plusSeconds(60), List.of("E1/I2"))));
        var d = deployment("", true, List.of(back, early, late), Map.of("E1/I1", "Completed", "E1/I2", "Completed"));
        assertFalse(d.deleteNow().contains("index.html"));
        assertEquals(List.of(new DeploySite.Site.Orphan("js/old.js", NOW.plusSeconds(60), List.of("E1/I1", "E1/I2"))), d.carried());
    }

    @Test
    void noDeleteKeepsEverythingAndZeroGraceDeletesEveryOrphanAfterTheWait() {
        var keep = deployment("--no-delete", true);
        assertEquals(List.of(), keep.deleteNow());
        assertEquals(List.of(), keep.orphaned());
        assertEquals(List.of("js/old.js"), keep.carried().stream().map(DeploySite.Site.Orphan::key).toList());
        assertFalse(keep.keysToInvalidate().contains("old/page.html"));

        var zero = deployment("--delete-grace=0", true);
        assertEquals(List.of("old/page.html"), zero.deleteNow());
        assertEquals(List.of("css/old.css", "js/old.js"), zero.deleteAfterWait());
        assertTrue(zero.keysToInvalidate().containsAll(List.of("css/old.css", "js/old.js")));
    }

    @Test
    void aRunWithNothingToDoWritesNoRecord() {
        var site = List.of(DeploySitePlanTest.file("a.html", 1, "x"));
        var same = DeploySite.Site.plan(site, List.of(DeploySitePlanTest.object("a.html", 1, "x")), "", List.of(), false, false, Map.of());
        var idle = DeploySite.Site.deployment("public", ROOT, same, List.of(), Map.of(), CDN,
                new DeploySite.Site.Replan(site, List.of(), "", 30), policy(""), NOW, n -> { });
        assertFalse(idle.writes());
        assertEquals(Optional.empty(), idle.recordBeforeUploads("k"));
        var busy = deployment("", true);
        assertTrue(busy.writes());
        var record = busy.recordBeforeUploads("k").orElseThrow();
        assertEquals(busy.keysToInvalidate(), record.owed(), "the record holds every key whose URLs the run may change");
    }

    @Test
    void refusesAnEmptySourceAndMoreDeletionsThanTheLimitCountingOnlyThisRunsDeletions() {
        var empty = DeploySite.Site.plan(List.of(), remote(), "", List.of(), false, false, Map.of());
        var d = DeploySite.Site.deployment("public", ROOT, empty, List.of(), Map.of(), CDN, new DeploySite.Site.Replan(List.of(), remote(), "", 30),
                policy(""), NOW, n -> { });
        assertTrue(DeploySite.Site.refusal(d).orElseThrow().contains("public holds no file"));
        var allowed = DeploySite.Site.deployment("public", ROOT, empty, List.of(), Map.of(), CDN,
                new DeploySite.Site.Replan(List.of(), remote(), "", 30), policy("--allow-empty"), NOW, n -> { });
        assertEquals(Optional.empty(), DeploySite.Site.refusal(allowed));

        // 300 orphaned assets are kept, not deleted: within --max-delete 1 with one page dropped.
        List<DeploySite.Site.RemoteObject> many = new ArrayList<>(remote());
        for (int i = 0; i < 300; i++) many.add(DeploySitePlanTest.object("img/" + i + ".png", 1, "x"));
        var plan = DeploySite.Site.plan(local(), many, "", List.of(), false, false, Map.of());
        var limit = new DeploySite.Site.Policy(false, false, false, false, DeploySite.Site.DEFAULT_DELETE_GRACE, false, 2);
        var within = DeploySite.Site.deployment("public", ROOT, plan, List.of(r1(NOW.minusSeconds(1))), Map.of("E1/I1", "Completed"), CDN,
                new DeploySite.Site.Replan(local(), many, "", 30), limit, NOW, n -> { });
        assertEquals(Optional.empty(), DeploySite.Site.refusal(within), "2 deletions now, 301 kept");
        var zero = new DeploySite.Site.Policy(false, false, false, false, Duration.ZERO, false, 2);
        var over = DeploySite.Site.deployment("public", ROOT, plan, List.of(), Map.of(), CDN, new DeploySite.Site.Replan(local(), many, "", 30),
                zero, NOW, n -> { });
        assertTrue(DeploySite.Site.refusal(over).orElseThrow().contains("303 objects would be deleted by this run, more than --max-delete 2"),
                DeploySite.Site.refusal(over).toString());
    }

    // ---------------------------------------------------------------- after the uploads: the settlement table

    record Row(String name, String flags, boolean distribution, String failing, String invalidated, String notInvalidated,
               String deleteNow, boolean await, String deleteAfterWait, int exit, String message) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Row> settlements() {
        String all = "/ /index.html /css/new.css /img/logo.png /old/page.html /js/old.js /blog/a/ /blog/a/index.html";
        return Stream.of(
                new Row("everything written", "", true, "", all, "/css/old.css", "js/old.js old/page.html", false, "", 0, null),
                new Row("an asset failed: no page, nothing deleted, what earlier runs owe still paid", "", true, "css/new.css",
                        "/blog/a/ /blog/a/index.html", "/ /index.html /css/new.css /img/logo.png /old/page.html", "", false, "", 1,
                        "entry points not uploaded; nothing deleted"),
                new Row("a page failed: the assets that went up are invalidated", "", true, "index.html",
                        "/css/new.css /blog/a/index.html", "/index.html /img/logo.png /old/page.html /js/old.js", "", false, "", 1,
                        "1 write(s) failed for good: index.html; nothing deleted"),
                new Row("a header update failed", "", true, "img/logo.png", "/ /index.html /css/new.css /blog/a/",
                        "/img/logo.png /old/page.html", "", false, "", 1, "img/logo.png; nothing deleted"),
                new Row("no distribution", "", false, "", "", "", "js/old.js old/page.html", false, "", 0, null),
                new Row("no distribution, an asset failed", "", false, "css/new.css", "", "", "", false, "", 1, "nothing deleted"),
                new Row("--no-delete", "--no-delete", true, "", "/ /index.html /css/new.css /img/logo.png /blog/a/",
                        "/old/page.html /js/old.js", "", false, "", 0, null),
                new Row("--no-invalidate", "--no-invalidate", true, "", "", "", "js/old.js old/page.html", false, "", 0, null),
                new Row("--wait", "--wait", true, "", all, "/css/old.css", "js/old.js old/page.html", true, "", 0, null),
                new Row("--wait, a page failed: no wait", "--wait", true, "index.html", "/css/new.css", "/index.html", "", false, "", 1,
                        "nothing deleted"),
                new Row("--delete-grace 0: orphans after the wait", "--delete-grace=0", true, "", all + " /css/old.css", "",
                        "old/page.html", true, "css/old.css js/old.js", 0, null),
                new Row("--delete-grace 0 --no-delete", "--delete-grace=0 --no-delete", true, "", "/css/new.css", "/css/old.css /old/page.html",
                        "", false, "", 0, null),
                new Row("--delete-grace 0, an asset failed", "--delete-grace=0", true, "css/new.css", "/blog/a/", "/css/old.css", "", false, "",
                        1, "nothing deleted"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("settlements")
    void settlesTheRunFromWhatWasWritten(Row row) {
        var d = deployment(row.flags(), row.distribution());
        var s = DeploySite.Site.settle(d, write(d, Set.copyOf(list(row.failing()))), note -> { });
        List<String> urls = s.invalidation() == null ? List.of() : s.invalidation().changedUrls();
        for (String url : list(row.invalidated())) assertTrue(urls.contains(url), row + ": " + url + " invalidated: " + urls);
        for (String url : list(row.notInvalidated())) assertFalse(urls.contains(url), row + ": " + url + " not invalidated: " + urls);
        if (!row.distribution() || row.flags().contains("--no-invalidate")) assertNull(s.invalidation(), row.toString());
        assertEquals(list(row.deleteNow()), s.deleteNow(), row.toString());
        assertEquals(row.await(), s.await(), row.toString());
        assertEquals(list(row.deleteAfterWait()), s.deleteAfterWait(), row.toString());
        assertEquals(row.exit(), s.exitCode(), row.toString());
        if (row.message() == null) assertNull(s.failure(), row.toString());
        else assertTrue(s.failure().contains(row.message()), row + ": " + s.failure());
    }

    /** A dry run prints exactly what a complete run would decide: the same deletions, orphans and invalidation. */
    @ParameterizedTest(name = "dry run {0}")
    @CsvSource(delimiter = '|', value = {"''", "--no-delete", "--delete-grace=0", "--wait"})
    void aDryRunShowsWhatTheSettlementOfACompleteRunDecides(String flags) {
        var d = deployment(flags, true);
        var s = DeploySite.Site.settle(d, write(d, Set.of()), note -> { });
        var report = new DeploySite.Report(d, true);
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        report.print(new PrintStream(buffer, true, StandardCharsets.UTF_8), DeploySite.Format.text);
        List<String> lines = buffer.toString(StandardCharsets.UTF_8).lines().toList();
        List<String> deleted = new ArrayList<>(s.deleteNow());
        deleted.addAll(s.deleteAfterWait());
        assertEquals(deleted.stream().sorted().toList(), lines.stream().filter(l -> l.startsWith("would delete   "))
                .map(l -> l.substring("would delete   ".length())).sorted().toList(), flags);
        assertEquals(s.paths(), lines.stream().filter(l -> l.startsWith("would invalidate ")).map(l -> l.substring("would invalidate ".length())).toList());
        List<String> kept = new ArrayList<>(d.orphaned());
        d.carried().forEach(o -> kept.add(o.key()));
        assertEquals(kept.stream().sorted().toList(), lines.stream().filter(l -> l.startsWith("would keep     "))
                .map(l -> l.substring("would keep     ".length(), l.indexOf(" (orphaned"))).sorted().toList(), flags);
    }

    // ---------------------------------------------------------------- the end of the run

    @Test
    void theOrphansOfAFinishedRunWaitForItsInvalidationAndItsRecordReplacesTheMergedOnes() {
        var d = deployment("", true);
        var s = DeploySite.Site.settle(d, write(d, Set.of()), note -> { });
        var f = DeploySite.Site.finish(d, s, "own", List.of("E1/I9"), write(d, Set.of()), DeploySite.Site.Waited.NOT_ASKED);
        assertEquals(List.of(), f.delete());
        assertEquals(List.of(new DeploySite.Site.Orphan("css/old.css", NOW.plus(Duration.ofHours(24)), List.of("E1/I9"))), f.record().orphans());
        assertEquals(List.of(), f.record().owed(), "paid");
        assertEquals(List.of(".deploy-site/pending/R1.txt"), f.removeRecords());
        assertEquals(0, f.exitCode());
    }

    @ParameterizedTest(name = "{0}, waited {1}")
    @CsvSource(delimiter = '|', value = {
            // flags               | waited    | deleted                | kept                 | owed | exit
            "''                    | NOT_ASKED | ''                     | css/old.css          | 0    | 0",
            "--wait                | COMPLETED | ''                     | css/old.css          | 0    | 0",
            "--wait                | TIMED_OUT | ''                     | css/old.css          | 0    | 1",
            "--wait --warn-on-timeout | TIMED_OUT | ''                  | css/old.css          | 0    | 0",
            "--delete-grace=0      | COMPLETED | css/old.css js/old.js  | ''                   | 0    | 0",
            "--delete-grace=0      | TIMED_OUT | ''                     | css/old.css js/old.js | 0   | 1",
            "--no-invalidate       | NOT_ASKED | ''                     | css/old.css          | 6    | 0",
            "--no-delete           | NOT_ASKED | ''                     | js/old.js            | 0    | 0",
    })
    void finishesTheRun(String flags, DeploySite.Site.Waited waited, String deleted, String kept, int owed, int exit) {
        var d = deployment(flags, true);
        var w = write(d, Set.of());
        var s = DeploySite.Site.settle(d, w, note -> { });
        var f = DeploySite.Site.finish(d, s, "own", List.of("E1/I9"), w, waited);
        assertEquals(list(deleted), f.delete(), flags);
        List<String> keptKeys = f.record() == null ? List.of() : f.record().orphans().stream().map(DeploySite.Site.Orphan::key).toList();
        assertEquals(list(kept), keptKeys, flags);
        assertEquals(owed, f.record() == null ? 0 : f.record().owed().size(), flags);
        assertEquals(exit, f.exitCode(), flags);
        assertEquals(f.record() == null, f.removeRecords().contains("own"), "the own record goes when nothing is left in it");
    }

    @Test
    void aFailedRunStartsNoOrphanClockAndKeepsWhatItCarries() {
        var d = deployment("--no-invalidate", true, List.of(r1(NOW.plusSeconds(60))), Map.of());
        var w = write(d, Set.of("index.html"));
        var s = DeploySite.Site.settle(d, w, note -> { });
        var f = DeploySite.Site.finish(d, s, "own", List.of(), w, DeploySite.Site.Waited.NOT_ASKED);
        assertEquals(1, f.exitCode());
        assertEquals(List.of("js/old.js"), f.record().orphans().stream().map(DeploySite.Site.Orphan::key).toList());
        assertEquals(List.of("blog/a/index.html", "css/new.css"), f.record().owed(), "what went up and what was owed, for a later run");
    }

    @Test
    void aRunThatWritesNothingLeavesTheRecordsAsTheyAre() {
        var site = List.of(DeploySitePlanTest.file("a.html", 1, "x"));
        var remote = List.of(DeploySitePlanTest.object("a.html", 1, "x"), DeploySitePlanTest.object("old.css", 1, "y"));
        var plan = DeploySite.Site.plan(site, remote, "", List.of(), false, false, Map.of());
        var kept = new DeploySite.Site.Pending("R1", NOW, List.of(), List.of(new DeploySite.Site.Orphan("old.css", NOW.plusSeconds(60), List.of())));
        var d = DeploySite.Site.deployment("public", ROOT, plan, List.of(kept), Map.of(), CDN, new DeploySite.Site.Replan(site, remote, "", 30),
                policy(""), NOW, n -> { });
        assertFalse(d.writes());
        var w = write(d, Set.of());
        var f = DeploySite.Site.finish(d, DeploySite.Site.settle(d, w, n -> { }), "own", List.of(), w, DeploySite.Site.Waited.NOT_ASKED);
        assertNull(f.record());
        assertEquals(List.of(), f.removeRecords());
    }

    // ---------------------------------------------------------------- the record itself

    @Test
    void aRecordComesBackAsItWasWrittenWhateverItsKeys() {
        Random random = new Random(20261130L);
        String alphabet = "ab/%25 \n\t\r+~?#é中😀.-_\u007f";
        for (int n = 0; n < 500; n++) {
            List<String> owed = new ArrayList<>();
            List<DeploySite.Site.Orphan> orphans = new ArrayList<>();
            for (int k = random.nextInt(4); k > 0; k--) owed.add(randomKey(random, alphabet));
            for (int k = random.nextInt(3); k > 0; k--) {
                orphans.add(new DeploySite.Site.Orphan(randomKey(random, alphabet), NOW.plusSeconds(random.nextInt(100_000)),
                        random.nextBoolean() ? List.of() : List.of("E1/I" + n, "E2/J" + n)));
            }
            var record = new DeploySite.Site.Pending("k", NOW, owed, orphans);
            String text = record.text();
            assertEquals(record, DeploySite.Site.Pending.parse("k", text), text);
            assertEquals(2 + owed.size() + orphans.size(), text.lines().count(), "one entry a line: " + text);
        }
    }

    static String randomKey(Random random, String alphabet) {
        StringBuilder s = new StringBuilder();
        int[] points = alphabet.codePoints().toArray();
        for (int i = 1 + random.nextInt(12); i > 0; i--) s.appendCodePoint(points[random.nextInt(points.length)]);
        return s.toString();
    }

    @Test
    void whatIsNotARecordIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> DeploySite.Site.Pending.parse("k", "<html>"));
        assertThrows(IllegalArgumentException.class, () -> DeploySite.Site.Pending.parse("k", "deploy-site pending 1\nowe a"));
        assertThrows(RuntimeException.class, () -> DeploySite.Site.Pending.parse("k", "deploy-site pending 1\ncreated yesterday"));
    }

    @Test
    void recordsLiveInTheReservedFolderWhichIsNeverSiteContent() {
        String key = DeploySite.Site.recordKey("prod/", NOW, "abcd1234");
        assertEquals("prod/.deploy-site/pending/20261130T120000Z-abcd1234.txt", key);
        assertTrue(DeploySite.Site.isRecord(key, "prod/"));
        assertFalse(DeploySite.Site.isRecord(key, ""));
        var listing = List.of(DeploySitePlanTest.object(key, 10, "x"), DeploySitePlanTest.object("prod/a.html", 1, "y"));
        assertEquals(List.of("prod/a.html"), DeploySite.Site.siteObjects(listing, "prod/").stream().map(DeploySite.Site.RemoteObject::key).toList());
        var plan = DeploySite.Site.plan(List.of(), listing, "prod/", List.of(), true, false, Map.of());
        assertEquals(List.of("prod/a.html"), plan.deletions(), "never an orphan, even with --include-hidden");
    }
}
