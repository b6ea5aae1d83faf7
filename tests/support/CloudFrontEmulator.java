import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * A small CloudFront emulator for tests: the REST-XML of API version 2020-05-31 as the AWS SDK for Java v2
 * {@code CloudFrontClient} sends and parses it, on the JDK's HttpServer at 127.0.0.1. JDK only.
 *
 * <p>Operations: CreateInvalidation, GetInvalidation, ListInvalidations, ListDistributions, GetDistribution,
 * GetDistributionConfig. Modelled behaviour: invalidations are InProgress until {@link #completionDelay} has passed
 * since their creation, then Completed; CallerReference idempotency per distribution (same reference and same set of
 * paths returns the existing invalidation, different paths give 409 InvalidationBatchAlreadyExists); path validation
 * (400 InvalidArgument); cache tags (an item starting with {@code #} is a tag, not a path: the tag after {@code #} is
 * 1 to 256 characters, each ASCII 33 to 126 but {@code ,} and {@code *}, else 400 InvalidArgument naming it; a valid
 * tag is recorded as given, though CloudFront compares tags ignoring case); Quantity checks (400
 * InconsistentQuantities); empty body (400 MissingBody); at most 3,000 file paths (each tag counts as one) and 15
 * wildcard paths in progress per distribution (400 TooManyInvalidationsInProgress); more than 3,000 paths in one
 * batch (413 BatchTooLarge); unknown distribution (404 NoSuchDistribution) or invalidation (404 NoSuchInvalidation);
 * unknown route (404 NoSuchResource), wrong method (405 MethodNotAllowed).
 * Errors are {@code <ErrorResponse>} documents with an {@code x-amz-request-id} header, as CloudFront sends them.
 *
 * <p>Fault injection ({@link #inject}) is applied before anything else, so a faulted request changes no state
 * (except {@link Fault#LOST_RESPONSE}, which takes effect and then loses its answer).
 *
 * <p>Standalone: {@code java tests/support/CloudFrontEmulator.java [--port N] [--delay D]
 * [--distribution SPEC]...} prints {@code CloudFront emulator on http://127.0.0.1:PORT} and runs until killed.
 * D is milliseconds ({@code 500}), or {@code 500ms}, {@code 2s}, or ISO-8601 ({@code PT2S}).
 * SPEC is {@code ID[=ORIGIN[:/originPath]][,alias...]}, where ORIGIN is an S3 bucket name (origin domain
 * {@code BUCKET.s3.us-east-1.amazonaws.com}) or {@code @HOST} for any other origin domain used as is (for example
 * {@code @my-bucket.s3-website-us-east-1.amazonaws.com}); without ORIGIN the bucket is the ID in lower case.
 * Example: {@code --distribution E1ABCDEF123456=my-site:/prod,www.example.com,example.com}.
 */
final class CloudFrontEmulator implements AutoCloseable {

    static final String API_VERSION = "2020-05-31";
    static final String NS = "http://cloudfront.amazonaws.com/doc/2020-05-31/";
    static final String ACCOUNT_ID = "123456789012";
    static final int MAX_FILE_PATHS_IN_PROGRESS = 3000;
    static final int MAX_WILDCARD_PATHS_IN_PROGRESS = 15;
    static final int MAX_PATHS_PER_BATCH = 3000;
    static final int MAX_PATH_LENGTH = 4000;
    static final int MAX_TAG_LENGTH = 256;
    static final List<String> OPERATIONS = List.of("CreateInvalidation", "GetInvalidation", "ListInvalidations",
            "ListDistributions", "GetDistribution", "GetDistributionConfig");

    private static final String UNSAFE = " \"<>#{}|\\^~[]`";
    private static final String ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    // ------------------------------------------------------------------ public types

    /** An origin; {@code domainName} like {@code my-bucket.s3.us-east-1.amazonaws.com}; originPath "" or "/prod". */
    record Origin(String id, String domainName, String originPath) {
        Origin {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(domainName, "domainName");
            originPath = originPath == null ? "" : originPath;
        }

        /** The S3 REST endpoint of {@code bucket} in us-east-1, id = domain name, no origin path. */
        static Origin s3(String bucket) {
            return s3(bucket, "us-east-1", "");
        }

        static Origin s3(String bucket, String region, String originPath) {
            String domain = bucket + ".s3." + region + ".amazonaws.com";
            return new Origin(domain, domain, originPath);
        }

        /** True for an S3 REST endpoint (answered with S3OriginConfig); website endpoints are custom origins. */
        boolean isS3() {
            String d = domainName.toLowerCase();
            return !d.contains(".s3-website") && d.matches(".+\\.s3([.-][a-z0-9-]+)*\\.amazonaws\\.com(\\.cn)?");
        }
    }

    record Distribution(String id, String arn, String domainName, List<String> aliases, List<Origin> origins,
                        String etag, Instant lastModifiedTime, String callerReference) {
        Distribution {
            aliases = List.copyOf(aliases);
            origins = List.copyOf(origins);
        }
    }

    /** An invalidation as seen now (status computed at the time of the call). */
    record Invalidation(String id, String distributionId, String status, List<String> paths, String callerReference,
                        Instant createTime) {
    }

    /** One request the emulator received; status is -1 for a dropped connection, fault is null when none applied. */
    record RecordedRequest(String operation, String method, String path, String query, String body, Instant time,
                           int status, Fault fault) {
    }

    /** A fault answered instead of (or, for SLOW, before) the normal answer. */
    sealed interface Fault permits Fault.ErrorReply, Fault.Slow, Fault.Drop, Fault.LostResponse {
        Fault SERVICE_UNAVAILABLE = new ErrorReply(503, "ServiceUnavailable",
                "CloudFront is temporarily unable to handle the request. Please try again later.");
        Fault THROTTLING = new ErrorReply(400, "Throttling", "Rate exceeded");
        Fault INTERNAL_ERROR = new ErrorReply(500, "InternalError",
                "We encountered an internal error. Please try again.");
        Fault DROP_CONNECTION = new Drop();
        /**
         * Unlike the others, this one lets the request take effect (an invalidation is created) and then closes the
         * connection without an answer: the client's retry with the same CallerReference must get the same Id.
         */
        Fault LOST_RESPONSE = new LostResponse();

        /** Answers normally after {@code delay}. */
        static Fault SLOW(Duration delay) {
            return new Slow(delay);
        }

        /** Any error answer, e.g. {@code error(403, "AccessDenied", "Access denied")}. */
        static Fault error(int status, String code, String message) {
            return new ErrorReply(status, code, message);
        }

        record ErrorReply(int status, String code, String message) implements Fault {
        }

        record Slow(Duration delay) implements Fault {
        }

        /** Closes the connection without any answer. */
        record Drop() implements Fault {
        }

        /** Handles the request, then closes the connection without any answer. */
        record LostResponse() implements Fault {
        }
    }

    // ------------------------------------------------------------------ state (guarded by this)

    private static final class Inv {
        final String id;
        final String distributionId;
        final List<String> paths;
        final String callerReference;
        final Instant createTime;
        Instant completeAt;
        final long seq;

        Inv(String id, String distributionId, List<String> paths, String callerReference, Instant createTime,
            Instant completeAt, long seq) {
            this.id = id;
            this.distributionId = distributionId;
            this.paths = paths;
            this.callerReference = callerReference;
            this.createTime = createTime;
            this.completeAt = completeAt;
            this.seq = seq;
        }

        boolean inProgress(Instant now) {
            return now.isBefore(completeAt);
        }

        String status(Instant now) {
            return inProgress(now) ? "InProgress" : "Completed";
        }
    }

    private static final class PendingFault {
        final String operation; // null = any
        final Fault fault;
        int remaining;

        PendingFault(String operation, Fault fault, int remaining) {
            this.operation = operation;
            this.fault = fault;
            this.remaining = remaining;
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final Map<String, Distribution> distributions = new LinkedHashMap<>();
    private final Map<String, List<Inv>> invalidations = new LinkedHashMap<>();
    private final List<RecordedRequest> requests = new ArrayList<>();
    private final List<PendingFault> faults = new ArrayList<>();
    private Duration completionDelay = Duration.ZERO;
    private long seq;

    private CloudFrontEmulator(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 64);
        AtomicInteger n = new AtomicInteger();
        executor = Executors.newFixedThreadPool(8, r -> {
            Thread t = new Thread(r, "cloudfront-emulator-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    // ------------------------------------------------------------------ test-facing API

    /** Starts an emulator on 127.0.0.1 at a free port. */
    static CloudFrontEmulator start() {
        return start(0);
    }

    static CloudFrontEmulator start(int port) {
        try {
            return new CloudFrontEmulator(port);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the CloudFront emulator: " + e, e);
        }
    }

    /** {@code http://127.0.0.1:PORT} */
    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    int port() {
        return server.getAddress().getPort();
    }

    /**
     * Adds (or replaces, keeping its invalidations) a Deployed, enabled distribution. A null {@code domainName}
     * gets a generated {@code dXXXXXXXXXXXXX.cloudfront.net} derived from the id.
     */
    synchronized Distribution addDistribution(String id, String domainName, List<String> aliases, List<Origin> origins) {
        Objects.requireNonNull(id, "id");
        if (origins == null || origins.isEmpty()) {
            throw new IllegalArgumentException("a distribution needs at least one origin");
        }
        String domain = domainName != null ? domainName : generatedDomain(id);
        Distribution d = new Distribution(id, "arn:aws:cloudfront::" + ACCOUNT_ID + ":distribution/" + id, domain,
                aliases == null ? List.of() : aliases, origins, "E" + randomId(13),
                Instant.now().truncatedTo(ChronoUnit.MILLIS), "emulator-" + id);
        distributions.put(id, d);
        invalidations.computeIfAbsent(id, k -> new ArrayList<>());
        return d;
    }

    /** Drops a distribution and its invalidations (tests that add one for a single case remove it again). */
    synchronized void removeDistribution(String id) {
        distributions.remove(id);
        invalidations.remove(id);
    }

    synchronized List<Distribution> distributions() {
        return List.copyOf(distributions.values());
    }

    /** A delay before each request is handled: CloudFront's latency as a CI runner sees it (the benchmark's profile). */
    private volatile Duration latency = Duration.ZERO;

    void latency(Duration d) {
        latency = d;
    }

    /** Delay from creation to Completed for invalidations created from now on (default 0). */
    synchronized CloudFrontEmulator completionDelay(Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException("completion delay must be >= 0");
        }
        completionDelay = d;
        return this;
    }

    synchronized Duration completionDelay() {
        return completionDelay;
    }

    /** Marks every invalidation Completed now. */
    synchronized void completeAll() {
        Instant now = Instant.now();
        for (List<Inv> list : invalidations.values()) {
            for (Inv inv : list) {
                if (inv.inProgress(now)) {
                    inv.completeAt = now;
                }
            }
        }
    }

    /** The next {@code times} requests, of any operation, get {@code fault}. */
    void inject(Fault fault, int times) {
        inject(null, fault, times);
    }

    /** The next {@code times} requests of {@code operation} (null = any) get {@code fault}. */
    synchronized void inject(String operation, Fault fault, int times) {
        Objects.requireNonNull(fault, "fault");
        if (operation != null && !OPERATIONS.contains(operation)) {
            throw new IllegalArgumentException("unknown operation " + operation + "; one of " + OPERATIONS);
        }
        if (times < 1) {
            throw new IllegalArgumentException("times must be >= 1");
        }
        faults.add(new PendingFault(operation, fault, times));
    }

    /** Requests received so far, each recorded just before its answer (or dropped connection) left. */
    synchronized List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    /** Number of requests received for {@code operation}, faulted ones included. */
    synchronized long count(String operation) {
        return requests.stream().filter(r -> r.operation().equals(operation)).count();
    }

    /** The distribution's invalidations, oldest first, with their status as of now. */
    synchronized List<Invalidation> invalidations(String distributionId) {
        Instant now = Instant.now();
        List<Invalidation> out = new ArrayList<>();
        for (Inv inv : invalidations.getOrDefault(distributionId, List.of())) {
            out.add(view(inv, now));
        }
        return out;
    }

    /** Drops invalidations, recorded requests and pending faults; keeps distributions and the completion delay. */
    synchronized void reset() {
        invalidations.replaceAll((k, v) -> new ArrayList<>());
        requests.clear();
        faults.clear();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // ------------------------------------------------------------------ HTTP

    private static final class Reply {
        final int status;
        final String body;
        final Map<String, String> headers = new LinkedHashMap<>();

        Reply(int status, String body) {
            this.status = status;
            this.body = body;
        }

        Reply header(String name, String value) {
            headers.put(name, value);
            return this;
        }
    }

    /** An error answer thrown from within request handling. */
    private static final class CfError extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;
        final String code;

        CfError(int status, String code, String message) {
            super(message, null, false, false);
            this.status = status;
            this.code = code;
        }
    }

    private record Route(String operation, String distributionId, String invalidationId) {
    }

    private void handle(HttpExchange ex) throws IOException {
        Instant arrived = Instant.now();
        if (!latency.isZero()) {
            try {
                Thread.sleep(latency.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        String method = ex.getRequestMethod();
        String rawPath = ex.getRequestURI().getRawPath();
        String query = ex.getRequestURI().getRawQuery();
        byte[] bodyBytes;
        try (InputStream in = ex.getRequestBody()) {
            bodyBytes = in.readAllBytes();
        }
        String body = new String(bodyBytes, StandardCharsets.UTF_8);
        Route route = route(method, rawPath);
        String op = route.operation();

        Fault fault = takeFault(op);
        // Each request is recorded before its answer leaves, so a client that has its answer sees it recorded.
        if (fault instanceof Fault.Drop) {
            record(op, method, rawPath, query, body, arrived, -1, fault);
            ex.close(); // no response headers sent: the JDK server closes the connection
            return;
        }
        if (fault instanceof Fault.Slow slow) {
            try {
                Thread.sleep(slow.delay().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                record(op, method, rawPath, query, body, arrived, -1, fault);
                ex.close();
                return;
            }
        }
        Reply reply;
        if (fault instanceof Fault.ErrorReply e) {
            reply = error(e.status(), e.code(), e.message());
        } else {
            try {
                reply = dispatch(route, method, query, bodyBytes);
            } catch (CfError e) {
                reply = error(e.status, e.code, e.getMessage());
            } catch (RuntimeException e) {
                reply = error(500, "InternalError", "emulator failure: " + e);
            }
        }
        if (fault instanceof Fault.LostResponse) {
            record(op, method, rawPath, query, body, arrived, -1, fault);
            ex.close();
            return;
        }
        record(op, method, rawPath, query, body, arrived, reply.status, fault);
        send(ex, reply);
    }

    private synchronized void record(String op, String method, String path, String query, String body, Instant time,
                                     int status, Fault fault) {
        requests.add(new RecordedRequest(op, method, path, query, body, time, status, fault));
    }

    private synchronized Fault takeFault(String operation) {
        for (var it = faults.iterator(); it.hasNext(); ) {
            PendingFault pf = it.next();
            if (pf.operation == null || pf.operation.equals(operation)) {
                if (--pf.remaining <= 0) {
                    it.remove();
                }
                return pf.fault;
            }
        }
        return null;
    }

    private static void send(HttpExchange ex, Reply reply) throws IOException {
        byte[] bytes = reply.body.getBytes(StandardCharsets.UTF_8);
        var h = ex.getResponseHeaders();
        h.set("Content-Type", "text/xml");
        reply.headers.forEach(h::set);
        ex.sendResponseHeaders(reply.status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            ex.getResponseBody().write(bytes);
        }
        ex.close();
    }

    private static Reply error(int status, String code, String message) {
        String requestId = UUID.randomUUID().toString();
        String xml = "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"" + NS + "\"><Error><Type>"
                + (status >= 500 ? "Receiver" : "Sender") + "</Type><Code>" + esc(code) + "</Code><Message>"
                + esc(message) + "</Message></Error><RequestId>" + requestId + "</RequestId></ErrorResponse>";
        return new Reply(status, xml).header("x-amz-request-id", requestId);
    }

    private static Route route(String method, String rawPath) {
        String prefix = "/" + API_VERSION + "/";
        if (rawPath == null || !rawPath.startsWith(prefix)) {
            return new Route("Unknown", null, null);
        }
        String[] s = rawPath.substring(prefix.length()).split("/", -1);
        for (int i = 0; i < s.length; i++) {
            s[i] = URLDecoder.decode(s[i].replace("+", "%2B"), StandardCharsets.UTF_8);
        }
        int n = s.length;
        if (n > 0 && s[n - 1].isEmpty()) {
            n--; // tolerate one trailing slash
        }
        if (n == 0 || !s[0].equals("distribution")) {
            return new Route("Unknown", null, null);
        }
        boolean get = method.equals("GET");
        boolean post = method.equals("POST");
        if (n == 1 && get) {
            return new Route("ListDistributions", null, null);
        }
        if (n == 2 && get && !s[1].isEmpty()) {
            return new Route("GetDistribution", s[1], null);
        }
        if (n == 3 && get && s[2].equals("config")) {
            return new Route("GetDistributionConfig", s[1], null);
        }
        if (n == 3 && s[2].equals("invalidation")) {
            if (post) {
                return new Route("CreateInvalidation", s[1], null);
            }
            if (get) {
                return new Route("ListInvalidations", s[1], null);
            }
        }
        if (n == 4 && get && s[2].equals("invalidation") && !s[3].isEmpty()) {
            return new Route("GetInvalidation", s[1], s[3]);
        }
        boolean knownPath = n <= 2 || (n == 3 && (s[2].equals("config") || s[2].equals("invalidation")))
                || (n == 4 && s[2].equals("invalidation"));
        return new Route(knownPath ? "MethodNotAllowed" : "Unknown", null, null);
    }

    private Reply dispatch(Route route, String method, String query, byte[] body) throws CfError {
        switch (route.operation()) {
            case "Unknown":
                throw new CfError(404, "NoSuchResource", "The requested resource does not exist.");
            case "MethodNotAllowed":
                throw new CfError(405, "MethodNotAllowed", "The method " + method + " is not allowed here.");
            default:
                break;
        }
        Map<String, String> q = parseQuery(query);
        synchronized (this) {
            Instant now = Instant.now();
            return switch (route.operation()) {
                case "ListDistributions" -> listDistributions(q);
                case "GetDistribution" -> getDistribution(route.distributionId(), now);
                case "GetDistributionConfig" -> getDistributionConfig(route.distributionId());
                case "CreateInvalidation" -> createInvalidation(route.distributionId(), body, now);
                case "ListInvalidations" -> listInvalidations(route.distributionId(), q, now);
                case "GetInvalidation" -> getInvalidation(route.distributionId(), route.invalidationId(), now);
                default -> throw new IllegalStateException(route.operation());
            };
        }
    }

    // ------------------------------------------------------------------ operations (called holding the lock)

    private Distribution distribution(String id) throws CfError {
        Distribution d = distributions.get(id);
        if (d == null) {
            throw new CfError(404, "NoSuchDistribution", "The specified distribution does not exist.");
        }
        return d;
    }

    private Reply createInvalidation(String distributionId, byte[] body, Instant now) throws CfError {
        Distribution d = distribution(distributionId);
        Batch batch = parseBatch(body);
        for (String p : batch.paths) {
            String why = pathProblem(p);
            if (why != null) {
                throw new CfError(400, "InvalidArgument",
                        "Your request contains one or more invalid invalidation paths. (" + why + ")");
            }
        }
        List<Inv> list = invalidations.computeIfAbsent(d.id(), k -> new ArrayList<>());
        for (Inv inv : list) {
            if (inv.callerReference.equals(batch.callerReference)) {
                if (new HashSet<>(inv.paths).equals(new HashSet<>(batch.paths))) {
                    return created(inv, now);
                }
                throw new CfError(409, "InvalidationBatchAlreadyExists",
                        "The CallerReference you attempted to create the invalidation batch with is already in use"
                                + " with a different invalidation batch.");
            }
        }
        if (batch.paths.size() > MAX_PATHS_PER_BATCH) {
            throw new CfError(413, "BatchTooLarge", "Invalidation batch specified is too large.");
        }
        int files = 0;
        int wildcards = 0;
        for (Inv inv : list) {
            if (inv.inProgress(now)) {
                for (String p : inv.paths) {
                    if (isWildcard(p)) {
                        wildcards++;
                    } else {
                        files++;
                    }
                }
            }
        }
        int newWildcards = (int) batch.paths.stream().filter(CloudFrontEmulator::isWildcard).count();
        int newFiles = batch.paths.size() - newWildcards;
        if (wildcards + newWildcards > MAX_WILDCARD_PATHS_IN_PROGRESS) {
            throw new CfError(400, "TooManyInvalidationsInProgress", "Processing your request will cause you to"
                    + " exceed the maximum number of in-progress wildcard invalidations.");
        }
        if (files + newFiles > MAX_FILE_PATHS_IN_PROGRESS) {
            throw new CfError(400, "TooManyInvalidationsInProgress", "Processing your request will cause you to"
                    + " exceed the maximum number of in-progress file invalidations.");
        }
        Set<String> taken = new HashSet<>();
        list.forEach(i -> taken.add(i.id));
        String id;
        do {
            id = "I" + randomId(13);
        } while (taken.contains(id));
        Instant created = now.truncatedTo(ChronoUnit.MILLIS);
        Inv inv = new Inv(id, d.id(), List.copyOf(batch.paths), batch.callerReference, created,
                created.plus(completionDelay), ++seq);
        list.add(inv);
        return created(inv, now);
    }

    private Reply created(Inv inv, Instant now) {
        return new Reply(201, "<?xml version=\"1.0\"?>\n" + invalidationXml(inv, now, true))
                .header("Location", "https://cloudfront.amazonaws.com/" + API_VERSION + "/distribution/"
                        + inv.distributionId + "/invalidation/" + inv.id);
    }

    private Reply getInvalidation(String distributionId, String invalidationId, Instant now) throws CfError {
        distribution(distributionId);
        for (Inv inv : invalidations.getOrDefault(distributionId, List.of())) {
            if (inv.id.equals(invalidationId)) {
                return new Reply(200, "<?xml version=\"1.0\"?>\n" + invalidationXml(inv, now, true));
            }
        }
        throw new CfError(404, "NoSuchInvalidation", "The specified invalidation does not exist.");
    }

    private Reply listInvalidations(String distributionId, Map<String, String> q, Instant now) throws CfError {
        distribution(distributionId);
        List<Inv> newestFirst = new ArrayList<>(invalidations.getOrDefault(distributionId, List.of()));
        newestFirst.sort((a, b) -> Long.compare(b.seq, a.seq));
        List<String> ids = newestFirst.stream().map(i -> i.id).toList();
        Page page = page(ids, q);
        StringBuilder x = new StringBuilder("<?xml version=\"1.0\"?>\n<InvalidationList xmlns=\"" + NS + "\">");
        listHeader(x, page);
        if (page.to > page.from) {
            x.append("<Items>");
            for (Inv inv : newestFirst.subList(page.from, page.to)) {
                x.append("<InvalidationSummary>");
                el(x, "Id", inv.id);
                el(x, "CreateTime", iso(inv.createTime));
                el(x, "Status", inv.status(now));
                x.append("</InvalidationSummary>");
            }
            x.append("</Items>");
        }
        x.append("</InvalidationList>");
        return new Reply(200, x.toString());
    }

    private Reply listDistributions(Map<String, String> q) throws CfError {
        List<Distribution> all = new ArrayList<>(distributions.values());
        Page page = page(all.stream().map(Distribution::id).toList(), q);
        StringBuilder x = new StringBuilder("<?xml version=\"1.0\"?>\n<DistributionList xmlns=\"" + NS + "\">");
        listHeader(x, page);
        if (page.to > page.from) {
            x.append("<Items>");
            for (Distribution d : all.subList(page.from, page.to)) {
                x.append("<DistributionSummary>");
                el(x, "Id", d.id());
                el(x, "ARN", d.arn());
                el(x, "ETag", d.etag());
                el(x, "Status", "Deployed");
                el(x, "LastModifiedTime", iso(d.lastModifiedTime()));
                el(x, "DomainName", d.domainName());
                aliasesXml(x, d);
                originsXml(x, d);
                x.append("<OriginGroups><Quantity>0</Quantity></OriginGroups>");
                defaultCacheBehaviorXml(x, d);
                x.append("<CacheBehaviors><Quantity>0</Quantity></CacheBehaviors>");
                x.append("<CustomErrorResponses><Quantity>0</Quantity></CustomErrorResponses>");
                el(x, "Comment", "");
                el(x, "PriceClass", "PriceClass_All");
                el(x, "Enabled", "true");
                viewerCertificateXml(x, d);
                x.append("<Restrictions><GeoRestriction><RestrictionType>none</RestrictionType>"
                        + "<Quantity>0</Quantity></GeoRestriction></Restrictions>");
                el(x, "WebACLId", "");
                el(x, "HttpVersion", "http2");
                el(x, "IsIPV6Enabled", "true");
                aliasIcpXml(x, d);
                el(x, "Staging", "false");
                x.append("</DistributionSummary>");
            }
            x.append("</Items>");
        }
        x.append("</DistributionList>");
        return new Reply(200, x.toString());
    }

    private Reply getDistribution(String id, Instant now) throws CfError {
        Distribution d = distribution(id);
        long inProgress = invalidations.getOrDefault(id, List.of()).stream().filter(i -> i.inProgress(now)).count();
        StringBuilder x = new StringBuilder("<?xml version=\"1.0\"?>\n<Distribution xmlns=\"" + NS + "\">");
        el(x, "Id", d.id());
        el(x, "ARN", d.arn());
        el(x, "Status", "Deployed");
        el(x, "LastModifiedTime", iso(d.lastModifiedTime()));
        el(x, "InProgressInvalidationBatches", Long.toString(inProgress));
        el(x, "DomainName", d.domainName());
        x.append("<ActiveTrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></ActiveTrustedSigners>");
        x.append("<ActiveTrustedKeyGroups><Enabled>false</Enabled><Quantity>0</Quantity></ActiveTrustedKeyGroups>");
        distributionConfigXml(x, d, null);
        aliasIcpXml(x, d);
        x.append("</Distribution>");
        return new Reply(200, x.toString()).header("ETag", d.etag());
    }

    private Reply getDistributionConfig(String id) throws CfError {
        Distribution d = distribution(id);
        StringBuilder x = new StringBuilder("<?xml version=\"1.0\"?>\n");
        distributionConfigXml(x, d, NS);
        return new Reply(200, x.toString()).header("ETag", d.etag());
    }

    // ------------------------------------------------------------------ XML out

    private static String invalidationXml(Inv inv, Instant now, boolean withNs) {
        StringBuilder x = new StringBuilder("<Invalidation" + (withNs ? " xmlns=\"" + NS + "\"" : "") + ">");
        el(x, "Id", inv.id);
        el(x, "Status", inv.status(now));
        el(x, "CreateTime", iso(inv.createTime));
        x.append("<InvalidationBatch><Paths>");
        el(x, "Quantity", Integer.toString(inv.paths.size()));
        x.append("<Items>");
        for (String p : inv.paths) {
            el(x, "Path", p);
        }
        x.append("</Items></Paths>");
        el(x, "CallerReference", inv.callerReference);
        x.append("</InvalidationBatch></Invalidation>");
        return x.toString();
    }

    private static void distributionConfigXml(StringBuilder x, Distribution d, String ns) {
        x.append(ns == null ? "<DistributionConfig>" : "<DistributionConfig xmlns=\"" + ns + "\">");
        el(x, "CallerReference", d.callerReference());
        aliasesXml(x, d);
        el(x, "DefaultRootObject", "index.html");
        originsXml(x, d);
        x.append("<OriginGroups><Quantity>0</Quantity></OriginGroups>");
        defaultCacheBehaviorXml(x, d);
        x.append("<CacheBehaviors><Quantity>0</Quantity></CacheBehaviors>");
        x.append("<CustomErrorResponses><Quantity>0</Quantity></CustomErrorResponses>");
        el(x, "Comment", "");
        x.append("<Logging><Enabled>false</Enabled><IncludeCookies>false</IncludeCookies><Bucket></Bucket>"
                + "<Prefix></Prefix></Logging>");
        el(x, "PriceClass", "PriceClass_All");
        el(x, "Enabled", "true");
        viewerCertificateXml(x, d);
        x.append("<Restrictions><GeoRestriction><RestrictionType>none</RestrictionType><Quantity>0</Quantity>"
                + "</GeoRestriction></Restrictions>");
        el(x, "WebACLId", "");
        el(x, "HttpVersion", "http2");
        el(x, "IsIPV6Enabled", "true");
        el(x, "ContinuousDeploymentPolicyId", "");
        el(x, "Staging", "false");
        x.append("</DistributionConfig>");
    }

    private static void aliasesXml(StringBuilder x, Distribution d) {
        x.append("<Aliases>");
        el(x, "Quantity", Integer.toString(d.aliases().size()));
        if (!d.aliases().isEmpty()) {
            x.append("<Items>");
            for (String a : d.aliases()) {
                el(x, "CNAME", a);
            }
            x.append("</Items>");
        }
        x.append("</Aliases>");
    }

    private static void aliasIcpXml(StringBuilder x, Distribution d) {
        if (d.aliases().isEmpty()) {
            return;
        }
        x.append("<AliasICPRecordals>");
        for (String a : d.aliases()) {
            x.append("<AliasICPRecordal>");
            el(x, "CNAME", a);
            el(x, "ICPRecordalStatus", "APPROVED");
            x.append("</AliasICPRecordal>");
        }
        x.append("</AliasICPRecordals>");
    }

    private static void originsXml(StringBuilder x, Distribution d) {
        x.append("<Origins>");
        el(x, "Quantity", Integer.toString(d.origins().size()));
        x.append("<Items>");
        for (Origin o : d.origins()) {
            x.append("<Origin>");
            el(x, "Id", o.id());
            el(x, "DomainName", o.domainName());
            el(x, "OriginPath", o.originPath());
            x.append("<CustomHeaders><Quantity>0</Quantity></CustomHeaders>");
            if (o.isS3()) {
                x.append("<S3OriginConfig><OriginAccessIdentity></OriginAccessIdentity></S3OriginConfig>");
            } else {
                boolean website = o.domainName().toLowerCase().contains(".s3-website");
                x.append("<CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort>");
                el(x, "OriginProtocolPolicy", website ? "http-only" : "https-only");
                x.append("<OriginSslProtocols><Quantity>1</Quantity><Items><SslProtocol>TLSv1.2</SslProtocol>"
                        + "</Items></OriginSslProtocols><OriginReadTimeout>30</OriginReadTimeout>"
                        + "<OriginKeepaliveTimeout>5</OriginKeepaliveTimeout></CustomOriginConfig>");
            }
            x.append("<ConnectionAttempts>3</ConnectionAttempts><ConnectionTimeout>10</ConnectionTimeout>");
            x.append("<OriginShield><Enabled>false</Enabled></OriginShield>");
            el(x, "OriginAccessControlId", "");
            x.append("</Origin>");
        }
        x.append("</Items></Origins>");
    }

    private static void defaultCacheBehaviorXml(StringBuilder x, Distribution d) {
        x.append("<DefaultCacheBehavior>");
        el(x, "TargetOriginId", d.origins().get(0).id());
        x.append("<TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners>");
        x.append("<TrustedKeyGroups><Enabled>false</Enabled><Quantity>0</Quantity></TrustedKeyGroups>");
        el(x, "ViewerProtocolPolicy", "redirect-to-https");
        x.append("<AllowedMethods><Quantity>2</Quantity><Items><Method>HEAD</Method><Method>GET</Method></Items>"
                + "<CachedMethods><Quantity>2</Quantity><Items><Method>HEAD</Method><Method>GET</Method></Items>"
                + "</CachedMethods></AllowedMethods>");
        el(x, "SmoothStreaming", "false");
        el(x, "Compress", "true");
        x.append("<LambdaFunctionAssociations><Quantity>0</Quantity></LambdaFunctionAssociations>");
        x.append("<FunctionAssociations><Quantity>0</Quantity></FunctionAssociations>");
        el(x, "FieldLevelEncryptionId", "");
        el(x, "CachePolicyId", "658327ea-f89d-4fab-a63d-7e88639e58f6"); // managed policy CachingOptimized
        x.append("</DefaultCacheBehavior>");
    }

    private static void viewerCertificateXml(StringBuilder x, Distribution d) {
        x.append("<ViewerCertificate>");
        if (d.aliases().isEmpty()) {
            el(x, "CloudFrontDefaultCertificate", "true");
            el(x, "SSLSupportMethod", "vip");
            el(x, "MinimumProtocolVersion", "TLSv1");
            el(x, "CertificateSource", "cloudfront");
        } else {
            String arn = "arn:aws:acm:us-east-1:" + ACCOUNT_ID + ":certificate/"
                    + UUID.nameUUIDFromBytes(d.id().getBytes(StandardCharsets.UTF_8));
            el(x, "ACMCertificateArn", arn);
            el(x, "SSLSupportMethod", "sni-only");
            el(x, "MinimumProtocolVersion", "TLSv1.2_2021");
            el(x, "Certificate", arn);
            el(x, "CertificateSource", "acm");
        }
        x.append("</ViewerCertificate>");
    }

    private static void listHeader(StringBuilder x, Page page) {
        el(x, "Marker", page.marker);
        if (page.truncated) {
            el(x, "NextMarker", page.nextMarker);
        }
        el(x, "MaxItems", Integer.toString(page.maxItems));
        el(x, "IsTruncated", Boolean.toString(page.truncated));
        el(x, "Quantity", Integer.toString(page.to - page.from));
    }

    private static void el(StringBuilder x, String name, String value) {
        if (value == null || value.isEmpty()) {
            x.append('<').append(name).append("></").append(name).append('>');
        } else {
            x.append('<').append(name).append('>').append(esc(value)).append("</").append(name).append('>');
        }
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&apos;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static String iso(Instant t) {
        return DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.MILLIS));
    }

    // ------------------------------------------------------------------ paging

    private record Page(String marker, String nextMarker, int maxItems, boolean truncated, int from, int to) {
    }

    /** Marker = the id of the last item of the previous page (NextMarker); the page starts after it. */
    private static Page page(List<String> ids, Map<String, String> q) throws CfError {
        String marker = q.getOrDefault("Marker", "");
        int maxItems = 100;
        String mi = q.get("MaxItems");
        if (mi != null && !mi.isEmpty()) {
            try {
                maxItems = Integer.parseInt(mi);
            } catch (NumberFormatException e) {
                throw new CfError(400, "InvalidArgument", "MaxItems must be a positive integer.");
            }
            if (maxItems < 1) {
                throw new CfError(400, "InvalidArgument", "MaxItems must be a positive integer.");
            }
        }
        int from = 0;
        if (!marker.isEmpty()) {
            int at = ids.indexOf(marker);
            if (at < 0) {
                throw new CfError(400, "InvalidArgument", "The marker " + marker + " is not valid.");
            }
            from = at + 1;
        }
        int to = (int) Math.min((long) from + maxItems, ids.size());
        boolean truncated = to < ids.size();
        return new Page(marker, truncated ? ids.get(to - 1) : null, maxItems, truncated, from, to);
    }

    private static Map<String, String> parseQuery(String rawQuery) {
        Map<String, String> q = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return q;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            q.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return q;
    }

    // ------------------------------------------------------------------ XML in and path rules

    private record Batch(List<String> paths, String callerReference) {
    }

    private static Batch parseBatch(byte[] body) throws CfError {
        if (body.length == 0 || new String(body, StandardCharsets.UTF_8).isBlank()) {
            throw new CfError(400, "MissingBody", "This operation requires a body. Ensure that the body is present"
                    + " and the Content-Type header is set.");
        }
        Document doc;
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(new org.xml.sax.helpers.DefaultHandler()); // throws on fatal errors, prints nothing
            doc = b.parse(new ByteArrayInputStream(body));
        } catch (Exception e) {
            throw new CfError(400, "InvalidArgument", "Unable to parse the request body as XML: " + e.getMessage());
        }
        Element root = doc.getDocumentElement();
        if (!"InvalidationBatch".equals(root.getLocalName())
                || (root.getNamespaceURI() != null && !NS.equals(root.getNamespaceURI()))) {
            throw new CfError(400, "InvalidArgument", "The request body must be an InvalidationBatch in namespace "
                    + NS + ".");
        }
        Element paths = child(root, "Paths");
        if (paths == null) {
            throw new CfError(400, "InvalidArgument", "The InvalidationBatch has no Paths.");
        }
        Element quantity = child(paths, "Quantity");
        if (quantity == null) {
            throw new CfError(400, "InvalidArgument", "Paths.Quantity is required.");
        }
        int n;
        try {
            n = Integer.parseInt(quantity.getTextContent().trim());
        } catch (NumberFormatException e) {
            throw new CfError(400, "InvalidArgument", "Paths.Quantity must be an integer.");
        }
        List<String> list = new ArrayList<>();
        Element items = child(paths, "Items");
        if (items != null) {
            for (Node c = items.getFirstChild(); c != null; c = c.getNextSibling()) {
                if (c instanceof Element e && "Path".equals(e.getLocalName())) {
                    list.add(e.getTextContent());
                }
            }
        }
        if (n != list.size()) {
            throw new CfError(400, "InconsistentQuantities", "The value of Quantity and the size of Items don't"
                    + " match.");
        }
        if (list.isEmpty()) {
            throw new CfError(400, "InvalidArgument", "Your request contains no paths to invalidate.");
        }
        Element ref = child(root, "CallerReference");
        if (ref == null || ref.getTextContent().isEmpty()) {
            throw new CfError(400, "InvalidArgument", "The InvalidationBatch has no CallerReference.");
        }
        return new Batch(list, ref.getTextContent());
    }

    private static Element child(Element parent, String localName) {
        for (Node c = parent.getFirstChild(); c != null; c = c.getNextSibling()) {
            if (c instanceof Element e && localName.equals(e.getLocalName())) {
                return e;
            }
        }
        return null;
    }

    /** True for a cache-tag item ({@code #tag}) rather than a path. */
    static boolean isTag(String item) {
        return item.startsWith("#");
    }

    /** True for a wildcard path (counted toward the 15 in progress); tags never are. */
    static boolean isWildcard(String item) {
        return !isTag(item) && item.endsWith("*");
    }

    /** Why CloudFront would reject {@code p}, or null when it is a valid invalidation path or cache tag. */
    static String pathProblem(String p) {
        if (isTag(p)) {
            return tagProblem(p);
        }
        if (p.length() > MAX_PATH_LENGTH) {
            return "a path is longer than " + MAX_PATH_LENGTH + " characters";
        }
        if (!p.startsWith("/")) {
            return "path does not start with '/': " + p;
        }
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return "path contains a control character (U+" + String.format("%04X", (int) c) + ")";
            }
            if (c > 0x7e) {
                return "path contains a non-ASCII character that must be percent-encoded: " + p;
            }
            if (UNSAFE.indexOf(c) >= 0) {
                return "path contains '" + c + "', which must be percent-encoded: " + p;
            }
            if (c == '*' && i != p.length() - 1) {
                return "'*' is allowed only as the last character: " + p;
            }
            if (c == '%' && (i + 2 >= p.length() || !isHex(p.charAt(i + 1)) || !isHex(p.charAt(i + 2)))) {
                return "'%' is not followed by two hexadecimal digits: " + p;
            }
        }
        return null;
    }

    /**
     * Why CloudFront would reject the cache-tag item {@code item} ({@code #} and the tag), or null: the tag is 1 to
     * 256 characters, each printable ASCII (33 to 126) except {@code ,} and {@code *}.
     */
    static String tagProblem(String item) {
        String tag = item.substring(1);
        if (tag.isEmpty()) {
            return "a cache tag is empty: " + item;
        }
        if (tag.length() > MAX_TAG_LENGTH) {
            return "a cache tag is longer than " + MAX_TAG_LENGTH + " characters: " + item;
        }
        for (int i = 0; i < tag.length(); i++) {
            char c = tag.charAt(i);
            if (c < 33 || c > 126) {
                return "a cache tag may hold only ASCII characters 33 to 126 (U+" + String.format("%04X", (int) c)
                        + "): " + item;
            }
            if (c == ',' || c == '*') {
                return "a cache tag may not contain '" + c + "': " + item;
            }
        }
        return null;
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    // ------------------------------------------------------------------ helpers

    private static Invalidation view(Inv inv, Instant now) {
        return new Invalidation(inv.id, inv.distributionId, inv.status(now), inv.paths, inv.callerReference,
                inv.createTime);
    }

    private static String randomId(int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append(ID_CHARS.charAt(RANDOM.nextInt(ID_CHARS.length())));
        }
        return b.toString();
    }

    private static String generatedDomain(String id) {
        String chars = "abcdefghijklmnopqrstuvwxyz0123456789";
        long h = 1125899906842597L;
        for (char c : id.toCharArray()) {
            h = 31 * h + c;
        }
        StringBuilder b = new StringBuilder("d");
        for (int i = 0; i < 13; i++) {
            b.append(chars.charAt((int) Math.floorMod(h, (long) chars.length())));
            h = h / chars.length() + (h << 7) + 0x9E3779B97F4A7C15L;
        }
        return b.append(".cloudfront.net").toString();
    }

    // ------------------------------------------------------------------ standalone

    public static void main(String[] args) throws Exception {
        int port = 0;
        Duration delay = Duration.ZERO;
        List<String> specs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--port" -> port = Integer.parseInt(need(a, v));
                case "--delay" -> delay = parseDuration(need(a, v));
                case "--distribution" -> specs.add(need(a, v));
                case "-h", "--help" -> {
                    System.out.println("usage: java CloudFrontEmulator.java [--port N] [--delay MS|500ms|2s|PT2S]"
                            + " [--distribution ID[=BUCKET|=@HOST][:/originPath][,alias...]]...");
                    return;
                }
                default -> {
                    System.err.println("unknown argument: " + a + " (try --help)");
                    System.exit(2);
                }
            }
            i++;
        }
        CloudFrontEmulator emulator = start(port);
        emulator.completionDelay(delay);
        for (String spec : specs) {
            addFromSpec(emulator, spec);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(emulator::close));
        System.out.println("CloudFront emulator on " + emulator.endpoint());
        System.out.flush();
        new java.util.concurrent.CountDownLatch(1).await();
    }

    private static String need(String option, String value) {
        if (value == null) {
            System.err.println(option + " needs a value");
            System.exit(2);
        }
        return value;
    }

    static Duration parseDuration(String s) {
        String t = s.trim().toLowerCase();
        if (t.startsWith("p")) {
            return Duration.parse(s.trim());
        }
        if (t.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
        }
        if (t.endsWith("s")) {
            return Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
        }
        return Duration.ofMillis(Long.parseLong(t));
    }

    /** {@code ID[=BUCKET|=@HOST][:/originPath][,alias...]} */
    static Distribution addFromSpec(CloudFrontEmulator emulator, String spec) {
        String[] parts = spec.split(",");
        String head = parts[0];
        List<String> aliases = new ArrayList<>();
        for (int i = 1; i < parts.length; i++) {
            if (!parts[i].isBlank()) {
                aliases.add(parts[i].trim());
            }
        }
        String id = head;
        String origin = null;
        String originPath = "";
        int eq = head.indexOf('=');
        if (eq >= 0) {
            id = head.substring(0, eq);
            origin = head.substring(eq + 1);
            int colon = origin.indexOf(":/");
            if (colon >= 0) {
                originPath = origin.substring(colon + 1);
                origin = origin.substring(0, colon);
            }
        }
        if (id.isEmpty()) {
            throw new IllegalArgumentException("no distribution id in " + spec);
        }
        Origin o;
        if (origin == null || origin.isEmpty()) {
            o = Origin.s3(id.toLowerCase(), "us-east-1", originPath);
        } else if (origin.startsWith("@")) {
            o = new Origin(origin.substring(1), origin.substring(1), originPath);
        } else {
            o = Origin.s3(origin, "us-east-1", originPath);
        }
        return emulator.addDistribution(id, null, Collections.unmodifiableList(aliases), List.of(o));
    }
}
