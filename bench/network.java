///usr/bin/env jbang "$0" "$@" ; exit $?
//DESCRIPTION Large files under a CI runner's network: deploy-site's parallel parts against one stream and the AWS CLI, through a proxy with latency and a per-connection pace
//JAVA 17+
//SOURCES ../tests/support/LocalServers.java
//SOURCES ../tests/support/S3FaultProxy.java

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./jbang bench/network.java [--size-mb N] [--files N] [--latency-ms N] [--mb-per-s N] [--runs N]}: one file of
 * N MB (default 1,024, generated, never committed) uploaded to moto through the recording proxy playing a CI runner's
 * network: every S3 request waits the latency before it is forwarded (default 25 ms) and each connection moves at most
 * the given pace (default 85 MB/s). Tools, interleaved run by run: deploy-site (parts in parallel within
 * --concurrency 16), deploy-site --concurrency 1 (one stream: the parts one after another, as before), and the AWS CLI
 * (aws s3 cp, 10 parts at a time by default). Prints each run, then the medians and the ratio one stream / parallel
 * computed within each run, for the whole run and for deploy-site's upload phase alone (its --verbose timing: hashing
 * 1 GB takes seconds and is the same for both). Numbers only, never asserted.
 *
 * <p>The figures: S3's performance guidelines measure one connection at about 85 to 90 MB/s from EC2 in the bucket's
 * Region ("Performance design patterns for Amazon S3": scale horizontally, one connection per 85-90 MB/s), and a
 * request's first byte arrives after a few tens of milliseconds; 25 ms stands for a runner in the bucket's Region.
 */
class network {
    public static void main(String[] args) throws Exception {
        Map<String, String> o = options(args);
        int sizeMb = Integer.parseInt(o.getOrDefault("--size-mb", "1024"));
        int files = Integer.parseInt(o.getOrDefault("--files", "1"));
        int latencyMs = Integer.parseInt(o.getOrDefault("--latency-ms", "25"));
        long pace = Long.parseLong(o.getOrDefault("--mb-per-s", "85")) * 1_000_000L;
        int runs = Integer.parseInt(o.getOrDefault("--runs", "3"));
        Path work = Files.createTempDirectory("deploy-network-");
        Path site = work.resolve("public");
        for (int i = 0; i < files; i++) generate(site.resolve("big" + i + ".bin"), sizeMb * 1024L * 1024L, 20261130L + i);
        System.out.printf(Locale.ROOT, "%d file(s) of %d MB; every S3 request %d ms late; %.0f MB/s a connection; %d run(s)%s%n",
                files, sizeMb, latencyMs, pace / 1e6, runs, o.containsKey("--https") ? "; HTTPS" : "");
        Map<String, List<Double>> totals = new LinkedHashMap<>();
        Map<String, List<Double>> uploads = new LinkedHashMap<>();
        Map<String, List<Double>> motoCpu = new LinkedHashMap<>();
        Map<String, List<Double>> toolCpu = new LinkedHashMap<>();
        List<Double> ratios = new ArrayList<>();
        List<Double> uploadRatios = new ArrayList<>();
        boolean https = o.containsKey("--https");
        try (LocalServers.Moto moto = LocalServers.Moto.start();
             S3FaultProxy proxy = https ? S3FaultProxy.startHttps(moto.endpoint(), work.resolve("tls")) : S3FaultProxy.start(moto.endpoint())) {
            Map<String, String> extra = new LinkedHashMap<>(Map.of("AWS_ACCESS_KEY_ID", "x", "AWS_SECRET_ACCESS_KEY", "y", "AWS_REGION", "us-east-1",
                    "AWS_DEFAULT_REGION", "us-east-1", "AWS_ENDPOINT_URL_S3", proxy.endpoint().toString(), "CI", "true"));
            if (https) {
                // Every tool trusts the proxy's certificate: the SDK through Java's trust store, the AWS CLI through its CA bundle.
                extra.put("JAVA_TOOL_OPTIONS", "-Djavax.net.ssl.trustStore=" + proxy.trustStore() + " -Djavax.net.ssl.trustStorePassword=changeit");
                extra.put("AWS_CA_BUNDLE", proxy.caPem().toString());
            }
            // BENCH_JAVA_OPTIONS: JVM options for the scripts' JVMs only, to try a setting (a flight recording, a JIT flag).
            if (System.getenv("BENCH_JAVA_OPTIONS") != null) extra.merge("JAVA_TOOL_OPTIONS", System.getenv("BENCH_JAVA_OPTIONS"), (a, b) -> a + " " + b);
            var env = LocalServers.cleanEnvironment(extra);
            proxy.network(Duration.ofMillis(latencyMs), pace);
            List<String> tools = new ArrayList<>(List.of("deploy-site", "deploy-site --concurrency 1"));
            if (o.containsKey("--also")) tools.add("deploy-site " + o.get("--also"));
            if (LocalServers.run(List.of("sh", "-c", "command -v aws"), work, env, null).exitCode() == 0) tools.add("aws s3 cp");
            for (int run = 0; run < runs; run++) {
                Map<String, double[]> thisRun = new LinkedHashMap<>();
                for (int t = 0; t < tools.size(); t++) {
                    String tool = tools.get((t + run) % tools.size()); // the order rotates run by run
                    String bucket = "net-" + run + "-" + tool.replaceAll("[^a-z0-9]+", "-");
                    LocalServers.run(List.of("aws", "s3", "mb", "s3://" + bucket, "--endpoint-url", moto.endpoint().toString()), work, env, null);
                    List<String> command = new ArrayList<>(List.of("/usr/bin/time", "-f", "cpu %U %S")); // the tool's own CPU, last line of stderr
                    if (tool.startsWith("deploy-site")) {
                        command.addAll(List.of(LocalServers.repoRoot().resolve("jbang").toString(), "deploy-site", "-v", "--no-invalidate"));
                        String options = tool.substring("deploy-site".length()).strip();
                        if (!options.isEmpty()) command.addAll(List.of(options.split(" ")));
                        command.addAll(List.of(site.toString(), "s3://" + bucket));
                    } else {
                        command.addAll(List.of("aws", "s3", "cp", "--recursive", "--quiet", "--endpoint-url", proxy.endpoint().toString(),
                                site.toString(), "s3://" + bucket));
                    }
                    double motoBefore = moto.cpuSeconds();
                    long start = System.nanoTime();
                    var result = LocalServers.run(command, LocalServers.repoRoot(), env, null);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    motoCpu.computeIfAbsent(tool, k -> new ArrayList<>()).add(moto.cpuSeconds() - motoBefore);
                    Matcher cpu = Pattern.compile("cpu (\\d+\\.\\d+) (\\d+\\.\\d+)\\s*$").matcher(result.stderr());
                    toolCpu.computeIfAbsent(tool, k -> new ArrayList<>()).add(cpu.find() ? Double.parseDouble(cpu.group(1)) + Double.parseDouble(cpu.group(2)) : Double.NaN);
                    if (result.exitCode() != 0) throw new IllegalStateException(tool + ": " + result);
                    Matcher phase = Pattern.compile("upload (\\d+\\.\\d+) s").matcher(result.stderr());
                    double upload = phase.find() ? Double.parseDouble(phase.group(1)) : Double.NaN;
                    thisRun.put(tool, new double[]{seconds, upload});
                    totals.computeIfAbsent(tool, k -> new ArrayList<>()).add(seconds);
                    uploads.computeIfAbsent(tool, k -> new ArrayList<>()).add(upload);
                    System.out.printf(Locale.ROOT, "run %d  %-28s %6.1f s%s%n", run + 1, tool, seconds,
                            Double.isNaN(upload) ? "" : String.format(Locale.ROOT, "  (upload phase %.1f s)", upload));
                    LocalServers.run(List.of("aws", "s3", "rb", "--force", "s3://" + bucket, "--endpoint-url", moto.endpoint().toString()), work, env, null);
                }
                ratios.add(thisRun.get("deploy-site --concurrency 1")[0] / thisRun.get("deploy-site")[0]);
                uploadRatios.add(thisRun.get("deploy-site --concurrency 1")[1] / thisRun.get("deploy-site")[1]);
            }
        }
        StringBuilder table = new StringBuilder("| tool | whole run, median (min-max) | upload phase, median | the tool's CPU, median | moto's CPU, median |\n"
                + "|---|---|---|---|---|\n");
        totals.forEach((tool, times) -> table.append(String.format(Locale.ROOT, "| `%s` | %.1f s (%.1f-%.1f) | %s | %.1f s | %.1f s |%n", tool, median(times),
                times.stream().mapToDouble(d -> d).min().orElse(0), times.stream().mapToDouble(d -> d).max().orElse(0),
                tool.startsWith("deploy-site") ? String.format(Locale.ROOT, "%.1f s", median(uploads.get(tool))) : "-",
                median(toolCpu.get(tool)), median(motoCpu.get(tool)))));
        String ratioLine = String.format(Locale.ROOT, "One stream / parallel parts: %.2f for the whole run, %.2f for the upload phase (medians of "
                + "per-run ratios; goal: at least 3).", median(ratios), median(uploadRatios));
        if (totals.containsKey("aws s3 cp")) {
            List<Double> vsCli = new ArrayList<>();
            for (int i = 0; i < runs; i++) vsCli.add(totals.get("deploy-site").get(i) / totals.get("aws s3 cp").get(i));
            ratioLine += String.format(Locale.ROOT, " deploy-site / aws s3 cp: %.2f.", median(vsCli));
        }
        System.out.println();
        System.out.print(table);
        System.out.println(ratioLine);
        // The default settings (over HTTP, or over HTTPS with --https) write their own section of bench/results.md.
        java.util.Set<String> given = new java.util.HashSet<>(o.keySet());
        given.remove("--https");
        // Two shapes have sections: one 1 GB file (the default) and 10 files of 100 MB (--files 10 --size-mb 100).
        boolean tenFiles = files == 10 && sizeMb == 100 && !o.containsKey("--latency-ms") && !o.containsKey("--mb-per-s") && !o.containsKey("--also");
        given.removeAll(tenFiles ? java.util.Set.of("--files", "--size-mb") : java.util.Set.of());
        if (given.isEmpty() || given.equals(java.util.Set.of("--runs")) && runs == 3) {
            String name = (https ? "network-https" : "network") + (tenFiles ? "-10x100" : "");
            String section = "<!-- " + name + ":start -->\n## " + (tenFiles ? "Ten 100 MB files" : "A large file") + " under a CI runner's network"
                    + (https ? ", over HTTPS" : "") + "\n\nMade by `./jbang bench/network.java" + (https ? " --https" : "")
                    + (tenFiles ? " --files 10 --size-mb 100" : "") + "` on "
                    + java.time.LocalDate.now() + " (" + Runtime.getRuntime().availableProcessors() + " cores): " + files + (files == 1 ? " file of " : " files of ") + sizeMb
                    + " MB to moto through the proxy" + (https ? " serving TLS" : "") + ", " + latencyMs + " ms before each S3 request, "
                    + pace / 1_000_000 + " MB/s a connection, " + runs + " runs interleaved.\n\n" + table + "\n" + ratioLine
                    + "\n<!-- " + name + ":end -->\n";
            Path results = LocalServers.repoRoot().resolve("bench/results.md");
            String text = Files.readString(results);
            int from = text.indexOf("<!-- " + name + ":start -->");
            int to = text.indexOf("<!-- " + name + ":end -->");
            text = from >= 0 && to > from ? text.substring(0, from) + section + text.substring(to + ("<!-- " + name + ":end -->\n").length())
                    : text + "\n" + section;
            Files.writeString(results, text);
            System.out.println("wrote its section of bench/results.md");
        }
    }

    /** Deterministic bytes that do not compress (as media do), written once per run of the benchmark. */
    static void generate(Path file, long size, long seed) throws IOException {
        Files.createDirectories(file.getParent());
        Random random = new Random(seed);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; left -= block.length) {
                random.nextBytes(block);
                out.write(block, 0, (int) Math.min(block.length, left));
            }
        }
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().filter(v -> !v.isNaN()).sorted().toList();
        if (sorted.isEmpty()) return Double.NaN;
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--https")) o.put("--https", "");
            else if (i + 1 < args.length) o.put(args[i], args[++i]);
        }
        return o;
    }
}
