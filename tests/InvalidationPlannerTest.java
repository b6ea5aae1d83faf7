import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The exact invalidation planner ({@code Invalidations.planWithin}) against searches written here from its contract alone:
 * <ul>
 * <li>a changed item is a URL, or a forced wildcard "Q*" (a key with '~'), which only a wildcard "P*" with Q starting
 * with P covers; a wildcard "P*" (any P) covers every URL that starts with P;</li>
 * <li>a plan covers every changed item with at most maxItems items, at most maxWildcards of them wildcards; the best one
 * hits the fewest unchanged URLs (collateral), then has the fewest items, then the fewest wildcards.</li>
 * </ul>
 * Checked three ways: a search by the definition (every set of wildcards) agrees with a branch-and-bound search on
 * thousands of tiny sites; planWithin agrees with the branch-and-bound search on thousands of Hugo-shaped sites of 5 to
 * 40 URLs, and its plan is re-checked item by item; and a table of Hugo changes, each optimum worked out by hand.
 * Set {@code PLANNER_SEED} to replay a failing generated run.
 */
class InvalidationPlannerTest {
    /** Hugo-shaped sites of 5 to 40 URLs given to planWithin and to the branch-and-bound search. */
    static final int SITES = 10000;
    /** Tiny sites on which the branch-and-bound search must agree with the search by the definition. */
    static final int TINY_SITES = 20000;
    /** Families of wildcards larger than this make the search by the definition (2^n plans) too slow: such tiny sites are redrawn. */
    static final int MAX_DEFINITION_FAMILY = 14;
    static final int MIN_SITE_URLS = 5;
    static final int MAX_SITE_URLS = 40;
    /** The most URLs one generated shape adds (a page, its index.html and a feed or a resource). */
    static final int MAX_SHAPE_URLS = 3;
    /** The share of generated sites whose unchanged list is the whole site, changed URLs included (they count as changed). */
    static final double WHOLE_SITE_AS_UNCHANGED_SHARE = 0.3;
    /** CloudFront's in-progress wildcard limit, the budget the table uses. */
    static final int WILDCARDS = 15;
    static final String SEED_VARIABLE = "PLANNER_SEED";
    /**
     * A wildcard "P*" ends only between encoded characters: "/%*" would cover both "/%7Euser/" and "/%E6%97%A5/", but it
     * is not a path CloudFront accepts ('%' must start an escape), so planWithin never sends one. True would let the
     * search use such wildcards.
     */
    static final boolean WILDCARDS_MAY_END_INSIDE_AN_ESCAPE = false;
    /** The share of generated sites with forced wildcards: enough for the property, and more on tiny sites, where they test the search's bounds. */
    static final double FORCED_SHARE = 0.3;
    static final double TINY_FORCED_SHARE = 0.8;

    // ---------------------------------------------------------------- the problem, from the contract alone

    /** One call of planWithin: its arguments exactly. */
    record Problem(List<String> changed, List<String> unchanged, int maxItems, int maxWildcards) {
        @Override
        public String toString() {
            return "changed " + literal(changed) + ", unchanged " + literal(unchanged) + ", maxItems " + maxItems + ", maxWildcards " + maxWildcards;
        }
    }

    /** What the optimum is judged on, in the contract's order: collateral, then items, then wildcards. */
    record Score(int collateral, int items, int wildcards) implements Comparable<Score> {
        static final Comparator<Score> ORDER = Comparator.comparingInt(Score::collateral).thenComparingInt(Score::items).thenComparingInt(Score::wildcards);

        @Override
        public int compareTo(Score o) {
            return ORDER.compare(this, o);
        }

        static Score of(Invalidate.Invalidations.Plan plan) {
            return new Score(plan.collateral(), plan.items().size(), plan.wildcards());
        }
    }

    /** The optimum found by a search: its score and every optimal plan found (one, unless ties were asked for). */
    record Answer(Score score, List<List<String>> plans) {
    }

    /**
     * The strings a plan can touch, each one bit: the changed URLs, the prefixes Q of the forced items "Q*" and the
     * unchanged URLs (a string that is also changed counts as changed). Sites here are small: at most 64 strings.
     */
    static final class Universe {
        final List<String> strings = new ArrayList<>();
        final long changedUrls;
        final long forced;
        final long unchanged;

        Universe(Problem p) {
            TreeSet<String> urls = new TreeSet<>();
            TreeSet<String> forcedPrefixes = new TreeSet<>();
            for (String item : p.changed()) {
                if (item.endsWith("*")) forcedPrefixes.add(item.substring(0, item.length() - 1));
                else urls.add(item);
            }
            TreeSet<String> others = new TreeSet<>(p.unchanged());
            others.removeAll(urls);
            if (urls.size() + forcedPrefixes.size() + others.size() > Long.SIZE) throw new IllegalArgumentException("at most 64 strings in a test site");
            changedUrls = add(urls);
            forced = add(forcedPrefixes);
            unchanged = add(others);
            for (String s : strings) {
                if (!s.startsWith("/")) throw new IllegalArgumentException("not a URL path: " + s);
            }
        }

        private long add(Set<String> group) {
            long bits = 0;
            for (String s : group) {
                bits |= 1L << strings.size();
                strings.add(s);
            }
            return bits;
        }

        long changed() {
            return changedUrls | forced;
        }

        /** What "P*" covers: the URLs starting with P, and the forced "Q*" whose Q starts with P. */
        long covered(String prefix) {
            long bits = 0;
            for (int i = 0; i < strings.size(); i++) {
                if (strings.get(i).startsWith(prefix)) bits |= 1L << i;
            }
            return bits;
        }

        boolean isForced(int element) {
            return (forced >>> element & 1) != 0;
        }

        /**
         * Every set that some wildcard covers, each with the longest prefix that covers exactly it. A set is covered by
         * "P*" for P a prefix of one of the strings (P = the whole string included), or else by no string: then it is
         * empty. The empty prefix is left out: every string starts with '/', so "/" covers what "" covers. (Without
         * {@link #WILDCARDS_MAY_END_INSIDE_AN_ESCAPE}, so are the prefixes that end inside a %XX escape.)
         */
        Map<Long, String> wildcardSets() {
            Map<Long, String> sets = new HashMap<>();
            Set<String> prefixes = new HashSet<>();
            for (String s : strings) {
                for (int end = 1; end <= s.length(); end++) prefixes.add(s.substring(0, end));
            }
            for (String prefix : prefixes) {
                if (!WILDCARDS_MAY_END_INSIDE_AN_ESCAPE && endsInsideAnEscape(prefix)) continue;
                sets.merge(covered(prefix), prefix, (a, b) -> a.length() >= b.length() ? a : b);
            }
            return sets;
        }

        static boolean endsInsideAnEscape(String prefix) {
            int escape = prefix.lastIndexOf('%');
            return escape >= 0 && escape > prefix.length() - 3;
        }

        /** The items of a plan made of these wildcards (as covered sets) and exact items for the changed URLs they leave. */
        List<String> items(Map<Long, String> prefixes, long[] wildcards, int count) {
            List<String> items = new ArrayList<>();
            long covered = 0;
            for (int i = 0; i < count; i++) {
                items.add(prefixes.get(wildcards[i]) + "*");
                covered |= wildcards[i];
            }
            long left = changedUrls & ~covered;
            for (int i = 0; i < strings.size(); i++) {
                if ((left >>> i & 1) != 0) items.add(strings.get(i));
            }
            Collections.sort(items);
            return items;
        }
    }

    // ---------------------------------------------------------------- search 1: by the definition, for tiny sites

    /**
     * Every plan, as the contract defines plans, for a site whose wildcard family is tiny. A wildcard acts only through
     * the set it covers, so "every wildcard" is every covered set, the empty one included (a P that starts no string).
     * Two wildcards covering the same set are never both worth sending (dropping one keeps the plan valid with fewer
     * items), so a plan is a subset of the family: all 2^n of them are tried, nested and useless ones included, with no
     * bound. Given its wildcards a plan's exact items are the changed URLs they leave: each of those must be an item
     * (an exact item covers only itself), and any other exact item only adds an item.
     */
    static Optional<Score> byDefinition(Problem p) {
        Universe u = new Universe(p);
        Set<Long> family = new LinkedHashSet<>(u.wildcardSets().keySet());
        family.add(0L);
        long[] sets = family.stream().mapToLong(Long::longValue).toArray();
        if (sets.length > 20) throw new IllegalArgumentException("the search by the definition is for tiny sites: " + sets.length + " wildcards");
        long[] union = new long[1 << sets.length];
        Score best = null;
        for (int mask = 0; mask < union.length; mask++) {
            if (mask > 0) {
                int low = Integer.numberOfTrailingZeros(mask);
                union[mask] = union[mask & (mask - 1)] | sets[low];
            }
            long covered = union[mask];
            if ((u.forced & ~covered) != 0) continue;
            int wildcards = Integer.bitCount(mask);
            int items = wildcards + Long.bitCount(u.changedUrls & ~covered);
            if (items > p.maxItems() || wildcards > p.maxWildcards()) continue;
            Score score = new Score(Long.bitCount(covered & u.unchanged), items, wildcards);
            if (best == null || score.compareTo(best) < 0) best = score;
        }
        return Optional.ofNullable(best);
    }

    static int familySize(Problem p) {
        return new Universe(p).wildcardSets().size() + 1;
    }

    // ---------------------------------------------------------------- search 2: branch and bound, for small sites

    /** The optimum of a problem, with one optimal plan. */
    static Optional<Answer> exhaustive(Problem p) {
        return new Search(p, false).run();
    }

    /** The optimum of a problem, with every optimal plan (wildcards named by the longest prefix of what they cover). */
    static Optional<Answer> allOptimal(Problem p) {
        return new Search(p, true).run();
    }

    /**
     * Branch and bound over the plans that can be optimal. The only reductions, each keeping an optimal plan:
     * <ul>
     * <li>a wildcard is its covered set (the score depends on nothing else), and one that covers no changed item is never
     * sent (dropping it keeps the plan valid with fewer items);</li>
     * <li>chosen wildcards do not nest (the inner one covers nothing the outer does not: dropping it keeps the collateral
     * and saves an item), and covered sets of prefixes either nest or are disjoint (checked), so they are disjoint;</li>
     * <li>an exact item is a changed URL that no chosen wildcard covers (any other is an extra item).</li>
     * </ul>
     * Each such plan is reached by exactly one path: take the first changed item (forced ones first) that is neither
     * covered nor decided exact, and branch on what covers it: itself as an exact item (not for a forced item), or one of
     * the wildcard sets containing it that meets nothing covered or decided exact. Every branch adds one item.
     * A branch stops when a lower bound of its best score cannot beat the best plan found (or, for ties, is worse), or
     * exceeds a budget. The bound: every undecided changed item x lies in a largest set M(x) still allowed; the distinct
     * M(x) are disjoint (a set containing x and y inside another would not be largest), and any item covering x lies
     * inside M(x), so each needs its own item; each M holding a forced item needs its own wildcard, which hits at least
     * the unchanged URLs of the smallest set containing that forced item.
     */
    static final class Search {
        final Problem problem;
        final boolean ties;
        final Universe u;
        final Map<Long, String> prefixes;
        final long[] sets;
        final int[] collateralOf;
        final int[][] chains;
        final int[] order;
        final int[] stamp;
        final int[] groupCollateral;
        final boolean[] groupForced;
        int generation;

        long covered;
        long exact;
        int collateral;
        int wildcards;
        int items;
        final long[] chosen = new long[Long.SIZE];
        Score best;
        final List<List<String>> plans = new ArrayList<>();

        Search(Problem problem, boolean ties) {
            this.problem = problem;
            this.ties = ties;
            this.u = new Universe(problem);
            this.prefixes = u.wildcardSets();
            long changed = u.changed();
            sets = prefixes.keySet().stream().mapToLong(Long::longValue).filter(s -> (s & changed) != 0)
                    .boxed().sorted(Comparator.comparingInt(Long::bitCount).reversed()).mapToLong(Long::longValue).toArray();
            for (long a : sets) {
                for (long b : sets) {
                    long both = a & b;
                    if (both != 0 && both != a && both != b) throw new AssertionError("prefix sets overlap without nesting: " + problem);
                }
            }
            collateralOf = Arrays.stream(sets).mapToInt(s -> Long.bitCount(s & u.unchanged)).toArray();
            chains = new int[u.strings.size()][];
            List<Integer> changedOrder = new ArrayList<>();
            for (int x = 0; x < u.strings.size(); x++) {
                if ((changed >>> x & 1) == 0) continue;
                List<Integer> chain = new ArrayList<>();
                for (int k = 0; k < sets.length; k++) {
                    if ((sets[k] >>> x & 1) != 0) chain.add(k); // largest first: the sets holding x nest, each strictly smaller
                }
                chains[x] = chain.stream().mapToInt(Integer::intValue).toArray();
                changedOrder.add(x);
            }
            changedOrder.sort(Comparator.comparing((Integer x) -> !u.isForced(x)));
            order = changedOrder.stream().mapToInt(Integer::intValue).toArray();
            stamp = new int[sets.length];
            groupCollateral = new int[sets.length];
            groupForced = new boolean[sets.length];
        }

        Optional<Answer> run() {
            search();
            return best == null ? Optional.empty() : Optional.of(new Answer(best, plans));
        }

        private void search() {
            long blocked = covered | exact;
            int next = -1;
            int groups = 0;
            int forcedGroups = 0;
            int collateralBound = 0;
            int g = ++generation;
            for (int x : order) {
                if ((blocked >>> x & 1) != 0) continue;
                if (next < 0) next = x;
                int largest = -1;
                for (int k : chains[x]) {
                    if ((sets[k] & blocked) == 0) {
                        largest = k;
                        break;
                    }
                }
                boolean forced = u.isForced(x);
                if (largest < 0) {
                    if (forced) return; // no wildcard can cover it any more
                    groups++;
                    continue;
                }
                if (stamp[largest] != g) {
                    stamp[largest] = g;
                    groupCollateral[largest] = 0;
                    groupForced[largest] = false;
                    groups++;
                }
                if (forced) {
                    if (!groupForced[largest]) {
                        groupForced[largest] = true;
                        forcedGroups++;
                    }
                    int least = collateralOf[chains[x][chains[x].length - 1]];
                    if (least > groupCollateral[largest]) {
                        collateralBound += least - groupCollateral[largest];
                        groupCollateral[largest] = least;
                    }
                }
            }
            if (next < 0) {
                record();
                return;
            }
            Score bound = new Score(collateral + collateralBound, items + groups, wildcards + forcedGroups);
            if (bound.items() > problem.maxItems() || bound.wildcards() > problem.maxWildcards()) return;
            if (best != null) {
                int c = bound.compareTo(best);
                if (c > 0 || (c == 0 && !ties)) return;
            }
            long bit = 1L << next;
            if (!u.isForced(next)) {
                exact |= bit;
                items++;
                search();
                items--;
                exact &= ~bit;
            }
            if (wildcards == problem.maxWildcards()) return;
            int[] chain = chains[next];
            for (int i = chain.length - 1; i >= 0; i--) { // smallest first; once one meets a decided item, so do all larger ones
                int k = chain[i];
                if ((sets[k] & blocked) != 0) break;
                covered |= sets[k];
                collateral += collateralOf[k];
                chosen[wildcards] = sets[k];
                wildcards++;
                items++;
                search();
                items--;
                wildcards--;
                collateral -= collateralOf[k];
                covered &= ~sets[k];
            }
        }

        private void record() {
            Score score = new Score(collateral, items, wildcards);
            int c = best == null ? -1 : score.compareTo(best);
            if (c > 0 || (c == 0 && !ties)) return;
            if (c < 0) {
                best = score;
                plans.clear();
            }
            plans.add(u.items(prefixes, chosen, wildcards));
        }
    }

    // ---------------------------------------------------------------- checking a plan against the contract

    /** What is wrong with planWithin's answer, judged by the contract and the optimum (empty when it is right). */
    static List<String> problems(Problem p) {
        return problems(p, exhaustive(p));
    }

    static List<String> problems(Problem p, Optional<Answer> optimum) {
        Optional<Invalidate.Invalidations.Plan> plan;
        try {
            plan = Invalidate.Invalidations.planWithin(p.changed(), p.unchanged(), p.maxItems(), p.maxWildcards());
        } catch (RuntimeException | StackOverflowError e) {
            return List.of("planWithin threw " + e);
        }
        List<String> problems = new ArrayList<>();
        if (plan == null) return List.of("planWithin returned null");
        if (plan.isEmpty() || optimum.isEmpty()) {
            if (plan.isPresent() != optimum.isPresent()) {
                problems.add("planWithin: " + describe(plan) + "; search: " + optimum.map(a -> a.score() + " " + a.plans().get(0)).orElse("no plan"));
            }
            if (plan.isPresent()) problems.addAll(invalidity(p, plan.get()));
            return problems;
        }
        problems.addAll(invalidity(p, plan.get()));
        Score score = Score.of(plan.get());
        if (!score.equals(optimum.get().score())) {
            problems.add("planWithin: " + describe(plan) + "; search: " + optimum.get().score() + " " + optimum.get().plans().get(0));
        }
        return problems;
    }

    static String describe(Optional<Invalidate.Invalidations.Plan> plan) {
        return plan.map(x -> Score.of(x) + " " + x.items()).orElse("no plan");
    }

    /** What makes a plan invalid or misdescribed, re-checked item by item. */
    static List<String> invalidity(Problem p, Invalidate.Invalidations.Plan plan) {
        List<String> problems = new ArrayList<>();
        List<String> items = plan.items();
        Set<String> changedUrls = p.changed().stream().filter(c -> !c.endsWith("*")).collect(Collectors.toSet());
        List<String> wildcardPrefixes = new ArrayList<>();
        for (String item : items) {
            if (!item.startsWith("/")) problems.add("item " + item + " does not start with '/'");
            int star = item.indexOf('*');
            if (star >= 0 && star != item.length() - 1) problems.add("item " + item + " has '*' before its end");
            if (star == item.length() - 1) wildcardPrefixes.add(item.substring(0, star));
            else if (!changedUrls.contains(item)) problems.add("exact item " + item + " is not a changed URL");
        }
        if (new HashSet<>(items).size() != items.size()) problems.add("items repeat: " + items);
        List<String> sorted = new ArrayList<>(items);
        Collections.sort(sorted);
        if (!sorted.equals(items)) problems.add("items are not sorted: " + items);
        for (String c : p.changed()) {
            boolean ok = c.endsWith("*")
                    ? wildcardPrefixes.stream().anyMatch(w -> c.substring(0, c.length() - 1).startsWith(w))
                    : items.contains(c) || wildcardPrefixes.stream().anyMatch(c::startsWith);
            if (!ok) problems.add("changed item " + c + " is not covered");
        }
        if (items.size() > p.maxItems()) problems.add(items.size() + " items, over maxItems " + p.maxItems());
        if (wildcardPrefixes.size() > p.maxWildcards()) problems.add(wildcardPrefixes.size() + " wildcards, over maxWildcards " + p.maxWildcards());
        if (plan.wildcards() != wildcardPrefixes.size()) problems.add("wildcards() is " + plan.wildcards() + ", the items have " + wildcardPrefixes.size());
        int collateral = collateral(p, wildcardPrefixes);
        if (plan.collateral() != collateral) problems.add("collateral() is " + plan.collateral() + ", the items hit " + collateral + " unchanged URLs");
        return problems;
    }

    /** The distinct unchanged URLs (not also changed) that start with the prefix of some wildcard. */
    static int collateral(Problem p, Collection<String> wildcardPrefixes) {
        Set<String> changed = new HashSet<>(p.changed());
        return (int) p.unchanged().stream().distinct().filter(u -> !changed.contains(u))
                .filter(u -> wildcardPrefixes.stream().anyMatch(u::startsWith)).count();
    }

    /** A failing problem made smaller while it still fails: fewer URLs, fewer changed items, smaller budgets. */
    static Problem shrink(Problem p, Predicate<Problem> fails) {
        Problem current = p;
        boolean progress = true;
        while (progress) {
            progress = false;
            for (Problem smaller : smaller(current)) {
                if (fails.test(smaller)) {
                    current = smaller;
                    progress = true;
                    break;
                }
            }
        }
        return current;
    }

    static List<Problem> smaller(Problem p) {
        List<Problem> out = new ArrayList<>();
        for (int i = 0; i < p.changed().size() && p.changed().size() > 1; i++) {
            List<String> changed = new ArrayList<>(p.changed());
            String gone = changed.remove(i);
            out.add(new Problem(changed, p.unchanged().stream().filter(u -> !u.equals(gone)).toList(), p.maxItems(), p.maxWildcards()));
            if (!gone.endsWith("*") && !p.unchanged().contains(gone)) {
                List<String> unchanged = new ArrayList<>(p.unchanged());
                unchanged.add(gone);
                out.add(new Problem(changed, unchanged, p.maxItems(), p.maxWildcards()));
            }
        }
        for (int i = 0; i < p.unchanged().size(); i++) {
            List<String> unchanged = new ArrayList<>(p.unchanged());
            unchanged.remove(i);
            out.add(new Problem(p.changed(), unchanged, p.maxItems(), p.maxWildcards()));
        }
        if (p.maxItems() > 1) out.add(new Problem(p.changed(), p.unchanged(), p.maxItems() - 1, p.maxWildcards()));
        if (p.maxWildcards() > 0) out.add(new Problem(p.changed(), p.unchanged(), p.maxItems(), p.maxWildcards() - 1));
        return out;
    }

    // ---------------------------------------------------------------- generated sites

    static final String[] ROOT_FILES = {"/index.xml", "/sitemap.xml", "/404.html", "/robots.txt", "/favicon.ico", "/index.json"};
    static final String[] ASSETS = {"/css/site.css", "/css/site.min.css", "/css/print.css", "/js/app.js", "/js/app.min.js",
            "/images/logo.png", "/images/logo-2x.png", "/fonts/inter.woff2"};
    static final String[] SECTIONS = {"posts", "tags", "docs", "categories", "caf%C3%A9", "%E6%97%A5%E6%9C%AC"};
    static final String[] TAGS = {"a", "ab", "abc", "b", "go", "golang", "java", "javascript", "jbang", "%C3%A9t%C3%A9", "%C3%BCber"};
    static final String[] DOCS = {"guide", "guide/install", "guides", "api", "api/v1", "api-v2", "install"};
    static final String[] TOP_PAGES = {"about", "abc", "contact", "caf%C3%A9", "caf%C3%A9s", "cafe", "%E6%97%A5%E6%9C%AC",
            "%E6%97%A5%E8%A8%98", "search", "people/%7Ealice", "people/bob", "%7Euser"};
    static final String[] POST_NAMES = {"a", "b", "ab", "hello", "hello-world"};
    static final double[] CHANGED_SHARES = {0.05, 0.15, 0.3, 0.6, 0.9, 1.0};

    static String pick(Random r, String[] from) {
        return from[r.nextInt(from.length)];
    }

    /** URLs Hugo writes together: a page's folder and its index.html (and a feed or a resource), a list, a file. */
    static List<String> shape(Random r) {
        switch (r.nextInt(10)) {
            case 0:
                return List.of("/", "/index.html");
            case 1:
                return List.of(pick(r, ROOT_FILES));
            case 2:
                return List.of(pick(r, ASSETS));
            case 3: {
                String list = "/" + pick(r, SECTIONS) + "/";
                return r.nextBoolean() ? List.of(list, list + "index.html", list + "index.xml") : List.of(list, list + "index.html");
            }
            case 7: {
                String page = "/" + pick(r, TOP_PAGES) + "/";
                return List.of(page, page + "index.html");
            }
            case 8: {
                String page = "/docs/" + pick(r, DOCS) + "/";
                return List.of(page, page + "index.html");
            }
            default: {
                String section = pick(r, SECTIONS);
                String slug = switch (section) {
                    case "posts" -> (2025 + r.nextInt(2)) + "-" + pick(r, new String[] {"01", "02", "12"}) + "-" + pick(r, POST_NAMES);
                    case "tags", "categories" -> pick(r, TAGS);
                    case "docs" -> pick(r, DOCS);
                    default -> pick(r, POST_NAMES);
                };
                String page = "/" + section + "/" + slug + "/";
                return switch (r.nextInt(4)) {
                    case 0 -> List.of(page, page + "index.html", section.equals("posts") ? page + "cover.jpg" : page + "index.xml");
                    default -> List.of(page, page + "index.html");
                };
            }
        }
    }

    /** A Hugo-shaped site of 5 to 40 URLs, some changed (sometimes page by page), sometimes forced wildcards, random budgets. */
    static Problem site(Random r) {
        int target = MIN_SITE_URLS + r.nextInt(MAX_SITE_URLS - (MAX_SHAPE_URLS - 1) - MIN_SITE_URLS + 1); // the last shape may pass it
        Set<String> urls = new TreeSet<>();
        List<List<String>> groups = new ArrayList<>();
        while (urls.size() < target) {
            List<String> fresh = shape(r).stream().filter(u -> !urls.contains(u)).toList();
            if (fresh.isEmpty()) continue;
            urls.addAll(fresh);
            groups.add(fresh);
        }
        return changes(r, urls, groups, FORCED_SHARE, 1 + r.nextInt(12), r.nextInt(16));
    }

    static Problem changes(Random r, Set<String> urls, List<List<String>> groups, double forcedShare, int maxItems, int maxWildcards) {
        double share = CHANGED_SHARES[r.nextInt(CHANGED_SHARES.length)];
        boolean byPage = r.nextBoolean();
        Set<String> changed = new LinkedHashSet<>();
        for (List<String> group : groups) {
            if (byPage) {
                if (r.nextDouble() < share) changed.addAll(group);
            } else {
                for (String url : group) if (r.nextDouble() < share) changed.add(url);
            }
        }
        List<String> all = new ArrayList<>(urls);
        if (r.nextDouble() < forcedShare) {
            // a changed key with '~' (or '*'): "/people/~carol/" becomes "/people/*", "/~user/" becomes "/*"; the prefix
            // is the encoded URL before that character, so it never ends inside a %XX escape
            for (int n = 1 + r.nextInt(3); n > 0; n--) {
                String url = all.get(r.nextInt(all.size()));
                int cut = 1 + r.nextInt(url.length());
                if (r.nextBoolean()) cut = url.lastIndexOf('/', cut - 1) + 1;
                String prefix = url.substring(0, cut);
                if (Universe.endsInsideAnEscape(prefix)) prefix = prefix.substring(0, prefix.lastIndexOf('%'));
                changed.add(prefix + "*");
            }
        }
        if (changed.isEmpty()) changed.add(all.get(r.nextInt(all.size())));
        List<String> unchanged = new ArrayList<>(r.nextDouble() < WHOLE_SITE_AS_UNCHANGED_SHARE ? urls : urls.stream().filter(u -> !changed.contains(u)).toList());
        List<String> changedList = new ArrayList<>(changed);
        Collections.shuffle(changedList, r);
        Collections.shuffle(unchanged, r);
        return new Problem(changedList, unchanged, maxItems, maxWildcards);
    }

    /** A site of one to six URLs over a two-letter alphabet (or tiny Hugo shapes): every prefix relation shows up. */
    static Problem tinySite(Random r) {
        while (true) {
            Set<String> urls = new TreeSet<>();
            List<List<String>> groups = new ArrayList<>();
            int target = 1 + r.nextInt(6);
            while (urls.size() < target) {
                List<String> shape;
                if (r.nextBoolean()) {
                    StringBuilder s = new StringBuilder("/");
                    for (int n = r.nextInt(5); n > 0; n--) s.append("ab/".charAt(r.nextInt(3)));
                    shape = List.of(s.toString());
                } else {
                    String page = "/" + pick(r, new String[] {"a", "ab", "b", "a/b"}) + "/";
                    shape = List.of(page, page + "index.html");
                }
                List<String> fresh = shape.stream().filter(u -> !urls.contains(u)).toList();
                urls.addAll(fresh);
                if (!fresh.isEmpty()) groups.add(fresh);
            }
            Problem p = changes(r, urls, groups, TINY_FORCED_SHARE, 1 + r.nextInt(5), r.nextInt(4));
            if (familySize(p) <= MAX_DEFINITION_FAMILY) return p;
        }
    }

    static long seed() {
        String given = System.getenv(SEED_VARIABLE);
        return given != null ? Long.parseLong(given) : new Random().nextLong();
    }

    // ---------------------------------------------------------------- the properties

    @Test
    void branchAndBoundFindsWhatTryingEveryPlanFinds() {
        long seed = seed();
        Random random = new Random(seed);
        int plans = 0;
        long started = System.nanoTime();
        for (int n = 0; n < TINY_SITES; n++) {
            Problem p = tinySite(random);
            Optional<Score> expected = byDefinition(p);
            Optional<Score> found = exhaustive(p).map(Answer::score);
            if (!expected.equals(found)) {
                Problem small = shrink(p, q -> !byDefinition(q).equals(exhaustive(q).map(Answer::score)));
                fail("seed " + seed + " (" + SEED_VARIABLE + "=" + seed + " replays it), tiny site " + n + ": " + p
                        + "\nby definition " + expected + ", branch and bound " + found
                        + "\nsmallest: " + small + ": by definition " + byDefinition(small) + ", branch and bound " + exhaustive(small).map(Answer::score));
            }
            if (found.isPresent()) plans++;
        }
        assertTrue(plans > TINY_SITES / 2, "seed " + seed + ": only " + plans + " tiny sites have a plan");
        System.err.printf("   %d tiny sites, %d with a plan, %d ms (seed %d)%n", TINY_SITES, plans, (System.nanoTime() - started) / 1_000_000, seed);
    }

    @Test
    void planWithinFindsTheOptimumOfEveryGeneratedSite() {
        long seed = seed();
        Random random = new Random(seed);
        int empty = 0;
        int forced = 0;
        int withCollateral = 0;
        long urls = 0;
        List<Integer> failing = new ArrayList<>();
        Problem smallestFailing = null;
        long started = System.nanoTime();
        for (int n = 0; n < SITES; n++) {
            Problem p = site(random);
            Optional<Answer> optimum = exhaustive(p);
            if (!problems(p, optimum).isEmpty()) {
                failing.add(n);
                if (smallestFailing == null || size(p) < size(smallestFailing)) smallestFailing = p;
            }
            if (optimum.isEmpty()) empty++;
            else if (optimum.get().score().collateral() > 0) withCollateral++;
            if (p.changed().stream().anyMatch(c -> c.endsWith("*"))) forced++;
            urls += size(p);
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        if (!failing.isEmpty()) {
            Problem small = shrink(smallestFailing, q -> !problems(q).isEmpty());
            fail("seed " + seed + " (" + SEED_VARIABLE + "=" + seed + " replays it): " + failing.size() + " of " + SITES + " sites fail, the first "
                    + failing.subList(0, Math.min(10, failing.size())) + "; the smallest: " + smallestFailing
                    + "\n  " + String.join("\n  ", problems(smallestFailing))
                    + "\nshrunk: " + small + "\n  " + String.join("\n  ", problems(small)));
        }
        assertTrue(empty > SITES / 50 && withCollateral > SITES / 10 && forced > SITES / 10,
                "seed " + seed + ": the generator should exercise every case (" + empty + " without a plan, " + withCollateral
                        + " with collateral, " + forced + " with forced wildcards)");
        System.err.printf("   %d sites (%d URLs and forced items), %d without a plan, %d with collateral, %d with forced wildcards, %d ms (seed %d)%n",
                SITES, urls, empty, withCollateral, forced, millis, seed);
    }

    /** How many distinct strings a problem holds. */
    static int size(Problem p) {
        return new HashSet<>(Stream.concat(p.changed().stream(), p.unchanged().stream()).toList()).size();
    }

    // ---------------------------------------------------------------- Hugo changes, each optimum worked out by hand

    static final List<String> BLOG = List.of(
            "/", "/index.html", "/index.xml", "/sitemap.xml", "/404.html",
            "/css/site.css", "/js/app.js", "/images/logo.png",
            "/about/", "/about/index.html",
            "/posts/", "/posts/index.html", "/posts/index.xml",
            "/posts/2025-11-jbang-scripts/", "/posts/2025-11-jbang-scripts/index.html",
            "/posts/2025-12-cloudfront/", "/posts/2025-12-cloudfront/index.html",
            "/posts/2026-01-hugo-deploy/", "/posts/2026-01-hugo-deploy/index.html",
            "/posts/2026-02-exact-invalidation/", "/posts/2026-02-exact-invalidation/index.html",
            "/tags/", "/tags/index.html",
            "/tags/aws/", "/tags/aws/index.html",
            "/tags/java/", "/tags/java/index.html",
            "/tags/javascript/", "/tags/javascript/index.html",
            "/tags/jbang/", "/tags/jbang/index.html");

    /** A new post tagged java and jbang: the post, the home page and feed, the post list and feed, the sitemap, two tag pages. */
    static final List<String> NEW_POST = List.of(
            "/posts/2026-02-exact-invalidation/", "/posts/2026-02-exact-invalidation/index.html",
            "/", "/index.html", "/index.xml", "/posts/", "/posts/index.html", "/posts/index.xml", "/sitemap.xml",
            "/tags/java/", "/tags/java/index.html", "/tags/jbang/", "/tags/jbang/index.html");

    /** A template edit: every page (a folder or an .html file) changed; the feeds, the sitemap and the assets not. */
    static final List<String> EVERY_PAGE = BLOG.stream().filter(u -> u.endsWith("/") || u.endsWith(".html")).toList();

    static final List<String> DOCS_SITE = List.of(
            "/", "/index.html", "/index.xml", "/sitemap.xml", "/css/site.css",
            "/docs/", "/docs/index.html", "/docs/install/", "/docs/install/index.html", "/docs/usage/", "/docs/usage/index.html",
            "/downloads/", "/downloads/index.html",
            "/posts/", "/posts/index.html", "/posts/2026-01-a/", "/posts/2026-01-a/index.html");

    /** The docs section deleted: its six URLs, and the home page and sitemap that linked to it. */
    static final List<String> DOCS_DELETED = List.of(
            "/docs/", "/docs/index.html", "/docs/install/", "/docs/install/index.html", "/docs/usage/", "/docs/usage/index.html",
            "/", "/index.html", "/sitemap.xml");

    /** Alice's page has a '~' in its key; its URL is listed encoded, as an unchanged URL. */
    static final List<String> PEOPLE = List.of(
            "/", "/index.html", "/css/site.css",
            "/people/", "/people/index.html",
            "/people/%7Ealice/", "/people/%7Ealice/index.html",
            "/people/bob/", "/people/bob/index.html",
            "/projects/", "/projects/index.html");

    /** café, cafés, cafe, 日本 and 日記: the encoded names share prefixes inside their escapes. */
    static final List<String> ENCODED = List.of(
            "/", "/index.html",
            "/caf%C3%A9/", "/caf%C3%A9/index.html",
            "/caf%C3%A9s/", "/caf%C3%A9s/index.html",
            "/cafe/", "/cafe/index.html",
            "/%E6%97%A5%E6%9C%AC/", "/%E6%97%A5%E6%9C%AC/index.html",
            "/%E6%97%A5%E8%A8%98/", "/%E6%97%A5%E8%A8%98/index.html");

    static final List<String> POSTS = List.of(
            "/posts/", "/posts/index.html",
            "/posts/2025-01-a/", "/posts/2025-01-a/index.html",
            "/posts/2025-03-b/", "/posts/2025-03-b/index.html",
            "/posts/2025-06-c/", "/posts/2025-06-c/index.html",
            "/posts/2025-09-d/", "/posts/2025-09-d/index.html",
            "/posts/2025-12-e/", "/posts/2025-12-e/index.html",
            "/posts/2026-01-a/", "/posts/2026-01-a/index.html",
            "/posts/2026-01-b/", "/posts/2026-01-b/index.html");

    static final List<String> TWO_2026_POSTS = List.of(
            "/posts/2026-01-a/", "/posts/2026-01-a/index.html", "/posts/2026-01-b/", "/posts/2026-01-b/index.html");

    static List<String> plus(List<String> a, String... more) {
        return Stream.concat(a.stream(), Stream.of(more)).toList();
    }

    /** A row: the site (every URL), what changed, the budgets, the optimal items (null: no plan) and their collateral. */
    static Arguments row(String name, List<String> site, List<String> changed, int maxItems, int maxWildcards, List<String> items, int collateral) {
        return Arguments.of(name, site, changed, maxItems, maxWildcards, items, collateral);
    }

    static Stream<Arguments> hugoChanges() {
        List<String> newPostOptimum = List.of("/", "/index.*", "/posts/", "/posts/2026-02-*", "/posts/index.*", "/sitemap.xml", "/tags/java/*", "/tags/jb*");
        return Stream.of(
                // 13 changed URLs; 0 collateral needs 8 items: "/" and "/posts/" are covered only by wildcards that hit
                // unchanged URLs, so they stay exact, and so does /sitemap.xml (alone under "/s"); the other ten pair up
                // under prefixes that hit nothing ("/index.*": /index.html and /index.xml; "/tags/jb*": jbang, not java).
                row("new post, 30 items", BLOG, NEW_POST, 30, WILDCARDS, newPostOptimum, 0),
                row("new post, 10 items: the same 8", BLOG, NEW_POST, 10, WILDCARDS, newPostOptimum, 0),
                // "/" (1) + /index.html, /index.xml, /sitemap.xml (2 at best) + the posts (1 or 3) + the tags (1 or 2):
                // 5 items leave one for the posts ("/posts/*" hits the 3 old posts: 6) and one for the tags ("/tags/j*"
                // hits javascript: 2).
                row("new post, 5 items", BLOG, NEW_POST, 5, WILDCARDS, List.of("/", "/index.*", "/posts/*", "/sitemap.xml", "/tags/j*"), 8),
                // "/" needs "/*" unless it is exact, and then the rest needs at least 4 more items: "/*", every unchanged URL.
                row("new post, 2 items", BLOG, NEW_POST, 2, WILDCARDS, List.of("/*"), 18),
                row("new post, 1 item", BLOG, NEW_POST, 1, WILDCARDS, List.of("/*"), 18),
                // One wildcard: the tags' "/tags/j*" saves 3 items for 2 URLs (10 items); "/i*" saves 1 for 1 (12).
                row("new post, 10 items, 1 wildcard", BLOG, NEW_POST, 10, 1, List.of("/", "/index.html", "/index.xml", "/posts/",
                        "/posts/2026-02-exact-invalidation/", "/posts/2026-02-exact-invalidation/index.html", "/posts/index.html",
                        "/posts/index.xml", "/sitemap.xml", "/tags/j*"), 2),
                row("new post, no wildcards, 13 items", BLOG, NEW_POST, 13, 0, NEW_POST, 0),
                row("new post, no wildcards, 12 items: no plan", BLOG, NEW_POST, 12, 0, null, 0),

                // 25 changed pages. 0 collateral needs 8 items: "/", /index.html (the other /index.* is the feed),
                // /404.html, "/posts/" and /posts/index.html (beside /posts/index.xml) exact; "/about/*", "/posts/2*"
                // (every post), "/tags/*".
                row("template edit, 10 items", BLOG, EVERY_PAGE, 10, WILDCARDS,
                        List.of("/", "/404.html", "/about/*", "/index.html", "/posts/", "/posts/2*", "/posts/index.html", "/tags/*"), 0),
                // 6 items: the posts under one "/posts/*", which hits /posts/index.xml.
                row("template edit, 6 items", BLOG, EVERY_PAGE, 6, WILDCARDS,
                        List.of("/", "/404.html", "/about/*", "/index.html", "/posts/*", "/tags/*"), 1),
                // Without "/*" the three root pages, the about page, the posts and the tags need 6 items.
                row("template edit, 5 items", BLOG, EVERY_PAGE, 5, WILDCARDS, List.of("/*"), 6),

                // "/doc*" would be the same wildcard; "/do*" would hit /downloads/.
                row("deleted section, 5 items", DOCS_SITE, DOCS_DELETED, 5, WILDCARDS, List.of("/", "/docs/*", "/index.html", "/sitemap.xml"), 0),
                // "/", /index.html, /sitemap.xml and the docs share only "/".
                row("deleted section, 3 items", DOCS_SITE, DOCS_DELETED, 3, WILDCARDS, List.of("/*"), 8),
                row("deleted section, no wildcards", DOCS_SITE, DOCS_DELETED, 9, 0, DOCS_DELETED, 0),

                // people/~carol/index.html changed: "/people/*" is forced; no wildcard inside /people/ can cover it, so
                // the people list comes along (alice and bob: 4).
                row("change under a forced wildcard", PEOPLE, List.of("/people/*", "/people/", "/people/index.html"), 5, WILDCARDS,
                        List.of("/people/*"), 4),
                row("forced wildcard and another folder, 2 items", PEOPLE, List.of("/people/*", "/people/", "/people/index.html", "/projects/"), 2, WILDCARDS,
                        List.of("/people/*", "/projects/"), 4),
                // One item: "/p*" covers "/people/" and "/projects/" (and hits /projects/index.html too).
                row("forced wildcard and another folder, 1 item", PEOPLE, List.of("/people/*", "/people/", "/people/index.html", "/projects/"), 1, WILDCARDS,
                        List.of("/p*"), 5),
                // ~carol/index.html at the root: "/*" is forced.
                row("forced wildcard at the root (/~user/)", PEOPLE, List.of("/*", "/projects/"), 12, WILDCARDS, List.of("/*"), 10),
                row("forced wildcard, no wildcards: no plan", PEOPLE, List.of("/people/*"), 12, 0, null, 0),

                // "/caf%C3%A9*" would hit cafés; "/%E6%97%A5*" would hit 日記.
                row("non-ASCII names, 4 items", ENCODED, List.of("/caf%C3%A9/", "/caf%C3%A9/index.html", "/%E6%97%A5%E6%9C%AC/", "/%E6%97%A5%E6%9C%AC/index.html"),
                        4, WILDCARDS, List.of("/%E6%97%A5%E6%9C%AC/*", "/caf%C3%A9/*"), 0),
                row("non-ASCII names, 1 item", ENCODED, List.of("/caf%C3%A9/", "/caf%C3%A9/index.html", "/%E6%97%A5%E6%9C%AC/", "/%E6%97%A5%E6%9C%AC/index.html"),
                        1, WILDCARDS, List.of("/*"), 8),
                // café and cafés: a prefix that ends inside the name, not at a folder.
                row("non-ASCII names, a prefix across two folders", ENCODED, List.of("/caf%C3%A9/", "/caf%C3%A9/index.html", "/caf%C3%A9s/", "/caf%C3%A9s/index.html"),
                        1, WILDCARDS, List.of("/caf%C3%A9*"), 0),

                // The folder wildcard "/posts/*" would hit the list and the five 2025 posts: 12.
                row("prefix wildcard beats the folder", POSTS, TWO_2026_POSTS, 1, WILDCARDS, List.of("/posts/2026-*"), 0),
                row("prefix wildcard beats four exact items", POSTS, TWO_2026_POSTS, 10, WILDCARDS, List.of("/posts/2026-*"), 0),
                row("prefix wildcard stops before an unchanged sibling", plus(POSTS, "/posts/2026-02-c/", "/posts/2026-02-c/index.html"), TWO_2026_POSTS,
                        1, WILDCARDS, List.of("/posts/2026-01-*"), 0));
    }

    /**
     * Each row's hand-written plan is valid with its stated collateral, the search finds it as the only optimum (a
     * wildcard named by what it covers: here "/posts/2026-*" and "/posts/2026-01-*" are one), and planWithin returns it.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("hugoChanges")
    void findsTheOptimumOfAHugoChange(String name, List<String> site, List<String> changed, int maxItems, int maxWildcards, List<String> expected, int collateral) {
        Problem p = new Problem(changed, site.stream().filter(u -> !changed.contains(u)).toList(), maxItems, maxWildcards);
        Optional<Answer> optimum = allOptimal(p);
        Optional<Invalidate.Invalidations.Plan> plan = Invalidate.Invalidations.planWithin(p.changed(), p.unchanged(), p.maxItems(), p.maxWildcards());
        if (expected == null) {
            assertEquals(Optional.empty(), optimum.map(Answer::score), "the search finds a plan");
            assertEquals(Optional.empty(), plan, "planWithin");
            return;
        }
        Invalidate.Invalidations.Plan written = new Invalidate.Invalidations.Plan(expected.stream().sorted().toList(), collateral,
                (int) expected.stream().filter(i -> i.endsWith("*")).count());
        assertEquals(List.of(), invalidity(p, written), "the row's own plan");
        Set<List<String>> optimal = new HashSet<>(optimum.orElseThrow().plans());
        assertEquals(Set.of(canonical(p, expected)), optimal, "the optimal plans (collateral, items, wildcards " + optimum.get().score() + ")");
        assertTrue(plan.isPresent(), "planWithin finds no plan");
        assertEquals(List.of(), invalidity(p, plan.get()), "planWithin's plan " + plan.get().items());
        assertEquals(canonical(p, expected), canonical(p, plan.get().items()), "planWithin's plan " + plan.get().items());
        assertEquals(Score.of(written), Score.of(plan.get()), "planWithin's plan " + plan.get().items());
    }

    /** A plan with each wildcard renamed to the longest prefix covering the same strings, sorted. */
    static List<String> canonical(Problem p, List<String> items) {
        Universe u = new Universe(p);
        Map<Long, String> prefixes = u.wildcardSets();
        return items.stream().map(i -> i.endsWith("*") ? prefixes.getOrDefault(u.covered(i.substring(0, i.length() - 1)), i.substring(0, i.length() - 1)) + "*" : i)
                .sorted().toList();
    }

    /** The whole site given as unchanged: the changed URLs in it are not collateral, also under a forced wildcard. */
    @Test
    void aUrlBothChangedAndUnchangedCountsAsChanged() {
        assertAll(
                () -> assertOptimum(new Problem(NEW_POST, BLOG, 5, WILDCARDS), new Score(8, 5, 3)),
                // "/people/*" hits /people/index.html, alice's and bob's pages; "/people/" is changed
                () -> assertOptimum(new Problem(List.of("/people/*", "/people/"), PEOPLE, 1, WILDCARDS), new Score(5, 1, 1)),
                () -> assertOptimum(new Problem(List.of("/*", "/projects/"), PEOPLE, 1, WILDCARDS), new Score(10, 1, 1)));
    }

    static void assertOptimum(Problem p, Score expected) {
        assertEquals(Optional.of(expected), exhaustive(p).map(Answer::score), "the search, " + p);
        assertEquals(List.of(), problems(p), p.toString());
    }

    @Test
    void deploySiteHasTheSamePlanner() {
        Problem p = new Problem(NEW_POST, BLOG.stream().filter(u -> !NEW_POST.contains(u)).toList(), 5, WILDCARDS);
        Optional<DeploySite.Invalidations.Plan> plan = DeploySite.Invalidations.planWithin(p.changed(), p.unchanged(), p.maxItems(), p.maxWildcards());
        assertEquals(canonical(p, List.of("/", "/index.*", "/posts/*", "/sitemap.xml", "/tags/j*")), canonical(p, plan.orElseThrow().items()));
    }

    static String literal(List<String> strings) {
        return strings.stream().map(s -> "\"" + s + "\"").collect(Collectors.joining(", ", "List.of(", ")"));
    }
}
