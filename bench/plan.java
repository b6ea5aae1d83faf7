///usr/bin/env jbang "$0" "$@" ; exit $?
//DESCRIPTION Planning speed: the exact invalidation plan for a 50,000-object Hugo-like site with 5,000 changed URLs, budgets 30 and 3,000
//JAVA 17+
//SOURCES ../invalidate.java
//JAVA_OPTIONS -XX:TieredStopAtLevel=1 -XX:+UseSerialGC

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.TreeSet;

/**
 * {@code ./jbang bench/plan.java [RUNS]} (default 7): builds a deterministic Hugo-like site of 50,000 objects (posts in
 * dated folders with images, tag and category pages, paginated lists, feeds, fingerprinted assets), takes its URLs as
 * CloudFront caches them (x/index.html is /x/ and /x/index.html), marks 5,000 of them changed in two shapes (scattered:
 * a random sample; clustered: whole sections, as a template edit does), and times Invalidations.planWithin at the
 * budgets 30 and 3,000 with 15 wildcards, in the JVM options the scripts run with. Prints the median, min and max
 * milliseconds of RUNS runs after one warm-up run, and the plan's size and collateral, and writes the table into
 * bench/results.md between its markers (bench/run.java keeps that section). Numbers only: nothing is asserted.
 */
class plan {
    static final int OBJECTS = 50_000;
    static final int CHANGED = 5_000;

    public static void main(String[] args) throws IOException {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        StringBuilder table = new StringBuilder();
        List<String> keys = site(new Random(42));
        List<String> urls = new ArrayList<>();
        for (String k : keys) {
            urls.addAll(Invalidate.Invalidations.urlsOfKey(k, s -> { }));
        }
        TreeSet<String> all = new TreeSet<>(urls);
        String site = String.format(Locale.ROOT, "%,d objects, %,d URLs; Java %s, %d cores, C1 only and SerialGC as the scripts run",
                keys.size(), all.size(), System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
        System.out.println("site: " + site);
        table.append("| shape | budget | median ms | min ms | max ms | items | wildcards | unchanged URLs also invalidated | /* would invalidate |\n");
        table.append("|---|---|---|---|---|---|---|---|---|\n");
        for (String shape : List.of("scattered", "clustered")) {
            List<String> changed = shape.equals("scattered") ? scattered(all, new Random(7)) : clustered(all);
            TreeSet<String> changedSet = new TreeSet<>(changed);
            List<String> unchanged = all.stream().filter(u -> !changedSet.contains(u)).toList();
            for (int budget : List.of(30, 3_000)) {
                long[] ms = new long[runs];
                Invalidate.Invalidations.Plan result = Invalidate.Invalidations.planWithin(changed, unchanged, budget, 15).orElseThrow();
                for (int r = 0; r < runs; r++) {
                    long start = System.nanoTime();
                    result = Invalidate.Invalidations.planWithin(changed, unchanged, budget, 15).orElseThrow();
                    ms[r] = (System.nanoTime() - start) / 1_000_000;
                }
                Arrays.sort(ms);
                table.append(String.format(Locale.ROOT, "| %s %,d changed | %,d | %d | %d | %d | %,d | %d | %,d | %,d |%n", shape, changed.size(),
                        budget, ms[runs / 2], ms[0], ms[runs - 1], result.items().size(), result.wildcards(), result.collateral(), unchanged.size()));
            }
        }
        System.out.print(table);
        String section = "<!-- plan:start -->\n## Invalidation planning\n\nMade by `./jbang bench/plan.java " + runs + "` on "
                + Instant.now().truncatedTo(ChronoUnit.SECONDS) + ": Invalidations.planWithin, the exact plan, in-process on a generated "
                + "Hugo-like site (" + site + "), 5,000 changed URLs scattered at random or clustered in whole sections (a template edit), "
                + "15 wildcards; median, min and max of " + runs + " runs after a warm-up. Goal: under 1 s.\n\n" + table + "<!-- plan:end -->\n";
        Path results = Path.of("bench", "results.md");
        if (Files.exists(results)) {
            String text = Files.readString(results, StandardCharsets.UTF_8);
            int from = text.indexOf("<!-- plan:start -->");
            int to = text.indexOf("<!-- plan:end -->");
            text = from >= 0 && to > from ? text.substring(0, from) + section + text.substring(to + "<!-- plan:end -->\n".length())
                    : text + "\n" + section;
            Files.writeString(results, text, StandardCharsets.UTF_8);
            System.out.println("wrote " + results);
        }
    }

    /** 50,000 objects shaped like Hugo's public/: posts with images, taxonomies, paginated lists, feeds, assets. */
    static List<String> site(Random random) {
        List<String> keys = new ArrayList<>();
        String[] sections = {"posts", "notes", "docs", "news"};
        int post = 0;
        while (keys.size() < OBJECTS * 0.8) {
            String section = sections[random.nextInt(sections.length)];
            int year = 2015 + random.nextInt(12);
            String slug = String.format(Locale.ROOT, "%s/%d/%02d/post-%05d", section, year, 1 + random.nextInt(12), post++);
            keys.add(slug + "/index.html");
            int images = random.nextInt(6);
            for (int i = 0; i < images; i++) keys.add(slug + "/image-" + i + "_hu" + Long.toHexString(random.nextLong()) + ".jpg");
        }
        for (int t = 0; keys.size() < OBJECTS * 0.92; t++) {
            keys.add("tags/tag-" + t + "/index.html");
            keys.add("tags/tag-" + t + "/index.xml");
            if (t % 5 == 0) keys.add("tags/tag-" + t + "/page/2/index.html");
        }
        for (int c = 0; keys.size() < OBJECTS * 0.95; c++) {
            keys.add("categories/cat-" + c + "/index.html");
            keys.add("categories/cat-" + c + "/index.xml");
        }
        for (String section : sections) {
            keys.add(section + "/index.html");
            keys.add(section + "/index.xml");
            for (int p = 2; p < 200; p++) keys.add(section + "/page/" + p + "/index.html");
        }
        while (keys.size() < OBJECTS - 4) {
            keys.add("assets/" + (random.nextBoolean() ? "css" : "js") + "/bundle." + Long.toHexString(random.nextLong()) + ".min."
                    + (random.nextBoolean() ? "css" : "js"));
        }
        keys.addAll(List.of("index.html", "index.xml", "sitemap.xml", "404.html"));
        return new ArrayList<>(new TreeSet<>(keys));
    }

    /** A random sample of the URLs. */
    static List<String> scattered(TreeSet<String> all, Random random) {
        List<String> shuffled = new ArrayList<>(all);
        Collections.shuffle(shuffled, random);
        return new ArrayList<>(new TreeSet<>(shuffled.subList(0, CHANGED)));
    }

    /** Whole sections, in order: every page under the first folders until 5,000 URLs (a template edit). */
    static List<String> clustered(TreeSet<String> all) {
        List<String> pages = all.stream().filter(u -> u.endsWith("/") || u.endsWith(".html") || u.endsWith(".xml")).toList();
        return new ArrayList<>(pages.subList(0, Math.min(CHANGED, pages.size())));
    }
}
