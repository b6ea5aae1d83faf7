///usr/bin/env jbang "$0" "$@" ; exit $?
//DESCRIPTION Benchmark invalidate and deploy-site against the AWS CLI, rclone and s3cmd on local servers (no AWS account)
//JAVA 17+
//SOURCES ../tests/support/LocalServers.java
//SOURCES ../tests/support/CloudFrontEmulator.java
//SOURCES ../tests/support/S3FaultProxy.java
//SOURCES SeedableMoto.java

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The project's benchmark: {@code ./jbang bench/run.java [--runs N] [--invalidation-runs N] [--scale F]
 * [--only LIST] [--no-install] [--results DIR]}.
 *
 * <p>Everything runs on 127.0.0.1 with fake credentials: one moto S3 server ({@link SeedableMoto}), an
 * {@link S3FaultProxy} in front of it (it counts the requests each tool run makes, by operation, and the bytes they
 * upload) and the {@link CloudFrontEmulator} (distributions whose origins are the benchmark's buckets). Every tool runs
 * as a user runs it: {@code ./jbang invalidate}, {@code ./jbang deploy-site} (the catalog aliases, warm JBang cache),
 * {@code aws} (CLI v1), {@code rclone}, {@code s3cmd}, each a fresh process with a clean environment.
 *
 * <p>Numbers are printed, never asserted: the machines are shared and noisy, so the tools of a scenario are
 * interleaved run by run (the order rotates), the table shows the median, min and max of the runs, and each ratio
 * is computed within a run and then summarised. The sites are generated from a fixed seed.
 *
 * <p>Scenarios: 1 one invalidation of one path; 2 a full upload of the 3,000-file site to an empty bucket; 3 a 1%
 * change (30 files) from a fresh checkout; 4 the unchanged 3,000-file site from a fresh checkout (each tool's bucket
 * as scenario 3 left it); 5 cold start: {@code ./jbang invalidate} from a fresh clone with empty JBang, Maven and
 * launcher caches, once, then twice warm; 6 the unchanged 30,000-file site on moto, seeded inside moto's process
 * (seconds, where 30,000 PUTs over HTTP would take minutes). Why these counts: moto handles about 150 to 300 small PUTs a
 * second on one core, so a full upload of 3,000 files costs 25 to 30 s a tool, and it lists 30,000 objects in about
 * 20 s; 3 runs of each tool (5 for the one-path invalidation, which is cheap; none of aws in scenario 4, which
 * re-uploads everything as in scenario 3; one of rclone in scenario 6) keep the default run under 10 minutes on
 * 2 cores. {@code --scale 0.1} divides every file count by ten for a quick look; {@code --only 4,6} runs some
 * scenarios (2 and 3 are then replaced by seeding where a later one needs their buckets). Results of a run with other
 * than the default settings go to bench/out/ and do not replace bench/results.*.
 *
 * <p>Memory: {@code /usr/bin/time -f %M} gives the peak RSS of the process tree it waited for; the {@code ./jbang}
 * launcher runs JBang's JVM as a child and then execs the script's JVM in its own process, so {@code %M} is the larger
 * of the two JVMs' peaks, not their sum. The benchmark also samples VmHWM of each JVM from /proc every 20 ms and
 * reports the script's JVM alone, and when JBang's JVM and the script's JVM appeared (the phases of a cold start).
 */
class run {
    static final long SEED = 20261122L;
    static final String ACCESS_KEY = "AKIDBENCHLOCAL";
    static final String SECRET_KEY = "bench-local-secret";
    static final String DIST_ID = "EBENCHDIST0001";
    static final int CHANGED_FILES = 30;
    static final Set<Integer> ALL_SCENARIOS = Set.of(1, 2, 3, 4, 5, 6);

    // settings
    static int runs = 3;
    static int invalidationRuns = 5;
    static double scale = 1.0;
    static Set<Integer> only = ALL_SCENARIOS;
    /** rclone and s3cmd are installed from Debian's packages when missing (as root): the comparison needs them. */
    static boolean install = true;
    /**
     * --network ci: a CI runner in the bucket's Region. 25 ms before each S3 request (a round trip to S3 and its first
     * byte, tens of milliseconds), 85 MB/s a connection (S3's performance guidelines: about 85 to 90 MB/s a connection
     * from EC2), 150 ms before each CloudFront request (a global API whose calls take hundreds of milliseconds).
     */
    static boolean ciNetwork;
    static final Duration CI_S3_LATENCY = Duration.ofMillis(25);
    static final long CI_BYTES_PER_SECOND = 85_000_000L;
    static final Duration CI_CLOUDFRONT_LATENCY = Duration.ofMillis(150);
    static Path resultsDir;

    static Path repo;
    static Path work;
    static Path logs;
    static SeedableMoto moto;
    static S3FaultProxy proxy;
    static long motoPid = -1;
    static CloudFrontEmulator cloudFront;
    static final Map<String, Long> payloadBytes = new ConcurrentHashMap<>();
    static final AtomicLong payloadTotal = new AtomicLong();
    static Map<String, String> env;
    static final Map<String, Boolean> available = new LinkedHashMap<>();
    static final List<Measure> measures = new ArrayList<>();
    static final List<String> checks = new ArrayList<>();
    static final List<String> notes = new ArrayList<>();
    static int distributions = 1;
    static boolean anyFailure;

    public static void main(String[] args) throws Exception {
        parse(args);
        repo = LocalServers.repoRoot();
        work = repo.resolve("bench/out/work");
        logs = repo.resolve("bench/out/logs");
        if (resultsDir == null) resultsDir = defaults() ? repo.resolve("bench") : repo.resolve("bench/out");
        deleteTree(work);
        deleteTree(logs);
        Files.createDirectories(work);
        Files.createDirectories(logs);
        Instant started = Instant.now();
        Runtime.getRuntime().addShutdownHook(new Thread(run::stopServers, "bench-stop"));
        try {
            tools();
            Map<String, String> machine = machine();
            String loadBefore = loadAverage();
            startServers();
            warmUp();
            if (only.contains(1)) invalidation();
            if (only.contains(2) || only.contains(3) || only.contains(4)) {
                site3000 = Site.generate(work.resolve("site-3000"), scaled(3000), false, SEED);
                System.err.println("bench: generated " + site3000.describe());
                Map<String, List<String>> fullBuckets = only.contains(2) ? fullUpload() : Map.of();
                if (only.contains(3) || only.contains(4)) {
                    Synced synced = syncedBuckets(fullBuckets);
                    if (only.contains(3)) synced = onePercent(synced);
                    if (only.contains(4)) unchanged(synced);
                }
            }
            if (only.contains(5)) coldStart();
            if (only.contains(6)) large();
            Duration took = Duration.between(started, Instant.now());
            machine.put("load average before", loadBefore);
            machine.put("load average after", loadAverage());
            machine.put("benchmark wall time", String.format(Locale.ROOT, "%.0f s", took.toMillis() / 1000.0));
            Report report = new Report(machine, took);
            System.out.println();
            System.out.println(report.text());
            Files.createDirectories(resultsDir);
            Files.writeString(resultsDir.resolve("results.json"), report.json());
            Files.writeString(resultsDir.resolve("results.md"), report.markdown() + planningSection(resultsDir.resolve("results.md")));
            if (ciNetwork && runs == 3 && scale == 1.0) writeNetworkSection(repo.resolve("bench/results.md"), report.markdown());
            // The runs at default settings, with no added latency and under --network ci, keep their numbers for the side-by-side section.
            if (defaults() || ciNetwork && runs == 3 && scale == 1.0) {
                Files.writeString(repo.resolve(ciNetwork ? SETTINGS_CI : SETTINGS_NONE), report.settingsTsv(), StandardCharsets.UTF_8);
                writeSideBySide(repo.resolve("bench/results.md"));
            }
            System.out.println("wrote " + repo.relativize(resultsDir.resolve("results.json")) + " and "
                    + repo.relativize(resultsDir.resolve("results.md")) + "; logs of every run in " + repo.relativize(logs));
        } finally {
            stopServers();
        }
        System.exit(anyFailure ? 1 : 0);
    }

    /** A --network ci run's results, as a section of bench/results.md beside the default run's (its headings one level down). */
    static void writeNetworkSection(Path results, String markdown) throws IOException {
        String body = markdown.replaceFirst("# Benchmark results\n\n", "").replaceAll("(?m)^## ", "### ");
        String section = "<!-- network-ci:start -->\n## Under a CI runner's network (`--network ci`)\n\n" + body + "\n<!-- network-ci:end -->\n";
        String text = Files.exists(results) ? Files.readString(results, StandardCharsets.UTF_8) : "";
        int from = text.indexOf("<!-- network-ci:start -->");
        int to = text.indexOf("<!-- network-ci:end -->");
        text = from >= 0 && to > from ? text.substring(0, from) + section + text.substring(to + "<!-- network-ci:end -->\n".length())
                : text + "\n" + section;
        Files.writeString(results, text, StandardCharsets.UTF_8);
        System.out.println("wrote its section of bench/results.md");
    }

    static final String SETTINGS_NONE = "bench/settings-none.tsv";
    static final String SETTINGS_CI = "bench/settings-ci.tsv";

    /**
     * The section of bench/results.md that puts both network settings side by side (every ratio with its goal, every
     * tool's median), from the numbers the last run at each setting kept; placed before "## Machine", written again by
     * every run at default settings.
     */
    static void writeSideBySide(Path results) throws IOException {
        Path none = repo.resolve(SETTINGS_NONE), ci = repo.resolve(SETTINGS_CI);
        if (!Files.exists(results) || !Files.exists(none) || !Files.exists(ci)) return;
        Map<String, String[]> a = readSettings(none), b = readSettings(ci);
        StringBuilder s = new StringBuilder("<!-- settings:start -->\n## Both network settings side by side\n\n");
        s.append("*No added latency*: `./jbang bench/run.java` (").append(a.getOrDefault("machine\tdate", new String[] {"", "", "?"})[2])
                .append(", commit ").append(a.getOrDefault("machine\tcommit", new String[] {"", "", "?"})[2]).append("); *CI runner's network*: `./jbang bench/run.java ")
                .append("--network ci --only 1,2,3,4,6` (").append(b.getOrDefault("machine\tdate", new String[] {"", "", "?"})[2]).append(", commit ")
                .append(b.getOrDefault("machine\tcommit", new String[] {"", "", "?"})[2]).append("): 25 ms before each S3 request, 85 MB/s a ")
                .append("connection, 150 ms before each CloudFront request. Same machine; each run's own sections below have every column.\n\n");
        List<String[]> ratios = new ArrayList<>();
        ratios.add(new String[] {"ratio or check (median)", "goal", "no added latency", "verdict", "CI runner's network", "verdict"});
        List<String[]> tools = new ArrayList<>();
        tools.add(new String[] {"scenario", "tool", "no added latency, median s", "CI runner's network, median s"});
        LinkedHashSet<String> keys = new LinkedHashSet<>(a.keySet());
        keys.addAll(b.keySet());
        for (String key : keys) {
            String[] x = a.get(key), y = b.get(key);
            String[] any = x != null ? x : y;
            switch (any[0]) {
                case "ratio", "headline" -> ratios.add(new String[] {any[1], any[3], x == null ? "-" : x[2], x == null ? "-" : x[4],
                        y == null ? "-" : y[2], y == null ? "-" : y[4]});
                case "row" -> tools.add(new String[] {any[1], any[2], x == null ? "-" : x[3], y == null ? "-" : y[3]});
                default -> { }
            }
        }
        s.append(Report.md(ratios)).append('\n').append(Report.md(tools)).append("<!-- settings:end -->\n\n");
        String text = Files.readString(results, StandardCharsets.UTF_8);
        int from = text.indexOf("<!-- settings:start -->");
        int to = text.indexOf("<!-- settings:end -->");
        if (from >= 0 && to > from) text = text.substring(0, from) + text.substring(to + "<!-- settings:end -->\n\n".length());
        int at = text.indexOf("## Machine");
        text = at < 0 ? text + "\n" + s : text.substring(0, at) + s + text.substring(at);
        Files.writeString(results, text, StandardCharsets.UTF_8);
    }

    /** A settings file's lines by key (kind and name): ratio/headline NAME VALUE GOAL VERDICT, row SCENARIO TOOL MEDIAN, machine KEY VALUE. */
    static Map<String, String[]> readSettings(Path file) throws IOException {
        Map<String, String[]> lines = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String[] f = line.split("\t", -1);
            if (f.length < 3) continue;
            lines.put(f[0].equals("row") ? f[0] + "\t" + f[1] + "\t" + f[2] : f[0] + "\t" + f[1], f);
        }
        return lines;
    }

    /** The sections of bench/plan.java, bench/network.java (each shape, HTTP and HTTPS) and --network ci in results.md (between their markers), kept when this benchmark rewrites the file. */
    static String planningSection(Path results) throws IOException {
        if (!Files.exists(results)) return "";
        String text = Files.readString(results, StandardCharsets.UTF_8);
        StringBuilder kept = new StringBuilder();
        Matcher sections = Pattern.compile("<!-- (plan|network[a-z0-9-]*):start -->").matcher(text);
        List<String> names = new ArrayList<>();
        while (sections.find()) names.add(sections.group(1));
        for (String name : names) {
            int from = text.indexOf("<!-- " + name + ":start -->");
            int to = text.indexOf("<!-- " + name + ":end -->");
            if (from >= 0 && to > from) kept.append("\n").append(text, from, to + ("<!-- " + name + ":end -->").length()).append("\n");
        }
        return kept.toString();
    }

    /** The settings whose results replace bench/results.*. */
    static boolean defaults() {
        return runs == 3 && invalidationRuns == 5 && scale == 1.0 && only.equals(ALL_SCENARIOS) && !ciNetwork;
    }

    static void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--invalidation-runs" -> invalidationRuns = Integer.parseInt(args[++i]);
                case "--scale" -> scale = Double.parseDouble(args[++i]);
                case "--only" -> only = scenarios(args[++i]);
                case "--no-install" -> install = false;
                case "--results" -> resultsDir = Path.of(args[++i]).toAbsolutePath();
                case "--network" -> {
                    String profile = args[++i];
                    if (!profile.equals("ci") && !profile.equals("none")) {
                        System.err.println("bench: --network takes ci or none");
                        System.exit(2);
                    }
                    ciNetwork = profile.equals("ci");
                }
                case "-h", "--help" -> {
                    System.out.println("""
                            usage: ./jbang bench/run.java [--runs N] [--invalidation-runs N] [--scale F] [--only LIST] [--no-install] [--results DIR]
                              --runs N               runs of each tool in scenarios 2, 3, 4 and 6 (default 3; rclone runs once in 6)
                              --invalidation-runs N  runs of each tool in scenario 1 (default 5)
                              --scale F              multiply every file count by F (default 1: 3,000 and 30,000 files)
                              --only LIST            run only these scenarios, e.g. --only 5,6 (default all):
                                                     1 one invalidation, 2 full upload, 3 1% change, 4 unchanged 3,000,
                                                     5 cold start (needs Maven Central), 6 unchanged 30,000; without 2 or 3,
                                                     the buckets 3 and 4 start from are seeded inside moto instead
                              --no-install           do not apt-get install rclone and s3cmd when they are missing (as root
                                                     it does by default; without them their columns are not run)
                              --results DIR          where results.json and results.md go (default bench/ for default
                                                     settings, bench/out/ otherwise)
                              --network ci           every tool behind a CI runner's network: 25 ms before each S3
                                                     request, 85 MB/s a connection, 150 ms before each CloudFront request""");
                    System.exit(0);
                }
                default -> {
                    System.err.println("bench: unknown option " + a + " (--help)");
                    System.exit(2);
                }
            }
        }
        if (runs < 1 || invalidationRuns < 1 || !(scale > 0)) {
            System.err.println("bench: --runs, --invalidation-runs and --scale must be positive");
            System.exit(2);
        }
    }

    /** {@code --only 1,4,6}: scenario numbers, in any order. */
    static Set<Integer> scenarios(String list) {
        Set<Integer> chosen = new TreeSet<>();
        for (String n : list.split(",")) {
            try {
                chosen.add(Integer.parseInt(n.trim()));
            } catch (NumberFormatException e) {
                chosen.add(-1);
            }
        }
        if (chosen.isEmpty() || !ALL_SCENARIOS.containsAll(chosen)) {
            System.err.println("bench: --only takes scenario numbers from 1 to 6, comma-separated, e.g. --only 5,6");
            System.exit(2);
        }
        return chosen;
    }

    static int scaled(int n) {
        return Math.max(20, (int) Math.round(n * scale));
    }

    // ------------------------------------------------------------------ tools and machine

    static void tools() throws Exception {
        for (String tool : List.of("aws", "rclone", "s3cmd")) available.put(tool, onPath(tool));
        List<String> missing = Stream.of("rclone", "s3cmd").filter(t -> !available.get(t)).toList();
        if (!missing.isEmpty()) {
            boolean root = "0".equals(capture(List.of("id", "-u")).trim());
            if (install && root) {
                System.err.println("bench: installing " + String.join(" ", missing) + " with apt-get");
                Process p = new ProcessBuilder("sh", "-c", "apt-get update -qq && apt-get install -y -qq " + String.join(" ", missing))
                        .redirectErrorStream(true).redirectOutput(logs.resolve("apt-get.log").toFile()).start();
                p.waitFor();
                for (String tool : missing) available.put(tool, onPath(tool));
            } else {
                String hint = "apt-get update && apt-get install -y " + String.join(" ", missing);
                notes.add(String.join(" and ", missing) + " not installed: their columns were not run (install: `" + hint
                        + "` as root)");
                System.err.println("bench: " + String.join(" and ", missing) + " not installed; not run. Install with: " + hint
                        + (root ? " (or drop --no-install)" : ""));
            }
        }
        if (!available.get("aws")) {
            notes.add("the AWS CLI (`aws`) is not installed: its columns were not run");
        }
        if (!Files.isExecutable(Path.of("/usr/bin/time"))) notes.add("/usr/bin/time missing: peak RSS comes from /proc sampling only");
    }

    static boolean onPath(String tool) {
        try {
            return new ProcessBuilder("sh", "-c", "command -v " + tool).start().waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    static Map<String, String> machine() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("date", DateTimeFormatter.ISO_INSTANT.format(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
        m.put("command", "./jbang bench/run.java" + (defaults() ? "" : " --runs " + runs + " --invalidation-runs " + invalidationRuns
                + " --scale " + scale + (only.equals(ALL_SCENARIOS) ? "" : " --only "
                + new TreeSet<>(only).stream().map(String::valueOf).collect(Collectors.joining(","))) + (ciNetwork ? " --network ci" : "")));
        m.put("nproc", capture(List.of("nproc")).trim());
        m.put("memory", memTotal());
        m.put("kernel", capture(List.of("uname", "-sr")).trim());
        m.put("java", firstLine(capture(List.of("java", "-version"))));
        m.put("jbang", lastLine(capture(List.of(repo.resolve("jbang").toString(), "--version"))));
        m.put("moto", motoVersion());
        m.put("aws", available.get("aws") ? firstLine(capture(List.of("aws", "--version"))) : "not installed");
        m.put("rclone", available.get("rclone") ? firstLine(capture(List.of("rclone", "version"))) : "not installed");
        m.put("s3cmd", available.get("s3cmd") ? firstLine(capture(List.of("s3cmd", "--version"))) : "not installed");
        String head = capture(List.of("git", "-C", repo.toString(), "rev-parse", "--short", "HEAD")).trim();
        String dirty = capture(List.of("git", "-C", repo.toString(), "status", "--porcelain", "--", "invalidate.java", "deploy-site.java")).trim();
        m.put("commit", head + (dirty.isEmpty() ? "" : " (invalidate.java/deploy-site.java modified in the work tree)"));
        return m;
    }

    static String memTotal() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("\\D", ""));
                    return String.format(Locale.ROOT, "%.1f GiB", kb / 1024.0 / 1024.0);
                }
            }
        } catch (IOException ignored) {
            // not Linux
        }
        return "?";
    }

    static String motoVersion() {
        String v = capture(List.of("sh", "-c", "pip show moto 2>/dev/null | sed -n 's/^Version: //p'")).trim();
        return v.isEmpty() ? "?" : v;
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    static String capture(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return out;
        } catch (Exception e) {
            return "?";
        }
    }

    static String firstLine(String s) {
        return s.lines().filter(l -> !l.isBlank()).findFirst().orElse("?").trim();
    }

    static String lastLine(String s) {
        List<String> lines = s.lines().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? "?" : lines.get(lines.size() - 1).trim();
    }

    // ------------------------------------------------------------------ servers

    static void startServers() throws Exception {
        System.err.println("bench: starting moto, the S3 proxy and the CloudFront emulator on 127.0.0.1");
        moto = SeedableMoto.start(repo.resolve("bench/seedable_moto.py"), logs.resolve("moto.log"));
        proxy = S3FaultProxy.start(moto.endpoint());
        cloudFront = CloudFrontEmulator.start();
        if (ciNetwork) {
            proxy.network(CI_S3_LATENCY, CI_BYTES_PER_SECOND);
            cloudFront.latency(CI_CLOUDFRONT_LATENCY);
            System.err.println("bench: network profile ci: " + CI_S3_LATENCY.toMillis() + " ms a S3 request, " + CI_BYTES_PER_SECOND / 1_000_000
                    + " MB/s a connection, " + CI_CLOUDFRONT_LATENCY.toMillis() + " ms a CloudFront request");
        }
        motoPid = moto.pid();
        Map<String, String> e = new LinkedHashMap<>();
        e.put("AWS_ACCESS_KEY_ID", ACCESS_KEY);
        e.put("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
        e.put("AWS_REGION", "us-east-1");
        e.put("AWS_DEFAULT_REGION", "us-east-1");
        e.put("AWS_EC2_METADATA_DISABLED", "true");
        // Safety nets: anything not pointed at a local server explicitly still stays on 127.0.0.1.
        e.put("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
        e.put("AWS_ENDPOINT_URL_S3", proxy.endpoint().toString());
        e.put("AWS_ENDPOINT_URL_CLOUDFRONT", cloudFront.endpoint().toString());
        e.put("AWS_CONFIG_FILE", work.resolve("aws-config-none").toString());
        e.put("AWS_SHARED_CREDENTIALS_FILE", work.resolve("aws-credentials-none").toString());
        e.put("NO_PROXY", "127.0.0.1,localhost");
        e.put("no_proxy", "127.0.0.1,localhost");
        // rclone: an S3 remote named "bench" from the environment, and no config file of the user's.
        Path rcloneConfig = work.resolve("rclone.conf");
        Files.writeString(rcloneConfig, "");
        e.put("RCLONE_CONFIG", rcloneConfig.toString());
        e.put("RCLONE_CONFIG_BENCH_TYPE", "s3");
        e.put("RCLONE_CONFIG_BENCH_PROVIDER", "Other");
        e.put("RCLONE_CONFIG_BENCH_ENDPOINT", proxy.endpoint().toString());
        e.put("RCLONE_CONFIG_BENCH_ACCESS_KEY_ID", ACCESS_KEY);
        e.put("RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY", SECRET_KEY);
        e.put("RCLONE_CONFIG_BENCH_REGION", "us-east-1");
        env = LocalServers.cleanEnvironment(e); // AWS_CA_BUNDLE, AWS_PROFILE and proxies are not passed on
        String host = proxy.endpoint().getHost() + ":" + proxy.endpoint().getPort();
        Files.writeString(work.resolve("s3cmd.cfg"), "[default]\naccess_key = " + ACCESS_KEY + "\nsecret_key = " + SECRET_KEY
                + "\nhost_base = " + host + "\nhost_bucket = " + host + "\nuse_https = False\nbucket_location = us-east-1\n");
        System.err.println("bench: moto " + moto.endpoint() + ", proxy " + proxy.endpoint() + ", CloudFront " + cloudFront.endpoint());
    }

    static synchronized void stopServers() {
        if (proxy != null) proxy.close();
        if (cloudFront != null) cloudFront.close();
        if (moto != null) {
            try {
                moto.close();
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }
        proxy = null;
        cloudFront = null;
        moto = null;
    }

    static void createBucket(String bucket) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(moto.endpoint().resolve("/" + bucket))
                .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException("cannot create bucket " + bucket + ": " + r.statusCode() + " " + r.body());
    }

    /** A distribution whose origin is {@code bucket}, so that deploy-site finds it by itself. */
    static void serve(String bucket) {
        String id = distributions == 1 ? DIST_ID : String.format(Locale.ROOT, "EBENCHDIST%04d", distributions);
        distributions++;
        cloudFront.addDistribution(id, null, List.of(bucket + ".bench.test"), List.of(CloudFrontEmulator.Origin.s3(bucket)));
    }

    /** Forget what the servers recorded, and record the payload bytes of every upload from here on. */
    static void resetCounters() {
        proxy.clear();
        cloudFront.reset();
        payloadBytes.clear();
        payloadTotal.set(0);
        // A rule that never matches: it sees each request's headers before it is forwarded.
        proxy.injectAlways(call -> {
            if (call.operation().equals("PutObject") || call.operation().equals("UploadPart")) {
                String decoded = call.header("x-amz-decoded-content-length");
                String length = decoded != null ? decoded : call.header("content-length");
                long n = length == null ? 0 : Long.parseLong(length.trim());
                payloadTotal.addAndGet(n);
                if (call.key() != null) payloadBytes.merge(call.key(), n, Long::sum);
            }
            return false;
        }, S3FaultProxy.Fault.SLOW(Duration.ZERO));
    }

    // ------------------------------------------------------------------ running a tool

    record Proc(int exit, double seconds, long maxRssKb, long scriptJvmKb, long jbangJvmKb, double jbangJvmStart, double scriptJvmStart,
                double cpu) {
    }

    /** One timed tool run: what it cost, and what the servers saw. */
    static final class Measure {
        final String scenario;
        final String tool;
        final int run;
        double seconds;
        int exit;
        long maxRssKb;
        long scriptJvmKb;
        long jbangJvmKb;
        double jbangJvmStart = -1;
        double scriptJvmStart = -1;
        double cpu;
        double motoCpu = -1;
        final Map<String, Long> requests = new TreeMap<>();
        long cloudFrontRequests;
        long uploads;
        long bytes;
        Set<String> uploadedKeys = new TreeSet<>();
        String note = "";
        /** deploy-site's own account of where the time went (its --verbose "time:" line): step -> seconds. */
        final Map<String, Double> phases = new LinkedHashMap<>();
        /** bench/out/logs/LOG.{cmd,out,err,rss} of the last command. */
        String log = "";

        Measure(String scenario, String tool, int run) {
            this.scenario = scenario;
            this.tool = tool;
            this.run = run;
        }

        long kind(String k) {
            return requests.getOrDefault(k, 0L);
        }
    }

    static final List<String> KINDS = List.of("PUT", "GET", "HEAD", "LIST", "POST", "DELETE");

    static String kindOf(S3FaultProxy.Request r) {
        if (r.operation().startsWith("List")) return "LIST";
        return r.method();
    }

    /** Runs the commands one after the other as one timed measure (stops at the first failure). */
    static Measure measure(String scenario, String tool, int run, List<List<String>> commands, Path dir) throws Exception {
        return measure(scenario, tool, run, commands, dir, env, false);
    }

    /** The same, with another environment, and {@code stamped}: each stderr line logged with its time. */
    static Measure measure(String scenario, String tool, int run, List<List<String>> commands, Path dir, Map<String, String> environment,
                           boolean stamped) throws Exception {
        resetCounters();
        Measure m = new Measure(scenario, tool, run);
        double motoCpu0 = motoPid > 0 ? LocalServers.cpuSeconds(motoPid) : 0;
        int i = 0;
        for (List<String> command : commands) {
            String base = (scenario + "-" + tool).replaceAll("[^A-Za-z0-9]+", "_") + "-" + run + (commands.size() > 1 ? "-" + (++i) : "");
            Proc p = exec(command, dir, base, environment, stamped);
            m.log = base;
            m.phases.putAll(phases(logs.resolve(base + ".err")));
            m.seconds += p.seconds();
            m.maxRssKb = Math.max(m.maxRssKb, p.maxRssKb());
            m.cpu += p.cpu();
            m.scriptJvmKb = Math.max(m.scriptJvmKb, p.scriptJvmKb());
            m.jbangJvmKb = Math.max(m.jbangJvmKb, p.jbangJvmKb());
            if (p.jbangJvmStart() >= 0 && m.jbangJvmStart < 0) m.jbangJvmStart = p.jbangJvmStart();
            if (p.scriptJvmStart() >= 0 && m.scriptJvmStart < 0) m.scriptJvmStart = p.scriptJvmStart();
            m.exit = p.exit();
            if (p.exit() != 0) {
                anyFailure = true;
                m.note = "FAILED (exit " + p.exit() + ", see bench/out/logs/" + base + ".err)";
                System.err.println("bench: " + tool + " failed in " + scenario + " run " + run + ": exit " + p.exit()
                        + "; " + lastLine(Files.readString(logs.resolve(base + ".err"))));
                break;
            }
        }
        m.motoCpu = motoPid > 0 ? LocalServers.cpuSeconds(motoPid) - motoCpu0 : -1;
        for (S3FaultProxy.Request r : proxy.requests()) {
            m.requests.merge(kindOf(r), 1L, Long::sum);
            // deploy-site's pending record (.deploy-site/) is its own bookkeeping, counted as a request, not as a site object.
            boolean ownRecord = r.key() != null && r.key().startsWith(".deploy-site/");
            if ((r.operation().equals("PutObject") || r.operation().equals("CompleteMultipartUpload")) && !ownRecord) {
                m.uploads++;
                if (r.key() != null) m.uploadedKeys.add(r.key());
            }
        }
        m.cloudFrontRequests = cloudFront.requests().size();
        m.bytes = payloadTotal.get();
        synchronized (measures) {
            measures.add(m);
        }
        System.err.printf(Locale.ROOT, "bench: %-22s %-26s run %d: %7.2f s  %s  uploads %d  %s%n", scenario, tool, run, m.seconds,
                requestSummary(m.requests), m.uploads, m.note);
        return m;
    }

    static String requestSummary(Map<String, Long> requests) {
        StringBuilder b = new StringBuilder();
        for (String k : KINDS) {
            long n = requests.getOrDefault(k, 0L);
            if (n > 0) b.append(b.length() == 0 ? "" : " ").append(k).append(' ').append(n);
        }
        for (var e : requests.entrySet()) {
            if (!KINDS.contains(e.getKey())) b.append(b.length() == 0 ? "" : " ").append(e.getKey()).append(' ').append(e.getValue());
        }
        return b.length() == 0 ? "no S3 request" : b.toString();
    }

    static Proc exec(List<String> command, Path dir, String logBase) throws Exception {
        return exec(command, dir, logBase, env, false);
    }

    static Proc exec(List<String> command, Path dir, String logBase, Map<String, String> environment, boolean stamped) throws Exception {
        List<String> full = new ArrayList<>();
        Path rss = logs.resolve(logBase + ".rss");
        boolean time = Files.isExecutable(Path.of("/usr/bin/time"));
        if (time) full.addAll(List.of("/usr/bin/time", "-f", "%M %U %S", "-o", rss.toString()));
        full.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(full).directory(dir.toFile())
                .redirectOutput(logs.resolve(logBase + ".out").toFile())
                .redirectError(stamped ? ProcessBuilder.Redirect.PIPE : ProcessBuilder.Redirect.to(logs.resolve(logBase + ".err").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().clear();
        pb.environment().putAll(environment);
        Files.writeString(logs.resolve(logBase + ".cmd"), String.join(" ", command) + "\n");
        long t0 = System.nanoTime();
        Process p = pb.start();
        Sampler sampler = new Sampler(p, t0, time);
        sampler.start();
        Thread stamper = stamped ? stamp(p.getErrorStream(), logs.resolve(logBase + ".err"), t0) : null;
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("timed out: " + command);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        sampler.stop();
        if (stamper != null) stamper.join(10_000);
        long maxRss = 0;
        double cpu = -1;
        if (time) {
            try {
                String[] f = lastLine(Files.readString(rss)).split(" ");
                maxRss = Long.parseLong(f[0]);
                cpu = Double.parseDouble(f[1]) + Double.parseDouble(f[2]);
            } catch (Exception ignored) {
                // time reports a failed command on its own first line; the last line is "%M %U %S"
            }
        }
        maxRss = Math.max(maxRss, Math.max(sampler.scriptKb, sampler.jbangKb));
        return new Proc(p.exitValue(), seconds, maxRss, sampler.scriptKb, sampler.jbangKb, sampler.jbangStart, sampler.scriptStart, cpu);
    }

    /** Copies a process's stderr to {@code file}, each line prefixed with the seconds since {@code t0}: the phases of a run. */
    static Thread stamp(InputStream stderr, Path file, long t0) {
        Thread t = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(stderr, StandardCharsets.UTF_8));
                 Writer out = Files.newBufferedWriter(file)) {
                for (String line; (line = in.readLine()) != null; ) {
                    out.write(String.format(Locale.ROOT, "[%8.3f s] %s%n", (System.nanoTime() - t0) / 1e9, line));
                }
            } catch (IOException e) {
                System.err.println("bench: lost stderr of a run: " + e);
            }
        }, "bench-stderr");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Samples, every 20 ms, VmHWM of the launcher's process (which ends up as the script's JVM by exec) and of JBang's
     * JVM (a child of the launcher), telling them apart by their command lines, and notes when each appeared. The JVM
     * of the mvn that installs JBang on a cold start (also a child of the launcher) is neither.
     */
    static final class Sampler {
        final Process process;
        final long t0;
        final boolean underTime;
        volatile boolean running = true;
        volatile long scriptKb;
        volatile long jbangKb;
        volatile double jbangStart = -1;
        volatile double scriptStart = -1;
        Thread thread;

        Sampler(Process process, long t0, boolean underTime) {
            this.process = process;
            this.t0 = t0;
            this.underTime = underTime;
        }

        void start() {
            thread = new Thread(this::loop, "bench-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join();
        }

        void loop() {
            long launcher = underTime ? -1 : process.pid();
            int tick = 0;
            Set<Long> seen = new LinkedHashSet<>();
            while (running && process.isAlive()) {
                try {
                    if (launcher < 0) {
                        launcher = process.toHandle().children().findFirst().map(ProcessHandle::pid).orElse(-1L);
                    }
                    if (launcher > 0) {
                        sample(launcher);
                        if (tick++ % 5 == 0) {
                            ProcessHandle.of(launcher).ifPresent(h -> h.descendants().forEach(c -> seen.add(c.pid()))); // JBang runs in a subshell of the launcher
                        }
                        for (long pid : seen) sample(pid);
                    }
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException ignored) {
                    // a process ended between two reads
                }
            }
        }

        void sample(long pid) {
            try {
                String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
                String[] argv = cmdline.split(" ", 2);
                if (!argv[0].endsWith("java") || cmdline.contains("org.codehaus.plexus.classworlds")) return;
                long kb = 0;
                for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                    if (line.startsWith("VmHWM:")) kb = Long.parseLong(line.replaceAll("\\D", ""));
                }
                if (cmdline.contains("dev.jbang.Main")) {
                    if (jbangStart < 0) jbangStart = (System.nanoTime() - t0) / 1e9;
                    jbangKb = Math.max(jbangKb, kb);
                } else {
                    if (scriptStart < 0) scriptStart = (System.nanoTime() - t0) / 1e9;
                    scriptKb = Math.max(scriptKb, kb);
                }
            } catch (IOException | UncheckedIOException | NumberFormatException ignored) {
                // gone
            }
        }
    }

    /** deploy-site always runs with -v: its closing "time:" line says where its time went (see {@link #phases}). */
    static List<String> jbang(String... args) {
        List<String> c = new ArrayList<>();
        c.add(repo.resolve("jbang").toString());
        c.addAll(List.of(args));
        if (args[0].equals("deploy-site")) c.add(2, "-v");
        return c;
    }

    /** The steps of deploy-site's "deploy-site: time: start 0.61 s, hash 0.80 s, ..." line in a stderr log. */
    static Map<String, Double> phases(Path err) throws IOException {
        Map<String, Double> steps = new LinkedHashMap<>();
        if (!Files.exists(err)) return steps;
        String marker = "deploy-site: time: ";
        for (String line : Files.readAllLines(err, StandardCharsets.UTF_8)) {
            int at = line.indexOf(marker);
            if (at < 0) continue;
            // "STEP 0.71 s, ...; in the background: EVENT at 0.70 s, ..." (events counted from the first step's start)
            for (String step : line.substring(at + marker.length()).replace("; in the background: ", ", ").split(", ")) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(.+?)( at)? (\\d+\\.\\d+) s").matcher(step.trim());
                if (m.matches()) steps.put(m.group(1) + (m.group(2) == null ? "" : " (at)"), Double.parseDouble(m.group(3)));
            }
        }
        return steps;
    }

    /** Puts the tools of one run in a different order each run. */
    static <T> List<T> rotate(List<T> tools, int run) {
        List<T> copy = new ArrayList<>(tools);
        Collections.rotate(copy, -(run - 1));
        return copy;
    }

    // ------------------------------------------------------------------ scenarios

    static final String S1 = "1 invalidate 1 path";
    static final String S2 = "2 full upload";
    static final String S3 = "3 1% change";
    static final String S4 = "4 unchanged";
    static final String S5 = "5 cold start";
    static final String S6 = "6 unchanged, large";
    /** deploy-site listing in one pass (--concurrency 1: nothing is uploaded in scenario 6, so only the listing differs). */
    static final String ONE_PASS = "deploy-site --concurrency 1 (one listing pass)";

    /**
     * Untimed: JBang builds the scripts if needed, and each script runs for real twice, because the launcher keeps
     * JBang's answer on a first run and writes a class-data archive on a second one (about 2 s), which the timed runs
     * then map, as they would in a CI job whose caches survive.
     */
    static void warmUp() throws Exception {
        System.err.println("bench: warming up (JBang builds the scripts once if needed; not timed)");
        Path dir = work;
        cloudFront.addDistribution(DIST_ID, null, List.of("www.bench.test"), List.of(CloudFrontEmulator.Origin.s3("bench-site")));
        distributions = 2;
        Path site = work.resolve("warmup-site");
        Files.createDirectories(site);
        Files.writeString(site.resolve("index.html"), "<!doctype html><title>warm-up</title>\n");
        createBucket("warmup-site");
        for (int i = 1; i <= 2; i++) {
            exec(jbang("invalidate", "-c", DIST_ID, "/warmup.html", "--endpoint-url", cloudFront.endpoint().toString()), dir,
                    "warmup-invalidate-" + i);
            // With an invalidation, so that the class-data archive holds CloudFront's classes as well as S3's.
            Files.writeString(site.resolve("index.html"), "<!doctype html><title>warm-up " + i + "</title>\n");
            exec(jbang("deploy-site", "-c", DIST_ID, "--endpoint-url", moto.endpoint().toString(), "--cloudfront-endpoint-url",
                    cloudFront.endpoint().toString(), site.toString(), "s3://warmup-site"), dir, "warmup-deploy-site-" + i);
        }
        if (available.get("aws")) exec(awsInvalidation("/warmup.html"), dir, "warmup-aws");
    }

    static List<String> awsInvalidation(String path) {
        return List.of("aws", "cloudfront", "create-invalidation", "--distribution-id", DIST_ID, "--paths", path,
                "--endpoint-url", cloudFront.endpoint().toString());
    }

    static List<String> invalidateCommand(Path launcher) {
        return List.of(launcher.toString(), "invalidate", "-c", DIST_ID, "/index.html", "--endpoint-url", cloudFront.endpoint().toString());
    }

    static void invalidation() throws Exception {
        List<String> tools = new ArrayList<>(List.of("invalidate"));
        if (available.get("aws")) tools.add("aws cloudfront");
        for (int r = 1; r <= invalidationRuns; r++) {
            for (String tool : rotate(tools, r)) {
                List<String> command = tool.equals("invalidate") ? invalidateCommand(repo.resolve("jbang")) : awsInvalidation("/index.html");
                measure(S1, tool, r, List.of(command), work);
            }
        }
    }

    static Site site3000;

    /** Scenario 2; returns the filled buckets of each tool (the seeds of scenario 3). */
    static Map<String, List<String>> fullUpload() throws Exception {
        List<String> tools = new ArrayList<>(List.of("deploy-site"));
        if (available.get("aws")) tools.add("aws s3 sync");
        Map<String, List<String>> filled = new LinkedHashMap<>();
        for (int r = 1; r <= runs; r++) {
            for (String tool : rotate(tools, r)) {
                String bucket = "full-" + (tool.startsWith("aws") ? "aws" : "deploy") + "-" + r;
                createBucket(bucket);
                List<String> command = tool.equals("deploy-site")
                        ? jbang("deploy-site", "--no-invalidate", "--endpoint-url", proxy.endpoint().toString(),
                        site3000.root.toString(), "s3://" + bucket)
                        : List.of("aws", "s3", "sync", site3000.root.toString(), "s3://" + bucket, "--no-progress",
                        "--endpoint-url", proxy.endpoint().toString());
                Measure m = measure(S2, tool, r, List.of(command), work);
                if (m.exit == 0 && m.uploads == site3000.files.size()) filled.computeIfAbsent(tool, k -> new ArrayList<>()).add(bucket);
            }
        }
        return filled;
    }

    /** The sync tools of scenarios 3 and 4, each with its own bucket, and the checkout every bucket holds. */
    record Synced(List<String> tools, Map<String, String> bucketOf, Path checkout) {
    }

    /**
     * Gives each sync tool a bucket holding the original site: one that scenario 2 filled, else (scenario 2 not run, or
     * too few buckets) one seeded inside moto.
     */
    static Synced syncedBuckets(Map<String, List<String>> filled) throws Exception {
        List<String> tools = new ArrayList<>(List.of("deploy-site"));
        if (available.get("aws")) tools.add("aws s3 sync + invalidation");
        if (available.get("rclone")) tools.add("rclone sync");
        if (available.get("s3cmd")) tools.add("s3cmd sync");
        List<String> pool = new ArrayList<>();
        for (List<String> buckets : filled.values()) pool.addAll(buckets);
        pool.sort(Comparator.reverseOrder());
        Map<String, String> bucketOf = new LinkedHashMap<>();
        for (String tool : tools) {
            String bucket;
            if (!pool.isEmpty()) {
                bucket = pool.remove(0);
            } else {
                bucket = "change-" + tool.split(" ")[0];
                seed(bucket, site3000.root);
            }
            bucketOf.put(tool, bucket);
        }
        // The benchmark's distribution now has deploy-site's bucket as origin: deploy-site finds it by itself.
        cloudFront.addDistribution(DIST_ID, null, List.of("www.bench.test"), List.of(CloudFrontEmulator.Origin.s3(bucketOf.get("deploy-site"))));
        return new Synced(tools, bucketOf, site3000.root);
    }

    /** What a sync tool runs to bring {@code bucket} to {@code checkout}: the same in scenarios 3 and 4. */
    static List<List<String>> syncCommands(String tool, String bucket, Path checkout) {
        return switch (tool) {
            case "deploy-site" -> List.of(jbang("deploy-site", "--endpoint-url", proxy.endpoint().toString(),
                    "--cloudfront-endpoint-url", cloudFront.endpoint().toString(), checkout.toString(), "s3://" + bucket));
            case "rclone sync" -> List.of(List.of("rclone", "sync", "--checksum", "--fast-list", checkout.toString(), "bench:" + bucket));
            case "s3cmd sync" -> List.of(List.of("s3cmd", "-c", work.resolve("s3cmd.cfg").toString(), "sync", "--delete-removed",
                    "--no-progress", checkout + "/", "s3://" + bucket + "/"));
            default -> List.of(
                    List.of("aws", "s3", "sync", checkout.toString(), "s3://" + bucket, "--delete", "--no-progress",
                            "--endpoint-url", proxy.endpoint().toString()),
                    awsInvalidation("/*"));
        };
    }

    /**
     * Scenario 3. Run r copies the checkout of run r-1 to a new folder and changes 30 more files, then every tool takes
     * its bucket from the state of run r-1 to that state, so every tool sees exactly the same change. Returns the
     * buckets with the last checkout, which they now hold.
     */
    static Synced onePercent(Synced synced) throws Exception {
        Path previous = synced.checkout();
        for (int r = 1; r <= runs; r++) {
            Path checkout = work.resolve("checkout-3000-" + r);
            copyTree(previous, checkout);
            Set<String> changed = Site.change(checkout, CHANGED_FILES, SEED + r);
            if (r > 1) deleteTree(previous);
            previous = checkout;
            for (String tool : rotate(synced.tools(), r)) {
                Measure m = measure(S3, tool, r, syncCommands(tool, synced.bucketOf().get(tool), checkout), work);
                Set<String> extra = new TreeSet<>(m.uploadedKeys);
                extra.removeAll(changed);
                Set<String> missed = new TreeSet<>(changed);
                missed.removeAll(m.uploadedKeys);
                if (tool.equals("deploy-site")) {
                    String verdict = extra.isEmpty() && missed.isEmpty() && m.uploads == changed.size()
                            ? "OK: deploy-site uploaded exactly the " + changed.size() + " changed files (and sent " + m.kind("HEAD")
                            + " HEAD, " + m.kind("LIST") + " LIST)"
                            : "MISMATCH: deploy-site uploaded " + m.uploads + " objects; not changed but uploaded " + extra.size()
                            + " " + first(extra) + "; changed but not uploaded " + missed.size() + " " + first(missed);
                    checks.add(S3 + " run " + r + ": " + verdict);
                }
                m.note = (m.note.isEmpty() ? "" : m.note + "; ") + m.uploadedKeys.size() + " distinct keys uploaded, "
                        + (changed.size() - missed.size()) + " of the " + changed.size() + " changed";
            }
        }
        return new Synced(synced.tools(), synced.bucketOf(), previous);
    }

    static String first(Set<String> keys) {
        return keys.isEmpty() ? "" : "(" + keys.stream().limit(3).collect(Collectors.joining(", ")) + (keys.size() > 3 ? ", ..." : "") + ")";
    }

    /** Fills a new bucket (untimed) with the files of a folder, inside moto's process. */
    static SeedableMoto.Seeded seed(String bucket, Path site) throws Exception {
        SeedableMoto.Seeded s = moto.seed(bucket, site);
        System.err.printf(Locale.ROOT, "bench: seeded s3://%s with %,d objects (%.1f MB) inside moto in %.1f s%n", bucket, s.objects(),
                s.bytes() / 1e6, s.seconds());
        return s;
    }

    /**
     * Scenario 4: every bucket holds the last checkout of scenario 3; each run copies it to a new folder (new
     * modification times, a fresh CI checkout) and runs scenario 3's commands. Not the AWS CLI: it compares
     * modification times, so from a fresh checkout it re-uploads every file, which scenario 3 already measures.
     */
    static void unchanged(Synced synced) throws Exception {
        int files = site3000.files.size();
        List<String> tools = synced.tools().stream().filter(t -> !t.startsWith("aws")).toList();
        if (tools.size() < synced.tools().size()) {
            notes.add(String.format(Locale.ROOT, "scenario 4 does not run `aws s3 sync`: it compares modification times, so from a fresh "
                    + "checkout it re-uploads all %,d files, exactly what scenario 3 measures (every run there is a fresh checkout), "
                    + "at about 30 s a run for 3,000 files", files));
        }
        for (int r = 1; r <= runs; r++) {
            Path checkout = work.resolve("checkout-3000-fresh-" + r);
            copyTree(synced.checkout(), checkout);
            for (String tool : rotate(tools, r)) {
                Measure m = measure(S4, tool, r, syncCommands(tool, synced.bucketOf().get(tool), checkout), work);
                if (tool.equals("deploy-site")) checkUnchanged(S4, m, files);
            }
            deleteTree(checkout);
        }
    }

    /** deploy-site on a bucket that already holds the site: one LIST per 1,000 objects, no other S3 request, no upload. */
    static void checkUnchanged(String scenario, Measure m, int files) {
        long expected = (files + 999) / 1000;
        long others = m.requests.entrySet().stream().filter(e -> !e.getKey().equals("LIST")).mapToLong(Map.Entry::getValue).sum();
        boolean ok = m.exit == 0 && m.kind("LIST") == expected && others == 0 && m.uploads == 0;
        checks.add(String.format(Locale.ROOT, "%s run %d: %s: deploy-site sent %d LIST (ceil(%d/1000) = %d) and %d other S3 requests, "
                + "uploaded %d", scenario, m.run, ok ? "OK" : "MISMATCH", m.kind("LIST"), files, expected, others, m.uploads));
    }

    /**
     * Scenario 6: the unchanged 30,000-file site (small files) on moto, deployed {@code runs} times, with rclone in the
     * first run only (moto lists 30,000 objects in about 20 s, so every rclone run costs that again). The bucket is
     * seeded inside moto's process (the seed row: its time and moto's CPU); no fresh copy is needed, as neither
     * deploy-site nor rclone --checksum looks at modification times.
     */
    static void large() throws Exception {
        moto.reset(); // the buckets of scenarios 2 to 4 are not needed any more: moto's memory back
        Site site = Site.generate(work.resolve("site-30000"), scaled(30000), true, SEED + 30000);
        System.err.println("bench: generated " + site.describe());
        String bucket = "large-30000";
        serve(bucket);
        try {
            seedRow(S6, bucket, site);
            List<String> tools = new ArrayList<>(List.of("deploy-site", ONE_PASS));
            if (available.get("rclone")) tools.add("rclone sync");
            for (int r = 1; r <= runs; r++) {
                for (String tool : rotate(tools, r)) {
                    if (tool.startsWith("rclone") && r > 1) continue;
                    List<String> command = new ArrayList<>();
                    if (tool.startsWith("deploy-site")) {
                        command.addAll(jbang("deploy-site", "--endpoint-url", proxy.endpoint().toString(), "--cloudfront-endpoint-url",
                                cloudFront.endpoint().toString(), site.root.toString(), "s3://" + bucket));
                        if (tool.equals(ONE_PASS)) command.addAll(List.of("--concurrency", "1"));
                    } else {
                        command.addAll(List.of("rclone", "sync", "--checksum", "--fast-list", site.root.toString(), "bench:" + bucket));
                    }
                    Measure m = measure(S6, tool, r, List.of(command), work);
                    if (tool.startsWith("deploy-site")) checkUnchanged(S6, m, site.files.size());
                }
            }
        } finally {
            deleteTree(site.root);
        }
    }

    /** Seeds the bucket inside moto as a row of the table (run 0): its time and moto's CPU; there is no S3 request. */
    static void seedRow(String scenario, String bucket, Site site) throws Exception {
        Measure s = new Measure(scenario, "seed: inside moto's process (not a tool)", 0);
        double motoCpu0 = LocalServers.cpuSeconds(motoPid);
        long t0 = System.nanoTime();
        SeedableMoto.Seeded seeded = seed(bucket, site.root);
        s.seconds = (System.nanoTime() - t0) / 1e9;
        s.motoCpu = LocalServers.cpuSeconds(motoPid) - motoCpu0;
        s.cpu = -1;
        s.requests.put("PUT", -1L); // shown as "not counted"
        s.note = String.format(Locale.ROOT, "%,d objects, %.1f MB, put through moto's S3 backend by bench/seedable_moto.py",
                seeded.objects(), seeded.bytes() / 1e6);
        measures.add(s);
        checks.add(String.format(Locale.ROOT, "%s seed: %s: %,d objects of %,d files (%.1f MB) in %.1f s inside moto", scenario,
                seeded.objects() == site.files.size() ? "OK" : "MISMATCH", seeded.objects(), site.files.size(), seeded.bytes() / 1e6, s.seconds));
    }

    /** The empty folders of a cold start, all under bench/out/work/cold. */
    record Cold(Path repoClone, Path jbangDir, Path jbangRepo, Path launcherCache, Path mavenRepo) {
        static Cold under(Path root) {
            return new Cold(root.resolve("repo"), root.resolve("jbang-dir"), root.resolve("jbang-repo"), root.resolve("launcher-cache"),
                    root.resolve("maven-repo"));
        }

        /** ./jbang's environment: nothing cached anywhere (JBANG_CACHE_DIR unset: it lives in JBANG_DIR). */
        Map<String, String> environment() {
            Map<String, String> e = new LinkedHashMap<>(env);
            e.remove("JBANG_CACHE_DIR");
            e.put("JBANG_DIR", jbangDir.toString());
            e.put("JBANG_REPO", jbangRepo.toString());
            e.put("JBANG_LAUNCHER_CACHE", launcherCache.toString());
            e.put("JBANG_LAUNCHER_USE_PATH", "false");
            e.put("MAVEN_OPTS", "-Dmaven.repo.local=" + mavenRepo);
            return e;
        }
    }

    /** Bytes and files under a folder. */
    record Usage(long bytes, long files) {
        static Usage of(Path dir) throws IOException {
            if (!Files.isDirectory(dir)) return new Usage(0, 0);
            try (Stream<Path> walk = Files.walk(dir)) {
                long[] sum = new long[2];
                walk.filter(Files::isRegularFile).forEach(p -> {
                    sum[0] += p.toFile().length();
                    sum[1]++;
                });
                return new Usage(sum[0], sum[1]);
            }
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%.1f MB in %,d files", bytes / 1e6, files);
        }
    }

    /**
     * Scenario 5: {@code ./jbang invalidate} as the first step of a CI job on a new machine: a fresh clone of HEAD,
     * and empty JBang folder, JBang Maven repository, launcher cache and Maven repository for the launcher's mvn. The
     * launcher installs JBang with mvn, JBang resolves the script's dependencies and builds it, the script sends the
     * invalidation. Once (each cold run downloads the same from Maven Central), then twice warm from the same clone.
     */
    static void coldStart() throws Exception {
        Path root = work.resolve("cold");
        Cold cold = Cold.under(root);
        try {
            deleteTree(root);
            for (Path dir : List.of(cold.jbangDir(), cold.jbangRepo(), cold.launcherCache(), cold.mavenRepo())) Files.createDirectories(dir);
            Proc clone = exec(List.of("git", "clone", "--quiet", repo.toString(), cold.repoClone().toString()), work, "cold-git-clone");
            if (clone.exit() != 0) {
                coldFailed("git clone failed: " + lastLine(Files.readString(logs.resolve("cold-git-clone.err"))));
                return;
            }
            Map<String, String> environment = cold.environment();
            List<String> command = invalidateCommand(cold.repoClone().resolve("jbang"));
            Measure first = measure(S5, "invalidate, cold", 1, List.of(command), cold.repoClone(), environment, true);
            Map<String, Usage> used = new LinkedHashMap<>();
            used.put("JBang's Maven repository (JBANG_REPO)", Usage.of(cold.jbangRepo()));
            used.put("mvn's repository (-Dmaven.repo.local)", Usage.of(cold.mavenRepo()));
            used.put("the launcher cache (JBANG_LAUNCHER_CACHE: copies of JBang's jars)", Usage.of(cold.launcherCache()));
            used.put("JBANG_DIR (JBang's cache: the built jar)", Usage.of(cold.jbangDir()));
            if (first.exit != 0) {
                // The reason: the last line it printed, without its time stamp and terminal colours (mvn's).
                String said = lastLine(Files.readString(logs.resolve(first.log + ".err"))).replaceAll("\u001B\\[[0-9;]*m", "")
                        .replaceFirst("^\\[ *[0-9.]+ s\\] ", "");
                coldFailed("exit " + first.exit + " after " + String.format(Locale.ROOT, "%.1f s", first.seconds) + ": " + said
                        + " (stderr: bench/out/logs/" + first.log + ".err)");
                return;
            }
            // The launcher keeps JBang's answer on the first run, writes a class-data archive on the second and maps it
            // from the third on: two warm runs show both.
            List<Measure> warm = new ArrayList<>();
            for (String run : List.of("2nd", "3rd")) {
                warm.add(measure(S5, "invalidate, warm (" + run + " run)", 1, List.of(command), cold.repoClone(), environment, false));
            }
            coldReport(first, warm, used);
        } catch (Exception e) {
            coldFailed(e.toString());
        } finally {
            deleteTree(root);
        }
    }

    static void coldFailed(String reason) {
        anyFailure = true;
        coldStart = "FAILED: " + reason;
        checks.add(S5 + ": " + coldStart);
        System.err.println("bench: cold start " + coldStart);
    }

    /** The cold start's summary for the ratios table: set by {@link #coldReport} or {@link #coldFailed}. */
    static String coldStart;
    /** The cold start's whole time, for its goal (issue 14: under 20 s here). */
    static double coldSeconds = Double.NaN;

    /**
     * A cold run's phases, in seconds (-1 when not seen): the launcher until JBang's JVM appeared (mostly mvn installing
     * JBang), JBang's JVM until the script's JVM appeared (resolving and downloading the dependencies, then building the
     * jar, from JBang's time-stamped lines), the script until it exited (its invalidation sent).
     */
    record Phases(double launcher, double jbang, double resolving, double building, double script) {
        static Phases of(Measure m, List<String> stamped) {
            double resolving = stampOf(stamped, "Resolving dependencies");
            double resolved = stampOf(stamped, "Dependencies resolved");
            double building = stampOf(stamped, "Building jar");
            boolean seen = m.jbangJvmStart >= 0 && m.scriptJvmStart >= 0;
            return new Phases(m.jbangJvmStart, seen ? m.scriptJvmStart - m.jbangJvmStart : -1,
                    resolving >= 0 && resolved >= 0 ? resolved - resolving : -1,
                    building >= 0 && m.scriptJvmStart >= 0 ? m.scriptJvmStart - building : -1,
                    m.scriptJvmStart >= 0 ? m.seconds - m.scriptJvmStart : -1);
        }

        static String s(double seconds) {
            return seconds < 0 ? "?" : String.format(Locale.ROOT, "%.1f s", seconds);
        }

        String brief() {
            return "mvn installing JBang " + s(launcher) + ", JBang " + s(jbang) + ", the script " + s(script);
        }

        String full() {
            return "the launcher with mvn installing JBang " + s(launcher) + " (until JBang's JVM started), JBang " + s(jbang)
                    + " (resolving dependencies " + s(resolving) + ", building the jar " + s(building) + "; until the script's JVM started), "
                    + "the script " + s(script);
        }
    }

    static void coldReport(Measure cold, List<Measure> warm, Map<String, Usage> used) throws IOException {
        Phases phases = Phases.of(cold, Files.readAllLines(logs.resolve(cold.log + ".err")));
        long downloaded = used.entrySet().stream().filter(e -> e.getKey().contains("repository")).mapToLong(e -> e.getValue().bytes()).sum();
        String again = warm.stream().map(m -> m.exit == 0 ? String.format(Locale.ROOT, "%.1f s", m.seconds) : "FAILED")
                .collect(Collectors.joining(", then "));
        coldStart = String.format(Locale.ROOT, "%.1f s (%s; %.0f MB downloaded); warm %s", cold.seconds, phases.brief(), downloaded / 1e6, again);
        coldSeconds = cold.exit == 0 ? cold.seconds : Double.NaN;
        checks.add(String.format(Locale.ROOT, "%s: %.1f s to the first invalidation, one run: %s; from the same clone again %s",
                S5, cold.seconds, phases.full(), again));
        StringBuilder sizes = new StringBuilder();
        used.forEach((what, usage) -> sizes.append(sizes.length() == 0 ? "" : "; ").append(what).append(' ').append(usage));
        checks.add(S5 + ": afterwards " + sizes + (used.values().stream().anyMatch(u -> u.files() == 0)
                ? " (an empty folder: that setting was not honoured)" : " (each setting honoured: every folder filled)"));
        cold.note = "stderr with times: bench/out/logs/" + cold.log + ".err";
    }

    /** Seconds of the first time-stamped line ("[  12.345 s] ...") that contains {@code text}, or -1. */
    static double stampOf(List<String> stamped, String text) {
        for (String line : stamped) {
            if (line.contains(text) && line.startsWith("[")) return Double.parseDouble(line.substring(1, line.indexOf(" s]")).trim());
        }
        return -1;
    }

    // ------------------------------------------------------------------ files

    static void copyTree(Path from, Path to) throws IOException {
        deleteTree(to);
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                // No COPY_ATTRIBUTES: like a fresh checkout, every file gets a new modification time.
                Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.REPLACE_EXISTING);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    /**
     * A deterministic Hugo-like site: pages in post folders ({@code posts/SLUG/index.html}) with their processed
     * images beside them (fingerprinted names, a few KB to 200 KB), tag and category pages with their feeds,
     * pagination, fingerprinted CSS/JS, fonts, the home page, its feed, the sitemap, a search index, 404, robots.txt.
     * {@code small}: the same shapes at 100 to 1,500 bytes a file (the large unchanged site).
     */
    static final class Site {
        final Path root;
        final List<String> files = new ArrayList<>();
        long bytes;

        Site(Path root) {
            this.root = root;
        }

        String describe() {
            Map<String, Integer> byExt = new TreeMap<>();
            for (String f : files) {
                String name = f.substring(f.lastIndexOf('/') + 1);
                byExt.merge(name.contains(".") ? name.substring(name.lastIndexOf('.') + 1) : "-", 1, Integer::sum);
            }
            return String.format(Locale.ROOT, "%s: %,d files, %.1f MB (%s)", root.getFileName(), files.size(), bytes / 1e6, byExt);
        }

        static final String[] WORDS = ("the a static site deploy cloud front bucket object cache page post tag feed image "
                + "asset hugo build content change upload invalidate path request region edge origin header version "
                + "release note guide write read list fast slow small large index section theme layout partial shortcode "
                + "markdown front matter taxonomy term menu param config minify fingerprint resource bundle draft publish "
                + "summary reading time author date series archive search json yaml toml git commit branch pipeline").split(" ");

        static Site generate(Path root, int n, boolean small, long seed) throws IOException {
            deleteTree(root);
            Files.createDirectories(root);
            Random rnd = new Random(seed);
            Site site = new Site(root);
            byte[] text = corpus(rnd);
            List<String[]> plan = plan(n, rnd); // {path, kind}
            for (String[] f : plan) {
                int size = small ? 100 + rnd.nextInt(1400) : size(f[1], rnd, n);
                byte[] body = f[1].equals("bin") || f[1].equals("img") ? binary(size, rnd) : text(text, f[0], size, rnd);
                Path p = root.resolve(f[0]);
                Files.createDirectories(p.getParent());
                Files.write(p, body);
                site.files.add(f[0]);
                site.bytes += body.length;
            }
            return site;
        }

        static byte[] corpus(Random rnd) {
            StringBuilder b = new StringBuilder(1 << 20);
            while (b.length() < (1 << 20)) {
                int sentence = 6 + rnd.nextInt(14);
                b.append("<p>");
                for (int i = 0; i < sentence; i++) b.append(i == 0 ? "" : " ").append(WORDS[rnd.nextInt(WORDS.length)]);
                b.append(".</p>\n");
            }
            return b.toString().getBytes(StandardCharsets.UTF_8);
        }

        static byte[] text(byte[] corpus, String path, int size, Random rnd) {
            byte[] head = ("<!doctype html><title>" + path + "</title><!-- " + Long.toHexString(rnd.nextLong()) + " -->\n")
                    .getBytes(StandardCharsets.UTF_8);
            byte[] out = new byte[Math.max(size, head.length)];
            System.arraycopy(head, 0, out, 0, head.length);
            int pos = head.length;
            while (pos < out.length) {
                int from = rnd.nextInt(corpus.length - 4096);
                int len = Math.min(out.length - pos, 512 + rnd.nextInt(3584));
                System.arraycopy(corpus, from, out, pos, len);
                pos += len;
            }
            return out;
        }

        static byte[] binary(int size, Random rnd) {
            byte[] out = new byte[size];
            rnd.nextBytes(out);
            if (size > 4) {
                out[0] = (byte) 0xFF;
                out[1] = (byte) 0xD8;
                out[2] = (byte) 0xFF;
                out[3] = (byte) 0xE0;
            }
            return out;
        }

        static int logUniform(Random rnd, int min, int max) {
            return (int) Math.round(Math.exp(Math.log(min) + rnd.nextDouble() * (Math.log(max) - Math.log(min))));
        }

        static int size(String kind, Random rnd, int n) {
            return switch (kind) {
                case "html" -> logUniform(rnd, 4_000, 60_000);
                case "xml" -> logUniform(rnd, 5_000, 80_000);
                case "sitemap" -> Math.max(2_000, n * 60);
                case "css" -> logUniform(rnd, 10_000, 80_000);
                case "js" -> logUniform(rnd, 20_000, 200_000);
                case "img" -> logUniform(rnd, 3_000, 200_000);
                case "bin" -> logUniform(rnd, 1_000, 40_000);
                default -> logUniform(rnd, 200, 2_000);
            };
        }

        static String hex(Random rnd, int chars) {
            byte[] b = new byte[(chars + 1) / 2];
            rnd.nextBytes(b);
            return HexFormat.of().formatHex(b).substring(0, chars);
        }

        static String slug(Random rnd) {
            return WORDS[rnd.nextInt(WORDS.length)] + "-" + WORDS[rnd.nextInt(WORDS.length)] + "-" + WORDS[rnd.nextInt(WORDS.length)];
        }

        /** Paths and kinds: about 33% post pages, 40% images, 16% tag pages and feeds, the rest lists and assets. */
        static List<String[]> plan(int n, Random rnd) {
            List<String[]> fixed = new ArrayList<>();
            for (String[] f : new String[][] {{"index.html", "html"}, {"index.xml", "xml"}, {"sitemap.xml", "sitemap"},
                    {"404.html", "html"}, {"robots.txt", "txt"}, {"favicon.ico", "bin"}, {"site.webmanifest", "txt"},
                    {"index.json", "xml"}, {"posts/index.html", "html"}, {"posts/index.xml", "xml"}, {"tags/index.html", "html"},
                    {"categories/index.html", "html"}}) {
                fixed.add(f);
            }
            int assets = Math.max(4, n / 200);
            for (int i = 0; i < assets; i++) {
                String kind = i % 3 == 0 ? "css" : i % 3 == 1 ? "js" : "bin";
                String name = switch (kind) {
                    case "css" -> "css/" + (i == 0 ? "main" : "style" + i) + ".min." + hex(rnd, 64) + ".css";
                    case "js" -> "js/" + (i == 1 ? "main" : "bundle" + i) + ".min." + hex(rnd, 64) + ".js";
                    default -> "fonts/font-" + i + "-" + hex(rnd, 8) + ".woff2";
                };
                fixed.add(new String[] {name, kind});
            }
            List<String[]> rest = new ArrayList<>();
            int posts = (int) Math.round(n * 0.33);
            int images = (int) Math.round(n * 0.40);
            int tags = (int) Math.round(n * 0.08);
            int categories = Math.max(1, (int) Math.round(n * 0.005));
            List<String> postDirs = new ArrayList<>();
            for (int i = 0; i < posts; i++) {
                String dir = "posts/" + (2015 + i % 11) + "-" + slug(rnd) + "-" + i;
                postDirs.add(dir);
                rest.add(new String[] {dir + "/index.html", "html"});
            }
            for (int i = 0; i < images; i++) {
                String dir = postDirs.isEmpty() ? "images" : postDirs.get(rnd.nextInt(postDirs.size()));
                int w = new int[] {320, 640, 960, 1280, 1920}[rnd.nextInt(5)];
                String ext = rnd.nextInt(4) == 0 ? "webp" : "jpg";
                rest.add(new String[] {dir + "/photo-" + i + "_hu" + hex(rnd, 32) + "_" + (10_000 + rnd.nextInt(900_000)) + "_" + w
                        + "x0_resize_q75_box." + ext, "img"});
            }
            for (int i = 0; i < tags; i++) {
                String dir = "tags/" + WORDS[i % WORDS.length] + (i < WORDS.length ? "" : "-" + i);
                rest.add(new String[] {dir + "/index.html", "html"});
                rest.add(new String[] {dir + "/index.xml", "xml"});
            }
            for (int i = 0; i < categories; i++) {
                String dir = "categories/" + WORDS[(i * 7) % WORDS.length] + "-" + i;
                rest.add(new String[] {dir + "/index.html", "html"});
                rest.add(new String[] {dir + "/index.xml", "xml"});
            }
            for (int i = 2; fixed.size() + rest.size() < n; i++) {
                rest.add(new String[] {(i % 2 == 0 ? "page/" : "posts/page/") + (i / 2 + 1) + "/index.html", "html"});
            }
            Collections.shuffle(rest, rnd);
            Map<String, String[]> unique = new LinkedHashMap<>();
            for (String[] f : fixed) unique.putIfAbsent(f[0], f);
            for (String[] f : rest) unique.putIfAbsent(f[0], f);
            for (int i = 1_000_000; unique.size() < n; i++) unique.putIfAbsent("page/" + i + "/index.html", new String[] {"page/" + i + "/index.html", "html"});
            return new ArrayList<>(unique.values()).subList(0, n);
        }

        /**
         * Edits {@code count} entry points in place (HTML, feeds, sitemap: what a new post changes): the home page, its
         * feed and the sitemap, then others drawn from {@code seed}; every other edit keeps the file's size.
         * Returns the changed keys.
         */
        static Set<String> change(Path root, int count, long seed) throws IOException {
            Random rnd = new Random(seed);
            List<String> candidates;
            try (Stream<Path> walk = Files.walk(root)) {
                candidates = walk.filter(Files::isRegularFile).map(p -> root.relativize(p).toString().replace('\\', '/'))
                        .filter(k -> k.endsWith(".html") || k.endsWith(".xml")).sorted().collect(Collectors.toCollection(ArrayList::new));
            }
            Set<String> chosen = new LinkedHashSet<>();
            for (String k : List.of("index.html", "index.xml", "sitemap.xml")) if (candidates.contains(k)) chosen.add(k);
            Collections.shuffle(candidates, rnd);
            for (String k : candidates) {
                if (chosen.size() >= count) break;
                chosen.add(k);
            }
            int i = 0;
            for (String key : chosen) {
                Path p = root.resolve(key);
                byte[] body = Files.readAllBytes(p);
                if (i++ % 2 == 0) {
                    // Same size: swap the case of the letters in a window (the text is words: something changes).
                    int from = body.length <= 256 ? 0 : rnd.nextInt(body.length - 256);
                    for (int j = from; j < Math.min(body.length, from + 256); j++) {
                        if (Character.isLetter(body[j])) body[j] ^= 0x20;
                    }
                    Files.write(p, body);
                } else {
                    Files.write(p, ("<!-- edit " + seed + " " + Long.toHexString(rnd.nextLong()) + " -->\n").getBytes(StandardCharsets.UTF_8),
                            java.nio.file.StandardOpenOption.APPEND);
                }
            }
            return chosen;
        }
    }

    // ------------------------------------------------------------------ report

    record Stats(double median, double min, double max, int n) {
        static Stats of(List<Double> values) {
            List<Double> v = new ArrayList<>(values);
            Collections.sort(v);
            if (v.isEmpty()) return new Stats(Double.NaN, Double.NaN, Double.NaN, 0);
            int n = v.size();
            double median = n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
            return new Stats(median, v.get(0), v.get(n - 1), n);
        }
    }

    /** One line of the table: a tool in a scenario over its runs (run 0, a seed, stands alone). */
    record Row(String scenario, String tool, List<Measure> runs) {
        Stats seconds() {
            return Stats.of(runs.stream().map(m -> m.seconds).toList());
        }

        double medianOf(java.util.function.ToDoubleFunction<Measure> f) {
            return Stats.of(runs.stream().map(f::applyAsDouble).toList()).median();
        }

        String requests() {
            Map<String, Long> med = new LinkedHashMap<>();
            Set<String> kinds = new TreeSet<>();
            runs.forEach(m -> kinds.addAll(m.requests.keySet()));
            for (String k : KINDS) if (kinds.contains(k)) med.put(k, (long) medianOf(m -> m.kind(k)));
            for (String k : kinds) if (!KINDS.contains(k)) med.put(k, (long) medianOf(m -> m.kind(k)));
            if (med.values().stream().anyMatch(v -> v < 0)) return "not counted";
            String s = requestSummary(med);
            long cf = (long) medianOf(m -> m.cloudFrontRequests);
            return cf > 0 ? s + " + CloudFront " + cf : s;
        }

        boolean failed() {
            return runs.stream().anyMatch(m -> m.exit != 0);
        }
    }

    record Ratio(String name, String goal, double limit, boolean strict, List<Double> perRun, String note) {
        Stats stats() {
            return Stats.of(perRun);
        }

        String verdict() {
            if (perRun.isEmpty()) return "not measured";
            double m = stats().median();
            return (strict ? m < limit : m <= limit) ? "met" : "not met";
        }
    }

    static final class Report {
        final Map<String, String> machine;
        final Duration took;
        final List<Row> rows = new ArrayList<>();
        final List<Ratio> ratios = new ArrayList<>();
        final List<String[]> headline = new ArrayList<>(); // {name, value, goal, verdict}

        Report(Map<String, String> machine, Duration took) {
            this.machine = machine;
            this.took = took;
            Map<String, List<Measure>> byKey = new LinkedHashMap<>();
            for (Measure m : measures) byKey.computeIfAbsent(m.scenario + "\u0000" + m.tool, k -> new ArrayList<>()).add(m);
            for (var e : byKey.entrySet()) {
                String[] k = e.getKey().split("\u0000");
                rows.add(new Row(k[0], k[1], e.getValue()));
            }
            ratio("1% change: deploy-site / (aws s3 sync --delete + invalidation /*)", "<= 1/3", 1.0 / 3, false, S3, "deploy-site",
                    "aws s3 sync + invalidation", "");
            ratio("1% change: deploy-site / rclone sync --checksum --fast-list", "<= 1.0", 1.0, false, S3, "deploy-site", "rclone sync",
                    "rclone does not invalidate; deploy-site's time includes its invalidation");
            ratio("1% change: deploy-site / s3cmd sync", "(no goal)", Double.NaN, false, S3, "deploy-site", "s3cmd sync", "");
            ratio("full upload: deploy-site / aws s3 sync", "<= 0.8 (issue 14; issue 3 asked < 1.0)", 0.8, false, S2, "deploy-site",
                    "aws s3 sync", "bound by moto, one Python process: compare the moto CPU s and CPU s columns");
            ratio("one invalidation: invalidate / aws cloudfront create-invalidation", "<= 1.5 (aim 1.0)", 1.5, false, S1, "invalidate",
                    "aws cloudfront", "");
            ratio(String.format(Locale.ROOT, "unchanged %,d: deploy-site / rclone sync", scaled(3000)), "(no goal)", Double.NaN, false, S4,
                    "deploy-site", "rclone sync", "fresh checkout; deploy-site's time includes finding the distribution");
            ratio(String.format(Locale.ROOT, "unchanged %,d: deploy-site / rclone sync", scaled(30000)), "(no goal)", Double.NaN, false, S6,
                    "deploy-site", "rclone sync", "");
            ratio(String.format(Locale.ROOT, "unchanged %,d: deploy-site (listing in ranges, in parallel) / deploy-site --concurrency 1 (one listing pass)",
                    scaled(30000)), "<= 1/3", 1.0 / 3, false, S6, "deploy-site", ONE_PASS,
                    "moto serves one request at a time on one core: compare the moto CPU s column");
            listHeadline(S4, scaled(3000));
            listHeadline(S6, scaled(30000));
            Row large = row(S6, "deploy-site");
            if (large != null) {
                double kb = large.medianOf(m -> m.maxRssKb);
                double scriptKb = large.medianOf(m -> m.scriptJvmKb);
                headline.add(new String[] {"unchanged " + String.format(Locale.ROOT, "%,d", scaled(30000))
                        + ": peak RSS (median, /usr/bin/time %M = max of JBang's JVM and the script's)",
                        String.format(Locale.ROOT, "%.0f MB (script JVM alone %.0f MB)", kb / 1024, scriptKb / 1024), "< 300 MB",
                        kb / 1024 < 300 ? "met" : "not met"});
            }
            if (coldStart != null) {
                headline.add(new String[] {"cold start to the first invalidation: total s (fresh clone, empty caches; one run)", coldStart,
                        "< 20 s (issue 14)", coldSeconds < 20 ? "met" : "not met"});
            }
        }

        /** deploy-site on an unchanged site: the median LIST count against one per 1,000 objects, and nothing else. */
        void listHeadline(String scenario, int files) {
            Row unchanged = row(scenario, "deploy-site");
            if (unchanged == null) return;
            long lists = (long) unchanged.medianOf(m -> m.kind("LIST"));
            long others = (long) unchanged.medianOf(m -> m.requests.values().stream().mapToLong(Long::longValue).sum() - m.kind("LIST"));
            long uploads = (long) unchanged.medianOf(m -> m.uploads);
            long expected = (files + 999) / 1000;
            headline.add(new String[] {String.format(Locale.ROOT, "unchanged %,d: LIST requests (median)", files), Long.toString(lists),
                    "= ceil(" + files + "/1000) = " + expected + ", no other S3 request, 0 uploads",
                    lists == expected && others == 0 && uploads == 0 ? "met" : "not met (" + others + " other requests, " + uploads + " uploads)"});
        }

        Row row(String scenario, String tool) {
            return rows.stream().filter(r -> r.scenario.equals(scenario) && r.tool.equals(tool)).findFirst().orElse(null);
        }

        void ratio(String name, String goal, double limit, boolean strict, String scenario, String a, String b, String note) {
            Row ra = row(scenario, a);
            Row rb = row(scenario, b);
            if (ra == null || rb == null) return;
            List<Double> per = new ArrayList<>();
            for (Measure x : ra.runs) {
                for (Measure y : rb.runs) {
                    if (x.run == y.run && x.run > 0 && x.exit == 0 && y.exit == 0 && y.seconds > 0) per.add(x.seconds / y.seconds);
                }
            }
            ratios.add(new Ratio(name, goal, limit, strict, per, note));
        }

        static String f2(double d) {
            return Double.isNaN(d) ? "-" : String.format(Locale.ROOT, "%.2f", d);
        }

        static String mb(long bytes) {
            return bytes < 0 ? "-" : String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
        }

        List<String[]> table() {
            List<String[]> t = new ArrayList<>();
            t.add(new String[] {"scenario", "tool", "runs", "median s", "min s", "max s", "requests (median per run)", "uploads", "uploaded",
                    "CPU s", "moto CPU s", "peak RSS", "JVM start s"});
            for (Row r : rows) {
                Stats s = r.seconds();
                double rss = r.medianOf(m -> m.maxRssKb);
                double jvm = r.medianOf(m -> m.scriptJvmStart);
                double cpu = r.medianOf(m -> m.cpu);
                double motoCpu = r.medianOf(m -> m.motoCpu);
                long uploads = (long) r.medianOf(m -> m.uploads);
                long bytes = (long) r.medianOf(m -> m.bytes);
                boolean counted = !r.requests().equals("not counted");
                t.add(new String[] {r.scenario, r.tool + (r.failed() ? " (FAILED)" : ""), r.runs.get(0).run == 0 ? "seed" : Integer.toString(s.n()),
                        f2(s.median()), f2(s.min()), f2(s.max()), r.requests(), counted ? Long.toString(uploads) : "-",
                        counted ? mb(bytes) : "-", cpu >= 0 ? f2(cpu) : "-", motoCpu >= 0 ? f2(motoCpu) : "-", rss > 0 ? String.format(Locale.ROOT, "%.0f MB", rss / 1024) : "-",
                        jvm >= 0 ? f2(jvm) : "-"});
            }
            return t;
        }

        /** deploy-site's rows: the median of each step of its "time:" line. */
        List<String[]> phaseTable() {
            List<String> steps = new ArrayList<>();
            for (Row r : rows) for (Measure m : r.runs) m.phases.keySet().forEach(k -> { if (!steps.contains(k)) steps.add(k); });
            steps.sort(Comparator.comparing(k -> k.endsWith(" (at)"))); // the steps in order, then the background's
            List<String[]> t = new ArrayList<>();
            List<String> head = new ArrayList<>(List.of("scenario", "tool", "total s"));
            head.addAll(steps);
            t.add(head.toArray(String[]::new));
            for (Row r : rows) {
                if (r.runs.stream().allMatch(m -> m.phases.isEmpty())) continue;
                List<String> cells = new ArrayList<>(List.of(r.scenario, r.tool, f2(r.seconds().median())));
                for (String step : steps) {
                    double median = r.medianOf(m -> m.phases.getOrDefault(step, -1.0));
                    cells.add(median >= 0 ? f2(median) : "-");
                }
                t.add(cells.toArray(String[]::new));
            }
            return t;
        }

        List<String[]> ratioTable() {
            List<String[]> t = new ArrayList<>();
            t.add(new String[] {"ratio (same run, then median)", "median", "min", "max", "goal", "verdict"});
            for (Ratio r : ratios) {
                Stats s = r.stats();
                t.add(new String[] {r.name + (r.note.isEmpty() ? "" : " (" + r.note + ")"), f2(s.median()), f2(s.min()), f2(s.max()), r.goal,
                        Double.isNaN(r.limit) ? "-" : r.verdict()});
            }
            for (String[] h : headline) t.add(new String[] {h[0], h[1], "", "", h[2], h[3]});
            return t;
        }

        String text() {
            StringBuilder b = new StringBuilder();
            b.append(aligned(table())).append('\n').append(aligned(ratioTable())).append('\n');
            if (phaseTable().size() > 1) b.append(aligned(phaseTable())).append('\n');
            for (String c : checks) b.append("check ").append(c).append('\n');
            for (String n : notes) b.append("note: ").append(n).append('\n');
            b.append(String.format(Locale.ROOT, "benchmark took %.0f s", took.toMillis() / 1000.0));
            return b.toString();
        }

        static String aligned(List<String[]> t) {
            int[] w = new int[t.get(0).length];
            for (String[] r : t) for (int i = 0; i < r.length; i++) w[i] = Math.max(w[i], r[i].length());
            StringBuilder b = new StringBuilder();
            for (String[] r : t) {
                for (int i = 0; i < r.length; i++) b.append(String.format("%-" + w[i] + "s", r[i])).append(i + 1 < r.length ? "  " : "");
                b.append('\n');
            }
            return b.toString();
        }

        static String md(List<String[]> t) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < t.size(); i++) {
                b.append("| ").append(Stream.of(t.get(i)).map(c -> c.replace("|", "\\|")).collect(Collectors.joining(" | "))).append(" |\n");
                if (i == 0) b.append("|").append("---|".repeat(t.get(0).length)).append('\n');
            }
            return b.toString();
        }

        String markdown() {
            StringBuilder b = new StringBuilder();
            b.append("# Benchmark results\n\n");
            b.append("Made by `").append(machine.get("command")).append("` on ").append(machine.get("date"))
                    .append(String.format(Locale.ROOT, " in %.0f s.", took.toMillis() / 1000.0))
                    .append(" Everything ran on 127.0.0.1: moto's S3 server behind the request-counting S3FaultProxy, and the CloudFront")
                    .append(" emulator (the cold start also downloads JBang and the dependencies from Maven Central). Times are whole")
                    .append(" processes as users run them (`./jbang ALIAS`, `aws`, `rclone`, `s3cmd`), tools")
                    .append(" interleaved run by run; ratios are taken within each run, then the median. Numbers only: nothing is asserted.\n\n");
            b.append("## Machine\n\n");
            List<String[]> m = new ArrayList<>();
            m.add(new String[] {"what", "value"});
            machine.forEach((k, v) -> m.add(new String[] {k, v}));
            b.append(md(m)).append('\n');
            b.append("## Ratios and goals\n\n").append(md(ratioTable())).append('\n');
            b.append("## Runs\n\n").append(md(table())).append('\n');
            List<String[]> phases = phaseTable();
            if (phases.size() > 1) {
                b.append("## Where deploy-site's time goes\n\n").append(md(phases)).append('\n').append("""
                        Medians of deploy-site's own `--verbose` account (wall time, seconds): *start* from the JVM's start to the
                        script's first step (option parsing included; not the launcher's bash before it), *hash* the local files
                        (the S3 and CloudFront clients are built and the bucket is listed meanwhile, on other threads), *list* how
                        long the listing ran on after hashing had finished, then each step in order; *(at)*: when a step on the
                        background threads finished, counted from the first step's start.

                        """);
            }
            b.append("""
                    Columns: *requests* are the S3 requests the proxy saw per run (LIST = ListObjects/ListObjectsV2, the others by HTTP
                    method), plus CloudFront requests the emulator saw; *uploads* the PutObject requests; *uploaded* their payload bytes
                    (`x-amz-decoded-content-length`, else `Content-Length`); *CPU s* user + system CPU of the tool's processes
                    (`/usr/bin/time`), *moto CPU s* what moto's server process spent meanwhile; *peak RSS* from `/usr/bin/time -f %M`: for `./jbang` that is
                    the larger of JBang's own JVM and the script's JVM (the launcher execs the script's JVM in the same process), not
                    their sum; *JVM start s*: when the script's JVM appeared (the time the launcher and JBang's JVM took before it).

                    """);
            if (!checks.isEmpty()) {
                b.append("## Checks\n\n");
                for (String c : checks) b.append("- ").append(c).append('\n');
                b.append('\n');
            }
            b.append("## Method\n\n");
            b.append(method());
            if (!notes.isEmpty()) {
                b.append("\n## Notes\n\n");
                for (String n : notes) b.append("- ").append(n).append('\n');
            }
            return b.toString();
        }

        String method() {
            return String.format(Locale.ROOT, """
                    - Sites are generated from a fixed seed: %,d files (about 33%% post pages `posts/SLUG/index.html`, 40%% processed
                      images with fingerprinted names beside them, 3 KB to 200 KB, tag and category pages with feeds, pagination,
                      fingerprinted CSS/JS, fonts, home page, feeds, sitemap, search index), and the same shapes at %,d files of 100
                      to 1,500 bytes for the large unchanged site.
                    - S3 is one moto server (bench/seedable_moto.py: moto's own server application, plus a route that puts a
                      folder's files into a bucket inside moto's process) behind the request-counting proxy.
                    - 1: `./jbang invalidate -c DIST /index.html` vs `aws cloudfront create-invalidation`, both with `--endpoint-url`;
                      %d runs each. Untimed warm-up first: each script runs for real twice (the launcher keeps JBang's answer on
                      the first run and writes a class-data archive on the second: every timed run is a warm one, as in a CI job
                      whose caches survive), aws once.
                    - 2: each run uploads into a new empty bucket (`deploy-site --no-invalidate` vs `aws s3 sync`); %d runs each.
                    - 3: each tool has its own bucket holding the original site (the buckets of scenario 2); run r copies the
                      checkout of run r-1 to a new folder (new modification times, as a fresh CI checkout) and edits %d entry
                      points (home page, its feed, the sitemap and random pages; half keep their size), so every tool syncs exactly
                      the same change each run. `deploy-site` (finds the distribution by its bucket, invalidates the changed URLs)
                      vs `aws s3 sync --delete` + `aws cloudfront create-invalidation --paths "/*"` (timed together) vs `rclone sync
                      --checksum --fast-list` vs `s3cmd sync --delete-removed`; %d runs each.
                    - 4: the unchanged site from a fresh checkout: every bucket holds scenario 3's last checkout; each run copies
                      that checkout to a new folder (new modification times) and runs scenario 3's commands; %d runs each. Not
                      `aws s3 sync`: it compares modification times, so from a fresh checkout it re-uploads every file (about
                      30 s a run), which scenario 3 already measures.
                    - 5: cold start, one run: a `git clone` of the repository's HEAD, then `./jbang invalidate -c DIST /index.html
                      --endpoint-url ...` from the clone with empty `JBANG_DIR`, `JBANG_REPO` (JBang's Maven repository),
                      `JBANG_LAUNCHER_CACHE` and `MAVEN_OPTS=-Dmaven.repo.local=...` (the launcher's mvn), so the launcher installs
                      JBang from Maven Central with mvn, JBang resolves the script's dependencies and builds it, and the script
                      sends the invalidation. Phases come from when JBang's JVM and the script's JVM appeared (sampled every
                      100 ms) and from JBang's time-stamped stderr lines; downloaded bytes are the sizes of the two Maven
                      repositories afterwards. Then two warm runs from the same clone and folders (the launcher writes a class-data
                      archive on the second run and maps it from the third on). All under bench/out/work, deleted
                      afterwards. It needs Maven Central: when a download fails the row says FAILED and the benchmark goes on.
                    - 6: the %,d-file site put into moto inside its process (the seed row: no S3 request; ETags are the MD5s,
                      as S3 lists them after an upload), then deployed unchanged %d times by deploy-site, and once by `rclone sync
                      --checksum --fast-list` in the first run (moto takes about 20 s to list 30,000 objects, so each run costs
                      that; no fresh copy: neither tool looks at modification times).
                    - Run counts: moto handles about 150 to 300 small PUTs a second on one core, so these keep the whole run under
                      10 minutes on 2 cores; the benchmark JVM (proxy, emulator) and moto share the cores with the tool measured.
                    - Every tool gets only PATH, HOME, JAVA_HOME, JBang's variables, fake keys, `AWS_REGION`/`AWS_DEFAULT_REGION`
                      us-east-1, `AWS_EC2_METADATA_DISABLED=true`, endpoints on 127.0.0.1 (`AWS_ENDPOINT_URL` to a closed local port
                      as a safety net), no AWS config files, and rclone/s3cmd configurations generated for the proxy.
                    """, scaled(3000), scaled(30000), invalidationRuns, runs, CHANGED_FILES, runs, runs, scaled(30000), runs);
        }

        /** What the side-by-side section needs of this run, one tab-separated line each (see readSettings). */
        String settingsTsv() {
            StringBuilder b = new StringBuilder();
            for (String key : List.of("date", "commit")) b.append("machine\t").append(key).append('\t').append(machine.getOrDefault(key, "?")).append('\n');
            for (Ratio r : ratios) {
                b.append("ratio\t").append(r.name + (r.note.isEmpty() ? "" : " (" + r.note + ")")).append('\t')
                        .append(r.perRun.isEmpty() ? "-" : f2(r.stats().median())).append('\t').append(r.goal).append('\t')
                        .append(Double.isNaN(r.limit) ? "-" : r.verdict()).append('\n');
            }
            for (String[] h : headline) b.append("headline\t").append(String.join("\t", h)).append('\n');
            for (Row r : rows) b.append("row\t").append(r.scenario).append('\t').append(r.tool).append('\t').append(f2(r.seconds().median())).append('\n');
            return b.toString();
        }

        String json() {
            StringBuilder b = new StringBuilder();
            b.append("{\n  \"machine\": {");
            int i = 0;
            for (var e : machine.entrySet()) b.append(i++ == 0 ? "\n" : ",\n").append("    ").append(q(e.getKey())).append(": ").append(q(e.getValue()));
            b.append("\n  },\n  \"settings\": {\"runs\": ").append(runs).append(", \"invalidation_runs\": ").append(invalidationRuns)
                    .append(", \"scale\": ").append(scale).append(", \"files\": [").append(scaled(3000)).append(", ").append(scaled(30000))
                    .append("], \"scenarios\": ").append(new TreeSet<>(only)).append(", \"changed_files\": ").append(CHANGED_FILES).append(", \"seed\": ").append(SEED)
                    .append("},\n  \"wall_seconds\": ").append(took.toMillis() / 1000.0).append(",\n  \"rows\": [");
            i = 0;
            for (Row r : rows) {
                Stats s = r.seconds();
                b.append(i++ == 0 ? "\n" : ",\n").append("    {\"scenario\": ").append(q(r.scenario)).append(", \"tool\": ").append(q(r.tool))
                        .append(", \"median_s\": ").append(num(s.median())).append(", \"min_s\": ").append(num(s.min()))
                        .append(", \"max_s\": ").append(num(s.max())).append(", \"runs\": [");
                int j = 0;
                for (Measure m : r.runs) {
                    b.append(j++ == 0 ? "\n" : ",\n").append("      {\"run\": ").append(m.run).append(", \"seconds\": ").append(num(m.seconds))
                            .append(", \"exit\": ").append(m.exit).append(", \"requests\": {");
                    int k = 0;
                    for (var e : m.requests.entrySet()) b.append(k++ == 0 ? "" : ", ").append(q(e.getKey())).append(": ").append(e.getValue());
                    b.append("}, \"cloudfront_requests\": ").append(m.cloudFrontRequests).append(", \"uploads\": ").append(m.uploads)
                            .append(", \"uploaded_bytes\": ").append(m.bytes).append(", \"cpu_s\": ").append(num(m.cpu))
                            .append(", \"moto_cpu_s\": ").append(num(m.motoCpu)).append(", \"peak_rss_kb\": ").append(m.maxRssKb)
                            .append(", \"script_jvm_hwm_kb\": ").append(m.scriptJvmKb).append(", \"jbang_jvm_hwm_kb\": ").append(m.jbangJvmKb)
                            .append(", \"jbang_jvm_start_s\": ").append(num(m.jbangJvmStart))
                            .append(", \"script_jvm_start_s\": ").append(num(m.scriptJvmStart)).append(", \"phases_s\": {")
                            .append(m.phases.entrySet().stream().map(e -> q(e.getKey()) + ": " + num(e.getValue())).collect(Collectors.joining(", ")))
                            .append("}, \"note\": ").append(q(m.note)).append('}');
                }
                b.append("\n    ]}");
            }
            b.append("\n  ],\n  \"ratios\": [");
            i = 0;
            for (Ratio r : ratios) {
                Stats s = r.stats();
                b.append(i++ == 0 ? "\n" : ",\n").append("    {\"name\": ").append(q(r.name)).append(", \"per_run\": ")
                        .append(r.perRun.stream().map(run.Report::num).collect(Collectors.joining(", ", "[", "]")))
                        .append(", \"median\": ").append(num(s.median())).append(", \"min\": ").append(num(s.min())).append(", \"max\": ")
                        .append(num(s.max())).append(", \"goal\": ").append(q(r.goal)).append(", \"verdict\": ")
                        .append(q(Double.isNaN(r.limit) ? "-" : r.verdict())).append(", \"note\": ").append(q(r.note)).append('}');
            }
            b.append("\n  ],\n  \"headline\": [");
            i = 0;
            for (String[] h : headline) {
                b.append(i++ == 0 ? "\n" : ",\n").append("    {\"name\": ").append(q(h[0])).append(", \"value\": ").append(q(h[1]))
                        .append(", \"goal\": ").append(q(h[2])).append(", \"verdict\": ").append(q(h[3])).append('}');
            }
            b.append("\n  ],\n  \"checks\": ").append(checks.stream().map(run.Report::q).collect(Collectors.joining(", ", "[", "]")))
                    .append(",\n  \"notes\": ").append(notes.stream().map(run.Report::q).collect(Collectors.joining(", ", "[", "]")))
                    .append("\n}\n");
            return b.toString();
        }

        static String num(double d) {
            return Double.isNaN(d) || d < 0 && d == -1 ? "null" : String.format(Locale.ROOT, "%.3f", d);
        }

        static String q(String s) {
            StringBuilder b = new StringBuilder("\"");
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    default -> {
                        if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                        else b.append(c);
                    }
                }
            }
            return b.append('"').toString();
        }
    }
}
