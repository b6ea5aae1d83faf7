///usr/bin/env jbang "$0" "$@" ; exit $?
//DESCRIPTION Invalidate CloudFront paths from CI: encoded, within CloudFront's limits, one paid invalidation per CI run, a sane wait
//JAVA 17+
//DEPS software.amazon.awssdk:bom:2.57.8@pom
//DEPS software.amazon.awssdk:cloudfront
//DEPS software.amazon.awssdk:url-connection-client
//DEPS software.amazon.awssdk:sts
//DEPS software.amazon.awssdk:sso
//DEPS software.amazon.awssdk:ssooidc
//DEPS info.picocli:picocli:4.7.7
//DEPS org.slf4j:slf4j-nop:1.7.36
//JAVA_OPTIONS -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudfront.CloudFrontClient;
import software.amazon.awssdk.services.cloudfront.CloudFrontClientBuilder;

/**
 * Invalidates CloudFront paths, the way a CI job needs it.
 * <ul>
 * <li>Paths are normalised (leading slash, RFC 1738 encoding, {@code ~} made a wildcard, duplicates and covered paths dropped)
 *     and, with {@code --max-paths}, collapsed into the fewest directory wildcards.</li>
 * <li>Requests never break CloudFront's in-progress limits (3,000 paths, 15 wildcards): larger sets go as batches that wait for room.</li>
 * <li>The CallerReference is derived from the distribution, the paths and the CI run, so a re-run job gets its invalidation back
 *     instead of paying for a second one.</li>
 * </ul>
 */
@Command(name = "invalidate", mixinStandardHelpOptions = true, version = "invalidate 1.0.0",
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Invalidates CloudFront paths: encoded, within CloudFront's limits, idempotent on CI re-runs, with a sane wait.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done, or skipped (pull request, other branch)", "1:AWS failure, wait timeout, I/O failure", "2:usage error"},
        footerHeading = "%nExamples:%n",
        footer = {"  invalidate -c EDFDVBD6EXAMPLE '/index.html' '/blog/*'",
                "  git diff --name-only HEAD~1 | invalidate --distribution www.example.com --files public --paths-from -",
                "  invalidate -c $DIST -i '/*' -b $TRAVIS_BRANCH -p $TRAVIS_PULL_REQUEST   # travis-ci-cloudfront-invalidation flags"})
class Invalidate implements Callable<Integer> {
    static final String NAME = "invalidate";

    public static void main(String[] args) {
        System.exit(newCommandLine().execute(args));
    }

    static CommandLine newCommandLine() {
        return newCommandLine(new Invalidate());
    }

    static CommandLine newCommandLine(Invalidate command) {
        return Invalidations.Cli.configure(new CommandLine(command), NAME, () -> command.err, () -> command.verbose, command::secrets);
    }

    // ---------------------------------------------------------------- options, in --help order

    @Parameters(paramLabel = "PATH", arity = "0..*", description = "Paths to invalidate (with --files: files under ROOT).")
    List<String> positionalPaths = new ArrayList<>();

    @Option(names = {"-c", "--distribution-id"}, paramLabel = "ID",
            description = "Distribution id. Default: $CLOUDFRONT_DISTRIBUTION_ID.")
    String distributionId;

    @Option(names = "--distribution", paramLabel = "NAME",
            description = "Find the distribution by an alternate domain name, its *.cloudfront.net domain, or the S3 bucket of its origin.")
    String distributionName;

    @Option(names = {"-i", "--paths"}, paramLabel = "PATHS", arity = "1..*",
            description = "Paths, comma-separated (each trimmed), space-separated (like the AWS CLI) or repeated. "
                    + "An item starting with # is a cache tag (#product:tv).")
    List<String> optionPaths = new ArrayList<>();

    @Option(names = "--invalidation-batch", paramLabel = "BATCH",
            description = "The AWS CLI's form: JSON, shorthand (Paths={Quantity=1,Items=[/a]},CallerReference=REF) or file://FILE.")
    String invalidationBatch;

    @Option(names = "--paths-from", paramLabel = "FILE",
            description = "Read paths from FILE ('-' for standard input): one a line, blank lines and # comments ignored.")
    String pathsFrom;

    @Option(names = "--files", paramLabel = "ROOT",
            description = "The inputs are files under ROOT (e.g. git diff --name-only under Hugo's public/): ROOT/a/b.css gives /a/b.css, "
                    + "ROOT/x/index.html gives /x/ and /x/index.html. Files outside ROOT are ignored.")
    Path filesRoot;

    @Option(names = "--max-paths", paramLabel = "N",
            description = "At most N paths (and 15 wildcards). With --files: the exact cheapest plan for the site under ROOT, the fewest "
                    + "unchanged URLs invalidated (wildcards may end any prefix, /posts/2026-*). Without: directory wildcards, deepest first.")
    Integer maxPaths;

    @Option(names = "--caller-reference", paramLabel = "REF",
            description = "CallerReference to send. Default: derived from the distribution, the paths and the CI run "
                    + "(GITHUB_RUN_ID, TRAVIS_BUILD_ID, CI_PIPELINE_ID), so a re-run returns the same invalidation; unique per call outside CI.")
    String callerReference;

    @Option(names = "--wait", description = "Wait until the invalidation is Completed (progress on stderr).")
    boolean waitForCompletion;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30m", converter = Invalidations.DurationConverter.class,
            description = "Bound on the whole run: waiting for room under CloudFront's limits, retries and --wait (e.g. 90s, 30m, 1h). Default: ${DEFAULT-VALUE}.")
    Duration timeout;

    @Option(names = "--warn-on-timeout", description = "A --timeout while waiting is a warning (exit 0), not a failure: a slow CloudFront need not fail a build.")
    boolean warnOnTimeout;

    @Option(names = "--poll-interval", paramLabel = "DURATION", defaultValue = "10s", converter = Invalidations.DurationConverter.class,
            description = "How often --wait asks for the status, and the first back-off when CloudFront has no room. Default: ${DEFAULT-VALUE}.")
    Duration pollInterval;

    @Option(names = "--dry-run", description = "Send nothing. --output json prints the request(s) as the AWS CLI's --cli-input-json reads them; "
            + "text the plan (paths, CallerReference, cost beyond the free tier); id nothing (no invalidation, no id). Else the plan goes to stderr.")
    boolean dryRun;

    @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "json",
            description = "json (the AWS CLI's shape), id (the id(s) only) or text (one line each). Default: ${DEFAULT-VALUE}.")
    Invalidations.OutputFormat output;

    // -b and -p take an empty value when none follows: "-p $TRAVIS_PULL_REQUEST" with the variable empty is "-p ''".
    @Option(names = {"-b", "--branch"}, paramLabel = "BRANCH", arity = "0..1", fallbackValue = "",
            description = "The branch being built. Default: from the CI (TRAVIS_BRANCH, GITHUB_REF_NAME, CI_COMMIT_REF_NAME). "
                    + "Given without -o, only master invalidates (travis-ci-cloudfront-invalidation's default).")
    String branch;

    @Option(names = {"-o", "--only-branch"}, paramLabel = "GLOB", split = ",",
            description = "Invalidate only when the branch matches one of these globs (comma-separated or repeated); skip otherwise. "
                    + "Empty: master.")
    List<String> onlyBranches;

    @Option(names = {"-p", "--pull-request"}, paramLabel = "PR", arity = "0..1", fallbackValue = "",
            description = "Pull request number, or 'false' (Travis's TRAVIS_PULL_REQUEST): anything but 'false', an empty value included, skips.")
    String pullRequest;

    @Option(names = "--allow-pull-requests", description = "Invalidate in pull-request builds too.")
    boolean allowPullRequests;

    @Option(names = "--profile", paramLabel = "NAME", description = "AWS profile (default: $AWS_PROFILE, then 'default').")
    String profile;

    @Option(names = "--endpoint-url", paramLabel = "URL",
            description = "CloudFront endpoint, e.g. a local emulator. Default: $AWS_ENDPOINT_URL_CLOUDFRONT, $AWS_ENDPOINT_URL, AWS.")
    URI endpointUrl;

    // -a and -s too: Travis sets no secure variable in a fork's pull request, so "-a $AWS_ACCESS_KEY -s ..." arrives as "-a -s".
    @Option(names = {"-a", "--access-key"}, paramLabel = "KEY", hidden = true, arity = "0..1", fallbackValue = "",
            description = "Access key id (travis-ci-cloudfront-invalidation compatibility; prefer AWS_ACCESS_KEY_ID).")
    String accessKey;

    @Option(names = {"-s", "--secret-key"}, paramLabel = "SECRET", hidden = true, arity = "0..1", fallbackValue = "",
            description = "Secret access key (compatibility; prefer AWS_SECRET_ACCESS_KEY).")
    String secretKey;

    @Option(names = {"-v", "--verbose"}, description = "Stack traces on errors, and each retry.")
    boolean verbose;

    // travis-ci-cloudfront-invalidation's long names, hidden from --help: lines written for it work unchanged.
    @Option(names = "--CloudFrontDistributionId", hidden = true)
    void npmDistributionId(String id) {
        distributionId = id;
    }

    @Option(names = "--ItemsforInvalidation", hidden = true)
    void npmItems(String items) {
        optionPaths.add(items);
    }

    @Option(names = "--OnBranches", hidden = true)
    void npmOnBranches(String branches) {
        onlyBranches = List.of(branches.split(",", -1));
    }

    @Option(names = "--TravisBranch", hidden = true, arity = "0..1", fallbackValue = "")
    void npmBranch(String name) {
        branch = name;
    }

    @Option(names = "--TravisPullRequest", hidden = true, arity = "0..1", fallbackValue = "")
    void npmPullRequest(String pr) {
        pullRequest = pr;
    }

    @Option(names = "--AWSAccessKey", hidden = true, arity = "0..1", fallbackValue = "")
    void npmAccessKey(String key) {
        accessKey = key;
    }

    @Option(names = "--AWSSecretKey", hidden = true, arity = "0..1", fallbackValue = "")
    void npmSecretKey(String secret) {
        secretKey = secret;
    }

    // The outside world, replaceable by in-process tests.
    Map<String, String> env = System.getenv();
    PrintStream out = System.out;
    PrintStream err = System.err;
    InputStream in = System.in;

    // ---------------------------------------------------------------- the steps

    @Override
    public Integer call() throws Exception {
        Invalidations.Log log = new Invalidations.Log(NAME, err, verbose);
        Invalidations.Ci ci = Invalidations.Ci.detect(env);
        var skip = Invalidations.skipReason(ci, branch, pullRequest, onlyBranches, allowPullRequests);
        if (skip.isPresent()) {
            log.note("skipped: " + skip.get());
            return 0;
        }
        CliBatch given = invalidationBatch == null ? null : CliBatch.parse(invalidationBatch, this::readFile);
        List<List<String>> batches = Invalidations.batches(paths(given, log));
        String distribution = checkOptions(given);
        String reference = given != null && given.callerReference() != null ? given.callerReference() : callerReference;
        if (dryRun && distributionName == null) {
            Invalidations.printDryRun(out, err, output, distribution, batches, references(reference, distribution, batches, ci));
            return 0;
        }

        AwsCredentialsProvider credentials = credentials();
        if (!isBlank(accessKey)) {
            log.warn("-a/-s put secrets on the command line; prefer AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, --profile or OIDC");
        }
        Instant deadline = Instant.now().plus(timeout);
        try (Invalidations.CloudFront cloudFront = Invalidations.CloudFront.connect(credentials, endpointUrl, env, log)) {
            if (distributionName != null) {
                distribution = Invalidations.findDistribution(cloudFront.distributions(), distributionName).id();
                log.note("distribution " + distributionName + " is " + distribution);
            }
            List<String> references = references(reference, distribution, batches, ci);
            if (dryRun) {
                Invalidations.printDryRun(out, err, output, distribution, batches, references);
                return 0;
            }
            var sender = new Invalidations.Sender(cloudFront, log, pollInterval, deadline);
            List<Invalidations.Result> results = sender.sendAll(distribution, batches, references);
            int code = 0;
            if (waitForCompletion) {
                try {
                    results = sender.waitAll(results);
                } catch (Invalidations.WaitTimeout timedOut) {
                    results = timedOut.results();
                    code = warnOnTimeout ? 0 : 1;
                    if (warnOnTimeout) log.warn(timedOut.getMessage());
                    else log.note("error: " + timedOut.getMessage());
                }
            }
            Invalidations.print(out, output, results);
            Invalidations.Ci.writeGitHubOutputs(env, results);
            return code;
        }
    }

    /** The normalised (and, with --max-paths, collapsed) paths; none at all is a usage error: there is no silent '/*'. */
    private List<String> paths(CliBatch given, Invalidations.Log log) throws IOException {
        List<String> inputs = readInputs(given);
        Invalidations.Normalized normalized = filesRoot != null
                ? Invalidations.urlsOfKeys(Invalidations.keysOfFiles(filesRoot.toString(), inputs, log::note))
                : Invalidations.normalize(inputs);
        normalized.notes().forEach(log::note);
        if (normalized.paths().isEmpty()) {
            throw new Invalidations.UsageError(inputs.isEmpty()
                    ? "no path given (there is no default: pass '/*' to invalidate everything)"
                    : "no path left to invalidate from the " + inputs.size() + " input(s)");
        }
        if (maxPaths == null) return normalized.paths();
        if (filesRoot == null) return Invalidations.collapse(normalized.paths(), maxPaths);
        // With the site's folder the whole site is known: the exact cheapest plan within the budget.
        List<String> others = siteUrls(filesRoot);
        others.removeAll(normalized.paths());
        if (maxPaths < 1) throw new Invalidations.UsageError("--max-paths must be at least 1");
        Invalidations.Plan plan = Invalidations.planWithin(normalized.paths(), others, maxPaths, Invalidations.MAX_WILDCARDS_IN_PROGRESS)
                .orElseThrow(() -> new IllegalStateException("no plan within " + maxPaths + " path(s)")); // a wildcard always fits
        log.note("plan: " + plan.items().size() + " path(s) for " + normalized.paths().size() + " changed URL(s) of the "
                + (others.size() + normalized.paths().size()) + " under " + filesRoot + "; " + plan.collateral()
                + " unchanged URL(s) also invalidated (/* would invalidate " + others.size() + ")");
        return plan.items();
    }

    /** The exact URLs of every file under ROOT (keys NFC-normalised, as deploy-site uploads them). */
    private static List<String> siteUrls(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new Invalidations.UsageError("--files " + root + " is not a folder");
        }
        List<String> urls = new ArrayList<>();
        try (var files = Files.walk(root)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                String key = java.text.Normalizer.normalize(root.relativize(f).toString().replace('\\', '/'), java.text.Normalizer.Form.NFC);
                urls.addAll(Invalidations.exactUrlsOfKey(key));
            }
        }
        return urls;
    }

    /** Usage errors the option types cannot catch; returns the distribution id given, if any. */
    private String checkOptions(CliBatch given) {
        String distribution = distributionId != null ? distributionId : env.get("CLOUDFRONT_DISTRIBUTION_ID");
        if ((distribution == null || distribution.isBlank()) && distributionName == null) {
            throw new Invalidations.UsageError("no distribution: pass --distribution-id (-c), --distribution, or set CLOUDFRONT_DISTRIBUTION_ID");
        }
        if (distributionId != null && distributionName != null) {
            throw new Invalidations.UsageError("--distribution-id and --distribution are exclusive");
        }
        if (given != null && given.callerReference() != null && callerReference != null) {
            throw new Invalidations.UsageError("--invalidation-batch has a CallerReference: --caller-reference cannot be added");
        }
        if (pollInterval.isZero() || pollInterval.isNegative()) {
            // Zero would poll and retry CloudFront in a tight loop.
            throw new Invalidations.UsageError("--poll-interval must be more than 0");
        }
        return distribution;
    }

    /** Every path given: arguments, -i items, --invalidation-batch's items, --paths-from's lines. */
    private List<String> readInputs(CliBatch given) throws IOException {
        List<String> inputs = new ArrayList<>(positionalPaths);
        inputs.addAll(splitItems(optionPaths));
        if (given != null) {
            if (!positionalPaths.isEmpty() || !optionPaths.isEmpty()) {
                // As in the AWS CLI, where --paths and --invalidation-batch are exclusive.
                throw new Invalidations.UsageError("--invalidation-batch holds the paths: it cannot be combined with -i/--paths or PATH arguments");
            }
            inputs.addAll(given.items());
        }
        if (pathsFrom != null) {
            try {
                inputs.addAll(Invalidations.readPathList(pathsFrom.equals("-")
                        ? new String(in.readAllBytes(), StandardCharsets.UTF_8)
                        : Files.readString(Path.of(pathsFrom), StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw new IOException("cannot read --paths-from " + pathsFrom + ": " + why(e), e);
            }
        }
        return inputs;
    }

    /** A file:// argument's text, as the AWS CLI reads it. */
    private String readFile(String file) {
        try {
            return Files.readString(Path.of(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + why(e), e);
        }
    }

    /** The JDK's message is the file alone (no such file, access denied) or the reason alone (is a directory). */
    private static String why(IOException e) {
        return e instanceof NoSuchFileException ? "no such file" : e instanceof AccessDeniedException ? "permission denied" : e.getMessage();
    }

    private List<String> references(String given, String distribution, List<List<String>> batches, Invalidations.Ci ci) {
        return Invalidations.callerReferences(given, distribution, "", batches, ci.runId(), UUID.randomUUID().toString());
    }

    /** -a and -s, for travis-ci-cloudfront-invalidation's lines; a blank one ("-a $UNSET_VARIABLE") counts as not given. */
    private AwsCredentialsProvider credentials() {
        if (!isBlank(accessKey) || !isBlank(secretKey)) {
            if (isBlank(accessKey) || isBlank(secretKey)) {
                throw new Invalidations.UsageError("-a (access key) and -s (secret key) go together");
            }
            return StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey));
        }
        return profile != null ? DefaultCredentialsProvider.builder().profileName(profile).build() : DefaultCredentialsProvider.builder().build();
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }

    /** Values that must never be printed: the secret of -s and of the environment. */
    List<String> secrets() {
        List<String> secrets = new ArrayList<>();
        if (secretKey != null) secrets.add(secretKey);
        for (String name : List.of("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")) {
            String value = env.get(name);
            if (value != null) secrets.add(value);
        }
        return secrets;
    }

    // ---------------------------------------------------------------- the inputs (pure)

    /**
     * The items of -i: each value split on commas and trimmed, as travis-ci-cloudfront-invalidation does
     * ('/index.html, /blog/*' is two paths). An empty item ('', '/a,,/b', a trailing comma) is a usage error, as there:
     * it would otherwise become '/'.
     */
    static List<String> splitItems(List<String> values) {
        List<String> items = new ArrayList<>();
        for (String value : values) {
            for (String item : value.split(",", -1)) {
                if (item.isBlank()) {
                    throw new Invalidations.UsageError("empty item in -i " + Invalidations.quote(value)
                            + " (items are comma-separated; pass '/' for the home page, '/*' for everything)");
                }
                items.add(item.strip());
            }
        }
        return items;
    }

    /** The AWS CLI's --invalidation-batch: the paths and, optionally, the CallerReference. */
    record CliBatch(List<String> items, String callerReference) {
        /** JSON or the CLI's shorthand, inline or from file://FILE; Quantity must match Items, as CloudFront requires. */
        static CliBatch parse(String value, java.util.function.Function<String, String> readFile) {
            String text = value.startsWith("file://") ? readFile.apply(value.substring("file://".length())) : value;
            Object parsed = CliSyntax.parse(text);
            if (!(parsed instanceof Map<?, ?> batch) || !(batch.get("Paths") instanceof Map<?, ?> paths)
                    || !(paths.get("Items") instanceof List<?> items) || !batch.keySet().stream().allMatch(k -> k.equals("Paths") || k.equals("CallerReference"))
                    || !paths.keySet().stream().allMatch(k -> k.equals("Quantity") || k.equals("Items"))) {
                throw new Invalidations.UsageError("--invalidation-batch: expected Paths={Quantity=N,Items=[...]},CallerReference=REF (or the same in JSON)");
            }
            List<String> strings = items.stream().map(i -> i instanceof String str ? str : null).toList();
            if (strings.contains(null)) {
                throw new Invalidations.UsageError("--invalidation-batch: every item of Paths.Items must be a string");
            }
            Object quantity = paths.get("Quantity");
            if (quantity != null && !String.valueOf(quantity).equals(String.valueOf(strings.size()))) {
                throw new Invalidations.UsageError("--invalidation-batch: Quantity " + quantity + " but " + strings.size()
                        + " item(s) (CloudFront answers InconsistentQuantities)");
            }
            Object reference = batch.get("CallerReference");
            if (reference != null && (!(reference instanceof String ref) || ref.isEmpty())) {
                throw new Invalidations.UsageError("--invalidation-batch: CallerReference must be a non-empty string");
            }
            return new CliBatch(strings, (String) reference);
        }
    }

    /**
     * The AWS CLI's two spellings of a structure: JSON, and shorthand (a=1,b={c=[x,y]}, values quoted with " or ' when
     * they hold , = [ ] { }). Gives Maps, Lists, Strings, Longs, Doubles, Booleans and nulls.
     */
    static final class CliSyntax {
        private final String text;
        private int at;

        private CliSyntax(String text) {
            this.text = text;
        }

        static Object parse(String text) {
            CliSyntax p = new CliSyntax(text.strip());
            Object value = p.text.startsWith("{") || p.text.startsWith("[") ? p.json() : p.shorthandMembers('\0');
            p.space();
            if (p.at != p.text.length()) throw p.error("unexpected '" + p.text.charAt(p.at) + "'");
            return value;
        }

        private Object json() {
            space();
            if (eat('{')) {
                Map<String, Object> map = new LinkedHashMap<>();
                if (eat('}')) return map;
                do {
                    space();
                    String key = quoted();
                    expect(':');
                    map.put(key, json());
                } while (eat(','));
                expect('}');
                return map;
            }
            if (eat('[')) return rest(this::json);
            if (peek() == '"') return quoted();
            Matcher m = Pattern.compile("true|false|null|-?\\d+(\\.\\d+)?([eE][+-]?\\d+)?").matcher(text).region(at, text.length());
            if (!m.lookingAt()) throw error("expected a JSON value");
            at = m.end();
            String token = m.group();
            return switch (token) {
                case "true" -> Boolean.TRUE;
                case "false" -> Boolean.FALSE;
                case "null" -> null;
                default -> token.matches("-?\\d+") ? (Object) Long.parseLong(token) : (Object) Double.parseDouble(token);
            };
        }

        /** The rest of a list after its '[', in either spelling. */
        private List<Object> rest(java.util.function.Supplier<Object> element) {
            List<Object> list = new ArrayList<>();
            if (eat(']')) return list;
            do {
                list.add(element.get());
            } while (eat(','));
            expect(']');
            return list;
        }

        /** A JSON string, or a shorthand value quoted with " or '. */
        private String quoted() {
            char quote = peek();
            if (quote != '"' && quote != '\'') throw error("expected a string");
            at++;
            StringBuilder b = new StringBuilder();
            while (at < text.length() && text.charAt(at) != quote) {
                char c = text.charAt(at++);
                if (c == '\\' && at < text.length()) {
                    char e = text.charAt(at++);
                    switch (e) {
                        case 'n' -> b.append('\n');
                        case 't' -> b.append('\t');
                        case 'r' -> b.append('\r');
                        case 'b' -> b.append('\b');
                        case 'f' -> b.append('\f');
                        case 'u' -> {
                            if (at + 4 > text.length()) throw error("bad \\u escape");
                            b.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                            at += 4;
                        }
                        default -> b.append(e);
                    }
                } else {
                    b.append(c);
                }
            }
            if (!eat(quote)) throw error("unterminated string");
            return b.toString();
        }

        /** key=value pairs separated by commas, up to the closing character (or the end when it is '\0'). */
        private Map<String, Object> shorthandMembers(char close) {
            Map<String, Object> map = new LinkedHashMap<>();
            do {
                space();
                int start = at;
                while (at < text.length() && text.charAt(at) != '=') at++;
                String key = text.substring(start, at).strip();
                if (key.isEmpty() || !key.matches("[A-Za-z0-9_]+")) throw error("expected KEY=VALUE");
                expect('=');
                map.put(key, shorthandValue());
                space();
            } while (eat(',') && (close == '\0' || peek() != close));
            return map;
        }

        private Object shorthandValue() {
            space();
            if (eat('{')) {
                Map<String, Object> map = shorthandMembers('}');
                expect('}');
                return map;
            }
            if (eat('[')) return rest(this::shorthandValue);
            if (peek() == '"' || peek() == '\'') return quoted();
            int start = at;
            while (at < text.length() && ",]}".indexOf(text.charAt(at)) < 0) at++;
            return text.substring(start, at).strip();
        }

        private char peek() {
            space();
            return at < text.length() ? text.charAt(at) : '\0';
        }

        private boolean eat(char c) {
            if (peek() != c || at >= text.length()) return false;
            at++;
            return true;
        }

        private void expect(char c) {
            if (!eat(c)) throw error("expected '" + c + "'");
        }

        private void space() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) at++;
        }

        private Invalidations.UsageError error(String what) {
            return new Invalidations.UsageError("--invalidation-batch: " + what + " at character " + (at + 1));
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
