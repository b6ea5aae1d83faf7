///usr/bin/env jbang "$0" "$@" ; exit $?
//DESCRIPTION Deploy a static site folder to S3 by content, assets before pages, then invalidate exactly the changed URLs on CloudFront
//JAVA 17+
//DEPS software.amazon.awssdk:bom:2.57.8@pom
//DEPS software.amazon.awssdk:s3
//DEPS software.amazon.awssdk:cloudfront
//DEPS software.amazon.awssdk:apache5-client
//DEPS software.amazon.awssdk:url-connection-client
//DEPS software.amazon.awssdk:sts
//DEPS software.amazon.awssdk:sso
//DEPS software.amazon.awssdk:ssooidc
//DEPS info.picocli:picocli:4.7.7
//DEPS org.slf4j:slf4j-nop:1.7.36
//DEPS com.electronwill.night-config:toml:3.8.3
//DEPS org.yaml:snakeyaml:2.4
//JAVA_OPTIONS -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.cloudfront.CloudFrontClient;
import software.amazon.awssdk.services.cloudfront.CloudFrontClientBuilder;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Deploys a static site folder (Hugo's public/) to S3 and invalidates exactly what changed on CloudFront.
 * <ul>
 * <li>Compares by content, without downloading anything: one ListObjectsV2 pass, local MD5 (or multipart ETag) against
 *     each ETag; a HEAD only for objects whose ETag cannot be reproduced (e.g. SSE-KMS), checked against the MD5 stored at upload.</li>
 * <li>Decides the whole run first (Site.deployment, refusal, settle, finish: pure functions), then writes a pending
 *     record of what it owes CloudFront, uploads assets, then entry points (HTML, feeds, sitemaps, manifests), invalidates,
 *     deletes dropped pages, and keeps orphaned assets until --delete-grace has passed and their invalidation completed:
 *     a page is never served before its assets, a cached page never loses one, and a killed run's URLs are invalidated
 *     by the next run.</li>
 * <li>Knows the whole site from the listing, so within a path budget it picks the invalidation paths that cover every
 *     changed URL while invalidating the fewest unchanged URLs: an exact plan (Invalidations.planWithin).</li>
 * </ul>
 */
@Command(name = "deploy-site", mixinStandardHelpOptions = true, version = "deploy-site 1.0.0",
        sortOptions = false, usageHelpAutoWidth = true, showAtFileInUsageHelp = true,
        description = "Uploads a static site folder to S3 by content (assets, then pages), invalidates exactly the changed URLs "
                + "on CloudFront, then deletes what the site no longer has.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:deployed, or nothing to do", "1:AWS failure, failed upload, refused by a safety check, wait timeout, I/O failure", "2:usage error"},
        footerHeading = "%nExamples:%n",
        footer = {"  deploy-site public s3://www.example.com",
                "  deploy-site --preset hugo --gzip --wait public s3://my-bucket/site",
                "  deploy-site --dry-run public s3://my-bucket     # the plan, nothing written",
                "  deploy-site --hugo --target production          # a Hugo site's [deployment] section, instead of hugo deploy"})
class DeploySite implements Callable<Integer> {
    static final String NAME = "deploy-site";

    public static void main(String[] args) {
        System.exit(newCommandLine().execute(args));
    }

    static CommandLine newCommandLine() {
        return newCommandLine(new DeploySite());
    }

    static CommandLine newCommandLine(DeploySite command) {
        return Invalidations.Cli.configure(new CommandLine(command), NAME, () -> command.err, () -> command.verbose, command::secrets);
    }

    // ---------------------------------------------------------------- options, in --help order

    @Parameters(index = "0", arity = "0..1", paramLabel = "SOURCE_DIR",
            description = "The site folder, e.g. Hugo's public/ (with --hugo: the site's publishDir).")
    Path source;

    @Parameters(index = "1", arity = "0..1", paramLabel = "s3://BUCKET[/PREFIX]", description = "Where the site goes (with --hugo: the target's URL).")
    String target;

    @Option(names = "--hugo", paramLabel = "SITE_DIR", arity = "0..1", parameterConsumer = HugoSite.class,
            description = "Take the settings of a Hugo site's [deployment] section (hugo.toml, config/_default/, ...), as hugo deploy does: "
                    + "target URL, distribution, matchers, order, include/exclude, maxDeletes, workers, media types. Options given here win. "
                    + "SITE_DIR defaults to the current folder.")
    Path hugo;

    @Option(names = "--target", paramLabel = "NAME", description = "With --hugo: the [deployment] target (default: $HUGO_TARGET, deployment.target, else the only one).")
    String hugoTarget;

    @Option(names = "--environment", paramLabel = "NAME",
            description = "With --hugo: the configuration environment (config/NAME/; default: $HUGO_ENVIRONMENT, $HUGO_ENV, else production).")
    String hugoEnvironment;

    @Option(names = "--confirm", description = "Show the plan and ask before writing anything; refused without a terminal to ask on.")
    boolean confirm;

    @Option(names = "--include-hidden", description = "Upload dotfiles and dot-folders too (by default only .well-known/ is).")
    boolean includeHidden;

    @Option(names = "--exclude", paramLabel = "GLOB",
            description = "Skip local files whose path relative to SOURCE_DIR matches (repeatable); matching objects are never deleted either.")
    List<String> excludes = new ArrayList<>();

    @Option(names = "--force", description = "Upload every file, changed or not.")
    boolean force;

    @Option(names = "--refresh-headers",
            description = "Also compare the headers of unchanged objects (HEAD, in parallel) and fix differences with a server-side copy.")
    boolean refreshHeaders;

    @Option(names = "--content-type", paramLabel = "GLOB=TYPE", description = "Content-Type for matching files (repeatable, first match wins).")
    List<String> contentTypes = new ArrayList<>();

    @Option(names = "--cache-control", paramLabel = "GLOB=VALUE",
            description = "Cache-Control for matching files (repeatable, first match wins; before the preset).")
    List<String> cacheControls = new ArrayList<>();

    @Option(names = "--preset", paramLabel = "NAME",
            description = "Cache-Control preset. hugo: fingerprinted assets (a hex hash of 8+ characters in the name) "
                    + "'" + Site.IMMUTABLE + "'; HTML, feeds, sitemaps and JSON '" + Site.REVALIDATE + "'.")
    Site.Preset preset;

    @Option(names = "--gzip", paramLabel = "GLOB", arity = "0..1", parameterConsumer = OptionalGlob.class,
            description = "Compress text types (or the files matching GLOB) before upload, with Content-Encoding: gzip. "
                    + "Repeatable: every one counts. Deterministic, so unchanged files still compare equal. An existing folder or s3:// URL after it is not taken as GLOB.")
    List<String> gzip = new ArrayList<>();

    @Option(names = "--acl", paramLabel = "ACL", description = "Canned ACL for uploads, e.g. public-read (only when asked: buckets with ACLs disabled reject it).")
    String acl;

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "16", description = "Parallel requests: uploads, the parts of large files, the listing's ranges. Default: ${DEFAULT-VALUE}.")
    int concurrency;

    @Option(names = "--no-delete", description = "Keep objects that have no local file.")
    boolean noDelete;

    @Option(names = "--max-delete", paramLabel = "N", defaultValue = "256",
            description = "Refuse the whole run (nothing is changed) when more objects than N would be deleted. Default: ${DEFAULT-VALUE}.")
    int maxDelete;

    @Option(names = "--delete-grace", paramLabel = "DURATION", defaultValue = "24h", converter = Invalidations.DurationConverter.class,
            description = "Keep an orphaned asset (a file the site no longer has that is not a page) this long after the invalidation "
                    + "that orphaned it, and until that invalidation completed; a later run deletes it. Pages go at once, after the "
                    + "invalidation. 0: delete orphans in this run, after waiting for its invalidation. Default: ${DEFAULT-VALUE}.")
    Duration deleteGrace;

    @Option(names = "--allow-empty", description = "Deploy an empty SOURCE_DIR (which deletes the whole site) instead of refusing.")
    boolean allowEmpty;

    @Option(names = {"-c", "--distribution-id"}, paramLabel = "ID",
            description = "Distribution to invalidate. Default: $CLOUDFRONT_DISTRIBUTION_ID, else the one distribution whose origin is the bucket.")
    String distributionId;

    @Option(names = "--distribution", paramLabel = "NAME",
            description = "Find the distribution by an alternate domain name, its *.cloudfront.net domain, or the S3 bucket of its origin.")
    String distributionName;

    @Option(names = "--no-invalidate", description = "Upload and delete only.")
    boolean noInvalidate;

    @Option(names = "--max-paths", paramLabel = "N", defaultValue = "" + Site.DEFAULT_MAX_PATHS,
            description = "Invalidation path budget: within N paths (and 15 wildcards), cover every changed URL while invalidating "
                    + "the fewest unchanged URLs (an exact plan; wildcards may end any prefix). Default: ${DEFAULT-VALUE}.")
    int maxPaths;

    @Option(names = "--caller-reference", paramLabel = "REF",
            description = "CallerReference to send. Default: derived from the distribution, the paths and the CI run, so a re-run returns the same invalidation.")
    String callerReference;

    @Option(names = "--wait", description = "Wait until the invalidation is Completed (progress on stderr).")
    boolean waitForCompletion;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30m", converter = Invalidations.DurationConverter.class,
            description = "Bound on waiting for room under CloudFront's limits and on --wait (e.g. 90s, 30m). Default: ${DEFAULT-VALUE}.")
    Duration timeout;

    @Option(names = "--warn-on-timeout", description = "A --timeout while waiting is a warning (exit 0), not a failure.")
    boolean warnOnTimeout;

    @Option(names = "--poll-interval", paramLabel = "DURATION", defaultValue = "10s", converter = Invalidations.DurationConverter.class,
            description = "How often --wait asks for the status, and the first back-off when CloudFront has no room. Default: ${DEFAULT-VALUE}.")
    Duration pollInterval;

    @Option(names = "--dry-run", description = "Only read (list, head, get distribution) and print the exact plan.")
    boolean dryRun;

    @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text",
            description = "text (one line per action and a summary) or json (a report). Default: ${DEFAULT-VALUE}.")
    Format output;

    @Option(names = "--profile", paramLabel = "NAME", description = "AWS profile (default: $AWS_PROFILE, then 'default').")
    String profile;

    @Option(names = "--region", paramLabel = "REGION", description = "The bucket's region (default: $AWS_REGION, the profile's, else us-east-1).")
    String region;

    @Option(names = "--endpoint-url", paramLabel = "URL",
            description = "S3 endpoint for S3-compatible stores or a local server (implies path-style). Default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, AWS.")
    URI endpointUrl;

    @Option(names = "--cloudfront-endpoint-url", paramLabel = "URL",
            description = "CloudFront endpoint, e.g. a local emulator. Default: $AWS_ENDPOINT_URL_CLOUDFRONT, $AWS_ENDPOINT_URL, AWS.")
    URI cloudFrontEndpointUrl;

    @Option(names = "--path-style", description = "Address the bucket in the path (https://host/bucket/key), as some S3-compatible stores need.")
    boolean pathStyle;

    @Option(names = "--checksums", paramLabel = "WHEN", defaultValue = "when_supported",
            description = "The SDK's request checksums: when_supported (default, CRC32 on uploads) or when_required (for R2, older MinIO). "
                    + "Content-MD5 is always sent.")
    Checksums checksums;

    @Option(names = {"-v", "--verbose"}, description = "Stack traces on errors, and each retry.")
    boolean verbose;

    enum Format { text, json }

    /** --gzip takes an optional GLOB, but never the SOURCE_DIR or the s3:// target that follows it: "--gzip public s3://b" works. */
    static final class OptionalGlob implements CommandLine.IParameterConsumer {
        @Override
        public void consumeParameters(java.util.Stack<String> args, CommandLine.Model.ArgSpec argSpec, CommandLine.Model.CommandSpec spec) {
            String value = Site.GZIP_TEXT;
            if (!args.isEmpty() && isGlob(args.peek())) value = args.pop();
            List<String> all = new ArrayList<>(argSpec.getValue() == null ? List.<String>of() : argSpec.<List<String>>getValue());
            all.add(value);
            argSpec.setValue(all);
        }

        private static boolean isGlob(String next) {
            if (next.startsWith("-") || next.startsWith("@") || next.startsWith("s3://")) return false;
            try {
                return !Files.isDirectory(Path.of(next));
            } catch (java.nio.file.InvalidPathException e) {
                return true;
            }
        }
    }

    /** --hugo takes an optional SITE_DIR: the next argument when it is a folder with a Hugo configuration, else the current folder. */
    static final class HugoSite implements CommandLine.IParameterConsumer {
        @Override
        public void consumeParameters(java.util.Stack<String> args, CommandLine.Model.ArgSpec argSpec, CommandLine.Model.CommandSpec spec) {
            Path site = Path.of(".");
            if (!args.isEmpty() && !args.peek().startsWith("-") && Hugo.isSite(Path.of(args.peek()))) site = Path.of(args.pop());
            argSpec.setValue(site);
        }
    }

    enum Checksums { when_supported, when_required }

    // The outside world, replaceable by in-process tests.
    Map<String, String> env = System.getenv();
    PrintStream out = System.out;
    PrintStream err = System.err;
    InputStream in = System.in;
    java.util.function.BooleanSupplier terminal = () -> System.console() != null;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The Hugo site's settings, with --hugo. */
    private Hugo.Settings hugoSettings;
    /** --hugo with a target that names no distribution: no CloudFront at all, so nothing is owed either (unlike --no-invalidate). */
    private boolean withoutCdn;

    // ---------------------------------------------------------------- the steps

    @Override
    public Integer call() throws Exception {
        Invalidations.Log log = new Invalidations.Log(NAME, err, verbose);
        Phases phases = new Phases();
        applyHugo(log, phases);
        Site.Target where = validate();
        Site.Rules rules = rules();
        Predicate<String> inScope = scope();

        // The clients, the listing and the distribution are made ready in the background while the files are hashed.
        // The lookup's notes wait until its result is used: a run that fails first (no such bucket) shows its error alone.
        List<String> cdnNotes = Collections.synchronizedList(new ArrayList<>());
        try (Remote ready = Remote.start(() -> Bucket.connect(where.bucket(), s3Settings(), concurrency), where.prefix(),
                noInvalidate || withoutCdn ? null : () -> Invalidations.CloudFront.connect(credentials(), cloudFrontEndpointUrl, env, log),
                cloudFront -> findDistribution(cloudFront, where, cdnNotes::add))) {
            ready.timeInto(phases);

            // Gather: the local site (its names first: they say where the listing is cut into ranges listed in parallel),
            // the bucket, what earlier runs left owed or kept, the distribution.
            List<Local.Found> found = Local.walk(source, where.prefix(), includeHidden, excludes, inScope);
            ready.listFrom(Site.listingCuts(found.stream().map(Local.Found::key).toList(), concurrency));
            List<Site.LocalFile> local = Local.hash(found, rules);
            phases.done("hash");
            Bucket bucket = ready.bucket();
            List<Site.RemoteObject> listing = ready.listing();
            List<Site.RemoteObject> remote = Site.siteObjects(listing, where.prefix());
            List<Site.Pending> records = bucket.records(Site.recordKeys(listing, where.prefix()), log);
            phases.done("list (beyond hashing)");
            String equivalentsKey = where.prefix() + Site.EQUIVALENTS;
            Map<String, Site.Equivalent> knownBefore = bucket.equivalents(equivalentsKey, listing);
            Map<String, Site.Equivalent> known = new TreeMap<>(knownBefore);
            known.putAll(bucket.contentChecks(Site.needsContentCheck(local, remote, knownBefore), log));
            Site.Plan plan = Site.plan(local, remote, where.prefix(), excludes, includeHidden, inScope,
                    f -> force || rules.forced(f.key().substring(where.prefix().length())),
                    bucket.storedChecksums(Site.needsStoredChecksum(local, remote)), known);
            plan = plan.withHeaderFixes(Site.headerFixes(plan.unchanged(), bucket.heads(refreshHeaders ? plan.unchanged() : List.of())));
            Invalidations.CloudFront cloudFront = ready.cloudFront();
            Site.Cdn cdn = ready.cdn();
            cdnNotes.forEach(log::note);
            Instant now = Instant.now();
            Map<String, String> statuses = statuses(cloudFront, Site.invalidationsToCheck(records, now), log);

            // Decide: the whole run, or why it must not start.
            Site.Deployment deployment = Site.deployment(source.toString(), where, plan, records, statuses, cdn,
                    new Site.Replan(local, remote, cdn == null ? "" : cdn.originPath(), maxPaths), policy(), now, log::note);
            phases.done("plan");
            Site.refusal(deployment).ifPresent(reason -> {
                throw new Invalidations.Failure(reason);
            });
            Report report = new Report(deployment, dryRun);
            if (dryRun) {
                report.print(out, output);
                return 0;
            }
            confirmOrRefuse(deployment);

            // Act: the record of what this run owes, assets, pages, header fixes; then what the outcome decides.
            String recordKey = Site.recordKey(where.prefix(), now, UUID.randomUUID().toString().substring(0, 8));
            bucket.putRecord(deployment.recordBeforeUploads(recordKey));
            Progress progress = Progress.start(err, plan.uploads(), env);
            Site.Written written = Site.Written.NONE;
            for (List<Site.Upload> group : deployment.uploadGroups()) {
                if (Site.mayContinue(written)) written = written.and(bucket.upload(group, acl, progress, log));
            }
            if (Site.mayContinue(written)) written = written.and(bucket.copyInPlace(plan.headerFixes(), acl, log));
            progress.stop();
            phases.done("upload");

            Site.Settlement settlement = Site.settle(deployment, written, log::note);
            List<Invalidations.Result> results = invalidate(cloudFront, cdn, settlement.paths(), Site.contentOf(deployment), log);
            phases.done("invalidate");
            bucket.delete(settlement.deleteNow());
            Waiting waiting = waitFor(cloudFront, results, settlement.await(), log);
            Site.Finish finish = Site.finish(deployment, settlement, recordKey, ids(waiting.results()), written, waiting.outcome());
            bucket.delete(finish.delete());
            bucket.settleRecords(finish);
            bucket.putEquivalents(equivalentsKey, knownBefore, Site.equivalentsInUse(plan, remote, known));
            phases.done("delete");

            log.debug("time: " + phases);
            report.done(written, settlement, waiting.results(), finish);
            report.print(out, output);
            report.writeGitHubOutputs(env);
            if (settlement.failure() != null) throw new Invalidations.Failure(settlement.failure());
            return finish.exitCode();
        }
    }

    /**
     * --hugo: the site's [deployment] settings fill every option not given on the command line (flags win, as with
     * hugo deploy's own flags); a boolean the file sets (confirm, dryRun, force, invalidateCDN = false) is on.
     */
    private void applyHugo(Invalidations.Log log, Phases phases) {
        if (hugo == null) return;
        String environment = firstGiven(hugoEnvironment, env.get("HUGO_ENVIRONMENT"), env.get("HUGO_ENV"), Hugo.DEFAULT_ENVIRONMENT);
        Hugo.Settings s = Hugo.settings(Hugo.load(hugo, environment), hugo, firstGiven(hugoTarget, env.get("HUGO_TARGET")));
        Hugo.Target t = s.target();
        if (source == null) source = s.publishDir();
        if (target == null) target = "s3://" + t.where().bucket() + "/" + t.where().prefix();
        if (region == null) region = t.region();
        if (endpointUrl == null) endpointUrl = t.endpoint();
        pathStyle |= t.pathStyle();
        boolean distributionGiven = distributionId != null || distributionName != null || firstGiven(env.get("CLOUDFRONT_DISTRIBUTION_ID")) != null;
        if (!distributionGiven && t.distributionId() != null) distributionId = t.distributionId();
        if (!distributionGiven && t.distributionId() == null && !noInvalidate) {
            log.note("target " + Invalidations.quote(t.name()) + " has no cloudFrontDistributionID: nothing to invalidate, as with hugo deploy");
            withoutCdn = true;
        }
        if (Boolean.FALSE.equals(s.invalidateCdn())) noInvalidate = true;
        if (!given("--max-delete") && s.maxDeletes() != null) maxDelete = s.maxDeletes() < 0 ? Integer.MAX_VALUE : s.maxDeletes();
        if (!given("--concurrency") && s.workers() != null && s.workers() > 0) concurrency = s.workers();
        dryRun |= s.dryRun();
        force |= s.force();
        confirm |= s.confirm();
        hugoSettings = s;
        phases.done("hugo configuration");
        log.note("--hugo: target " + Invalidations.quote(t.name()) + " (environment " + environment + "): " + source + " to " + target);
    }

    private boolean given(String option) {
        return spec != null && spec.commandLine().getParseResult() != null && spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    private static String firstGiven(String... values) {
        for (String v : values) if (v != null && !v.isBlank()) return v;
        return null;
    }

    private Site.Rules rules() {
        Site.Rules rules = Site.Rules.of(contentTypes, cacheControls, preset, gzip);
        return hugoSettings == null ? rules : rules.withHugo(hugoSettings.matchers(), hugoSettings.mediaTypes());
    }

    /** What the run may touch, relative to the prefix: everything, or what a Hugo target's include/exclude keep. */
    private Predicate<String> scope() {
        return hugoSettings == null ? relative -> true : Hugo.Globs.scope(hugoSettings.target().include(), hugoSettings.target().exclude());
    }

    /** --confirm: the plan on stderr and a question; without a terminal, or with any answer but yes, nothing is written. */
    private void confirmOrRefuse(Site.Deployment deployment) throws IOException {
        if (!confirm) return;
        if (!terminal.getAsBoolean()) {
            throw new Invalidations.Failure("refused: --confirm asks before writing and there is no terminal to ask on; nothing was changed");
        }
        new Report(deployment, true).print(err, Format.text);
        err.print(NAME + ": go ahead? [y/N] ");
        err.flush();
        String answer = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
        if (answer == null || !answer.strip().toLowerCase(Locale.ROOT).matches("y|yes")) {
            throw new Invalidations.Failure("not confirmed; nothing was changed");
        }
    }

    /** Every option check, before anything is contacted (picocli's advice: one validate() ahead of the work). */
    private Site.Target validate() {
        if (source == null || target == null) {
            throw new Invalidations.UsageError("Missing required parameter: " + (source == null ? "'SOURCE_DIR', " : "")
                    + "'s3://BUCKET[/PREFIX]' (or --hugo SITE_DIR)");
        }
        Site.Target where = Site.Target.parse(target);
        Site.Rules.of(contentTypes, cacheControls, preset, gzip);
        Site.matchers(excludes);
        if (concurrency < 1 || concurrency > 256) throw new Invalidations.UsageError("--concurrency must be between 1 and 256");
        if (maxPaths < 1) throw new Invalidations.UsageError("--max-paths must be at least 1");
        if (maxDelete < 0) throw new Invalidations.UsageError("--max-delete must be 0 or more");
        if (pollInterval.isZero() || pollInterval.isNegative()) throw new Invalidations.UsageError("--poll-interval must be more than 0");
        if (deleteGrace.isNegative()) throw new Invalidations.UsageError("--delete-grace must be 0 or more");
        if (distributionId != null && distributionName != null) {
            throw new Invalidations.UsageError("--distribution-id and --distribution are exclusive");
        }
        return where;
    }

    private Site.Policy policy() {
        return new Site.Policy(noDelete, noInvalidate, waitForCompletion, warnOnTimeout, deleteGrace, allowEmpty, maxDelete,
                hugoSettings == null ? List.of() : hugoSettings.order());
    }

    private Site.Cdn findDistribution(Invalidations.CloudFront cloudFront, Site.Target where, Consumer<String> note) {
        String id = distributionId != null ? distributionId : env.get("CLOUDFRONT_DISTRIBUTION_ID");
        Invalidations.Distribution distribution;
        if (id != null && !id.isBlank() && distributionName == null) {
            distribution = cloudFront.distribution(id);
        } else if (distributionName != null) {
            distribution = Invalidations.findDistribution(cloudFront.distributions(), distributionName);
        } else {
            List<Invalidations.Distribution> serving = Invalidations.servingBucket(cloudFront.distributions(), where.bucket());
            if (serving.isEmpty()) {
                note.accept("no CloudFront distribution has the bucket " + where.bucket() + " as origin: nothing to invalidate");
                return null;
            }
            if (serving.size() > 1) {
                throw new Invalidations.Failure(serving.size() + " distributions serve the bucket " + where.bucket() + ", pass --distribution-id: "
                        + serving.stream().map(Invalidations.Distribution::describe).collect(Collectors.joining("; ")));
            }
            distribution = serving.get(0);
        }
        String originPath = Site.originPath(distribution, where, note);
        return new Site.Cdn(distribution.id(), originPath);
    }

    /**
     * The status of each invalidation ("DISTRIBUTION/ID") that orphans wait for; none without CloudFront (--no-invalidate).
     * A status that cannot be read (AccessDenied: a policy from before orphans waited) keeps those orphans, with a warning.
     */
    private static Map<String, String> statuses(Invalidations.CloudFront cloudFront, Set<String> ids, Invalidations.Log log) {
        Map<String, String> statuses = new TreeMap<>();
        if (cloudFront == null) return statuses;
        for (String id : ids) {
            int slash = id.indexOf('/');
            try {
                statuses.put(id, cloudFront.status(id.substring(0, slash), id.substring(slash + 1)));
            } catch (AwsServiceException e) {
                String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
                if ("NoSuchInvalidation".equals(code) || "NoSuchDistribution".equals(code)) {
                    statuses.put(id, code);
                } else if (e.statusCode() == 403) {
                    log.warn("cannot read invalidation " + id + " (" + code + "): the orphaned assets waiting for it are kept; "
                            + "grant cloudfront:GetInvalidation to delete them");
                } else {
                    throw e;
                }
            }
        }
        return statuses;
    }

    private List<Invalidations.Result> invalidate(Invalidations.CloudFront cloudFront, Site.Cdn cdn, List<String> paths, String content,
                                                  Invalidations.Log log) throws InterruptedException {
        if (paths.isEmpty()) return List.of();
        List<List<String>> batches = Invalidations.batches(paths);
        Invalidations.Ci ci = Invalidations.Ci.detect(env);
        List<String> references = Invalidations.callerReferences(callerReference, cdn.distributionId(), content, batches, ci.runId(),
                UUID.randomUUID().toString());
        var sender = new Invalidations.Sender(cloudFront, log, pollInterval, Instant.now().plus(timeout));
        return sender.sendAll(cdn.distributionId(), batches, references);
    }

    private static List<String> ids(List<Invalidations.Result> results) {
        return results.stream().map(r -> r.distributionId() + "/" + r.id()).toList();
    }

    record Waiting(List<Invalidations.Result> results, Site.Waited outcome) {
    }

    /** Waits for the invalidations when asked; a timeout is a warning with --warn-on-timeout, else an error line. */
    private Waiting waitFor(Invalidations.CloudFront cloudFront, List<Invalidations.Result> results, boolean asked, Invalidations.Log log)
            throws InterruptedException {
        if (!asked) return new Waiting(results, Site.Waited.NOT_ASKED);
        if (results.isEmpty()) return new Waiting(results, Site.Waited.COMPLETED);
        var sender = new Invalidations.Sender(cloudFront, log, pollInterval, Instant.now().plus(timeout));
        try {
            return new Waiting(sender.waitAll(results), Site.Waited.COMPLETED);
        } catch (Invalidations.WaitTimeout timedOut) {
            if (warnOnTimeout) log.warn(timedOut.getMessage());
            else log.note("error: " + timedOut.getMessage());
            return new Waiting(timedOut.results(), Site.Waited.TIMED_OUT);
        }
    }

    private Bucket.Settings s3Settings() {
        boolean ownEndpoint = Site.endpointGiven(endpointUrl, env);
        return new Bucket.Settings(credentials(), region, profile, endpointUrl, ownEndpoint, pathStyle || ownEndpoint,
                checksums == Checksums.when_required ? RequestChecksumCalculation.WHEN_REQUIRED : RequestChecksumCalculation.WHEN_SUPPORTED,
                Invalidations.retriesConfigured(env));
    }

    /** One provider for S3 and CloudFront: with OIDC, one AssumeRoleWithWebIdentity for the run, not one per client. */
    private AwsCredentialsProvider credentials() {
        synchronized (this) {
            if (credentialsProvider == null) {
                credentialsProvider = profile != null ? DefaultCredentialsProvider.builder().profileName(profile).build()
                        : DefaultCredentialsProvider.builder().build();
            }
            return credentialsProvider;
        }
    }

    private AwsCredentialsProvider credentialsProvider;

    /** Values that must never be printed. */
    List<String> secrets() {
        List<String> secrets = new ArrayList<>();
        for (String name : List.of("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")) {
            String value = env.get(name);
            if (value != null) secrets.add(value);
        }
        return secrets;
    }

    // ================================================================ planning: pure functions over records

    /** The site model and every decision about it: no SDK types, no I/O. */
    static final class Site {
        private Site() {
        }

        /**
         * Default invalidation budget. A Hugo post typically changes 10 to 25 URLs (the page, its lists, tags, feeds, the
         * sitemap): 30 lets those go as exact paths, and the account's 1,000 free paths a month still cover 33 such deploys.
         */
        static final int DEFAULT_MAX_PATHS = 30;
        /** The AWS CLI's defaults: objects it uploaded in parts have ETags this script reproduces. */
        static final long PART_SIZE = 8L * 1024 * 1024;
        static final long MULTIPART_THRESHOLD = 8L * 1024 * 1024;
        static final String IMMUTABLE = "public, max-age=31536000, immutable";
        static final String REVALIDATE = "public, max-age=0, must-revalidate";
        /** The metadata key under which the MD5 of the uploaded bytes is stored, for stores whose ETag is not an MD5. */
        static final String MD5_METADATA = "md5";
        /** --gzip without a GLOB: every text type. */
        static final String GZIP_TEXT = "**";

        enum Preset { hugo }

        record Target(String bucket, String prefix) {
            private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

            /** s3://BUCKET[/PREFIX]: the prefix always ends with '/' (or is empty), so a sibling prefix is never touched. */
            static Target parse(String url) {
                if (url == null || !url.startsWith("s3://")) {
                    throw new Invalidations.UsageError("target " + Invalidations.quote(String.valueOf(url)) + " is not s3://BUCKET[/PREFIX]");
                }
                String rest = url.substring("s3://".length());
                int slash = rest.indexOf('/');
                String bucket = slash < 0 ? rest : rest.substring(0, slash);
                String prefix = slash < 0 ? "" : rest.substring(slash + 1);
                if (!BUCKET.matcher(bucket).matches() || bucket.contains("..") || bucket.matches("\\d+\\.\\d+\\.\\d+\\.\\d+")) {
                    throw new Invalidations.UsageError("invalid bucket name " + Invalidations.quote(bucket)
                            + " (3 to 63 lower-case letters, digits, dots and hyphens)");
                }
                prefix = prefix.replaceAll("/{2,}", "/").replaceFirst("^/", "");
                if (!prefix.isEmpty() && !prefix.endsWith("/")) prefix += "/";
                for (String segment : prefix.split("/")) {
                    if (segment.equals("..") || segment.equals(".")) {
                        throw new Invalidations.UsageError("invalid prefix " + Invalidations.quote(prefix) + ": no '.' or '..' segments");
                    }
                }
                return new Target(bucket, Normalizer.normalize(prefix, Normalizer.Form.NFC));
            }
        }

        /** A file to publish: its key, where its bytes come from, their size and MD5 as stored (after gzip), and its headers. */
        record LocalFile(String key, Path path, long size, String md5, String multipartEtag, Headers headers, boolean entryPoint,
                         List<String> partMd5s, String contentMd5) {
            LocalFile(String key, Path path, long size, String md5, String multipartEtag, Headers headers, boolean entryPoint) {
                this(key, path, size, md5, multipartEtag, headers, entryPoint, List.of(), md5);
            }
        }

        /**
         * An object stored compressed by another tool (hugo deploy's gzip is not this script's): its ETag, and the MD5 of
         * its bytes after gunzip. Read once by downloading it, then kept in PREFIX/.deploy-site/gzip-equivalents.txt.
         */
        record Equivalent(String etag, String contentMd5) {
        }

        static final String HUGO_MD5_METADATA = "md5chksum";
        static final String EQUIVALENTS = ".deploy-site/gzip-equivalents.txt"; // under RESERVED

        static String etagOf(String etag) {
            return etag == null ? "" : etag.replace("\"", "").toLowerCase(Locale.ROOT);
        }

        /** Compressed local files whose object's ETag neither this script's bytes nor a known equivalent explain: download and compare. */
        static List<String> needsContentCheck(List<LocalFile> local, List<RemoteObject> remote, Map<String, Equivalent> known) {
            Map<String, RemoteObject> byKey = remote.stream().collect(Collectors.toMap(RemoteObject::key, r -> r, (a, b) -> a));
            return local.stream().filter(f -> f.headers().compress() && byKey.containsKey(f.key()))
                    .filter(f -> !etagMatches(f, byKey.get(f.key()).etag()))
                    .filter(f -> known.get(f.key()) == null || !known.get(f.key()).etag().equals(etagOf(byKey.get(f.key()).etag())))
                    .map(LocalFile::key).toList();
        }

        /** The equivalents still worth keeping: those that made an unchanged file of this plan unchanged. */
        static Map<String, Equivalent> equivalentsInUse(Plan plan, List<RemoteObject> remote, Map<String, Equivalent> known) {
            Map<String, String> etags = new TreeMap<>();
            remote.forEach(r -> etags.put(r.key(), etagOf(r.etag())));
            Map<String, Equivalent> keep = new TreeMap<>();
            for (LocalFile f : plan.unchanged()) {
                Equivalent e = known.get(f.key());
                if (e != null && e.etag().equals(etags.get(f.key())) && e.contentMd5().equals(f.contentMd5())) keep.put(f.key(), e);
            }
            return keep;
        }

        static String equivalentsText(Map<String, Equivalent> equivalents) {
            StringBuilder s = new StringBuilder();
            equivalents.forEach((k, e) -> s.append(e.etag()).append(' ').append(e.contentMd5()).append(' ').append(Pending.escape(k)).append('\n'));
            return s.toString();
        }

        static Map<String, Equivalent> parseEquivalents(String text) {
            Map<String, Equivalent> known = new TreeMap<>();
            for (String line : text.lines().toList()) {
                String[] f = line.split(" ", 3);
                if (f.length == 3) known.put(Pending.unescape(f[2]), new Equivalent(f[0], f[1]));
            }
            return known;
        }

        /** The headers of an object; compress: the bytes are gzipped on upload (a Content-Encoding alone names bytes already encoded). */
        record Headers(String contentType, String cacheControl, String contentEncoding, boolean compress) {
            Headers(String contentType, String cacheControl, String contentEncoding) {
                this(contentType, cacheControl, contentEncoding, contentEncoding != null);
            }
        }

        record RemoteObject(String key, long size, String etag) {
        }

        /** What a HEAD tells: the headers and the MD5 this script stored at upload. */
        record Head(String contentType, String cacheControl, String contentEncoding, String storedMd5) {
        }

        enum Reason { NEW, CHANGED, FORCED }

        record Upload(LocalFile file, Reason reason) {
        }

        record Plan(List<Upload> uploads, List<LocalFile> unchanged, List<LocalFile> headerFixes, List<String> deletions) {
            List<Upload> assets() {
                return uploads.stream().filter(u -> !u.file().entryPoint()).toList();
            }

            List<Upload> entryPoints() {
                return uploads.stream().filter(u -> u.file().entryPoint()).toList();
            }

            /** Uploaded and header-fixed keys: CloudFront caches headers with the bytes, so both need invalidating. */
            List<String> changedKeys() {
                List<String> keys = new ArrayList<>(uploads.stream().map(u -> u.file().key()).toList());
                headerFixes.forEach(f -> keys.add(f.key()));
                return keys;
            }

            Plan withHeaderFixes(List<LocalFile> fixes) {
                return new Plan(uploads, unchanged, fixes, deletions);
            }

            Plan withoutDeletions() {
                return new Plan(uploads, unchanged, headerFixes, List.of());
            }
        }

        /**
         * The objects whose ETag neither the MD5 nor the multipart ETag explains although the size matches: a HEAD reads
         * the MD5 stored at upload. A single-part ETag that is not the MD5 means changed bytes in a store whose ETags are
         * MD5s (some object of the listing matched its MD5), so only multipart ETags (another part size) are asked about
         * there; when no ETag matched at all (SSE-KMS, some S3-compatible stores), every such object is.
         */
        static List<String> needsStoredChecksum(List<LocalFile> local, List<RemoteObject> remote) {
            Map<String, RemoteObject> byKey = remote.stream().collect(Collectors.toMap(RemoteObject::key, r -> r, (a, b) -> a));
            List<LocalFile> sameSize = local.stream().filter(f -> byKey.containsKey(f.key()) && byKey.get(f.key()).size() == f.size()).toList();
            boolean etagsAreMd5 = sameSize.stream().anyMatch(f -> etagMatches(f, byKey.get(f.key()).etag()));
            return sameSize.stream()
                    .filter(f -> !etagMatches(f, byKey.get(f.key()).etag()))
                    .filter(f -> !etagsAreMd5 || String.valueOf(byKey.get(f.key()).etag()).contains("-"))
                    .map(LocalFile::key).toList();
        }

        static boolean etagMatches(LocalFile file, String etag) {
            String e = etag == null ? "" : etag.replace("\"", "").toLowerCase(Locale.ROOT);
            return e.equals(file.md5()) || (file.multipartEtag() != null && e.equals(file.multipartEtag()));
        }

        /**
         * The diff: a file is unchanged when the sizes match and its MD5 equals the ETag, or its multipart ETag does, or the
         * MD5 stored at upload does (storedMd5 by key, from HEADs of the ambiguous objects). Objects under the prefix with no
         * local file are deleted, except those the user excluded or hidden ones (not ours to judge).
         */
        static Plan plan(List<LocalFile> local, List<RemoteObject> remote, String prefix, List<String> excludes, boolean includeHidden,
                         boolean force, Map<String, String> storedMd5) {
            return plan(local, remote, prefix, excludes, includeHidden, relative -> true, f -> force, storedMd5, Map.of());
        }

        /**
         * The diff, with the scope of a Hugo target (include/exclude: objects outside it are never deleted), the files
         * to upload whatever their content (--force, a Hugo matcher's force), and the known equivalents of compressed
         * objects written by another tool.
         */
        static Plan plan(List<LocalFile> local, List<RemoteObject> remote, String prefix, List<String> excludes, boolean includeHidden,
                         Predicate<String> inScope, Predicate<LocalFile> forced, Map<String, String> storedMd5, Map<String, Equivalent> known) {
            Map<String, RemoteObject> byKey = new TreeMap<>();
            remote.forEach(r -> byKey.put(r.key(), r));
            List<Upload> uploads = new ArrayList<>();
            List<LocalFile> unchanged = new ArrayList<>();
            Set<String> localKeys = new TreeSet<>();
            for (LocalFile f : local) {
                localKeys.add(f.key());
                RemoteObject r = byKey.get(f.key());
                Equivalent e = known.get(f.key());
                if (r == null) uploads.add(new Upload(f, Reason.NEW));
                else if (forced.test(f)) uploads.add(new Upload(f, Reason.FORCED));
                else if (e != null && e.etag().equals(etagOf(r.etag())) && e.contentMd5().equals(f.contentMd5())) unchanged.add(f);
                else if (r.size() != f.size()) uploads.add(new Upload(f, Reason.CHANGED));
                else if (etagMatches(f, r.etag()) || f.md5().equals(storedMd5.get(f.key()))) unchanged.add(f);
                else uploads.add(new Upload(f, Reason.CHANGED));
            }
            List<PathMatcher> excluded = matchers(excludes);
            List<String> deletions = byKey.keySet().stream()
                    .filter(k -> !localKeys.contains(k))
                    .filter(k -> k.startsWith(prefix))
                    .filter(k -> !k.endsWith("/")) // folder markers made by consoles are not site files
                    .filter(k -> !k.startsWith(prefix + RESERVED))
                    .filter(k -> inScope.test(k.substring(prefix.length())))
                    .filter(k -> includeHidden || !isHidden(k.substring(prefix.length())))
                    .filter(k -> excluded.stream().noneMatch(m -> matches(m, k.substring(prefix.length()))))
                    .toList();
            uploads.sort(Comparator.comparing(u -> u.file().key()));
            return new Plan(uploads, unchanged, List.of(), deletions);
        }

        /** Unchanged files whose object's headers differ from what the rules give now. */
        static List<LocalFile> headerFixes(List<LocalFile> unchanged, Map<String, Head> heads) {
            return unchanged.stream().filter(f -> {
                Head h = heads.get(f.key());
                if (h == null) return false;
                Headers want = f.headers();
                return !Objects.equals(want.contentType(), h.contentType()) || !Objects.equals(want.cacheControl(), h.cacheControl())
                        || !Objects.equals(want.contentEncoding(), h.contentEncoding());
            }).toList();
        }

        /** Hidden: a path segment starting with '.', except .well-known/ (ACME challenges, security.txt). */
        static boolean isHidden(String relative) {
            for (String segment : relative.split("/")) {
                if (segment.startsWith(".") && !segment.equals(".well-known")) return true;
            }
            return false;
        }

        static List<PathMatcher> matchers(List<String> globs) {
            return globs.stream().map(g -> glob("--exclude", g)).toList();
        }

        /** A glob of an option; a malformed one ("[a", "*.{css") is a usage error naming the option, not a PatternSyntaxException. */
        static PathMatcher glob(String option, String glob) {
            try {
                return FileSystems.getDefault().getPathMatcher("glob:" + glob);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new Invalidations.UsageError(option + " " + Invalidations.quote(glob) + " is not a valid glob: " + e.getDescription());
            }
        }

        static boolean matches(PathMatcher matcher, String relative) {
            return matcher.matches(Path.of(relative));
        }

        // ------------------------------------------------------------ headers

        /** Content types for the web; text types carry charset=utf-8. HTML is never text/plain. */
        static final Map<String, String> CONTENT_TYPES = Map.ofEntries(
                Map.entry("html", "text/html; charset=utf-8"), Map.entry("htm", "text/html; charset=utf-8"),
                Map.entry("css", "text/css; charset=utf-8"),
                Map.entry("js", "text/javascript; charset=utf-8"), Map.entry("mjs", "text/javascript; charset=utf-8"),
                Map.entry("cjs", "text/javascript; charset=utf-8"),
                Map.entry("json", "application/json; charset=utf-8"), Map.entry("map", "application/json; charset=utf-8"),
                Map.entry("jsonld", "application/ld+json; charset=utf-8"),
                Map.entry("webmanifest", "application/manifest+json; charset=utf-8"),
                Map.entry("xml", "application/xml; charset=utf-8"), Map.entry("xsl", "application/xslt+xml; charset=utf-8"),
                Map.entry("rss", "application/rss+xml; charset=utf-8"), Map.entry("atom", "application/atom+xml; charset=utf-8"),
                Map.entry("svg", "image/svg+xml; charset=utf-8"),
                Map.entry("txt", "text/plain; charset=utf-8"), Map.entry("md", "text/markdown; charset=utf-8"),
                Map.entry("csv", "text/csv; charset=utf-8"), Map.entry("ics", "text/calendar; charset=utf-8"),
                Map.entry("vtt", "text/vtt; charset=utf-8"),
                Map.entry("wasm", "application/wasm"),
                Map.entry("woff", "font/woff"), Map.entry("woff2", "font/woff2"), Map.entry("ttf", "font/ttf"),
                Map.entry("otf", "font/otf"), Map.entry("eot", "application/vnd.ms-fontobject"),
                Map.entry("avif", "image/avif"), Map.entry("webp", "image/webp"), Map.entry("png", "image/png"),
                Map.entry("jpg", "image/jpeg"), Map.entry("jpeg", "image/jpeg"), Map.entry("gif", "image/gif"),
                Map.entry("ico", "image/vnd.microsoft.icon"), Map.entry("bmp", "image/bmp"), Map.entry("tif", "image/tiff"),
                Map.entry("tiff", "image/tiff"), Map.entry("apng", "image/apng"), Map.entry("jxl", "image/jxl"),
                Map.entry("pdf", "application/pdf"), Map.entry("zip", "application/zip"), Map.entry("gz", "application/gzip"),
                Map.entry("tar", "application/x-tar"), Map.entry("epub", "application/epub+zip"),
                Map.entry("mp4", "video/mp4"), Map.entry("webm", "video/webm"), Map.entry("ogv", "video/ogg"),
                Map.entry("mov", "video/quicktime"), Map.entry("m3u8", "application/vnd.apple.mpegurl"), Map.entry("ts", "video/mp2t"),
                Map.entry("mp3", "audio/mpeg"), Map.entry("ogg", "audio/ogg"), Map.entry("oga", "audio/ogg"),
                Map.entry("wav", "audio/wav"), Map.entry("flac", "audio/flac"), Map.entry("m4a", "audio/mp4"),
                Map.entry("opus", "audio/opus"), Map.entry("aac", "audio/aac"));
        static final String DEFAULT_CONTENT_TYPE = "application/octet-stream";
        private static final Pattern FINGERPRINT = Pattern.compile("[.\\-_](?:hu)?[0-9a-f]{8,}(?:[.\\-_]|$)");
        private static final Set<String> ENTRY_EXTENSIONS = Set.of("html", "htm", "xml", "rss", "atom", "webmanifest");

        static String extension(String key) {
            String name = key.substring(key.lastIndexOf('/') + 1);
            int dot = name.lastIndexOf('.');
            return dot <= 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        }

        /** Entry points are what a visitor or a reader asks for by name: pages, feeds, sitemaps, manifests. */
        static boolean isEntryPoint(String relative) {
            String name = relative.substring(relative.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
            return ENTRY_EXTENSIONS.contains(extension(relative)) || name.equals("manifest.json");
        }

        static boolean isText(String contentType) {
            return contentType.contains("charset=utf-8");
        }

        /**
         * The header rules of a run: user rules first, then the first Hugo matcher that matches (--hugo), then the
         * preset, then Hugo's media types (--hugo), then the extension table.
         */
        record Rules(List<Map.Entry<PathMatcher, String>> contentTypes, List<Map.Entry<PathMatcher, String>> cacheControls,
                     Preset preset, List<PathMatcher> gzip, boolean gzipText, List<Hugo.Matcher> matchers, Map<String, List<String>> mediaTypes) {
            /** Every --gzip counts: a bare one adds the text types, a GLOB adds its files. */
            static Rules of(List<String> contentTypes, List<String> cacheControls, Preset preset, List<String> gzipGlobs) {
                List<PathMatcher> gzip = gzipGlobs.stream().filter(g -> !GZIP_TEXT.equals(g)).map(g -> glob("--gzip", g)).toList();
                return new Rules(pairs("--content-type", contentTypes), pairs("--cache-control", cacheControls), preset,
                        gzip, gzipGlobs.contains(GZIP_TEXT), List.of(), null);
            }

            /** The rules of a Hugo site's [deployment] matchers and media types, after the options'. */
            Rules withHugo(List<Hugo.Matcher> hugoMatchers, Map<String, List<String>> hugoMediaTypes) {
                return new Rules(contentTypes, cacheControls, preset, gzip, gzipText, hugoMatchers, hugoMediaTypes);
            }

            /** A Hugo matcher with force = true: the file is uploaded on every run. */
            boolean forced(String relative) {
                Hugo.Matcher m = matcher(relative);
                return m != null && m.force();
            }

            private Hugo.Matcher matcher(String relative) {
                for (Hugo.Matcher m : matchers) if (m.matches(relative)) return m;
                return null;
            }

            private static List<Map.Entry<PathMatcher, String>> pairs(String option, List<String> rules) {
                List<Map.Entry<PathMatcher, String>> pairs = new ArrayList<>();
                for (String rule : rules) {
                    int eq = rule.indexOf('=');
                    if (eq <= 0 || eq == rule.length() - 1) {
                        throw new Invalidations.UsageError(option + " " + Invalidations.quote(rule) + " is not GLOB=VALUE");
                    }
                    pairs.add(Map.entry(glob(option, rule.substring(0, eq)), rule.substring(eq + 1)));
                }
                return pairs;
            }

            Headers headersFor(String relative) {
                Hugo.Matcher m = matcher(relative);
                String type = first(contentTypes, relative);
                if (type == null && m != null && !m.contentType().isEmpty()) type = m.contentType();
                if (type == null && mediaTypes != null) type = Hugo.contentType(extension(relative), mediaTypes);
                if (type == null) type = CONTENT_TYPES.getOrDefault(extension(relative), DEFAULT_CONTENT_TYPE);
                String cache = first(cacheControls, relative);
                if (cache == null && m != null && !m.cacheControl().isEmpty()) cache = m.cacheControl();
                if (cache == null && preset == Preset.hugo) cache = hugoCacheControl(relative, type);
                boolean compress = compresses(relative, type) || (m != null && m.gzip());
                String encoding = compress ? "gzip" : m != null && !m.contentEncoding().isEmpty() ? m.contentEncoding() : null;
                return new Headers(type, cache, encoding, compress);
            }

            boolean compresses(String relative, String type) {
                return (gzipText && (isText(type) || type.startsWith("application/wasm"))) || gzip.stream().anyMatch(g -> matches(g, relative));
            }

            private static String first(List<Map.Entry<PathMatcher, String>> rules, String relative) {
                for (var rule : rules) {
                    if (matches(rule.getKey(), relative)) return rule.getValue();
                }
                return null;
            }
        }

        /** Hugo preset: fingerprinted assets (Hugo Pipes' hex hash in the name) are immutable; pages, feeds, sitemaps, JSON revalidate. */
        static String hugoCacheControl(String relative, String contentType) {
            String name = relative.substring(relative.lastIndexOf('/') + 1);
            if (isEntryPoint(relative) || contentType.startsWith("application/json")) return REVALIDATE;
            String stem = name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : name;
            if (FINGERPRINT.matcher(stem).find()) return IMMUTABLE;
            return null;
        }

        // ------------------------------------------------------------ invalidation

        record Cdn(String distributionId, String originPath) {
        }

        /**
         * Whether S3 is reached at an endpoint of the user's: --endpoint-url, or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL
         * (which the SDK reads itself unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true). Such an endpoint (a local
         * server, MinIO, R2) takes path-style addressing: "http://localhost:9000" has no bucket subdomains.
         */
        static boolean endpointGiven(URI flag, Map<String, String> env) {
            if (flag != null) return true;
            if ("true".equalsIgnoreCase(String.valueOf(env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")).strip())) return false;
            return List.of("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL").stream().anyMatch(n -> env.get(n) != null && !env.get(n).isBlank());
        }

        /**
         * What the invalidation of a deploy is for: each key whose URLs it invalidates, with the MD5 and headers of its
         * local file (or "-" when the site no longer has it). Part of the CallerReference, so a second deploy of other
         * bytes under the same URLs in one CI run is a new invalidation, while a re-run of the same deploy (also one that
         * finds the keys owed by its killed first attempt) gets its invalidation back.
         */
        static String contentOf(Deployment d) {
            Map<String, LocalFile> byKey = new TreeMap<>();
            d.replan().local().forEach(f -> byKey.put(f.key(), f));
            List<String> lines = new ArrayList<>();
            for (String key : d.keysToInvalidate()) {
                LocalFile f = byKey.get(key);
                lines.add(key + " " + (f == null ? "-" : f.md5() + " " + f.headers()));
            }
            return Invalidations.sha256(String.join("\n", lines));
        }

        /** The origin path of the distribution's origin that serves this bucket, the most specific one that holds the prefix. */
        static String originPath(Invalidations.Distribution d, Target where, Consumer<String> note) {
            List<String> paths = d.origins().stream().filter(o -> where.bucket().equals(o.bucket()))
                    .map(o -> o.originPath() == null ? "" : o.originPath().replaceFirst("^/", "").replaceFirst("/$", ""))
                    .filter(p -> p.isEmpty() || where.prefix().startsWith(p + "/") || where.prefix().equals(p + "/"))
                    .sorted(Comparator.comparing(String::length).reversed()).toList();
            if (paths.isEmpty()) {
                note.accept("distribution " + d.id() + " has no origin for the bucket " + where.bucket() + ": URLs taken as the keys");
                return "";
            }
            return paths.get(0);
        }

        /** The URL path (not encoded) of a key under the origin path, or null when CloudFront does not serve it. */
        static String urlOf(String key, String originPath) {
            if (originPath.isEmpty()) return "/" + key;
            String base = originPath + "/";
            return key.startsWith(base) ? "/" + key.substring(base.length()) : null;
        }

        /**
         * The invalidation of a deploy: the changed URLs (and the wildcards that keys with '~' need), the items sent, the
         * unchanged URLs they invalidate too, and the unchanged URLs that '/*' would have invalidated.
         */
        record InvalidationPlan(List<String> changedUrls, List<String> paths, int alsoInvalidated, int underEverything) {
            String cost() {
                return Invalidations.cost(paths.size());
            }
        }

        /**
         * Chooses the paths to invalidate. Every uploaded and deleted key gives its URLs (x/index.html gives /x/ and
         * /x/index.html), encoded as a browser requests them (Invalidations.urlsOfKey). The site is known from the local
         * scan and the listing, so Invalidations.planWithin finds the exact cheapest plan within the budget: exact URLs
         * while they fit, then the wildcards that invalidate the fewest unchanged URLs, at most 15.
         */
        static InvalidationPlan planInvalidation(Collection<String> written, List<String> deleted, List<LocalFile> local, List<RemoteObject> remote,
                                                 String originPath, int budget, Consumer<String> note) {
            Set<String> changedKeys = new TreeSet<>(deleted);
            changedKeys.addAll(written);
            List<String> served = new ArrayList<>();
            for (String key : changedKeys) {
                String url = urlOf(key, originPath);
                if (url != null) served.add(url.substring(1));
            }
            // Key names are not typed paths: a key's '%' or '?' is a plain character, encoded in its URL.
            Invalidations.Normalized normalized = Invalidations.urlsOfKeys(served);
            normalized.notes().forEach(note);
            List<String> changed = normalized.paths();
            // Every other URL CloudFront may cache from the site: what a wildcard would invalidate needlessly.
            Set<String> keys = new TreeSet<>();
            local.forEach(f -> keys.add(f.key()));
            remote.forEach(r -> keys.add(r.key()));
            Set<String> others = new TreeSet<>();
            for (String key : keys) {
                String url = changedKeys.contains(key) ? null : urlOf(key, originPath);
                if (url != null) others.addAll(Invalidations.exactUrlsOfKey(url.substring(1)));
            }
            others.removeAll(changed);
            Invalidations.Plan plan = Invalidations.planWithin(changed, others, budget, Invalidations.MAX_WILDCARDS_IN_PROGRESS)
                    .orElseThrow(() -> new IllegalStateException("no plan within " + budget + " path(s)")); // a wildcard always fits
            return new InvalidationPlan(changed, plan.items(), plan.collateral(), others.size());
        }

        // ------------------------------------------------------------ the run as values

        /** deploy-site's own folder under the target: never uploaded from SOURCE_DIR, never site content, never an orphan. */
        static final String RESERVED = ".deploy-site/";
        /** One pending record per run, so concurrent runs never overwrite each other's: PREFIX/.deploy-site/pending/TIME-RANDOM.txt. */
        static final String PENDING = RESERVED + "pending/";
        /**
         * Default --delete-grace. CloudFront keeps an object without Cache-Control for its default TTL, 24 hours (the
         * CachingOptimized policy and the legacy DefaultTTL), and a browser may keep such a page for a heuristic share of
         * its age; pages of the hugo preset revalidate on every request. So an orphaned asset stays 24 hours after the
         * invalidation that orphaned it completed: a page cached anywhere without a longer max-age has been refreshed by
         * then. Keeping an asset costs cents of storage; deleting it too early breaks a page.
         */
        static final Duration DEFAULT_DELETE_GRACE = Duration.ofHours(24);
        private static final DateTimeFormatter RECORD_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
        private static final String RECORD_HEADER = "deploy-site pending 1";

        /** An orphaned asset kept until deleteAfter and until the invalidations it waits for ("DISTRIBUTION/ID") have completed. */
        record Orphan(String key, Instant deleteAfter, List<String> waitFor) {
            boolean due(Instant now, Map<String, String> statuses) {
                return !now.isBefore(deleteAfter) && waitFor.stream().allMatch(id -> finished(statuses.get(id)));
            }

            /** Completed, or gone from CloudFront's history (no longer in progress either way). */
            private static boolean finished(String status) {
                return "Completed".equals(status) || "NoSuchInvalidation".equals(status) || "NoSuchDistribution".equals(status);
            }
        }

        /**
         * What a run owes CloudFront (the keys whose URLs it writes or deletes, until an invalidation covers them) and the
         * orphaned assets it keeps. A text object, one entry a line, keys last and percent-escaped where a line needs it.
         */
        record Pending(String key, Instant created, List<String> owed, List<Orphan> orphans) {
            boolean isEmpty() {
                return owed.isEmpty() && orphans.isEmpty();
            }

            String text() {
                StringBuilder s = new StringBuilder(RECORD_HEADER).append('\n').append("created ").append(created).append('\n');
                owed.forEach(k -> s.append("owe ").append(escape(k)).append('\n'));
                orphans.forEach(o -> s.append("orphan ").append(o.deleteAfter()).append(' ')
                        .append(o.waitFor().isEmpty() ? "-" : String.join(",", o.waitFor())).append(' ').append(escape(o.key())).append('\n'));
                return s.toString();
            }

            /** The record under key, or a failure naming it: a record deploy-site cannot read is left for a person. */
            static Pending parse(String key, String text) {
                List<String> lines = text.lines().toList();
                if (lines.isEmpty() || !lines.get(0).equals(RECORD_HEADER)) {
                    throw new IllegalArgumentException("not a deploy-site record");
                }
                Instant created = null;
                List<String> owed = new ArrayList<>();
                List<Orphan> orphans = new ArrayList<>();
                for (String line : lines.subList(1, lines.size())) {
                    String[] f = line.split(" ", 4);
                    switch (f[0]) {
                        case "created" -> created = Instant.parse(f[1]);
                        case "owe" -> owed.add(unescape(line.substring("owe ".length())));
                        case "orphan" -> orphans.add(new Orphan(unescape(f[3]), Instant.parse(f[1]),
                                f[2].equals("-") ? List.of() : List.of(f[2].split(","))));
                        default -> throw new IllegalArgumentException("unknown line " + Invalidations.quote(line));
                    }
                }
                if (created == null) throw new IllegalArgumentException("no creation time");
                return new Pending(key, created, owed, orphans);
            }

            /** '%' and control characters as %XX: any key fits on one line and comes back unchanged. */
            static String escape(String key) {
                StringBuilder s = new StringBuilder();
                for (char c : key.toCharArray()) {
                    if (c == '%' || c < 0x20 || c == 0x7f) s.append(String.format(Locale.ROOT, "%%%02X", (int) c));
                    else s.append(c);
                }
                return s.toString();
            }

            static String unescape(String line) {
                StringBuilder s = new StringBuilder();
                for (int i = 0; i < line.length(); i++) {
                    char c = line.charAt(i);
                    if (c == '%' && i + 2 < line.length()) {
                        s.append((char) Integer.parseInt(line.substring(i + 1, i + 3), 16));
                        i += 2;
                    } else {
                        s.append(c);
                    }
                }
                return s.toString();
            }
        }

        /** The key of a new run's record: time first, so a listing shows records oldest first; a random part keeps runs apart. */
        static String recordKey(String prefix, Instant now, String random) {
            return prefix + PENDING + RECORD_TIME.format(now) + "-" + random + ".txt";
        }

        static boolean isRecord(String key, String prefix) {
            return key.startsWith(prefix + PENDING) && key.endsWith(".txt");
        }

        static List<String> recordKeys(List<RemoteObject> listing, String prefix) {
            return listing.stream().map(RemoteObject::key).filter(k -> isRecord(k, prefix)).toList();
        }

        /** S3's listing order: by the keys' UTF-8 bytes, which is the order of their code points (Java's compareTo is UTF-16's). */
        static final Comparator<String> S3_ORDER = (a, b) -> {
            int i = 0, j = 0;
            while (i < a.length() && j < b.length()) {
                int x = a.codePointAt(i), y = b.codePointAt(j);
                if (x != y) return Integer.compare(x, y);
                i += Character.charCount(x);
                j += Character.charCount(y);
            }
            return Integer.compare(a.length() - i, b.length() - j);
        };

        /** Keys a ListObjectsV2 page holds at most. */
        static final int LIST_PAGE = 1000;

        /**
         * Where the bucket's listing is cut into ranges that are listed in parallel: after every 1,000th local key (S3's
         * order), so that while the bucket holds the site each range is one full page and the listing costs the one
         * pass's requests (each remote-only key in a range can cost that range one more); none when the site fits in one
         * page or only one request may run at a time (--concurrency 1): then the listing is one pass.
         */
        static List<String> listingCuts(Collection<String> localKeys, int concurrency) {
            if (concurrency < 2 || localKeys.size() <= LIST_PAGE) return List.of();
            List<String> sorted = localKeys.stream().distinct().sorted(S3_ORDER).toList();
            List<String> cuts = new ArrayList<>();
            for (int end = LIST_PAGE; end < sorted.size(); end += LIST_PAGE) cuts.add(sorted.get(end - 1));
            return cuts;
        }

        /** The listing without deploy-site's own folder: what the site holds. */
        static List<RemoteObject> siteObjects(List<RemoteObject> listing, String prefix) {
            return listing.stream().filter(r -> !r.key().startsWith(prefix + RESERVED)).toList();
        }

        /** The invalidations whose status decides whether an orphan is due: those of orphans whose grace has passed. */
        static Set<String> invalidationsToCheck(List<Pending> records, Instant now) {
            Set<String> ids = new TreeSet<>();
            for (Pending p : records) {
                for (Orphan o : p.orphans()) if (!now.isBefore(o.deleteAfter())) ids.addAll(o.waitFor());
            }
            return ids;
        }

        /** The options that decide what a run does after its uploads. */
        record Policy(boolean noDelete, boolean noInvalidate, boolean waitForCompletion, boolean warnOnTimeout, Duration deleteGrace,
                      boolean allowEmpty, int maxDelete, List<Pattern> order) {
            Policy(boolean noDelete, boolean noInvalidate, boolean waitForCompletion, boolean warnOnTimeout, Duration deleteGrace,
                   boolean allowEmpty, int maxDelete) {
                this(noDelete, noInvalidate, waitForCompletion, warnOnTimeout, deleteGrace, allowEmpty, maxDelete, List.of());
            }
        }

        /**
         * Hugo's [deployment] order within a group: files whose path (relative to the prefix) first matches order[i]
         * go in sub-group i, the rest last; each sub-group is stored before the next starts.
         */
        static List<List<Upload>> ordered(List<Upload> uploads, List<Pattern> order, String prefix) {
            List<List<Upload>> groups = new ArrayList<>();
            for (int i = 0; i <= order.size(); i++) groups.add(new ArrayList<>());
            for (Upload u : uploads) {
                String relative = u.file().key().substring(prefix.length());
                int i = 0;
                while (i < order.size() && !order.get(i).matcher(relative).find()) i++;
                groups.get(i).add(u);
            }
            return groups.stream().filter(g -> !g.isEmpty()).map(List::copyOf).toList();
        }

        /** What re-planning the invalidation needs when only part of the uploads went through. */
        record Replan(List<LocalFile> local, List<RemoteObject> remote, String originPath, int budget) {
            InvalidationPlan of(Collection<String> keys, Consumer<String> note) {
                return planInvalidation(keys, List.of(), local, remote, originPath, budget, note);
            }
        }

        /**
         * A whole run, decided before anything is written: the uploads in their groups, the deletions of this run (pages
         * now; orphans whose grace is over and whose invalidation completed; with --delete-grace 0 every orphan once this
         * run's invalidation completed), the assets it orphans, the orphans kept from earlier runs, the keys earlier runs
         * owe CloudFront, and the invalidation a complete run sends.
         */
        record Deployment(String source, Target where, Plan plan, List<String> deleteNow, List<String> deleteAfterWait, List<String> orphaned,
                          List<Orphan> carried, List<Pending> merged, List<String> owed, Cdn cdn, InvalidationPlan invalidation,
                          Replan replan, Policy policy, Instant now) {
            /** Assets first, then entry points: a page is never stored before what it references; Hugo's order within each. */
            List<List<Upload>> uploadGroups() {
                List<List<Upload>> groups = new ArrayList<>(ordered(plan.assets(), policy.order(), where.prefix()));
                groups.addAll(ordered(plan.entryPoints(), policy.order(), where.prefix()));
                return groups;
            }

            /** The keys whose URLs this run invalidates when it completes. */
            List<String> keysToInvalidate() {
                Set<String> keys = new TreeSet<>(plan.changedKeys());
                keys.addAll(deleteNow);
                keys.addAll(deleteAfterWait);
                keys.addAll(owed);
                return List.copyOf(keys);
            }

            /** Whether the run writes anything at all; a run that does not leaves no record either. */
            boolean writes() {
                return !plan.uploads().isEmpty() || !plan.headerFixes().isEmpty() || !deleteNow.isEmpty() || !deleteAfterWait.isEmpty()
                        || !orphaned.isEmpty() || !owed.isEmpty();
            }

            /**
             * The record written before the first upload, when the run writes anything: if the run dies, the next one
             * invalidates every key this run may have written or deleted.
             */
            Optional<Pending> recordBeforeUploads(String key) {
                return writes() ? Optional.of(new Pending(key, now, keysToInvalidate(), carried)) : Optional.empty();
            }
        }

        /**
         * Decides the run from what was gathered: the diff, the records of earlier runs (with the status of the
         * invalidations their due orphans wait for), the distribution, and the options.
         */
        static Deployment deployment(String source, Target where, Plan plan, List<Pending> records, Map<String, String> statuses, Cdn cdn,
                                     Replan replan, Policy policy, Instant now, Consumer<String> note) {
            Set<String> gone = new TreeSet<>(plan.deletions());
            Map<String, Orphan> carried = new TreeMap<>();
            for (Pending p : records) {
                for (Orphan o : p.orphans()) {
                    if (!gone.contains(o.key())) continue; // back in the site, or no longer in the bucket
                    carried.merge(o.key(), o, (a, b) -> new Orphan(a.key(), a.deleteAfter().isAfter(b.deleteAfter()) ? a.deleteAfter() : b.deleteAfter(),
                            List.copyOf(new TreeSet<>(concat(a.waitFor(), b.waitFor())))));
                }
            }
            Set<String> owed = new TreeSet<>();
            records.forEach(p -> owed.addAll(p.owed()));
            List<String> pages = gone.stream().filter(k -> isEntryPoint(k.substring(where.prefix().length()))).toList();
            List<String> assets = gone.stream().filter(k -> !isEntryPoint(k.substring(where.prefix().length()))).toList();
            List<String> deleteNow = new ArrayList<>();
            List<String> deleteAfterWait = new ArrayList<>();
            List<String> orphaned = new ArrayList<>();
            List<Orphan> kept = new ArrayList<>();
            if (policy.noDelete()) {
                kept.addAll(carried.values());
            } else {
                deleteNow.addAll(pages);
                for (String key : assets) {
                    Orphan o = carried.get(key);
                    if (policy.deleteGrace().isZero()) deleteAfterWait.add(key);
                    else if (o == null) orphaned.add(key);
                    else if (o.due(now, statuses)) deleteNow.add(key);
                    else kept.add(o);
                }
            }
            Collections.sort(deleteNow);
            Deployment without = new Deployment(source, where, plan.withoutDeletions(), List.copyOf(deleteNow), List.copyOf(deleteAfterWait),
                    List.copyOf(orphaned), List.copyOf(kept), List.copyOf(records), List.copyOf(owed), cdn, null, replan, policy, now);
            InvalidationPlan invalidation = cdn == null ? null : replan.of(without.keysToInvalidate(), note);
            return new Deployment(source, where, plan, without.deleteNow(), without.deleteAfterWait(), without.orphaned(), without.carried(),
                    without.merged(), without.owed(), cdn, invalidation, replan, policy, now);
        }

        private static <T> List<T> concat(List<T> a, List<T> b) {
            List<T> all = new ArrayList<>(a);
            all.addAll(b);
            return all;
        }

        /** Why the run must not start (nothing written), or nothing. */
        static Optional<String> refusal(Deployment d) {
            boolean noLocalFile = d.plan().uploads().isEmpty() && d.plan().unchanged().isEmpty();
            if (noLocalFile && !d.policy().allowEmpty()) {
                return Optional.of("refused: " + d.source() + " holds no file to upload, and deploying it would delete the whole site; "
                        + "nothing was changed (--allow-empty deploys it anyway)");
            }
            int deletions = d.deleteNow().size() + d.deleteAfterWait().size();
            if (deletions > d.policy().maxDelete()) {
                return Optional.of("refused: " + deletions + " objects would be deleted by this run, more than --max-delete "
                        + d.policy().maxDelete() + "; nothing was changed (raise --max-delete, or --no-delete keeps them)");
            }
            return Optional.empty();
        }

        /** What the uploads and header fixes of a run achieved. */
        record Written(List<Upload> uploaded, long bytes, Map<String, String> failed, List<LocalFile> headersFixed) {
            static final Written NONE = new Written(List.of(), 0, Map.of(), List.of());

            Written and(Written more) {
                List<Upload> up = new ArrayList<>(uploaded);
                up.addAll(more.uploaded());
                up.sort(Comparator.comparing(u -> u.file().key()));
                Map<String, String> f = new TreeMap<>(failed);
                f.putAll(more.failed());
                List<LocalFile> fixed = new ArrayList<>(headersFixed);
                fixed.addAll(more.headersFixed());
                return new Written(List.copyOf(up), bytes + more.bytes(), f, List.copyOf(fixed));
            }
        }

        /** The next group of uploads (or the header fixes) goes only when everything before it was stored. */
        static boolean mayContinue(Written sofar) {
            return sofar.failed().isEmpty();
        }

        /**
         * What happens after the uploads: the invalidation to send (all of the plan when every write went through, else
         * re-planned from what was written, plus what earlier runs owe), what to delete after it, whether to wait for it,
         * what to delete once it completed, and the exit code with its message.
         */
        record Settlement(InvalidationPlan invalidation, List<String> deleteNow, boolean await, List<String> deleteAfterWait,
                          int exitCode, String failure) {
            List<String> paths() {
                return invalidation == null ? List.of() : invalidation.paths();
            }
        }

        static Settlement settle(Deployment d, Written written, Consumer<String> note) {
            if (written.failed().isEmpty()) {
                boolean await = d.policy().waitForCompletion() || !d.deleteAfterWait().isEmpty();
                return new Settlement(d.invalidation(), d.deleteNow(), await, d.deleteAfterWait(), 0, null);
            }
            Set<String> keys = new TreeSet<>(d.owed());
            written.uploaded().forEach(u -> keys.add(u.file().key()));
            written.headersFixed().forEach(f -> keys.add(f.key()));
            InvalidationPlan invalidation = d.cdn() == null ? null : d.replan().of(keys, note);
            boolean assetFailed = d.plan().assets().stream().anyMatch(u -> written.failed().containsKey(u.file().key()));
            String message = written.failed().size() + " write(s) failed for good: "
                    + written.failed().keySet().stream().collect(Collectors.joining(", "))
                    + (assetFailed ? "; entry points not uploaded" : "") + "; nothing deleted"
                    + (invalidation == null || invalidation.paths().isEmpty() ? "" : ", only what was written invalidated") + "; a re-run converges";
            return new Settlement(invalidation, List.of(), false, List.of(), 1, message);
        }

        enum Waited { NOT_ASKED, COMPLETED, TIMED_OUT }

        /**
         * The end of a run: what to delete now that the wait is over, the record that stays (what is still owed, the
         * orphans kept, their clocks started now and waiting for the invalidations just created), the records it
         * replaces, and the exit code. A record is rewritten only when something is left; the records the run merged are
         * covered by its invalidation (or by its own record) and removed.
         */
        record Finish(List<String> delete, Pending record, List<String> removeRecords, int exitCode) {
        }

        static Finish finish(Deployment d, Settlement s, String ownKey, List<String> created, Written written, Waited waited) {
            if (!d.writes()) return new Finish(List.of(), null, List.of(), s.exitCode());
            boolean complete = s.failure() == null;
            List<String> delete = waited == Waited.COMPLETED ? s.deleteAfterWait() : List.of();
            List<Orphan> kept = new ArrayList<>(d.carried());
            if (complete) {
                Instant after = d.now().plus(d.policy().deleteGrace());
                d.orphaned().forEach(k -> kept.add(new Orphan(k, after, created)));
                if (waited != Waited.COMPLETED) s.deleteAfterWait().forEach(k -> kept.add(new Orphan(k, d.now(), created)));
            }
            Set<String> owed = new TreeSet<>();
            if (d.policy().noInvalidate()) {
                if (complete) {
                    owed.addAll(d.keysToInvalidate());
                } else {
                    owed.addAll(d.owed());
                    written.uploaded().forEach(u -> owed.add(u.file().key()));
                    written.headersFixed().forEach(f -> owed.add(f.key()));
                }
            }
            kept.sort(Comparator.comparing(Orphan::key));
            Pending left = new Pending(ownKey, d.now(), List.copyOf(owed), List.copyOf(kept));
            List<String> remove = new ArrayList<>(d.merged().stream().map(Pending::key).toList());
            if (left.isEmpty()) remove.add(ownKey);
            int code = s.exitCode() != 0 ? s.exitCode() : waited == Waited.TIMED_OUT && !d.policy().warnOnTimeout() ? 1 : 0;
            return new Finish(delete, left.isEmpty() ? null : left, List.copyOf(remove), code);
        }
    }

    // ================================================================ Hugo: a site's [deployment] section, read as Hugo reads it

    /**
     * A Hugo site's configuration as Hugo reads it (config/configLoader.go and deploy/deployConfig.go): the first of
     * hugo.toml|yaml|yml|json, config.toml|yaml|yml|json at the site's root, then config/_default/, then
     * config/ENVIRONMENT/ (later wins; tables merge, arrays are replaced; a file named after a root key holds that key,
     * e.g. deployment.toml); keys are case-insensitive. Only load() reads files; the rest are pure functions.
     */
    static final class Hugo {
        private Hugo() {
        }

        static final List<String> CONFIG_NAMES = List.of("hugo", "config");
        static final List<String> CONFIG_EXTENSIONS = List.of("toml", "yaml", "yml", "json");
        static final String DEFAULT_ENVIRONMENT = "production";
        private static final Set<String> DEPLOYMENT_KEYS = Set.of("targets", "matchers", "order", "target", "confirm", "dryrun", "force",
                "invalidatecdn", "maxdeletes", "workers");
        private static final Set<String> TARGET_KEYS = Set.of("name", "url", "cloudfrontdistributionid", "include", "exclude", "stripindexhtml");
        private static final Set<String> MATCHER_KEYS = Set.of("pattern", "cachecontrol", "contentencoding", "contenttype", "gzip", "force");
        /** gocloud.dev's s3blob URL parameters: AWS SDK v1 names (Hugo up to 0.13x) and v2 names (later Hugo). */
        private static final Set<String> URL_PARAMETERS = Set.of("region", "endpoint", "disableSSL", "s3ForcePathStyle", "prefix", "awssdk",
                "use_path_style", "disable_https");

        /** A [[deployment.matchers]] entry: the first whose pattern is found in the path (relative, '/'-separated) decides. */
        record Matcher(Pattern pattern, String cacheControl, String contentType, String contentEncoding, boolean gzip, boolean force) {
            boolean matches(String relative) {
                return pattern.matcher(relative).find(); // Go's regexp.MatchString: unanchored unless the pattern anchors it
            }
        }

        record Target(String name, String url, Site.Target where, String region, URI endpoint, boolean pathStyle, String distributionId,
                      String include, String exclude) {
        }

        /** What deploy-site takes from the configuration; null where the file says nothing. */
        record Settings(Path publishDir, Target target, List<Matcher> matchers, List<Pattern> order, Integer maxDeletes, Integer workers,
                        boolean confirm, boolean dryRun, boolean force, Boolean invalidateCdn, Map<String, List<String>> mediaTypes) {
        }

        /** Whether the folder holds a Hugo configuration (a root file or a config/ folder). */
        static boolean isSite(Path dir) {
            if (!Files.isDirectory(dir)) return false;
            if (Files.isDirectory(dir.resolve("config"))) return true;
            for (String name : CONFIG_NAMES) {
                for (String ext : CONFIG_EXTENSIONS) if (Files.isRegularFile(dir.resolve(name + "." + ext))) return true;
            }
            return false;
        }

        /** The merged configuration of the site for the environment, keys lower-cased. */
        static Map<String, Object> load(Path site, String environment) {
            if (!Files.isDirectory(site)) throw new Invalidations.UsageError("--hugo " + site + " is not a folder");
            Map<String, Object> config = new TreeMap<>();
            root:
            for (String name : CONFIG_NAMES) {
                for (String ext : CONFIG_EXTENSIONS) {
                    Path file = site.resolve(name + "." + ext);
                    if (Files.isRegularFile(file)) {
                        merge(config, read(file));
                        break root; // Hugo loads only the first root file it finds
                    }
                }
            }
            boolean found = !config.isEmpty();
            for (String folder : List.of("_default", environment)) {
                Path dir = site.resolve("config").resolve(folder);
                if (!Files.isDirectory(dir)) continue;
                try (var files = Files.list(dir)) {
                    for (Path file : files.sorted().toList()) {
                        String fileName = file.getFileName().toString();
                        int dot = fileName.indexOf('.');
                        String ext = fileName.substring(fileName.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
                        if (dot <= 0 || !CONFIG_EXTENSIONS.contains(ext) || !Files.isRegularFile(file)) continue;
                        String key = fileName.substring(0, dot).toLowerCase(Locale.ROOT);
                        String middle = dot == fileName.lastIndexOf('.') ? "" : fileName.substring(dot + 1, fileName.lastIndexOf('.'));
                        Map<String, Object> values = read(file);
                        if (CONFIG_NAMES.contains(key)) merge(config, values);
                        else if (middle.isEmpty()) merge(config, Map.of(key, values));
                        else merge(config, Map.of("languages", Map.of(middle.toLowerCase(Locale.ROOT), Map.of(key, values))));
                        found = true;
                    }
                } catch (IOException e) {
                    throw new Invalidations.Failure("cannot read " + dir + ": " + e.getMessage());
                }
            }
            if (!found) {
                throw new Invalidations.UsageError("--hugo " + site + " holds no Hugo configuration (hugo.toml, config.toml, config/_default/, ...)");
            }
            return config;
        }

        private static Map<String, Object> read(Path file) {
            String name = file.getFileName().toString();
            try (java.io.Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                Object parsed = name.endsWith(".toml") ? new com.electronwill.nightconfig.toml.TomlParser().parse(reader)
                        : new org.yaml.snakeyaml.Yaml(new org.yaml.snakeyaml.constructor.SafeConstructor(new org.yaml.snakeyaml.LoaderOptions())).load(reader);
                Object plain = plain(parsed);
                if (plain == null) return Map.of();
                if (!(plain instanceof Map<?, ?> map)) throw new Invalidations.UsageError(file + " does not hold a table of settings");
                @SuppressWarnings("unchecked") Map<String, Object> values = (Map<String, Object>) map;
                return values;
            } catch (IOException e) {
                throw new Invalidations.Failure("cannot read " + file + ": " + e.getMessage());
            } catch (com.electronwill.nightconfig.core.io.ParsingException | org.yaml.snakeyaml.error.YAMLException e) {
                throw new Invalidations.UsageError(file + " is not valid " + name.substring(name.lastIndexOf('.') + 1).toUpperCase(Locale.ROOT) + ": "
                        + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
            }
        }

        /** Maps with lower-cased keys and lists, whatever the parser gave. */
        private static Object plain(Object value) {
            if (value instanceof com.electronwill.nightconfig.core.UnmodifiableConfig c) {
                Map<String, Object> out = new TreeMap<>();
                for (com.electronwill.nightconfig.core.UnmodifiableConfig.Entry e : c.entrySet()) {
                    Object v = e.getValue();
                    out.put(e.getKey().toLowerCase(Locale.ROOT), plain(v));
                }
                return out;
            }
            if (value instanceof Map<?, ?> map) {
                Map<String, Object> out = new TreeMap<>();
                map.forEach((k, v) -> out.put(String.valueOf(k).toLowerCase(Locale.ROOT), plain(v)));
                return out;
            }
            if (value instanceof List<?> list) return list.stream().map(Hugo::plain).toList();
            return value;
        }

        /** Hugo's merge: tables merge key by key, anything else (arrays too) is replaced by the later value. */
        @SuppressWarnings("unchecked")
        static void merge(Map<String, Object> into, Map<String, Object> later) {
            later.forEach((k, v) -> {
                Object before = into.get(k);
                if (before instanceof Map<?, ?> b && v instanceof Map<?, ?> l) {
                    Map<String, Object> both = new TreeMap<>((Map<String, Object>) b);
                    merge(both, (Map<String, Object>) l);
                    into.put(k, both);
                } else {
                    into.put(k, v);
                }
            });
        }

        /** The settings of one target: --target NAME, else deployment.target, else the only one. */
        static Settings settings(Map<String, Object> config, Path site, String targetName) {
            Path publishDir = site.resolve(string(config, "publishdir", "public"));
            Map<String, Object> deployment = table(config, "deployment", "the configuration");
            if (deployment == null) throw new Invalidations.UsageError("the Hugo configuration in " + site + " has no [deployment] section");
            unknown(deployment, DEPLOYMENT_KEYS, "[deployment]");
            List<Target> targets = new ArrayList<>();
            for (Map<String, Object> t : tables(deployment, "targets", "[[deployment.targets]]")) targets.add(target(t));
            if (targets.isEmpty()) throw new Invalidations.UsageError("[deployment] has no targets");
            String wanted = targetName != null ? targetName : string(deployment, "target", null);
            Target target;
            if (wanted != null) {
                target = targets.stream().filter(t -> wanted.equals(t.name())).findFirst().orElseThrow(() -> new Invalidations.UsageError(
                        "no [deployment] target named " + Invalidations.quote(wanted) + "; there are: " + names(targets)));
            } else if (targets.size() == 1) {
                target = targets.get(0);
            } else {
                throw new Invalidations.UsageError(targets.size() + " [deployment] targets (" + names(targets)
                        + "): pass --target NAME (hugo deploy would take the first)");
            }
            List<Matcher> matchers = new ArrayList<>();
            for (Map<String, Object> m : tables(deployment, "matchers", "[[deployment.matchers]]")) matchers.add(matcher(m));
            List<Pattern> order = new ArrayList<>();
            for (Object o : list(deployment, "order")) order.add(regex(String.valueOf(o), "[deployment] order"));
            Map<String, List<String>> mediaTypes = new TreeMap<>();
            Map<String, Object> types = table(config, "mediatypes", "the configuration");
            if (types != null) {
                types.forEach((type, v) -> {
                    if (v instanceof Map<?, ?> m && m.get("suffixes") instanceof List<?> suffixes) {
                        mediaTypes.put(type, suffixes.stream().map(s -> String.valueOf(s).toLowerCase(Locale.ROOT)).toList());
                    }
                });
            }
            Integer maxDeletes = integer(deployment, "maxdeletes");
            if (maxDeletes != null && maxDeletes < -1) {
                throw new Invalidations.UsageError("[deployment] maxDeletes " + maxDeletes + ": a number of deletions, or -1 for no limit");
            }
            return new Settings(publishDir, target, List.copyOf(matchers), List.copyOf(order), maxDeletes,
                    integer(deployment, "workers"), bool(deployment, "confirm"), bool(deployment, "dryrun"), bool(deployment, "force"),
                    deployment.containsKey("invalidatecdn") ? bool(deployment, "invalidatecdn") : null, mediaTypes);
        }

        static Target target(Map<String, Object> t) {
            String name = string(t, "name", "");
            String where = "[[deployment.targets]] " + Invalidations.quote(name);
            if (t.containsKey("googlecloudcdnorigin")) {
                throw new Invalidations.UsageError(where + ": googleCloudCDNOrigin (Google Cloud CDN) is not supported; deploy-site invalidates CloudFront");
            }
            unknown(t, TARGET_KEYS, where);
            if (bool(t, "stripindexhtml")) {
                throw new Invalidations.UsageError(where + ": stripIndexHTML is not supported (deploy-site keeps the file names as keys)");
            }
            String url = string(t, "url", null);
            if (url == null) throw new Invalidations.UsageError(where + " has no URL");
            URI uri;
            try {
                uri = new URI(url);
            } catch (java.net.URISyntaxException e) {
                throw new Invalidations.UsageError(where + ": URL " + Invalidations.quote(url) + " is not a URL");
            }
            if (!"s3".equals(uri.getScheme())) {
                String what = switch (String.valueOf(uri.getScheme())) {
                    case "gs" -> " (Google Cloud Storage)";
                    case "azblob" -> " (Azure Blob Storage)";
                    case "file" -> " (a local folder)";
                    default -> "";
                };
                throw new Invalidations.UsageError(where + ": " + uri.getScheme() + "://" + what + " is not supported; deploy-site deploys to S3 (s3://)");
            }
            Map<String, String> query = new TreeMap<>();
            if (uri.getRawQuery() != null) {
                for (String pair : uri.getRawQuery().split("&")) {
                    if (pair.isEmpty()) continue;
                    int eq = pair.indexOf('=');
                    String k = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                    String v = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                    if (!URL_PARAMETERS.contains(k)) { // gocloud.dev's names are case-sensitive
                        throw new Invalidations.UsageError(where + ": URL parameter " + Invalidations.quote(k) + " not supported (supported: "
                                + String.join(", ", new TreeSet<>(URL_PARAMETERS)) + ")");
                    }
                    query.put(k.toLowerCase(Locale.ROOT), v);
                }
            }
            if (uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/")) {
                throw new Invalidations.UsageError(where + ": the path in " + Invalidations.quote(url) + " is ignored by hugo deploy (it writes at "
                        + "the bucket's root); say ?prefix=" + uri.getPath().replaceFirst("^/", "") + " to deploy under it");
            }
            Site.Target target = Site.Target.parse("s3://" + uri.getRawAuthority() + "/" + query.getOrDefault("prefix", ""));
            boolean noTls = truth(query.get("disablessl")) || truth(query.get("disable_https"));
            URI endpoint = null;
            String e = query.get("endpoint");
            if (e != null && !e.isBlank()) endpoint = URI.create(e.contains("://") ? e : (noTls ? "http://" : "https://") + e);
            boolean pathStyle = truth(query.get("s3forcepathstyle")) || truth(query.get("use_path_style"));
            String include = string(t, "include", null);
            String exclude = string(t, "exclude", null);
            if (include != null) Globs.compile(include, where + " include");
            if (exclude != null) Globs.compile(exclude, where + " exclude");
            String distribution = string(t, "cloudfrontdistributionid", "");
            return new Target(name, url, target, query.get("region"), endpoint, pathStyle, distribution.isBlank() ? null : distribution,
                    include, exclude);
        }

        static Matcher matcher(Map<String, Object> m) {
            unknown(m, MATCHER_KEYS, "[[deployment.matchers]]");
            String pattern = string(m, "pattern", ""); // an empty pattern matches every file, as in Hugo
            return new Matcher(regex(pattern, "[[deployment.matchers]] pattern"), string(m, "cachecontrol", ""),
                    string(m, "contenttype", ""), string(m, "contentencoding", ""), bool(m, "gzip"), bool(m, "force"));
        }

        /** Hugo's own media types (media/builtin.go), by MIME type; GetFirstBySuffix takes the first type in MIME order. */
        static final Map<String, List<String>> MEDIA_TYPES = Map.ofEntries(
                Map.entry("application/json", List.of("json")), Map.entry("application/manifest+json", List.of("webmanifest")),
                Map.entry("application/pdf", List.of("pdf")), Map.entry("application/rss+xml", List.of("xml", "rss")),
                Map.entry("application/source-map", List.of("map")),
                Map.entry("application/toml", List.of("toml")), Map.entry("application/wasm", List.of("wasm")),
                Map.entry("application/xml", List.of("xml")), Map.entry("application/yaml", List.of("yaml", "yml")),
                Map.entry("font/otf", List.of("otf")), Map.entry("font/ttf", List.of("ttf")), Map.entry("font/woff", List.of("woff")),
                Map.entry("font/woff2", List.of("woff2")), Map.entry("image/avif", List.of("avif")), Map.entry("image/bmp", List.of("bmp")),
                Map.entry("image/gif", List.of("gif")), Map.entry("image/heic", List.of("heic")), Map.entry("image/heif", List.of("heif")),
                Map.entry("image/jpeg", List.of("jpg", "jpeg", "jpe", "jif", "jfif")), Map.entry("image/png", List.of("png")),
                Map.entry("image/svg+xml", List.of("svg")), Map.entry("image/tiff", List.of("tif", "tiff")), Map.entry("image/webp", List.of("webp")),
                Map.entry("text/asciidoc", List.of("adoc", "asciidoc", "ad")), Map.entry("text/calendar", List.of("ics")),
                Map.entry("text/css", List.of("css")), Map.entry("text/csv", List.of("csv")), Map.entry("text/html", List.of("html", "htm")),
                Map.entry("text/javascript", List.of("js", "jsm", "mjs")), Map.entry("text/jsx", List.of("jsx")),
                Map.entry("text/markdown", List.of("md", "mdown", "markdown")), Map.entry("text/org", List.of("org")),
                Map.entry("text/pandoc", List.of("pandoc", "pdc")), Map.entry("text/plain", List.of("txt")), Map.entry("text/rst", List.of("rst")),
                Map.entry("text/tsx", List.of("tsx")), Map.entry("text/typescript", List.of("ts")), Map.entry("text/x-gotmpl", List.of("gotmpl")),
                Map.entry("text/x-sass", List.of("sass")),
                Map.entry("text/x-scss", List.of("scss")), Map.entry("video/3gpp", List.of("3gpp", "3gp")), Map.entry("video/mp4", List.of("mp4")),
                Map.entry("video/mpeg", List.of("mpg", "mpeg")), Map.entry("video/ogg", List.of("ogv")), Map.entry("video/webm", List.of("webm")),
                Map.entry("video/x-msvideo", List.of("avi")));

        /**
         * The Content-Type hugo deploy gives a suffix (GetFirstBySuffix over the built-in types and the site's own, which
         * replace a built-in type of the same name), with charset=utf-8 where this script's table has the same type as
         * text; null when Hugo has no type for it (Hugo then asks the system's MIME tables, as this script's table does).
         */
        static String contentType(String suffix, Map<String, List<String>> custom) {
            Map<String, List<String>> all = new TreeMap<>(MEDIA_TYPES);
            all.putAll(custom);
            for (var e : all.entrySet()) {
                if (e.getValue().contains(suffix)) {
                    String ours = Site.CONTENT_TYPES.get(suffix);
                    if (ours != null && ours.startsWith(e.getKey() + ";")) return ours;
                    return e.getKey().startsWith("text/") ? e.getKey() + "; charset=utf-8" : e.getKey();
                }
            }
            return null;
        }

        /** Hugo's include/exclude globs (gobwas/glob over the lower-cased '/'-path): '*' stays in a folder, '**' crosses. */
        static final class Globs {
            private Globs() {
            }

            static Pattern compile(String glob, String where) {
                StringBuilder re = new StringBuilder();
                String g = glob.toLowerCase(Locale.ROOT);
                int depth = 0;
                for (int i = 0; i < g.length(); i++) {
                    char c = g.charAt(i);
                    switch (c) {
                        case '*' -> {
                            if (i + 1 < g.length() && g.charAt(i + 1) == '*') {
                                re.append(".*");
                                i++;
                            } else {
                                re.append("[^/]*");
                            }
                        }
                        case '?' -> re.append("[^/]");
                        case '{' -> {
                            re.append("(?:");
                            depth++;
                        }
                        case '}' -> {
                            if (depth == 0) throw new Invalidations.UsageError(where + " " + Invalidations.quote(glob) + ": unbalanced '}'");
                            re.append(')');
                            depth--;
                        }
                        case ',' -> re.append(depth > 0 ? "|" : ",");
                        case '[' -> {
                            int end = g.indexOf(']', i + 1);
                            if (end < 0) throw new Invalidations.UsageError(where + " " + Invalidations.quote(glob) + ": unclosed '['");
                            String body = g.substring(i + 1, end);
                            re.append('[').append(body.startsWith("!") ? "^" + body.substring(1) : body).append(']');
                            i = end;
                        }
                        case '\\' -> {
                            if (i + 1 < g.length()) re.append(Pattern.quote(String.valueOf(g.charAt(++i))));
                        }
                        default -> re.append(Pattern.quote(String.valueOf(c)));
                    }
                }
                if (depth != 0) throw new Invalidations.UsageError(where + " " + Invalidations.quote(glob) + ": unbalanced '{'");
                return Pattern.compile(re.toString());
            }

            /** Whether a relative path is deployed: included (when there is an include) and not excluded. */
            static Predicate<String> scope(String include, String exclude) {
                Pattern in = include == null ? null : compile(include, "include");
                Pattern out = exclude == null ? null : compile(exclude, "exclude");
                return relative -> {
                    String p = relative.toLowerCase(Locale.ROOT);
                    return (in == null || in.matcher(p).matches()) && (out == null || !out.matcher(p).matches());
                };
            }
        }

        // ------------------------------------------------------------ reading values as mapstructure's WeakDecode does

        private static String names(List<Target> targets) {
            return targets.stream().map(t -> Invalidations.quote(t.name())).collect(Collectors.joining(", "));
        }

        private static void unknown(Map<String, Object> table, Set<String> known, String where) {
            List<String> extra = table.keySet().stream().filter(k -> !known.contains(k)).toList();
            if (!extra.isEmpty()) {
                throw new Invalidations.UsageError(where + ": unknown or unsupported key(s) " + String.join(", ", extra));
            }
        }

        @SuppressWarnings("unchecked")
        private static Map<String, Object> table(Map<String, Object> in, String key, String where) {
            Object v = in.get(key);
            if (v == null) return null;
            if (!(v instanceof Map<?, ?>)) throw new Invalidations.UsageError(key + " in " + where + " is not a table");
            return (Map<String, Object>) v;
        }

        @SuppressWarnings("unchecked")
        private static List<Map<String, Object>> tables(Map<String, Object> in, String key, String where) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (Object o : list(in, key)) {
                if (!(o instanceof Map<?, ?>)) throw new Invalidations.UsageError(where + ": an entry is not a table");
                out.add((Map<String, Object>) o);
            }
            return out;
        }

        private static List<?> list(Map<String, Object> in, String key) {
            Object v = in.get(key);
            if (v == null) return List.of();
            return v instanceof List<?> l ? l : List.of(v);
        }

        private static String string(Map<String, Object> in, String key, String otherwise) {
            Object v = in.get(key);
            return v == null ? otherwise : String.valueOf(v);
        }

        private static boolean bool(Map<String, Object> in, String key) {
            return truth(in.get(key) == null ? null : String.valueOf(in.get(key)));
        }

        private static boolean truth(String value) {
            return value != null && (value.equalsIgnoreCase("true") || value.equals("1"));
        }

        private static Integer integer(Map<String, Object> in, String key) {
            Object v = in.get(key);
            if (v == null) return null;
            try {
                return v instanceof Number n ? n.intValue() : Integer.parseInt(String.valueOf(v).strip());
            } catch (NumberFormatException e) {
                throw new Invalidations.UsageError("[deployment] " + key + " " + Invalidations.quote(String.valueOf(v)) + " is not a number");
            }
        }

        private static Pattern regex(String pattern, String where) {
            try {
                return Pattern.compile(pattern);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new Invalidations.UsageError(where + " " + Invalidations.quote(pattern) + " is not a valid regular expression: " + e.getDescription());
            }
        }
    }

    // ================================================================ local files: a read-only scan

    static final class Local {
        private Local() {
        }

        /** A file found under the source, not read yet: its key, its path relative to the source (NFC) and the file. */
        record Found(String key, String relative, Path file) {
        }

        /** Every file the walk finds, hashed: {@link #walk}, then {@link #hash(List, Site.Rules)}. */
        static List<Site.LocalFile> scan(Path root, String prefix, boolean includeHidden, List<String> excludes, Predicate<String> inScope,
                                         Site.Rules rules) throws IOException {
            return hash(walk(root, prefix, includeHidden, excludes, inScope), rules);
        }

        /**
         * Every regular file under the root, by name only (the listing's cuts come from these keys while the files are
         * hashed). Hidden files are skipped except .well-known/; a symbolic link is followed when it stays inside the
         * root, and one that leaves it fails the walk, naming it; so do names that are not UTF-8. {@code inScope} keeps
         * the files a Hugo target's include/exclude keep.
         */
        static List<Found> walk(Path root, String prefix, boolean includeHidden, List<String> excludes, Predicate<String> inScope)
                throws IOException {
            if (root == null || !Files.exists(root)) {
                throw new Invalidations.UsageError("source " + root + " does not exist");
            }
            if (!Files.isDirectory(root)) throw new Invalidations.UsageError("source " + root + " is not a folder");
            if (!Files.isReadable(root)) throw new Invalidations.Failure("source " + root + " is not readable");
            Path realRoot = root.toRealPath();
            List<PathMatcher> excluded = Site.matchers(excludes);
            List<String[]> found = new ArrayList<>(); // relative path, file
            List<String> outside = new ArrayList<>();
            List<String> notUtf8 = new ArrayList<>(); // S3 keys are UTF-8: such a name would become a mangled key
            Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    String rel = relative(root, dir);
                    if (!rel.isEmpty() && !includeHidden && Site.isHidden(rel)) return FileVisitResult.SKIP_SUBTREE;
                    if ((rel + "/").equals(Site.RESERVED)) {
                        throw new Invalidations.Failure(root + " holds " + Site.RESERVED + ", deploy-site's own folder in the bucket (its pending "
                                + "records); rename it; nothing was uploaded");
                    }
                    if (!rel.isEmpty() && !utf8Name(dir)) {
                        notUtf8.add(rel);
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    if (Files.isSymbolicLink(dir) && !dir.toRealPath().startsWith(realRoot)) {
                        outside.add(rel);
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    String rel = relative(root, file);
                    if (!includeHidden && Site.isHidden(rel)) return FileVisitResult.CONTINUE;
                    if (excluded.stream().anyMatch(m -> Site.matches(m, rel)) || !inScope.test(rel)) return FileVisitResult.CONTINUE;
                    if (!attrs.isRegularFile()) return FileVisitResult.CONTINUE;
                    if (!utf8Name(file)) {
                        notUtf8.add(rel);
                        return FileVisitResult.CONTINUE;
                    }
                    if (Files.isSymbolicLink(file) && !file.toRealPath().startsWith(realRoot)) {
                        outside.add(rel);
                        return FileVisitResult.CONTINUE;
                    }
                    found.add(new String[]{rel, file.toString()});
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    // The JDK's message is often the file name again: say why instead.
                    String why = e instanceof java.nio.file.FileSystemLoopException ? "a symbolic link loops back to a folder that holds it"
                            : e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage();
                    throw new Invalidations.Failure("cannot read " + file + ": " + why + "; nothing was uploaded");
                }
            });
            if (!outside.isEmpty()) {
                throw new Invalidations.Failure("symbolic link(s) pointing outside " + root + ": " + String.join(", ", outside)
                        + "; nothing was uploaded");
            }
            if (!notUtf8.isEmpty()) {
                throw new Invalidations.Failure("file name(s) not valid UTF-8 (shown with '?'): "
                        + notUtf8.stream().map(n -> n.replace('\uFFFD', '?')).collect(Collectors.joining(", "))
                        + "; rename them; nothing was uploaded");
            }
            return found.stream().map(f -> {
                String rel = Normalizer.normalize(f[0], Normalizer.Form.NFC);
                return new Found(prefix + rel, rel, Path.of(f[1]));
            }).toList();
        }

        /** The files hashed in parallel on every core, sorted by key. */
        static List<Site.LocalFile> hash(List<Found> found, Site.Rules rules) {
            return found.parallelStream()
                    .map(f -> hash(f.key(), f.file(), rules.headersFor(f.relative()), Site.isEntryPoint(f.relative())))
                    .sorted(Comparator.comparing(Site.LocalFile::key)).toList();
        }

        /**
         * Whether the name's bytes are the UTF-8 of its string: the JDK decodes invalid bytes as U+FFFD, and the name
         * made from that string again (U+FFFD as UTF-8) is then another file.
         */
        static boolean utf8Name(Path p) {
            String name = p.getFileName().toString();
            return name.indexOf('\uFFFD') < 0 || Files.exists(p.resolveSibling(name), LinkOption.NOFOLLOW_LINKS);
        }

        private static String relative(Path root, Path p) {
            String rel = root.relativize(p).toString().replace('\\', '/');
            for (String segment : rel.split("/")) {
                if (segment.equals("..")) throw new Invalidations.Failure("refused path outside the source: " + rel);
            }
            return rel;
        }

        /** MD5 of the bytes as they will be stored (gzipped when the headers say so) and, above the threshold, the multipart ETag. */
        static Site.LocalFile hash(String key, Path file, Site.Headers headers, boolean entryPoint) {
            try {
                Digests d = new Digests();
                String contentMd5 = null;
                if (headers.compress()) {
                    MessageDigest raw = md5Digest();
                    try (OutputStream gz = new GZIPOutputStream(d, 64 * 1024);
                         InputStream in = new java.security.DigestInputStream(Files.newInputStream(file), raw)) {
                        in.transferTo(gz);
                    }
                    contentMd5 = HexFormat.of().formatHex(raw.digest());
                } else {
                    try (InputStream in = Files.newInputStream(file)) {
                        in.transferTo(d);
                    }
                }
                boolean inParts = d.size > Site.MULTIPART_THRESHOLD;
                String md5 = d.md5();
                return new Site.LocalFile(key, file, d.size, md5, inParts ? d.multipartEtag() : null, headers, entryPoint,
                        inParts ? d.partMd5s() : List.of(), contentMd5 != null ? contentMd5 : md5);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }

        /** Writes the gzipped bytes of a file to a temporary file (uploads stream from disk, never from memory). */
        static Path gzipped(Path file) throws IOException {
            Path tmp = Files.createTempFile("deploy-site-", ".gz");
            try (OutputStream gz = new GZIPOutputStream(Files.newOutputStream(tmp), 64 * 1024); InputStream in = Files.newInputStream(file)) {
                in.transferTo(gz);
            }
            return tmp;
        }

        /**
         * One pass over the bytes: the MD5 of each 8 MiB part (the multipart ETag) and of the whole. Each byte is digested
         * once until the first part is full: up to there the part's MD5 is the file's, which is all most site files need.
         */
        static final class Digests extends OutputStream {
            private MessageDigest part = md5Digest();
            private MessageDigest whole; // a copy of the first part's state once it is full, then updated alongside
            private final ByteArrayOutputStream partDigests = new ByteArrayOutputStream();
            private final List<String> partMd5s = new ArrayList<>();
            long size;
            private long inPart;
            private int parts;
            private String md5;

            @Override
            public void write(int b) {
                write(new byte[]{(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                while (len > 0) {
                    int n = (int) Math.min(len, Site.PART_SIZE - inPart);
                    part.update(b, off, n);
                    if (whole != null) whole.update(b, off, n);
                    inPart += n;
                    size += n;
                    off += n;
                    len -= n;
                    if (inPart == Site.PART_SIZE) {
                        if (whole == null) whole = copy(part);
                        endPart();
                    }
                }
            }

            private void endPart() {
                byte[] digest = part.digest();
                partDigests.writeBytes(digest);
                partMd5s.add(HexFormat.of().formatHex(digest));
                parts++;
                part = md5Digest();
                inPart = 0;
            }

            String md5() {
                if (md5 == null) md5 = HexFormat.of().formatHex(whole != null ? whole.digest() : part.digest());
                return md5;
            }

            String multipartEtag() {
                md5();
                if (inPart > 0) endPart();
                return HexFormat.of().formatHex(md5Digest().digest(partDigests.toByteArray())) + "-" + parts;
            }

            /** The MD5 of each part, after multipartEtag(). */
            List<String> partMd5s() {
                return List.copyOf(partMd5s);
            }

            private static MessageDigest copy(MessageDigest d) {
                try {
                    return (MessageDigest) d.clone();
                } catch (CloneNotSupportedException e) {
                    throw new IllegalStateException(e);
                }
            }
        }

        static MessageDigest md5Digest() {
            try {
                return MessageDigest.getInstance("MD5");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    // ================================================================ AWS: thin adapters that decide nothing

    /** The remote side, made ready on its own threads while the local files are hashed on every core. */
    static final class Remote implements AutoCloseable {
        interface Step<T> {
            T run() throws Exception;
        }

        private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "remote");
            t.setDaemon(true);
            return t;
        });
        private CompletableFuture<Bucket> bucket;
        /** Where to cut the listing: known once the local files are found (see {@link #listFrom}). */
        private final CompletableFuture<List<String>> cuts = new CompletableFuture<>();
        private CompletableFuture<List<Site.RemoteObject>> listing;
        private CompletableFuture<Invalidations.CloudFront> cloudFront;
        private CompletableFuture<Site.Cdn> cdn;

        static Remote start(Step<Bucket> connectBucket, String prefix, Step<Invalidations.CloudFront> connectCloudFront,
                            java.util.function.Function<Invalidations.CloudFront, Site.Cdn> findDistribution) {
            Remote r = new Remote();
            r.bucket = r.async(connectBucket);
            r.listing = r.bucket.thenCombineAsync(r.cuts, (b, cuts) -> b.list(prefix, cuts), r.threads);
            r.cloudFront = connectCloudFront == null ? CompletableFuture.completedFuture(null) : r.async(connectCloudFront);
            r.cdn = r.cloudFront.thenApplyAsync(c -> c == null ? null : findDistribution.apply(c), r.threads);
            return r;
        }

        /** Starts the listing (as soon as the S3 client is ready), in the ranges {@code cuts} make (none: one pass). */
        void listFrom(List<String> cuts) {
            this.cuts.complete(cuts);
        }

        /** Notes in {@code phases} when each background step finished (shown by --verbose). */
        void timeInto(Phases phases) {
            bucket.thenRun(() -> phases.reached("S3 client"));
            listing.thenRun(() -> phases.reached("listed"));
            cloudFront.thenRun(() -> phases.reached("CloudFront client"));
            cdn.thenRun(() -> phases.reached("distribution"));
        }

        private <T> CompletableFuture<T> async(Step<T> step) {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return step.run();
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            }, threads);
        }

        Bucket bucket() throws Exception {
            return join(bucket);
        }

        List<Site.RemoteObject> listing() throws Exception {
            return join(listing);
        }

        Invalidations.CloudFront cloudFront() throws Exception {
            return join(cloudFront);
        }

        Site.Cdn cdn() throws Exception {
            return join(cdn);
        }

        /** The step's own exception, not the future's wrapper: the error line names the AWS error code. */
        private static <T> T join(CompletableFuture<T> future) throws Exception {
            try {
                return future.join();
            } catch (java.util.concurrent.CompletionException e) {
                if (e.getCause() instanceof Exception cause) throw cause;
                throw e;
            }
        }

        @Override
        public void close() {
            bucket.whenComplete((b, e) -> {
                if (b != null) b.close();
            });
            cloudFront.whenComplete((c, e) -> {
                if (c != null) c.close();
            });
            threads.shutdown();
        }
    }

    static final class Bucket implements AutoCloseable {
        record Settings(AwsCredentialsProvider credentials, String region, String profile, URI endpoint, boolean ownEndpoint, boolean pathStyle,
                        RequestChecksumCalculation checksums, boolean retriesConfigured) {
        }

        private static final int DELETE_BATCH = 1000;
        private final S3Client s3;
        private final String name;
        private final ExecutorService pool;
        /** The parts of multipart uploads, sent in parallel; every upload request holds one of the --concurrency slots. */
        private final ExecutorService parts = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "s3-part");
            t.setDaemon(true);
            return t;
        });
        private final java.util.concurrent.Semaphore slots;

        private Bucket(S3Client s3, String name, int concurrency) {
            this.s3 = s3;
            this.name = name;
            this.slots = new java.util.concurrent.Semaphore(concurrency);
            this.pool = Executors.newFixedThreadPool(concurrency, r -> {
                Thread t = new Thread(r, "s3");
                t.setDaemon(true);
                return t;
            });
        }

        /** One upload request in one of the --concurrency slots: a file's thread waiting for its parts holds none. */
        private <T> T inSlot(java.util.function.Supplier<T> request) throws InterruptedException {
            slots.acquire();
            try {
                return request.get();
            } finally {
                slots.release();
            }
        }

        static Bucket connect(String name, Settings settings, int concurrency) {
            Region region = settings.region() != null ? Region.of(settings.region()) : defaultRegion(settings.profile());
            S3ClientBuilder builder = S3Client.builder()
                    .region(region)
                    .credentialsProvider(settings.credentials())
                    .crossRegionAccessEnabled(!settings.ownEndpoint())
                    .forcePathStyle(settings.pathStyle())
                    .requestChecksumCalculation(settings.checksums())
                    .httpClient(Apache5HttpClient.builder().maxConnections(Math.max(concurrency, 4))
                            .connectionTimeout(Duration.ofSeconds(10)).socketTimeout(Duration.ofSeconds(60)).build());
            // 6 attempts, unless AWS_MAX_ATTEMPTS or AWS_RETRY_MODE say otherwise (then the SDK reads them).
            if (!settings.retriesConfigured()) builder.overrideConfiguration(o -> o.retryStrategy(r -> r.maxAttempts(6)));
            if (settings.endpoint() != null) builder.endpointOverride(settings.endpoint());
            return new Bucket(builder.build(), name, concurrency);
        }

        /** $AWS_REGION, then the region of --profile (or $AWS_PROFILE, then 'default'), else us-east-1. */
        private static Region defaultRegion(String profile) {
            try {
                return (profile == null ? DefaultAwsRegionProviderChain.builder().build()
                        : DefaultAwsRegionProviderChain.builder().profileName(profile).build()).getRegion();
            } catch (SdkClientException e) {
                return Region.US_EAST_1;
            }
        }

        /**
         * Every object under the prefix with its size and ETag, in S3's order: the ranges (start, cut 1], (cut 1, cut 2],
         * ..., (last cut, end) listed in parallel, each in ListObjectsV2 pages of 1,000 keys; no cuts: one pass.
         */
        List<Site.RemoteObject> list(String prefix, List<String> cuts) {
            if (cuts.isEmpty()) return listRange(prefix, null, null);
            List<Future<List<Site.RemoteObject>>> ranges = new ArrayList<>();
            for (int i = 0; i <= cuts.size(); i++) {
                String after = i == 0 ? null : cuts.get(i - 1);
                String upTo = i == cuts.size() ? null : cuts.get(i);
                ranges.add(pool.submit(() -> listRange(prefix, after, upTo)));
            }
            List<Site.RemoteObject> objects = new ArrayList<>();
            try {
                for (Future<List<Site.RemoteObject>> range : ranges) objects.addAll(range.get());
            } catch (ExecutionException e) {
                ranges.forEach(r -> r.cancel(true));
                if (e.getCause() instanceof RuntimeException cause) throw cause;
                throw new java.util.concurrent.CompletionException(e.getCause());
            } catch (InterruptedException e) {
                ranges.forEach(r -> r.cancel(true));
                Thread.currentThread().interrupt();
                throw new java.util.concurrent.CancellationException("interrupted while listing");
            }
            return objects;
        }

        /** The objects after {@code after} up to and including {@code upTo} (null: from the start, to the end). */
        private List<Site.RemoteObject> listRange(String prefix, String after, String upTo) {
            List<Site.RemoteObject> objects = new ArrayList<>();
            String token = null;
            do {
                String continuation = token;
                ListObjectsV2Response page = s3.listObjectsV2(r -> {
                    r.bucket(name).prefix(prefix);
                    if (continuation != null) r.continuationToken(continuation);
                    else if (after != null) r.startAfter(after);
                });
                for (var o : page.contents()) {
                    if (upTo != null && Site.S3_ORDER.compare(o.key(), upTo) > 0) return objects;
                    objects.add(new Site.RemoteObject(o.key(), o.size(), o.eTag()));
                }
                if (upTo != null && !objects.isEmpty() && objects.get(objects.size() - 1).key().equals(upTo)) return objects;
                token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
            } while (token != null);
            return objects;
        }

        /** The MD5 stored in the metadata of the given objects (HEAD, in parallel). */
        Map<String, String> storedChecksums(List<String> keys) throws InterruptedException {
            Map<String, String> md5 = new ConcurrentHashMap<>();
            headsOf(keys).forEach((k, h) -> {
                if (h.storedMd5() != null) md5.put(k, h.storedMd5());
            });
            return md5;
        }

        /** The headers of the files' objects (HEAD, in parallel). */
        Map<String, Site.Head> heads(List<Site.LocalFile> files) throws InterruptedException {
            return headsOf(files.stream().map(Site.LocalFile::key).toList());
        }

        private Map<String, Site.Head> headsOf(List<String> keys) throws InterruptedException {
            Map<String, Site.Head> heads = new ConcurrentHashMap<>();
            List<Future<?>> futures = new ArrayList<>();
            for (String key : keys) {
                futures.add(pool.submit(() -> {
                    var h = s3.headObject(r -> r.bucket(name).key(key));
                    heads.put(key, new Site.Head(h.contentType(), h.cacheControl(), h.contentEncoding(),
                            h.metadata().getOrDefault(Site.MD5_METADATA, h.metadata().get(Site.HUGO_MD5_METADATA))));
                    return null;
                }));
            }
            await(futures);
            return heads;
        }

        /** The pending records of earlier runs (GET, in parallel); one that cannot be parsed is named and left alone. */
        List<Site.Pending> records(List<String> keys, Invalidations.Log log) throws InterruptedException {
            Map<String, Site.Pending> records = new ConcurrentHashMap<>();
            List<Future<?>> futures = new ArrayList<>();
            for (String key : keys) {
                futures.add(pool.submit(() -> {
                    String text;
                    try {
                        text = s3.getObjectAsBytes(r -> r.bucket(name).key(key)).asUtf8String();
                    } catch (NoSuchKeyException gone) {
                        return null; // settled by a run that finished meanwhile
                    } catch (S3Exception e) {
                        throw new Invalidations.Failure("cannot read the pending record s3://" + name + "/" + key + ": " + describe(e)
                                + "; deploy-site needs s3:GetObject on it; nothing was changed");
                    }
                    try {
                        records.put(key, Site.Pending.parse(key, text));
                    } catch (RuntimeException e) {
                        log.warn("s3://" + name + "/" + key + " is not a record deploy-site can read (" + e.getMessage() + "); left as it is");
                    }
                    return null;
                }));
            }
            await(futures);
            return new TreeMap<>(records).values().stream().toList();
        }

        /** The known equivalents of compressed objects (GET of PREFIX/.deploy-site/gzip-equivalents.txt when it is listed). */
        Map<String, Site.Equivalent> equivalents(String key, List<Site.RemoteObject> listing) {
            if (listing.stream().noneMatch(r -> r.key().equals(key))) return Map.of();
            try {
                return Site.parseEquivalents(s3.getObjectAsBytes(r -> r.bucket(name).key(key)).asUtf8String());
            } catch (NoSuchKeyException gone) {
                return Map.of();
            }
        }

        /** Downloads each object (in parallel) and takes the MD5 of its bytes after gunzip: what another tool compressed. */
        Map<String, Site.Equivalent> contentChecks(List<String> keys, Invalidations.Log log) throws InterruptedException {
            Map<String, Site.Equivalent> found = new ConcurrentHashMap<>();
            List<Future<?>> futures = new ArrayList<>();
            for (String key : keys) {
                futures.add(pool.submit(() -> {
                    try (var response = s3.getObject(r -> r.bucket(name).key(key))) {
                        boolean gzipped = "gzip".equalsIgnoreCase(response.response().contentEncoding());
                        MessageDigest md5 = Local.md5Digest();
                        try (InputStream in = new java.security.DigestInputStream(gzipped ? new java.util.zip.GZIPInputStream(response) : response, md5)) {
                            in.transferTo(OutputStream.nullOutputStream());
                        }
                        found.put(key, new Site.Equivalent(Site.etagOf(response.response().eTag()), HexFormat.of().formatHex(md5.digest())));
                    } catch (IOException e) {
                        log.debug("cannot read " + key + " to compare its content: " + e); // compared as changed
                    }
                    return null;
                }));
            }
            await(futures);
            return new TreeMap<>(found);
        }

        /** Rewrites the equivalents when they changed (not in a dry run: nothing is written there). */
        void putEquivalents(String key, Map<String, Site.Equivalent> before, Map<String, Site.Equivalent> now) {
            if (before.equals(now)) return;
            putText(key, Site.equivalentsText(now));
        }

        /** Writes the record of this run, if it has one; without it no upload starts. */
        void putRecord(Optional<Site.Pending> record) {
            record.ifPresent(p -> {
                try {
                    put(p);
                } catch (S3Exception e) {
                    throw new Invalidations.Failure("cannot write the pending-invalidation record s3://" + name + "/" + p.key() + ": " + describe(e)
                            + "; deploy-site needs s3:PutObject on " + p.key().substring(0, p.key().indexOf(Site.PENDING)) + Site.RESERVED
                            + "* to deploy safely; nothing was uploaded");
                }
            });
        }

        private void put(Site.Pending p) {
            putText(p.key(), p.text());
        }

        /** One of deploy-site's own objects under .deploy-site/: plain text, never cached. */
        private void putText(String key, String text) {
            s3.putObject(r -> r.bucket(name).key(key).contentType("text/plain; charset=utf-8").cacheControl("no-store"),
                    RequestBody.fromString(text, StandardCharsets.UTF_8));
        }

        /** The end of a run: this run's record rewritten (or removed), the records it replaces removed. */
        void settleRecords(Site.Finish finish) {
            if (finish.record() != null) put(finish.record());
            delete(finish.removeRecords());
        }

        /** Uploads in parallel; a failure (after the SDK's retries) is recorded, the others go on. */
        Site.Written upload(List<Site.Upload> uploads, String acl, Progress progress, Invalidations.Log log) throws InterruptedException {
            List<Site.Upload> done = Collections.synchronizedList(new ArrayList<>());
            Map<String, String> failed = new ConcurrentHashMap<>();
            AtomicLong bytes = new AtomicLong();
            List<Future<?>> futures = new ArrayList<>();
            for (Site.Upload u : uploads) {
                futures.add(pool.submit(() -> {
                    try {
                        put(u.file(), acl);
                        done.add(u);
                        bytes.addAndGet(u.file().size());
                        progress.done(u.file().size());
                    } catch (SdkException | IOException | UncheckedIOException e) {
                        failed.put(u.file().key(), describe(e));
                        log.debug("upload of " + u.file().key() + " failed: " + e);
                        progress.done(0);
                    }
                    return null;
                }));
            }
            await(futures);
            List<Site.Upload> sorted = new ArrayList<>(done);
            sorted.sort(Comparator.comparing(x -> x.file().key()));
            return new Site.Written(sorted, bytes.get(), new TreeMap<>(failed), List.of());
        }

        static String describe(Exception e) {
            if (e instanceof AwsServiceException aws && aws.awsErrorDetails() != null) {
                String code = aws.awsErrorDetails().errorCode();
                if ("AccessControlListNotSupported".equals(code)) {
                    return code + ": the bucket has ACLs disabled (Object Ownership: bucket owner enforced); drop --acl";
                }
                return code + " (HTTP " + aws.statusCode() + ")";
            }
            return String.valueOf(e.getMessage()).lines().findFirst().orElse(e.getClass().getSimpleName());
        }

        /**
         * Streams one file from disk, in parts above the threshold. Each request carries the Content-MD5 taken when hashing,
         * and the stream itself checks the bytes against it: a file that changed after hashing fails its upload (on any
         * store, whether it checks Content-MD5 or not) instead of being stored under the old checksum. The MD5 also goes
         * into the metadata, for stores whose ETag is not an MD5.
         */
        private void put(Site.LocalFile f, String acl) throws IOException, InterruptedException {
            Path body = f.headers().compress() ? Local.gzipped(f.path()) : f.path();
            try {
                if (Files.size(body) != f.size()) {
                    throw new IOException(f.path() + " changed since it was hashed");
                }
                if (f.size() > Site.MULTIPART_THRESHOLD) {
                    putInParts(f, body, acl);
                    return;
                }
                String md5 = Base64.getEncoder().encodeToString(HexFormat.of().parseHex(f.md5()));
                inSlot(() -> s3.putObject(r -> {
                    r.bucket(name).key(f.key()).contentType(f.headers().contentType()).contentMD5(md5)
                            .metadata(Map.of(Site.MD5_METADATA, f.md5()));
                    if (f.headers().cacheControl() != null) r.cacheControl(f.headers().cacheControl());
                    if (f.headers().contentEncoding() != null) r.contentEncoding(f.headers().contentEncoding());
                    if (acl != null) r.acl(acl);
                }, RequestBody.fromContentProvider(() -> slice(body, 0, f.size(), f.md5()), f.size(), f.headers().contentType())));
            } finally {
                if (body != f.path()) Files.deleteIfExists(body);
            }
        }

        /**
         * The parts of one file in parallel, each in a --concurrency slot (one 8 MiB stream is bound by one connection's
         * pace and by latency; S3 takes parts in any order). The first part that fails for good cancels the others and
         * aborts the upload.
         */
        private void putInParts(Site.LocalFile f, Path body, String acl) throws IOException, InterruptedException {
            var created = inSlot(() -> s3.createMultipartUpload(r -> {
                r.bucket(name).key(f.key()).contentType(f.headers().contentType()).metadata(Map.of(Site.MD5_METADATA, f.md5()));
                if (f.headers().cacheControl() != null) r.cacheControl(f.headers().cacheControl());
                if (f.headers().contentEncoding() != null) r.contentEncoding(f.headers().contentEncoding());
                if (acl != null) r.acl(acl);
            }));
            String uploadId = created.uploadId();
            List<Future<CompletedPart>> sent = new ArrayList<>();
            try {
                long size = Files.size(body);
                int number = 1;
                for (long offset = 0; offset < size; offset += Site.PART_SIZE, number++) {
                    long length = Math.min(Site.PART_SIZE, size - offset);
                    long from = offset;
                    int partNumber = number;
                    String partMd5 = f.partMd5s().get(partNumber - 1);
                    sent.add(parts.submit(() -> {
                        String etag = inSlot(() -> s3.uploadPart(r -> r.bucket(name).key(f.key()).uploadId(uploadId).partNumber(partNumber)
                                        .contentLength(length).contentMD5(Base64.getEncoder().encodeToString(HexFormat.of().parseHex(partMd5))),
                                RequestBody.fromContentProvider(() -> slice(body, from, length, partMd5), length, f.headers().contentType())).eTag());
                        return CompletedPart.builder().partNumber(partNumber).eTag(etag).build();
                    }));
                }
                List<CompletedPart> done = new ArrayList<>();
                for (Future<CompletedPart> part : sent) {
                    try {
                        done.add(part.get());
                    } catch (ExecutionException e) {
                        if (e.getCause() instanceof RuntimeException r) throw r;
                        throw new IOException(e.getCause());
                    }
                }
                inSlot(() -> s3.completeMultipartUpload(r -> r.bucket(name).key(f.key()).uploadId(uploadId).multipartUpload(m -> m.parts(done))));
            } catch (RuntimeException | IOException | InterruptedException e) {
                sent.forEach(part -> part.cancel(true));
                try {
                    s3.abortMultipartUpload(r -> r.bucket(name).key(f.key()).uploadId(uploadId));
                } catch (SdkException ignored) {
                    // the upload expires by the bucket's lifecycle rules; the original error matters more
                }
                throw e;
            }
        }

        /** length bytes of the file from offset, checked against the MD5 taken when hashing once the last byte is read. */
        private static InputStream slice(Path file, long offset, long length, String expectedMd5) {
            try {
                FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
                channel.position(offset);
                InputStream in = Channels.newInputStream(channel);
                MessageDigest md5 = Local.md5Digest();
                return new InputStream() {
                    long left = length;

                    @Override
                    public int read() throws IOException {
                        byte[] one = new byte[1];
                        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                    }

                    @Override
                    public int read(byte[] buf, int off, int len) throws IOException {
                        if (left <= 0) return -1;
                        int n = in.read(buf, off, (int) Math.min(len, left));
                        if (n < 0) throw new IOException(file + " changed since it was hashed (shorter)");
                        md5.update(buf, off, n);
                        left -= n;
                        if (left == 0 && !HexFormat.of().formatHex(md5.digest()).equals(expectedMd5)) {
                            throw new IOException(file + " changed since it was hashed");
                        }
                        return n;
                    }

                    @Override
                    public void close() throws IOException {
                        in.close();
                    }
                };
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Rewrites headers with a server-side copy onto itself: no bytes re-uploaded. A failure is recorded, the others go on. */
        Site.Written copyInPlace(List<Site.LocalFile> files, String acl, Invalidations.Log log) throws InterruptedException {
            List<Site.LocalFile> fixed = Collections.synchronizedList(new ArrayList<>());
            Map<String, String> failed = new ConcurrentHashMap<>();
            List<Future<?>> futures = new ArrayList<>();
            for (Site.LocalFile f : files) {
                futures.add(pool.submit(() -> {
                    try {
                        s3.copyObject(r -> {
                            r.sourceBucket(name).sourceKey(f.key()).destinationBucket(name).destinationKey(f.key())
                                    .metadataDirective(MetadataDirective.REPLACE).contentType(f.headers().contentType())
                                    .metadata(Map.of(Site.MD5_METADATA, f.md5()));
                            if (f.headers().cacheControl() != null) r.cacheControl(f.headers().cacheControl());
                            if (f.headers().contentEncoding() != null) r.contentEncoding(f.headers().contentEncoding());
                            if (acl != null) r.acl(acl);
                        });
                        fixed.add(f);
                    } catch (SdkException e) {
                        failed.put(f.key(), describe(e));
                        log.debug("header update of " + f.key() + " failed: " + e);
                    }
                    return null;
                }));
            }
            await(futures);
            List<Site.LocalFile> sorted = new ArrayList<>(fixed);
            sorted.sort(Comparator.comparing(Site.LocalFile::key));
            return new Site.Written(List.of(), 0, new TreeMap<>(failed), List.copyOf(sorted));
        }

        /** DeleteObjects, 1,000 keys a request; any key S3 could not delete fails the run. */
        void delete(List<String> keys) {
            for (int i = 0; i < keys.size(); i += DELETE_BATCH) {
                List<ObjectIdentifier> batch = keys.subList(i, Math.min(keys.size(), i + DELETE_BATCH)).stream()
                        .map(k -> ObjectIdentifier.builder().key(k).build()).toList();
                var response = s3.deleteObjects(r -> r.bucket(name).delete(d -> d.objects(batch).quiet(true)));
                if (response.hasErrors() && !response.errors().isEmpty()) {
                    throw new Invalidations.Failure("could not delete " + response.errors().stream()
                            .map(e -> e.key() + " (" + e.code() + ")").collect(Collectors.joining(", ")));
                }
            }
        }

        private static void await(List<Future<?>> futures) throws InterruptedException {
            RuntimeException first = null;
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    if (first == null) first = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            }
            if (first != null) throw first;
        }

        @Override
        public void close() {
            pool.shutdownNow();
            parts.shutdownNow();
            s3.close();
        }
    }

    // ================================================================ output

    /**
     * Where a run's time went, for --verbose: from the JVM's start to call() (option parsing included), then each step;
     * then when each step on the background threads finished, counted from call().
     */
    static final class Phases {
        private final List<String> steps = new ArrayList<>();
        private final List<String> background = Collections.synchronizedList(new ArrayList<>());
        private final long created = System.nanoTime();
        private long mark = created;

        void reached(String step) {
            background.add(step + " at " + seconds(System.nanoTime() - created));
        }

        void done(String step) {
            long now = System.nanoTime();
            steps.add(step + " " + seconds(now - mark));
            mark = now;
        }

        private static String seconds(long nanos) {
            return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
        }

        /** The JVM's uptime is read only here (under --verbose): java.management costs a few classes to load. */
        @Override
        public String toString() {
            long uptime = java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
            long start = uptime * 1_000_000L - (System.nanoTime() - created);
            String behind;
            synchronized (background) {
                behind = background.isEmpty() ? "" : "; in the background: " + String.join(", ", background);
            }
            return "start " + seconds(start) + ", " + String.join(", ", steps) + behind;
        }
    }

    /** Progress on stderr: a bar on a terminal, a line every few seconds in CI, nothing for a run without uploads. */
    static final class Progress {
        private static final Duration CI_INTERVAL = Duration.ofSeconds(5);
        private static final Duration TERMINAL_INTERVAL = Duration.ofMillis(200);
        private final PrintStream err;
        private final int totalFiles;
        private final long totalBytes;
        private final boolean terminal;
        private final Instant started = Instant.now();
        private final AtomicLong files = new AtomicLong();
        private final AtomicLong bytes = new AtomicLong();
        private final java.util.concurrent.ScheduledExecutorService ticker;

        Progress(PrintStream err, int totalFiles, long totalBytes, boolean terminal, Duration every) {
            this.err = err;
            this.totalFiles = totalFiles;
            this.totalBytes = totalBytes;
            this.terminal = terminal;
            this.ticker = totalFiles == 0 ? null : Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "progress");
                t.setDaemon(true);
                return t;
            });
            if (ticker != null) {
                ticker.scheduleAtFixedRate(this::show, every.toMillis(), every.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        }

        static Progress start(PrintStream err, List<Site.Upload> uploads, Map<String, String> env) {
            boolean terminal = System.console() != null && env.get("CI") == null && err == System.err;
            return new Progress(err, uploads.size(), uploads.stream().mapToLong(u -> u.file().size()).sum(), terminal,
                    terminal ? TERMINAL_INTERVAL : CI_INTERVAL);
        }

        void done(long size) {
            files.incrementAndGet();
            bytes.addAndGet(size);
        }

        private void show() {
            double seconds = Math.max(0.001, Duration.between(started, Instant.now()).toMillis() / 1000.0);
            double rate = bytes.get() / seconds;
            // The slower of the two paces: many tiny files (pages last) are bound by requests, not bytes.
            double fileRate = files.get() / seconds;
            double etaSeconds = Math.max(rate > 0 ? (totalBytes - bytes.get()) / rate : 0, fileRate > 0 ? (totalFiles - files.get()) / fileRate : 0);
            String eta = files.get() > 0 ? Invalidations.human(Duration.ofSeconds((long) etaSeconds)) : "?";
            String line = String.format(Locale.ROOT, "%d/%d files, %s/%s, %s/s, ETA %s", files.get(), totalFiles,
                    Report.size(bytes.get()), Report.size(totalBytes), Report.size((long) rate), eta);
            if (terminal) {
                int width = 24;
                int filled = totalFiles == 0 ? width : (int) (width * files.get() / totalFiles);
                err.print("\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + line + "   ");
            } else {
                err.println(NAME + ": uploading " + line);
            }
        }

        void stop() {
            if (ticker == null) return;
            ticker.shutdownNow();
            if (terminal) err.print("\r" + " ".repeat(100) + "\r");
        }
    }

    /** What the run did (or, dry, would do): one line per action and a summary, or a JSON report. */
    static final class Report {
        private final Site.Deployment deployment;
        private final Site.Plan plan;
        private final boolean dryRun;
        private Site.InvalidationPlan invalidation;
        private List<Site.Upload> uploaded = List.of();
        /** The keys of uploaded, for one lookup per printed line: a list search made 50,000 lines quadratic. */
        private Set<String> uploadedKeySet = Set.of();
        private long bytes;
        private Map<String, String> failed = Map.of();
        private List<String> deleted;
        private List<Site.Orphan> kept;
        private List<String> owedLeft = List.of();
        private List<Invalidations.Result> results = List.of();

        Report(Site.Deployment deployment, boolean dryRun) {
            this.deployment = deployment;
            this.plan = deployment.plan();
            this.dryRun = dryRun;
            this.invalidation = deployment.invalidation();
            this.uploaded = plan.uploads();
            this.bytes = plan.uploads().stream().mapToLong(u -> u.file().size()).sum();
            List<String> deletions = new ArrayList<>(deployment.deleteNow());
            deletions.addAll(deployment.deleteAfterWait());
            this.deleted = deletions;
            List<Site.Orphan> orphans = new ArrayList<>(deployment.carried());
            Instant after = deployment.now().plus(deployment.policy().deleteGrace());
            deployment.orphaned().forEach(k -> orphans.add(new Site.Orphan(k, after, List.of())));
            orphans.sort(Comparator.comparing(Site.Orphan::key));
            this.kept = orphans;
        }

        /** What the run did, once it is over. */
        void done(Site.Written written, Site.Settlement settlement, List<Invalidations.Result> sent, Site.Finish finish) {
            uploaded = written.uploaded();
            uploadedKeySet = uploaded.stream().map(u -> u.file().key()).collect(Collectors.toSet());
            bytes = written.bytes();
            failed = written.failed();
            invalidation = settlement.invalidation();
            results = sent;
            List<String> all = new ArrayList<>(settlement.deleteNow());
            all.addAll(finish.delete());
            deleted = all;
            kept = finish.record() == null ? List.of() : finish.record().orphans();
            owedLeft = finish.record() == null ? List.of() : finish.record().owed();
        }

        void print(PrintStream out, Format format) {
            if (format == Format.json) {
                out.println(json().render(""));
                return;
            }
            String would = dryRun ? "would " : "";
            for (Site.Upload u : plan.assets()) line(out, u);
            for (Site.Upload u : plan.entryPoints()) line(out, u);
            failed.forEach((k, why) -> out.println("failed   " + k + ": " + why));
            plan.headerFixes().forEach(f -> out.println(would + "copy     headers " + f.key()));
            for (Site.Pending p : deployment.merged()) {
                if (!p.owed().isEmpty()) out.println("owed     " + p.owed().size() + " key(s) by an earlier run that did not invalidate them (" + p.key() + ")");
            }
            if (invalidation != null && !invalidation.paths().isEmpty()) {
                if (dryRun) invalidation.paths().forEach(p -> out.println("would invalidate " + p));
                else results.forEach(r -> out.println("invalidate " + r.id() + " " + r.status() + " " + r.paths().size() + " path(s)"));
            }
            deleted.forEach(k -> out.println(would + "delete   " + k));
            kept.forEach(o -> out.println(would + "keep     " + o.key() + " (orphaned; a run after " + o.deleteAfter()
                    + (o.waitFor().isEmpty() && dryRun ? " and this run's invalidation completed" : "") + " deletes it)"));
            if (!owedLeft.isEmpty()) {
                out.println("owed     " + owedLeft.size() + " key(s) not invalidated (--no-invalidate); the next run that invalidates covers them");
            }
            out.println(summary());
        }

        private void line(PrintStream out, Site.Upload u) {
            boolean done = dryRun || uploadedKeySet.contains(u.file().key());
            if (!done) return;
            out.println((dryRun ? "would " : "") + "upload   " + u.reason().name().toLowerCase(Locale.ROOT) + " " + u.file().key());
        }

        String summary() {
            Site.Target where = deployment.where();
            Site.Cdn cdn = deployment.cdn();
            StringBuilder s = new StringBuilder(dryRun ? "dry run, s3://" : "deployed s3://").append(where.bucket()).append('/').append(where.prefix())
                    .append(": ").append(uploaded.size()).append(dryRun ? " to upload (" : " uploaded (").append(size(bytes)).append("), ")
                    .append(plan.unchanged().size()).append(" unchanged, ");
            if (!plan.headerFixes().isEmpty()) s.append(plan.headerFixes().size()).append(" header update(s), ");
            s.append(deleted.size()).append(dryRun ? " to delete" : " deleted");
            if (!kept.isEmpty()) s.append(", ").append(kept.size()).append(" orphaned asset(s) kept for --delete-grace");
            if (!failed.isEmpty()) s.append(", ").append(failed.size()).append(" failed");
            if (cdn == null) {
                s.append("; no invalidation");
                if (!owedLeft.isEmpty()) s.append(" (").append(owedLeft.size()).append(" key(s) owed)");
            } else if (invalidation == null || invalidation.paths().isEmpty()) {
                s.append("; nothing to invalidate on ").append(cdn.distributionId());
            } else {
                s.append("; ").append(dryRun ? "would invalidate " : "invalidated ").append(invalidation.paths().size()).append(" path(s) on ")
                        .append(cdn.distributionId()).append(" for ").append(invalidation.changedUrls().size()).append(" changed URL(s), ")
                        .append(invalidation.alsoInvalidated()).append(" unchanged URL(s) also invalidated (/* would have invalidated ")
                        .append(invalidation.underEverything()).append("); cost ").append(invalidation.cost());
                if (!results.isEmpty()) s.append("; ").append(results.stream().map(r -> r.id() + " " + r.status()).collect(Collectors.joining(", ")));
            }
            return s.toString();
        }

        Invalidations.Json json() {
            Site.Cdn cdn = deployment.cdn();
            Map<String, Object> top = new LinkedHashMap<>();
            top.put("DryRun", dryRun);
            top.put("Bucket", deployment.where().bucket());
            top.put("Prefix", deployment.where().prefix());
            top.put("Uploaded", uploaded.stream().map(u -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("Key", u.file().key());
                m.put("Reason", u.reason().name().toLowerCase(Locale.ROOT));
                m.put("Bytes", u.file().size());
                return m;
            }).toList());
            top.put("Failed", failed.entrySet().stream().map(e -> Map.of("Key", e.getKey(), "Error", e.getValue())).toList());
            top.put("HeadersUpdated", plan.headerFixes().stream().map(Site.LocalFile::key).toList());
            top.put("Deleted", deleted);
            top.put("Kept", kept.stream().map(o -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("Key", o.key());
                m.put("DeleteAfter", o.deleteAfter().toString());
                m.put("WaitsFor", o.waitFor());
                return m;
            }).toList());
            top.put("OwedByEarlierRuns", deployment.owed());
            top.put("Owed", owedLeft);
            top.put("Unchanged", plan.unchanged().size());
            if (cdn != null && invalidation != null) {
                Map<String, Object> inv = new LinkedHashMap<>();
                inv.put("DistributionId", cdn.distributionId());
                inv.put("ChangedUrls", invalidation.changedUrls());
                inv.put("Paths", invalidation.paths());
                inv.put("UnchangedUrlsAlsoInvalidated", invalidation.alsoInvalidated());
                inv.put("UnchangedUrlsSlashStarWouldInvalidate", invalidation.underEverything());
                inv.put("Cost", invalidation.cost());
                inv.put("Invalidations", results.stream().map(Invalidations::json).toList());
                top.put("Invalidation", inv);
            } else {
                top.put("Invalidation", null);
            }
            top.put("Summary", summary());
            return Invalidations.Json.of(top);
        }

        void writeGitHubOutputs(Map<String, String> env) throws IOException {
            Invalidations.Ci.writeGitHubOutputs(env, results);
            String output = env.get("GITHUB_OUTPUT");
            if (output != null && !output.isBlank()) {
                Files.writeString(Path.of(output), "uploaded=" + uploaded.size() + "\ndeleted=" + deleted.size() + "\n",
                        StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
            String summaryFile = env.get("GITHUB_STEP_SUMMARY");
            if (summaryFile != null && !summaryFile.isBlank()) {
                Files.writeString(Path.of(summaryFile), "### Site deploy\n\n" + summary() + "\n\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        }

        static String size(long bytes) {
            if (bytes < 1024) return bytes + " B";
            if (bytes < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
            if (bytes < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", bytes / 1024.0 / 1024);
            return String.format(Locale.ROOT, "%.2f GiB", bytes / 1024.0 / 1024 / 1024);
        }
    }

    // ================================================================ SHARED INVALIDATION CODE BEGIN
    // This block is identical in invalidate.java and deploy-site.java (a test fails when they differ):
    // each script stays one self-contained file, and the two never drift apart.

    /** Everything about CloudFront invalidations: pure planning first, then the AWS adapter, then output. */
    static final class Invalidations {
        private Invalidations() {
        }

        /** CloudFront's documented limits (Developer Guide, "Invalidation limits" and "Specifying the files to invalidate"). */
        static final int MAX_PATHS_IN_PROGRESS = 3000;
        static final int MAX_WILDCARDS_IN_PROGRESS = 15;
        static final int MAX_PATH_LENGTH = 4000;
        /** "What you need to know when invalidating tags": at most 256 characters, ASCII 33-126, no comma, no '*'. */
        static final int MAX_TAG_LENGTH = 256;
        static final int FREE_PATHS_PER_MONTH = 1000;
        static final double PRICE_PER_PATH_USD = 0.005;
        /** Space, the RFC 1738 unsafe characters and '%' when it does not start an escape: CloudFront wants these encoded. */
        private static final String UNSAFE = " \"<>#%{}|\\^~[]`";

        static final class UsageError extends RuntimeException {
            UsageError(String message) {
                super(message);
            }
        }

        static final class Failure extends RuntimeException {
            Failure(String message) {
                super(message);
            }
        }

        // ------------------------------------------------------------ paths

        record Normalized(List<String> paths, List<String> notes) {
        }

        /** Reads a path list: one a line, blank lines and '#' comments ignored, surrounding blanks trimmed. */
        static List<String> readPathList(String text) {
            return text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        }

        /** Undoes git's quoting of a path (core.quotePath): C escapes, and octal escapes for the bytes of UTF-8. */
        static String unquoteGit(String line) {
            if (line.length() < 2 || !line.startsWith("\"") || !line.endsWith("\"")) return line;
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            for (int i = 1; i < line.length() - 1; i++) {
                char c = line.charAt(i);
                if (c != '\\' || i + 1 >= line.length() - 1) {
                    bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
                    continue;
                }
                char e = line.charAt(++i);
                if (e >= '0' && e <= '7' && i + 2 < line.length() - 1) {
                    bytes.write(Integer.parseInt(line.substring(i, i + 3), 8));
                    i += 2;
                } else {
                    int at = "abtnvfr".indexOf(e);
                    bytes.write(at >= 0 ? "\u0007\b\t\n\u000b\f\r".charAt(at) : e);
                }
            }
            return bytes.toString(StandardCharsets.UTF_8);
        }

        /**
         * Normalises paths as CloudFront needs them: a leading '/'; non-ASCII and RFC 1738-unsafe characters
         * percent-encoded as UTF-8, nothing else, a valid %XX kept; '~' (no reliable encoding) turned into a prefix
         * wildcard ending just before it; duplicates and paths covered by a wildcard dropped; sorted.
         * '*' before the end, control characters and paths over 4,000 characters are usage errors.
         */
        static Normalized normalize(Collection<String> inputs) {
            List<String> notes = new ArrayList<>();
            TreeSet<String> paths = new TreeSet<>();
            for (String input : inputs) {
                paths.add(normalizePath(input, notes::add));
            }
            return new Normalized(dropCovered(paths), notes);
        }

        static String normalizePath(String input, Consumer<String> note) {
            if (input.isEmpty()) {
                throw new UsageError("invalid path '': empty (pass '/' for the home page, '/*' for everything)");
            }
            if (isTag(input)) {
                return checkTag(input);
            }
            String path = input;
            Matcher url = Pattern.compile("^https?://[^/]*(/.*)?$").matcher(path);
            if (url.matches()) {
                path = url.group(1) == null ? "/" : url.group(1);
            }
            if (!path.startsWith("/")) {
                path = "/" + path;
            }
            for (int i = 0; i < path.length(); i++) {
                char c = path.charAt(i);
                if (c < 0x20 || c == 0x7f) {
                    throw new UsageError("invalid path " + quote(input) + ": control character at position " + i);
                }
            }
            int tilde = path.indexOf('~');
            if (tilde >= 0) {
                String wildcard = path.substring(0, tilde) + "*";
                note.accept("path " + quote(input) + " contains '~', which CloudFront cannot match reliably: invalidating " + wildcard + " instead");
                path = wildcard;
            }
            int star = path.indexOf('*');
            if (star >= 0 && star != path.length() - 1) {
                throw new UsageError("invalid path " + quote(input) + ": '*' is allowed only as the last character");
            }
            String encoded = encode(path);
            if (encoded.length() > MAX_PATH_LENGTH) {
                throw new UsageError("invalid path " + quote(abbreviate(input)) + ": " + encoded.length()
                        + " characters once encoded, CloudFront allows " + MAX_PATH_LENGTH);
            }
            return encoded;
        }

        /** Percent-encodes non-ASCII and unsafe characters as UTF-8; keeps an existing valid %XX escape. */
        static String encode(String path) {
            StringBuilder out = new StringBuilder(path.length() + 16);
            byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < bytes.length; i++) {
                int b = bytes[i] & 0xff;
                boolean validEscape = b == '%' && i + 2 < bytes.length && isHex(bytes[i + 1]) && isHex(bytes[i + 2]);
                if (validEscape) {
                    out.append('%').append(Character.toUpperCase((char) bytes[i + 1])).append(Character.toUpperCase((char) bytes[i + 2]));
                    i += 2;
                } else if (b >= 0x80 || UNSAFE.indexOf(b) >= 0) {
                    out.append('%').append(String.format("%02X", b));
                } else {
                    out.append((char) b);
                }
            }
            return out.toString();
        }

        private static boolean isHex(byte b) {
            return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
        }

        static boolean isWildcard(String path) {
            return path.endsWith("*");
        }

        /** An item that starts with '#' names a cache tag, not a path ("Invalidating content by cache tags"). */
        static boolean isTag(String item) {
            return item.startsWith("#");
        }

        /** A tag goes as given: 1 to 256 visible ASCII characters after '#', no comma, no '*' (tags have no wildcards). */
        static String checkTag(String input) {
            String tag = input.substring(1);
            String problem = tag.isEmpty() ? "no tag after '#'"
                    : tag.length() > MAX_TAG_LENGTH ? tag.length() + " characters, CloudFront allows " + MAX_TAG_LENGTH
                    : tag.chars().anyMatch(c -> c < 33 || c > 126) ? "only visible ASCII characters (33-126) are allowed"
                    : tag.indexOf(',') >= 0 ? "a comma separates tags at the origin, it cannot be part of one"
                    : tag.indexOf('*') >= 0 ? "tags have no wildcards"
                    : null;
            if (problem != null) {
                throw new UsageError("invalid cache tag " + quote(abbreviate(input)) + ": " + problem);
            }
            return input;
        }

        /** Drops exact duplicates and every path that a wildcard of the same set already covers (a wildcard is a prefix match). */
        static List<String> dropCovered(Collection<String> paths) {
            TreeSet<String> sorted = new TreeSet<>(paths);
            List<String> prefixes = sorted.stream().filter(p -> !isTag(p) && isWildcard(p)).map(p -> p.substring(0, p.length() - 1)).toList();
            List<String> kept = new ArrayList<>();
            Set<String> tags = new java.util.HashSet<>();
            for (String path : sorted) {
                boolean covered = isTag(path) ? !tags.add(path.toLowerCase(Locale.ROOT)) // tags are case-insensitive
                        : prefixes.stream().anyMatch(prefix -> path.startsWith(prefix) && !path.equals(prefix + "*"));
                if (!covered) kept.add(path);
            }
            return kept;
        }

        /**
         * The keys of the files under ROOT (ROOT/a/b.css gives a/b.css), in the order given. Inputs outside ROOT are
         * ignored, with one note. A name in double quotes is unquoted as git quotes it: git diff --name-only writes
         * "public/caf\303\251.html" for public/café.html.
         */
        static List<String> keysOfFiles(String root, Collection<String> files, Consumer<String> note) {
            String base = stripDotSlash(root.replace('\\', '/'));
            base = base.equals(".") || base.isEmpty() ? "" : (base.endsWith("/") ? base : base + "/");
            List<String> keys = new ArrayList<>();
            int outside = 0;
            for (String file : files) {
                String f = stripDotSlash(unquoteGit(file).replace('\\', '/'));
                if (!f.startsWith(base) || f.length() == base.length()) {
                    outside++;
                    continue;
                }
                keys.add(java.text.Normalizer.normalize(f.substring(base.length()), java.text.Normalizer.Form.NFC));
            }
            if (outside > 0) {
                note.accept(outside + " input(s) not under " + root + " ignored");
            }
            return keys;
        }

        private static String stripDotSlash(String p) {
            String s = p;
            while (s.startsWith("./")) s = s.substring(2);
            return s;
        }

        /**
         * What a key's URL always has percent-encoded: '%' (in a key it is a plain character, never an escape), '?' and
         * '#' (a browser would end the path there), and the RFC 1738 unsafe characters. Not '+': S3 keys and URLs keep it.
         */
        private static final String KEY_ENCODED = " \"<>#%{}|\\^~[]`?";

        /**
         * The URL path a browser requests for an object key (relative to the origin), as CloudFront caches it: '/' and
         * the key's UTF-8 bytes, each byte outside visible ASCII and each character of KEY_ENCODED (and '*') as %XX.
         * Typed paths follow other rules ({@link #normalizePath}: a %XX there is already an escape).
         */
        static String urlOfKey(String key) {
            byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
            StringBuilder out = new StringBuilder(bytes.length + 16).append('/');
            for (byte raw : bytes) {
                int b = raw & 0xff;
                if (b <= 0x20 || b >= 0x7f || b == '*' || KEY_ENCODED.indexOf(b) >= 0) {
                    out.append('%').append(Character.toUpperCase(Character.forDigit(b >> 4, 16)))
                            .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
                } else {
                    out.append((char) b);
                }
            }
            return out.toString();
        }

        /**
         * The invalidation items of an object key: its URLs (x/index.html also answers as x/, index.html as /), encoded
         * by {@link #urlOfKey}. A '~' has no encoding CloudFront matches reliably and a '*' would read as a wildcard: such a
         * URL is invalidated by a prefix wildcard ending just before that character, with a note.
         */
        static List<String> urlsOfKey(String key, Consumer<String> note) {
            List<String> items = new ArrayList<>();
            for (String url : servedAs(key)) {
                int cut = firstOf(url, "~*");
                String item = cut < 0 ? urlOfKey(url) : urlOfKey(url.substring(0, cut)) + "*";
                if (item.length() > MAX_PATH_LENGTH) {
                    throw new UsageError("key " + quote(abbreviate(key)) + ": its URL has " + item.length()
                            + " characters once encoded, CloudFront allows " + MAX_PATH_LENGTH);
                }
                if (cut >= 0 && items.stream().noneMatch(item::equals)) {
                    note.accept("key " + quote(key) + " contains '" + url.charAt(cut) + "', which CloudFront cannot match reliably: invalidating "
                            + item + " instead");
                }
                items.add(item);
            }
            return items.stream().distinct().toList();
        }

        /** The exact URLs of a key, each as {@link #urlOfKey} encodes it ('~' and '*' too): what CloudFront may have cached. */
        static List<String> exactUrlsOfKey(String key) {
            return servedAs(key).stream().map(Invalidations::urlOfKey).toList();
        }

        /** The names a key is served at, before encoding: x/index.html also as x/, index.html also as the root. */
        private static List<String> servedAs(String key) {
            // A key "/a.html" is served at "//a.html": its slash is kept.
            return key.equals("index.html") ? List.of("", key)
                    : key.endsWith("/index.html") ? List.of(key.substring(0, key.length() - "index.html".length()), key)
                    : List.of(key);
        }

        private static int firstOf(String s, String chars) {
            for (int i = 0; i < s.length(); i++) {
                if (chars.indexOf(s.charAt(i)) >= 0) return i;
            }
            return -1;
        }

        /** The invalidation items of a set of keys: their URLs, duplicates and URLs under a wildcard of the set dropped, sorted. */
        static Normalized urlsOfKeys(Collection<String> keys) {
            List<String> notes = new ArrayList<>();
            List<String> items = new ArrayList<>();
            for (String key : keys) {
                items.addAll(urlsOfKey(key, notes::add));
            }
            return new Normalized(dropCovered(items), notes);
        }

        /**
         * Brings a normalised path set down to at most maxPaths entries by replacing the paths under a directory with
         * that directory's wildcard (/dir/*), deepest directories first (they invalidate the least), the one that removes
         * the most paths among equally deep ones. A step that would leave more than 15 wildcards (CloudFront's in-progress
         * limit) is not taken; when no step is left, everything collapses to /*.
         */
        static List<String> collapse(List<String> items, int maxPaths) {
            if (maxPaths < 1) throw new UsageError("--max-paths must be at least 1");
            // A cache tag cannot be folded into a wildcard: the tags keep their places and the paths share what is left.
            List<String> tags = items.stream().filter(Invalidations::isTag).toList();
            boolean hasPaths = tags.size() < items.size();
            if (tags.size() > maxPaths || (hasPaths && tags.size() == maxPaths)) {
                throw new UsageError(tags.size() + " cache tag(s)" + (hasPaths ? " and the paths" : "") + " do not fit in --max-paths "
                        + maxPaths + ": tags cannot be collapsed into wildcards");
            }
            List<String> paths = collapsePaths(items.stream().filter(p -> !isTag(p)).toList(), maxPaths - tags.size());
            return dropCovered(java.util.stream.Stream.concat(tags.stream(), paths.stream()).toList());
        }

        private static List<String> collapsePaths(List<String> paths, int maxPaths) {
            TreeSet<String> set = new TreeSet<>(dropCovered(paths));
            while (set.size() > maxPaths || wildcards(set) > MAX_WILDCARDS_IN_PROGRESS) {
                String best = null;
                int bestGain = 0;
                for (String dir : candidateDirectories(set)) {
                    List<String> under = under(set, dir);
                    int gain = under.size() - 1;
                    int wildcardsAfter = wildcards(set) - wildcards(under) + 1;
                    if (gain <= 0 || wildcardsAfter > MAX_WILDCARDS_IN_PROGRESS) continue;
                    if (best == null || depth(dir) > depth(best) || (depth(dir) == depth(best) && gain > bestGain)) {
                        best = dir;
                        bestGain = gain;
                    }
                }
                if (best == null) return List.of("/*");
                set.removeAll(under(set, best));
                set.add(best + "*");
            }
            return new ArrayList<>(set);
        }

        private static int wildcards(Collection<String> paths) {
            return (int) paths.stream().filter(Invalidations::isWildcard).count();
        }

        private static int depth(String dir) {
            return (int) dir.chars().filter(c -> c == '/').count();
        }

        /** Every directory (ending in '/') that is a proper ancestor of some path in the set. */
        private static Set<String> candidateDirectories(Collection<String> paths) {
            Set<String> dirs = new TreeSet<>();
            for (String path : paths) {
                String p = isWildcard(path) ? path.substring(0, path.length() - 1) : path;
                for (int i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) {
                    String dir = p.substring(0, i + 1);
                    if (!(dir + "*").equals(path)) dirs.add(dir);
                }
            }
            return dirs;
        }

        private static List<String> under(Collection<String> paths, String dir) {
            return paths.stream().filter(p -> p.startsWith(dir)).toList();
        }

        // ------------------------------------------------------------ the cheapest plan within a budget

        /** Items to send, and how many unchanged URLs they invalidate too. */
        record Plan(List<String> items, int collateral, int wildcards) {
        }

        /**
         * The exact cheapest plan: it covers every changed item (a URL, or the wildcard that a key with '~' or '*' needs)
         * with at most maxItems items, at most maxWildcards of them wildcards, and invalidates the fewest unchanged URLs;
         * ties go to fewer items, then to fewer wildcards. A wildcard may end any prefix ("/posts/2026-*"), not only a folder,
         * but never inside a %XX escape ("/%E6*" is not a path CloudFront accepts).
         * <p>Why it is exact: a wildcard worth sending ends at a node of the trie of the changed items, on the longest
         * prefix its changed items share (a shorter prefix covers the same changed items and more unchanged URLs), and
         * chosen wildcards never nest (the inner one would be paid for nothing). So a plan is a set of disjoint trie
         * subtrees under wildcards, plus exact items for the rest. A dynamic programme over the trie keeps, for each node,
         * every way to place wildcards in its subtree that no other way beats: (wildcards, changed items covered, unchanged
         * URLs hit), beaten by fewer or as many wildcards covering as many or more for as little or less. It drops a way
         * that leaves more than maxItems items uncovered in the subtree, since no choice elsewhere can make up for it.
         * The root's ways give the optimum. Empty when nothing fits (no wildcard allowed and too many changed items).
         */
        static java.util.Optional<Plan> planWithin(Collection<String> changed, Collection<String> unchanged, int maxItems, int maxWildcards) {
            List<String> targets = new ArrayList<>(dropCovered(changed));
            if (targets.isEmpty()) return java.util.Optional.of(new Plan(List.of(), 0, 0));
            Set<String> changedSet = new java.util.HashSet<>(changed); // a URL both changed and unchanged is changed
            String[] others = unchanged.stream().filter(u -> !changedSet.contains(u)).distinct().sorted().toArray(String[]::new);
            targets.sort(Comparator.comparing(Invalidations::prefixOf));
            int cap = Math.max(0, Math.min(maxWildcards, maxItems));
            Frontier root = Trie.of(targets, 0, targets.size(), -1).frontier(others, cap, maxItems);
            int total = targets.size();
            int bestJ = -1;
            int bestIndex = -1;
            for (int j = 0; j <= cap; j++) {
                int needed = total - maxItems + j; // what j wildcards must cover so that the rest fits as exact items
                int i = root.firstCovering(j, needed);
                if (i < 0) continue;
                if (bestJ < 0 || root.cost[j][i] < root.cost[bestJ][bestIndex] || (root.cost[j][i] == root.cost[bestJ][bestIndex]
                        && j - root.covered[j][i] < bestJ - root.covered[bestJ][bestIndex])) {
                    bestJ = j;
                    bestIndex = i;
                }
            }
            if (bestJ < 0) return java.util.Optional.empty();
            List<String> prefixes = new ArrayList<>();
            Choice.flatten(root.choice[bestJ][bestIndex], prefixes);
            TreeSet<String> items = new TreeSet<>();
            prefixes.forEach(p -> items.add(p + "*"));
            for (String t : targets) {
                if (prefixes.stream().noneMatch(p -> prefixOf(t).startsWith(p))) items.add(t);
            }
            return java.util.Optional.of(new Plan(new ArrayList<>(items), root.cost[bestJ][bestIndex], prefixes.size()));
        }

        /** What an item asks for: a URL, or the prefix of a wildcard. */
        private static String prefixOf(String item) {
            return isWildcard(item) ? item.substring(0, item.length() - 1) : item;
        }

        /** How many of the sorted strings start with the prefix: a binary search for each end of the range. */
        static int countStartingWith(String[] sorted, String prefix) {
            int from = java.util.Arrays.binarySearch(sorted, prefix);
            from = from >= 0 ? from : -from - 1;
            int to = java.util.Arrays.binarySearch(sorted, prefix + Character.MAX_VALUE);
            to = to >= 0 ? to : -to - 1;
            return to - from;
        }

        /** Which wildcards a way stands for, shared between ways instead of copied. */
        private record Choice(String prefix, Choice left, Choice right) {
            static Choice join(Choice a, Choice b) {
                return a == null ? b : b == null ? a : new Choice(null, a, b);
            }

            static void flatten(Choice c, List<String> into) {
                java.util.ArrayDeque<Choice> todo = new java.util.ArrayDeque<>();
                if (c != null) todo.push(c);
                while (!todo.isEmpty()) {
                    Choice x = todo.pop();
                    if (x.prefix() != null) into.add(x.prefix());
                    if (x.left() != null) todo.push(x.left());
                    if (x.right() != null) todo.push(x.right());
                }
            }
        }

        /**
         * The ways to place wildcards in part of the trie that no other way beats, for each number of wildcards j: sorted
         * by changed items covered, ascending; the unchanged URLs hit then rise strictly. A way of j wildcards is kept
         * only when no way with fewer covers as many for as little.
         */
        private static final class Frontier {
            final int items;           // changed items in this part of the trie
            final int[][] covered;
            final int[][] cost;
            final Choice[][] choice;

            Frontier(int items, int cap) {
                this.items = items;
                this.covered = new int[cap + 1][];
                this.cost = new int[cap + 1][];
                this.choice = new Choice[cap + 1][];
            }

            /** No wildcard: nothing covered, nothing hit. */
            static Frontier none(int items, int cap, int maxItems) {
                Frontier f = new Frontier(items, cap);
                if (items <= maxItems) f.set(0, new int[] {0}, new int[] {0}, new Choice[] {null});
                return f;
            }

            void set(int j, int[] cov, int[] hit, Choice[] ways) {
                covered[j] = cov;
                cost[j] = hit;
                choice[j] = ways;
            }

            int size(int j) {
                return covered[j] == null ? 0 : covered[j].length;
            }

            /** The cheapest way of j wildcards covering at least this many changed items, or -1 (a binary search: covered ascends). */
            int firstCovering(int j, int needed) {
                int[] cov = covered[j];
                if (cov == null) return -1;
                int lo = 0;
                int hi = cov.length;
                while (lo < hi) {
                    int mid = (lo + hi) >>> 1;
                    if (cov[mid] >= needed) hi = mid;
                    else lo = mid + 1;
                }
                return lo < cov.length ? lo : -1;
            }

            /**
             * Two disjoint parts together: every sum of their ways, then the ways no other beats. A way that leaves more than
             * maxItems of the part's items uncovered (beyond its wildcards) cannot be completed within the budget: dropped.
             */
            static Frontier combine(Frontier a, Frontier b, int cap, int maxItems) {
                int items = a.items + b.items;
                Frontier out = new Frontier(items, cap);
                for (int j = 0; j <= cap; j++) {
                    int low = Math.max(0, items - maxItems + j);
                    int width = items - low + 1;
                    if (width <= 0) continue;
                    int[] best = null;
                    int[] fromA = null;
                    int[] fromB = null;
                    int[] fromJa = null;
                    for (int ja = 0; ja <= j; ja++) {
                        int jb = j - ja;
                        int[] covA = a.covered[ja];
                        int[] covB = b.covered[jb];
                        if (covA == null || covB == null) continue;
                        if (best == null) {
                            best = new int[width];
                            java.util.Arrays.fill(best, Integer.MAX_VALUE);
                            fromA = new int[width];
                            fromB = new int[width];
                            fromJa = new int[width];
                        }
                        int[] costA = a.cost[ja];
                        int[] costB = b.cost[jb];
                        for (int x = 0; x < covA.length; x++) {
                            int shift = covA[x] - low;
                            int hitA = costA[x];
                            // the ways of b that bring this one up to the window: covered ascends, so they start at one index
                            int start = b.firstCovering(jb, -shift);
                            if (start < 0) continue;
                            for (int y = start; y < covB.length; y++) {
                                int index = shift + covB[y];
                                int hit = hitA + costB[y];
                                if (hit < best[index]) {
                                    best[index] = hit;
                                    fromA[index] = x;
                                    fromB[index] = y;
                                    fromJa[index] = ja;
                                }
                            }
                        }
                    }
                    if (best == null) continue;
                    int[] cov = new int[width];
                    int[] hit = new int[width];
                    Choice[] ways = new Choice[width];
                    int n = 0;
                    int cheapest = Integer.MAX_VALUE;
                    for (int index = width - 1; index >= 0; index--) {
                        if (best[index] < cheapest && !out.beatenWithFewer(j, index + low, best[index])) {
                            cheapest = best[index];
                            int ja = fromJa[index];
                            cov[n] = index + low;
                            hit[n] = best[index];
                            ways[n] = Choice.join(a.choice[ja][fromA[index]], b.choice[j - ja][fromB[index]]);
                            n++;
                        }
                    }
                    if (n > 0) out.set(j, reverse(cov, n), reverse(hit, n), reverse(ways, n));
                }
                return out;
            }

            /** Adds one more way of j wildcards (a wildcard over a whole subtree), keeping only the ways no other beats. */
            void add(int j, int cov, int hit, Choice way) {
                if (beatenWithFewer(j, cov, hit)) return;
                int n = size(j);
                Integer[] order = new Integer[n + 1];
                for (int i = 0; i <= n; i++) order[i] = i;
                java.util.function.IntUnaryOperator covOf = i -> i == n ? cov : covered[j][i];
                java.util.function.IntUnaryOperator hitOf = i -> i == n ? hit : cost[j][i];
                // most covered first, then cheapest: a way is kept when it is cheaper than every way covering more
                java.util.Arrays.sort(order, Comparator.<Integer>comparingInt(i -> -covOf.applyAsInt(i)).thenComparingInt(hitOf::applyAsInt));
                int[] c = new int[n + 1];
                int[] h = new int[n + 1];
                Choice[] w = new Choice[n + 1];
                int kept = 0;
                int cheapest = Integer.MAX_VALUE;
                for (int i : order) {
                    if (hitOf.applyAsInt(i) < cheapest) {
                        cheapest = hitOf.applyAsInt(i);
                        c[kept] = covOf.applyAsInt(i);
                        h[kept] = cheapest;
                        w[kept] = i == n ? way : choice[j][i];
                        kept++;
                    }
                }
                set(j, reverse(c, kept), reverse(h, kept), reverse(w, kept));
            }

            /** Whether a way with fewer wildcards covers at least as many changed items for at most as many unchanged URLs. */
            boolean beatenWithFewer(int j, int cov, int hit) {
                for (int fewer = 0; fewer < j; fewer++) {
                    int i = firstCovering(fewer, cov);
                    if (i >= 0 && cost[fewer][i] <= hit) return true;
                }
                return false;
            }

            private static int[] reverse(int[] a, int n) {
                int[] r = new int[n];
                for (int i = 0; i < n; i++) r[i] = a[n - 1 - i];
                return r;
            }

            private static Choice[] reverse(Choice[] a, int n) {
                Choice[] r = new Choice[n];
                for (int i = 0; i < n; i++) r[i] = a[n - 1 - i];
                return r;
            }
        }

        /** A node of the trie of the changed items: the longest prefix its items share. */
        private static final class Trie {
            final String prefix;
            final String wildcard;     // the prefix of the wildcard over exactly this subtree, or null when there is none
            final boolean forced;      // a wildcard item ("/docs/~old" gives "/docs/*"): only a wildcard covers it
            final boolean exact;       // the prefix is itself a changed URL
            final int items;           // changed items in the subtree
            final List<Trie> children;

            private Trie(String prefix, int parentLength, boolean forced, boolean exact, int items, List<Trie> children) {
                this.prefix = prefix;
                // A wildcard cannot end inside a %XX escape: it ends before it, and must still stay within this subtree.
                int escape = prefix.lastIndexOf('%');
                String whole = escape >= 0 && escape > prefix.length() - 3 ? prefix.substring(0, escape) : prefix;
                this.wildcard = forced || whole.length() > parentLength ? whole : null;
                this.forced = forced;
                this.exact = exact;
                this.items = items;
                this.children = children;
            }

            /** The trie of sorted[from, to), sorted by what each item asks for; no item covers another (dropCovered). */
            static Trie of(List<String> sorted, int from, int to, int parentLength) {
                if (to - from == 1) {
                    String item = sorted.get(from);
                    return new Trie(prefixOf(item), parentLength, isWildcard(item), !isWildcard(item), 1, List.of());
                }
                String first = prefixOf(sorted.get(from));
                String last = prefixOf(sorted.get(to - 1));
                int shared = 0;
                while (shared < Math.min(first.length(), last.length()) && first.charAt(shared) == last.charAt(shared)) shared++;
                // The first item may be the shared prefix itself (an exact URL such as "/x" before "/x/a").
                boolean exact = first.length() == shared;
                int i = exact ? from + 1 : from;
                List<Trie> children = new ArrayList<>();
                while (i < to) {
                    char c = prefixOf(sorted.get(i)).charAt(shared);
                    int j = i;
                    while (j < to && prefixOf(sorted.get(j)).charAt(shared) == c) j++;
                    children.add(of(sorted, i, j, shared));
                    i = j;
                }
                return new Trie(first.substring(0, shared), parentLength, false, exact, to - from, children);
            }

            /** The ways to place at most cap wildcards in this subtree. */
            Frontier frontier(String[] others, int cap, int maxItems) {
                if (forced) {
                    // Only a wildcard covers it: this one, or an ancestor's (which replaces this whole subtree).
                    Frontier f = new Frontier(1, cap);
                    if (cap >= 1) f.set(1, new int[] {1}, new int[] {countStartingWith(others, wildcard)}, new Choice[] {new Choice(wildcard, null, null)});
                    return f;
                }
                // Single exact URLs first: they only count; then the subtrees, where wildcards can go.
                int single = (exact ? 1 : 0) + (int) children.stream().filter(c -> c.children.isEmpty() && !c.forced).count();
                Frontier f = Frontier.none(single, cap, maxItems);
                for (Trie child : children) {
                    if (child.children.isEmpty() && !child.forced) continue;
                    f = Frontier.combine(f, child.frontier(others, cap, maxItems), cap, maxItems);
                }
                if (items > 1 && cap >= 1 && wildcard != null) {
                    // One wildcard here covers the whole subtree (over a single URL it would gain nothing).
                    f.add(1, items, countStartingWith(others, wildcard), new Choice(wildcard, null, null));
                }
                return f;
            }
        }

        /** Splits a sorted path set into requests that each fit CloudFront's in-progress limits (3,000 paths, 15 wildcards). */
        static List<List<String>> batches(List<String> paths) {
            List<List<String>> batches = new ArrayList<>();
            List<String> current = new ArrayList<>();
            int files = 0;
            int wildcards = 0;
            for (String path : paths) {
                boolean wildcard = isWildcard(path);
                if ((wildcard && wildcards == MAX_WILDCARDS_IN_PROGRESS) || (!wildcard && files == MAX_PATHS_IN_PROGRESS)) {
                    batches.add(current);
                    current = new ArrayList<>();
                    files = 0;
                    wildcards = 0;
                }
                current.add(path);
                if (wildcard) wildcards++;
                else files++;
            }
            if (!current.isEmpty()) batches.add(current);
            return batches;
        }

        /** What a set of paths may cost: every path (a wildcard counts as one) beyond the account's 1,000 free paths a month. */
        static String cost(int paths) {
            return String.format(Locale.ROOT, "%d path%s: free within the account's %,d free paths this month, else $%.3f",
                    paths, paths == 1 ? "" : "s", FREE_PATHS_PER_MONTH, paths * PRICE_PER_PATH_USD);
        }

        /**
         * One CallerReference per batch. Given: used as is (with .N for several batches). Derived: a hash of the
         * distribution, the content the invalidation is for (deploy-site: the keys and MD5s it wrote and deleted, so a
         * second deploy of other bytes in the same CI run is a new invalidation; invalidate: none) and the sorted paths,
         * scoped to the CI run when there is one (a re-run of the job returns the invalidation it already made), else to
         * this call (unique).
         */
        static List<String> callerReferences(String given, String distribution, String content, List<List<String>> batches, String ciRunId, String unique) {
            List<String> references = new ArrayList<>();
            for (int i = 0; i < batches.size(); i++) {
                if (given != null) {
                    references.add(batches.size() == 1 ? given : given + "." + (i + 1));
                } else {
                    String scope = ciRunId != null ? ciRunId : "local-" + unique;
                    String what = content.isEmpty() ? distribution : distribution + "\n" + content;
                    references.add("invalidate-" + scope + "-" + sha256(what + "\n" + String.join("\n", batches.get(i))).substring(0, 24));
                }
            }
            return references;
        }

        static String sha256(String text) {
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Control characters are shown escaped ({@code \n}, {@code \x07}): an error stays one line, whatever it quotes. */
        static String quote(String s) {
            StringBuilder b = new StringBuilder("'");
            s.chars().forEach(c -> {
                if (c == '\n') b.append("\\n");
                else if (c == '\r') b.append("\\r");
                else if (c == '\t') b.append("\\t");
                else if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", c));
                else b.append((char) c);
            });
            return b.append("'").toString();
        }

        private static String abbreviate(String s) {
            return s.length() <= 60 ? s : s.substring(0, 57) + "...";
        }

        // ------------------------------------------------------------ CI awareness

        /** What the CI tells about this build; all null outside CI. */
        record Ci(String name, String runId, String branch, String pullRequest) {
            static Ci detect(Map<String, String> env) {
                if ("true".equals(env.get("GITHUB_ACTIONS"))) {
                    String event = env.getOrDefault("GITHUB_EVENT_NAME", "");
                    boolean pr = event.equals("pull_request") || event.equals("pull_request_target");
                    String ref = env.get("GITHUB_REF");
                    String number = pr && ref != null && ref.matches("refs/pull/\\d+/.*") ? ref.split("/")[2] : (pr ? "yes" : null);
                    String branchName = pr ? env.get("GITHUB_HEAD_REF") : env.get("GITHUB_REF_NAME");
                    return new Ci("GitHub Actions", prefixed("github-", env.get("GITHUB_RUN_ID")), branchName, number);
                }
                if ("true".equals(env.get("TRAVIS"))) {
                    String pr = env.get("TRAVIS_PULL_REQUEST");
                    return new Ci("Travis CI", prefixed("travis-", env.get("TRAVIS_BUILD_ID")), env.get("TRAVIS_BRANCH"),
                            pr == null || pr.isEmpty() || pr.equals("false") ? null : pr);
                }
                if ("true".equals(env.get("GITLAB_CI"))) {
                    String mr = env.get("CI_MERGE_REQUEST_IID");
                    return new Ci("GitLab CI", prefixed("gitlab-", env.get("CI_PIPELINE_ID")), env.get("CI_COMMIT_REF_NAME"),
                            mr == null || mr.isEmpty() ? null : mr);
                }
                return new Ci(null, null, null, null);
            }

            private static String prefixed(String prefix, String id) {
                return id == null || id.isBlank() ? null : prefix + id;
            }

            /** On GitHub Actions: invalidation-id to $GITHUB_OUTPUT and a table to $GITHUB_STEP_SUMMARY. */
            static void writeGitHubOutputs(Map<String, String> env, List<Result> results) throws IOException {
                String output = env.get("GITHUB_OUTPUT");
                if (output != null && !output.isBlank() && !results.isEmpty()) {
                    String ids = results.stream().map(Result::id).collect(Collectors.joining(" "));
                    Files.writeString(Path.of(output), "invalidation-id=" + ids + "\n", StandardCharsets.UTF_8,
                            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                }
                String summary = env.get("GITHUB_STEP_SUMMARY");
                if (summary != null && !summary.isBlank() && !results.isEmpty()) {
                    StringBuilder table = new StringBuilder("### CloudFront invalidation\n\n| Distribution | Invalidation | Status | Paths |\n|---|---|---|---|\n");
                    for (Result r : results) {
                        String shown = r.paths().stream().limit(5).map(p -> "`" + p + "`").collect(Collectors.joining(" "));
                        if (r.paths().size() > 5) shown += " and " + (r.paths().size() - 5) + " more";
                        table.append("| ").append(r.distributionId()).append(" | ").append(r.id()).append(" | ").append(r.status())
                                .append(" | ").append(r.paths().size()).append(": ").append(shown).append(" |\n");
                    }
                    Files.writeString(Path.of(summary), table.append('\n').toString(), StandardCharsets.UTF_8,
                            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                }
            }
        }

        /** travis-ci-cloudfront-invalidation's -o when none is given (or an empty one). */
        static final String NPM_DEFAULT_BRANCH = "master";

        /**
         * The branch globs that may invalidate; empty: any branch. --only-branch's globs, trimmed, empty ones dropped.
         * Lines written for travis-ci-cloudfront-invalidation always pass -b, and there -o defaults to master (an empty -o
         * too): so -b without -o, or an -o with nothing in it, means master. Without -b and -o: any branch.
         */
        static List<String> branchFilter(String branchFlag, List<String> onlyBranchFlag) {
            List<String> globs = onlyBranchFlag == null ? List.of()
                    : onlyBranchFlag.stream().map(String::strip).filter(g -> !g.isEmpty()).toList();
            if (!globs.isEmpty()) return globs;
            return onlyBranchFlag != null || branchFlag != null ? List.of(NPM_DEFAULT_BRANCH) : List.of();
        }

        /**
         * Why this build must not invalidate, if it must not: a pull request (from -p, else from the CI) unless allowed;
         * a branch outside {@link #branchFilter}. As in travis-ci-cloudfront-invalidation, -p anything but the exact
         * string 'false' (an empty one included) is a pull request, and -b is trimmed. The pull-request check comes
         * first: on Travis a pull request's branch is its target.
         */
        static java.util.Optional<String> skipReason(Ci ci, String branchFlag, String pullRequestFlag, List<String> onlyBranchFlag, boolean allowPullRequests) {
            if (!allowPullRequests) {
                if (pullRequestFlag != null) {
                    if (!pullRequestFlag.equals("false")) {
                        return java.util.Optional.of("pull request build (-p " + shown(pullRequestFlag) + "): anything but 'false' is one; "
                                + "--allow-pull-requests invalidates anyway");
                    }
                } else if (ci.pullRequest() != null) {
                    return java.util.Optional.of("pull request build on " + ci.name() + "; --allow-pull-requests invalidates anyway");
                }
            }
            List<String> globs = branchFilter(branchFlag, onlyBranchFlag);
            if (globs.isEmpty()) {
                return java.util.Optional.empty();
            }
            String current = branchFlag != null ? branchFlag.strip() : ci.branch();
            if (current == null) {
                return java.util.Optional.of("branch unknown (pass -b BRANCH) and --only-branch " + String.join(",", globs) + " given");
            }
            if (globs.stream().noneMatch(glob -> globMatches(glob, current))) {
                boolean npmDefault = onlyBranchFlag == null || globs.equals(List.of(NPM_DEFAULT_BRANCH)) && onlyBranchFlag.stream().allMatch(String::isBlank);
                return java.util.Optional.of("branch " + shown(current) + " is not one of " + String.join(",", globs)
                        + (npmDefault ? " (with -b and no -o, only " + NPM_DEFAULT_BRANCH + " invalidates, as in travis-ci-cloudfront-invalidation; -o BRANCH chooses)" : ""));
            }
            return java.util.Optional.empty();
        }

        /** A value as typed, or '' when it is empty, so a skip message says why an unset variable skipped. */
        private static String shown(String value) {
            return value.isEmpty() ? "''" : quote(value).substring(1, quote(value).length() - 1);
        }

        static boolean globMatches(String glob, String value) {
            return FileSystems.getDefault().getPathMatcher("glob:" + glob).matches(Path.of(value));
        }

        // ------------------------------------------------------------ distributions

        record Origin(String id, String domainName, String originPath) {
            /** The S3 bucket this origin serves, or null: REST (bucket.s3[.region].amazonaws.com) and website endpoints. */
            String bucket() {
                Matcher m = Pattern.compile("^(.+?)\\.s3(?:[.-][a-z0-9-]+)*\\.amazonaws\\.com(?:\\.cn)?$").matcher(domainName.toLowerCase(Locale.ROOT));
                return m.matches() ? m.group(1) : null;
            }
        }

        record Distribution(String id, String domainName, List<String> aliases, List<Origin> origins) {
            String describe() {
                return id + " (" + domainName + (aliases.isEmpty() ? "" : ", " + String.join(", ", aliases)) + ")";
            }
        }

        /** The one distribution NAME designates: an alias, its *.cloudfront.net domain, or the S3 bucket of an origin. */
        static Distribution findDistribution(List<Distribution> all, String name) {
            String wanted = name.toLowerCase(Locale.ROOT).replaceFirst("^s3://", "").replaceFirst("/+$", "");
            List<Distribution> matches = all.stream().filter(d -> d.domainName().equalsIgnoreCase(wanted)
                    || d.aliases().stream().anyMatch(a -> a.equalsIgnoreCase(wanted))
                    || d.origins().stream().anyMatch(o -> wanted.equals(o.bucket()))).toList();
            if (matches.size() == 1) return matches.get(0);
            if (matches.isEmpty()) {
                throw new Failure("no distribution has the alias, domain or origin bucket " + quote(name) + " (" + all.size() + " distribution(s) seen)");
            }
            throw new Failure(matches.size() + " distributions match " + quote(name) + ", pass --distribution-id: "
                    + matches.stream().map(Distribution::describe).collect(Collectors.joining("; ")));
        }

        /** The distributions whose origin is this bucket (deploy-site finds its distribution this way). */
        static List<Distribution> servingBucket(List<Distribution> all, String bucket) {
            return all.stream().filter(d -> d.origins().stream().anyMatch(o -> bucket.equals(o.bucket()))).toList();
        }

        // ------------------------------------------------------------ sending and waiting

        /** One invalidation as CloudFront reported it. */
        record Result(String distributionId, String location, String id, String status, Instant createTime,
                      List<String> paths, String callerReference) {
            Result withStatus(String newStatus) {
                return new Result(distributionId, location, id, newStatus, createTime, paths, callerReference);
            }

            boolean completed() {
                return "Completed".equals(status);
            }
        }

        static final class WaitTimeout extends RuntimeException {
            private final transient List<Result> results;

            WaitTimeout(String message, List<Result> results) {
                super(message);
                this.results = results;
            }

            List<Result> results() {
                return results;
            }
        }

        /** Progress and warnings on stderr. */
        record Log(String tool, PrintStream err, boolean verbose) {
            void note(String message) {
                err.println(tool + ": " + message);
            }

            void warn(String message) {
                err.println(tool + ": warning: " + message);
            }

            void debug(String message) {
                if (verbose) err.println(tool + ": " + message);
            }
        }

        /** Creates invalidations within CloudFront's limits: waits for room, retries transient failures, all before a deadline. */
        static final class Sender {
            private static final Duration MAX_BACKOFF = Duration.ofSeconds(60);
            private final CloudFront cloudFront;
            private final Log log;
            private final Duration poll;
            private final Instant deadline;

            Sender(CloudFront cloudFront, Log log, Duration poll, Instant deadline) {
                this.cloudFront = cloudFront;
                this.log = log;
                this.poll = poll;
                this.deadline = deadline;
            }

            List<Result> sendAll(String distribution, List<List<String>> batches, List<String> references) throws InterruptedException {
                List<Result> results = new ArrayList<>();
                for (int i = 0; i < batches.size(); i++) {
                    Result result = send(distribution, batches.get(i), references.get(i));
                    if (batches.size() > 1) {
                        log.note("batch " + (i + 1) + "/" + batches.size() + ": " + result.id() + " (" + batches.get(i).size() + " paths)");
                    }
                    results.add(result);
                }
                return results;
            }

            /** CreateInvalidation, retried with the same CallerReference, so a retry can never pay twice. */
            Result send(String distribution, List<String> paths, String reference) throws InterruptedException {
                Instant started = Instant.now();
                Duration backoff = poll;
                while (true) {
                    try {
                        Result result = cloudFront.create(distribution, paths, reference);
                        if (result.createTime() != null && result.createTime().isBefore(started.minusSeconds(5))) {
                            log.note("CloudFront returned the invalidation " + result.id() + " made earlier with the same CallerReference (no new charge)");
                        }
                        return result;
                    } catch (AwsServiceException e) {
                        String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
                        boolean noRoom = "TooManyInvalidationsInProgress".equals(code);
                        boolean transientError = e.isThrottlingException() || e.statusCode() >= 500;
                        if (!noRoom && !transientError) throw e;
                        backoff = pause(noRoom ? "CloudFront has no room for " + paths.size() + " more path(s) (" + code + ")"
                                : "CloudFront answered " + e.statusCode() + " " + code, backoff);
                    } catch (SdkClientException e) {
                        if (isMissingCredentials(e)) throw e;
                        backoff = pause("request failed (" + e.getMessage() + ")", backoff);
                    }
                }
            }

            private Duration pause(String why, Duration backoff) throws InterruptedException {
                Instant now = Instant.now();
                if (!now.plus(backoff).isBefore(deadline)) {
                    throw new Failure(why + "; gave up at --timeout");
                }
                log.note(why + ": retrying in " + human(backoff));
                Thread.sleep(backoff.toMillis());
                Duration next = backoff.multipliedBy(2);
                return next.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : next;
            }

            /** Polls until every invalidation is Completed, or the deadline passes (WaitTimeout, with the last statuses). */
            List<Result> waitAll(List<Result> results) throws InterruptedException {
                List<Result> current = new ArrayList<>(results);
                Instant started = Instant.now();
                while (true) {
                    for (int i = 0; i < current.size(); i++) {
                        Result r = current.get(i);
                        if (!r.completed()) {
                            try {
                                current.set(i, r.withStatus(cloudFront.status(r.distributionId(), r.id())));
                            } catch (AwsServiceException e) {
                                if (!e.isThrottlingException() && e.statusCode() < 500) throw e;
                                log.debug("status of " + r.id() + ": " + e.statusCode() + ", asking again");
                            } catch (SdkClientException e) {
                                log.debug("status of " + r.id() + ": " + e.getMessage() + ", asking again");
                            }
                        }
                    }
                    long pending = current.stream().filter(r -> !r.completed()).count();
                    if (pending == 0) {
                        log.note("completed after " + human(Duration.between(started, Instant.now())));
                        return current;
                    }
                    if (!Instant.now().plus(poll).isBefore(deadline)) {
                        String ids = current.stream().filter(r -> !r.completed()).map(Result::id).collect(Collectors.joining(", "));
                        throw new WaitTimeout("timed out waiting for invalidation " + ids + " (still InProgress after "
                                + human(Duration.between(started, Instant.now())) + "); it will complete on its own", current);
                    }
                    log.note("waiting: " + pending + " invalidation(s) InProgress, " + human(Duration.between(started, Instant.now())) + " elapsed");
                    Thread.sleep(poll.toMillis());
                }
            }
        }

        /** Whether the user set the SDK's retries (AWS_MAX_ATTEMPTS, AWS_RETRY_MODE or their system properties): then they rule. */
        static boolean retriesConfigured(Map<String, String> env) {
            return List.of("AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE").stream().anyMatch(n -> env.get(n) != null && !env.get(n).isBlank())
                    || System.getProperty("aws.maxAttempts") != null || System.getProperty("aws.retryMode") != null;
        }

        static boolean isMissingCredentials(SdkClientException e) {
            String message = String.valueOf(e.getMessage());
            return message.contains("Unable to load credentials") || message.contains("credentials");
        }

        /** The thin adapter over the SDK: it decides nothing. */
        static final class CloudFront implements AutoCloseable {
            private final CloudFrontClient client;

            CloudFront(CloudFrontClient client) {
                this.client = client;
            }

            /**
             * CloudFront is global: Region.AWS_GLOBAL, so no region is needed. The SDK retries 5xx and throttling itself
             * first: 5 attempts, unless AWS_MAX_ATTEMPTS or AWS_RETRY_MODE say otherwise (then the SDK reads them).
             */
            static CloudFront connect(AwsCredentialsProvider credentials, URI endpoint, Map<String, String> env, Log log) {
                CloudFrontClientBuilder builder = CloudFrontClient.builder()
                        .region(Region.AWS_GLOBAL)
                        .credentialsProvider(credentials)
                        .httpClient(UrlConnectionHttpClient.builder()
                                .connectionTimeout(Duration.ofSeconds(10))
                                .socketTimeout(Duration.ofSeconds(60))
                                .build());
                if (!retriesConfigured(env)) builder.overrideConfiguration(o -> o.retryStrategy(r -> r.maxAttempts(5)));
                if (endpoint != null) builder.endpointOverride(endpoint);
                return new CloudFront(builder.build());
            }

            Result create(String distribution, List<String> paths, String reference) {
                var response = client.createInvalidation(r -> r.distributionId(distribution).invalidationBatch(b -> b
                        .callerReference(reference)
                        .paths(p -> p.quantity(paths.size()).items(paths))));
                var inv = response.invalidation();
                return new Result(distribution, response.location(), inv.id(), inv.status(), inv.createTime(),
                        inv.invalidationBatch().paths().items(), inv.invalidationBatch().callerReference());
            }

            String status(String distribution, String id) {
                return client.getInvalidation(r -> r.distributionId(distribution).id(id)).invalidation().status();
            }

            /** One distribution by id (GetDistribution): its domain, aliases and origins. */
            Distribution distribution(String id) {
                var d = client.getDistribution(r -> r.id(id)).distribution();
                var config = d.distributionConfig();
                List<Origin> origins = config.origins() == null ? List.of()
                        : config.origins().items().stream().map(o -> new Origin(o.id(), o.domainName(), Objects.toString(o.originPath(), ""))).toList();
                List<String> aliases = config.aliases() == null || config.aliases().items() == null ? List.of() : config.aliases().items();
                return new Distribution(d.id(), d.domainName(), aliases, origins);
            }

            List<Distribution> distributions() {
                List<Distribution> all = new ArrayList<>();
                String marker = null;
                do {
                    String from = marker;
                    var list = client.listDistributions(r -> r.maxItems("100").marker(from)).distributionList();
                    for (var d : list.items()) {
                        List<Origin> origins = d.origins() == null ? List.of()
                                : d.origins().items().stream().map(o -> new Origin(o.id(), o.domainName(), Objects.toString(o.originPath(), ""))).toList();
                        List<String> aliases = d.aliases() == null || d.aliases().items() == null ? List.of() : d.aliases().items();
                        all.add(new Distribution(d.id(), d.domainName(), aliases, origins));
                    }
                    marker = Boolean.TRUE.equals(list.isTruncated()) ? list.nextMarker() : null;
                } while (marker != null);
                return all;
            }

            @Override
            public void close() {
                client.close();
            }
        }

        // ------------------------------------------------------------ output

        enum OutputFormat { json, id, text }

        static void print(PrintStream out, OutputFormat format, List<Result> results) {
            switch (format) {
                case id -> results.forEach(r -> out.println(r.id()));
                case text -> results.forEach(r -> out.println(r.id() + " " + r.status() + " " + r.paths().size()
                        + " path" + (r.paths().size() == 1 ? "" : "s") + " on " + r.distributionId()));
                case json -> out.println(results.size() == 1 ? json(results.get(0)).render("") : Json.array(results.stream().map(Invalidations::json).toList()).render(""));
            }
        }

        private static final DateTimeFormatter AWS_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

        /** The AWS CLI's shape of a CreateInvalidation result, which scripts parse today. */
        static Json json(Result r) {
            Map<String, Object> invalidation = new LinkedHashMap<>();
            invalidation.put("Id", r.id());
            invalidation.put("Status", r.status());
            invalidation.put("CreateTime", r.createTime() == null ? null : AWS_TIME.format(r.createTime()));
            invalidation.put("InvalidationBatch", batchJson(r.paths(), r.callerReference()));
            Map<String, Object> top = new LinkedHashMap<>();
            top.put("Location", r.location());
            top.put("Invalidation", invalidation);
            return Json.of(top);
        }

        /**
         * The dry run: text prints the plan on stdout; json prints the request(s) in the shape of the AWS CLI's
         * --cli-input-json (an array for several batches) and the plan on stderr; id prints no id (none is made) and
         * the plan on stderr.
         */
        static void printDryRun(PrintStream out, PrintStream err, OutputFormat format, String distribution, List<List<String>> batches,
                                List<String> references) {
            PrintStream plan = format == OutputFormat.text ? out : err;
            int total = batches.stream().mapToInt(List::size).sum();
            for (int i = 0; i < batches.size(); i++) {
                plan.println("dry run: would invalidate " + batches.get(i).size() + " path(s) on " + distribution
                        + (batches.size() > 1 ? " (batch " + (i + 1) + "/" + batches.size() + ")" : "")
                        + " with CallerReference " + references.get(i));
                batches.get(i).forEach(p -> plan.println("  " + p));
            }
            plan.println("dry run: cost " + cost(total));
            if (format == OutputFormat.json) {
                List<Json> requests = new ArrayList<>();
                for (int i = 0; i < batches.size(); i++) {
                    requests.add(requestJson(distribution, batches.get(i), references.get(i)));
                }
                out.println((requests.size() == 1 ? requests.get(0) : Json.array(requests)).render(""));
            }
        }

        /** A CreateInvalidation request as the AWS CLI reads it with --cli-input-json. */
        static Json requestJson(String distribution, List<String> items, String reference) {
            Map<String, Object> request = new LinkedHashMap<>();
            request.put("DistributionId", distribution);
            request.put("InvalidationBatch", batchJson(items, reference));
            return Json.of(request);
        }

        /** An InvalidationBatch as CloudFront and the AWS CLI spell it. */
        private static Map<String, Object> batchJson(List<String> items, String reference) {
            Map<String, Object> paths = new LinkedHashMap<>();
            paths.put("Quantity", items.size());
            paths.put("Items", items);
            Map<String, Object> batch = new LinkedHashMap<>();
            batch.put("Paths", paths);
            batch.put("CallerReference", reference);
            return batch;
        }

        /** A small JSON writer (indented like the AWS CLI), so the scripts need no JSON library. */
        record Json(Object value) {
            static Json of(Object value) {
                return new Json(value);
            }

            static Json array(List<Json> items) {
                return new Json(items);
            }

            String render(String indent) {
                return render(value, indent);
            }

            private static String render(Object v, String indent) {
                String inner = indent + "    ";
                if (v == null) return "null";
                if (v instanceof Json j) return render(j.value(), indent);
                if (v instanceof Number || v instanceof Boolean) return v.toString();
                if (v instanceof Map<?, ?> map) {
                    if (map.isEmpty()) return "{}";
                    return map.entrySet().stream().map(e -> inner + string(String.valueOf(e.getKey())) + ": " + render(e.getValue(), inner))
                            .collect(Collectors.joining(",\n", "{\n", "\n" + indent + "}"));
                }
                if (v instanceof Collection<?> list) {
                    if (list.isEmpty()) return "[]";
                    return list.stream().map(e -> inner + render(e, inner)).collect(Collectors.joining(",\n", "[\n", "\n" + indent + "]"));
                }
                return string(v.toString());
            }

            static String string(String s) {
                StringBuilder b = new StringBuilder("\"");
                for (char c : s.toCharArray()) {
                    switch (c) {
                        case '"' -> b.append("\\\"");
                        case '\\' -> b.append("\\\\");
                        case '\n' -> b.append("\\n");
                        case '\r' -> b.append("\\r");
                        case '\t' -> b.append("\\t");
                        default -> {
                            if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                            else b.append(c);
                        }
                    }
                }
                return b.append('"').toString();
            }
        }

        static String human(Duration d) {
            long s = d.toSeconds();
            if (s < 1) return d.toMillis() + "ms";
            if (s < 60) return s + "s";
            if (s < 3600) return (s / 60) + "m" + (s % 60 == 0 ? "" : (s % 60) + "s");
            return (s / 3600) + "h" + ((s % 3600) / 60 == 0 ? "" : ((s % 3600) / 60) + "m");
        }

        /** Durations as people write them: 500ms, 90s, 30m, 1h, 1h30m, a plain number of seconds, or ISO-8601 (PT30M). */
        static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
            @Override
            public Duration convert(String value) {
                return parseDuration(value);
            }
        }

        static Duration parseDuration(String value) {
            String v = value.strip().toLowerCase(Locale.ROOT);
            if (v.startsWith("pt") || v.startsWith("p")) {
                try {
                    return Duration.parse(v.toUpperCase(Locale.ROOT));
                } catch (RuntimeException e) {
                    throw new CommandLine.TypeConversionException("invalid duration '" + value + "' (e.g. 90s, 30m, 1h30m)");
                }
            }
            if (v.matches("\\d+")) return Duration.ofSeconds(Long.parseLong(v));
            Matcher m = Pattern.compile("(\\d+)(ms|h|m|s)").matcher(v);
            Duration total = Duration.ZERO;
            int end = 0;
            while (m.find() && m.start() == end) {
                long n = Long.parseLong(m.group(1));
                total = total.plus(switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    default -> Duration.ofHours(n);
                });
                end = m.end();
            }
            if (end != v.length() || v.isEmpty()) {
                throw new CommandLine.TypeConversionException("invalid duration '" + value + "' (e.g. 90s, 30m, 1h30m)");
            }
            return total;
        }

        // ------------------------------------------------------------ errors and exit codes

        /** Exit codes and one-line errors, the same in every script: 0 done, 1 failure, 2 usage error. */
        static final class Cli {
            private Cli() {
            }

            /** err, verbose and secrets are read when an error happens: the command's fields are set by then. */
            static CommandLine configure(CommandLine cl, String tool, java.util.function.Supplier<PrintStream> err,
                                         java.util.function.BooleanSupplier verbose, java.util.function.Supplier<List<String>> secrets) {
                cl.setCaseInsensitiveEnumValuesAllowed(true);
                cl.setParameterExceptionHandler((e, args) -> {
                    // picocli appends the converter's exception, e.g. "(java.net.URISyntaxException: Illegal ...)": keep the reason only.
                    String message = String.valueOf(e.getMessage()).replaceAll("\\((?:[\\w$]+\\.)*\\w*(?:Exception|Error): ", "(");
                    err.get().println(redact(tool + ": error: " + message.lines().collect(Collectors.joining(" ")), secrets.get()));
                    err.get().println("Try '" + tool + " --help' for more information.");
                    return 2;
                });
                cl.setExecutionExceptionHandler((e, commandLine, parseResult) ->
                        report(e, tool, err.get(), verbose.getAsBoolean(), secrets.get()));
                return cl;
            }

            static int report(Exception e, String tool, PrintStream err, boolean verbose, List<String> secrets) {
                int code;
                String message;
                if (e instanceof UsageError) {
                    code = 2;
                    message = e.getMessage();
                } else if (e instanceof AwsServiceException aws && aws.awsErrorDetails() != null) {
                    code = 1;
                    var d = aws.awsErrorDetails();
                    message = d.errorCode() + ": " + Objects.toString(d.errorMessage(), "") + " (HTTP " + aws.statusCode()
                            + (aws.requestId() == null ? "" : ", request id " + aws.requestId()) + ")";
                } else if (e instanceof SdkClientException client && webIdentityFailure(client) != null) {
                    code = 1;
                    message = "web identity (OIDC) credentials failed: " + webIdentityFailure(client);
                } else if (e instanceof SdkClientException client && isMissingCredentials(client)) {
                    code = 1;
                    message = "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass --profile "
                            + "(or AWS_PROFILE, SSO included), or use OIDC (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE)";
                } else if (e instanceof SdkException) {
                    code = 1;
                    message = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
                } else if (e instanceof IOException || e instanceof UncheckedIOException) {
                    code = 1;
                    message = "I/O: " + e.getMessage();
                } else if (e instanceof Failure || e instanceof WaitTimeout) {
                    code = 1;
                    message = e.getMessage();
                } else {
                    code = 1;
                    message = e.getClass().getSimpleName() + ": " + e.getMessage();
                }
                err.println(redact(tool + ": error: " + message, secrets));
                if (verbose) {
                    java.io.StringWriter trace = new java.io.StringWriter();
                    e.printStackTrace(new java.io.PrintWriter(trace));
                    err.print(redact(trace.toString(), secrets));
                }
                return code;
            }

            /**
             * What the web identity provider said, when it was configured (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE)
             * and failed: the most common OIDC failure is STS refusing the token, and the chain's "no credentials" would
             * hide STS's own message. Null when web identity was not configured.
             */
            static String webIdentityFailure(SdkClientException e) {
                String all = String.valueOf(e.getMessage());
                Matcher provider = Pattern.compile("WebIdentityToken(?:File)?CredentialsProvider\\(\\): ").matcher(all);
                if (!provider.find()) return null;
                String said = all.substring(provider.end());
                int next = said.indexOf(", ProfileCredentialsProvider(");
                if (next < 0) next = said.indexOf(", ContainerCredentialsProvider(");
                if (next < 0) next = said.indexOf(", InstanceProfileCredentialsProvider(");
                said = (next >= 0 ? said.substring(0, next) : said).replaceFirst("]$", "").strip();
                // Not configured: the provider only says which variables it lacks.
                if (said.startsWith("Either the environment variable AWS_WEB_IDENTITY_TOKEN_FILE") || said.contains("must be set")) return null;
                return said.lines().findFirst().orElse(said);
            }

            /** Belt and braces: no secret value ever reaches the output, whatever an exception message contains. */
            static String redact(String text, List<String> secrets) {
                String result = text;
                for (String secret : secrets) {
                    if (secret != null && secret.length() >= 4) result = result.replace(secret, "****");
                }
                return result;
            }
        }
    }
    // ================================================================ SHARED INVALIDATION CODE END
}
