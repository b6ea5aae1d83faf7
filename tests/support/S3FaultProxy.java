import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * A recording, fault-injecting HTTP proxy between an S3 client (the AWS SDK for Java v2 with path-style addressing)
 * and a real S3 server (moto's, see {@link LocalServers.Moto}), on the JDK's HttpServer at 127.0.0.1. JDK only.
 *
 * <p>Why: moto answers like S3 but cannot tell a test which calls a deploy made, in what order, nor fail on demand.
 * Through this proxy a test sees every call ({@link #requests()}), makes chosen calls fail ({@link #inject}) and
 * checks that a dry run wrote nothing ({@link #anyWrite()}).
 *
 * <p>Forwarding is verbatim: method, raw request target (path and query exactly as the client encoded them), every
 * header except the hop-by-hop ones (Host becomes the upstream's), and the body byte for byte (an {@code aws-chunked}
 * body with its CRC32 trailer reaches the upstream as the SDK sent it). Status, headers and body come back unchanged;
 * Date is the proxy's, and the JDK server rewrites header names as {@code Etag}, {@code X-amz-request-id} (names are
 * case-insensitive; the SDK does not mind).
 * One upstream connection per request ({@code Connection: close}). A request body sent with
 * {@code Transfer-Encoding: chunked} (the SDK does so only for bodies of unknown length) is forwarded whole with a
 * Content-Length.
 *
 * <p>{@code Expect: 100-continue}: the JDK server answers {@code 100 Continue} by itself before the handler runs, so
 * the client always sends its body, faulted or not; the header is forwarded and any interim answer of the upstream is
 * skipped.
 *
 * <p>Faults are decided when a request's headers are in and applied before forwarding: the upstream never sees a
 * faulted request, except with {@link Fault#LOST_RESPONSE} (forwarded, then the connection is closed without an
 * answer) and {@link Fault#SLOW} (forwarded late). Rules are tried in the order they were added; the first that
 * matches applies.
 *
 * <p>Close it (try-with-resources): the JDK server's dispatcher thread is not a daemon and keeps a JVM alive.
 *
 * <p>Standalone: {@code java tests/support/S3FaultProxy.java UPSTREAM_URI [PORT]} prints
 * {@code S3 fault proxy on http://127.0.0.1:PORT} and then one line per request until killed.
 */
final class S3FaultProxy implements AutoCloseable {

    /** Every operation name {@link #classify} gives; {@code inject} refuses others, to catch typos. */
    static final Set<String> OPERATIONS = Set.of("PutObject", "UploadPart", "UploadPartCopy", "CreateMultipartUpload",
            "CompleteMultipartUpload", "AbortMultipartUpload", "ListParts", "ListMultipartUploads", "CopyObject",
            "GetObject", "HeadObject", "DeleteObject", "DeleteObjects", "ListObjectsV2", "ListObjects",
            "ListObjectVersions", "ListBuckets", "CreateBucket", "DeleteBucket", "HeadBucket", "GetBucketLocation",
            "PutBucketAcl", "GetBucketAcl", "PutObjectAcl", "GetObjectAcl", "PutObjectTagging", "GetObjectTagging",
            "DeleteObjectTagging", "PutBucketPolicy", "GetBucketPolicy", "DeleteBucketPolicy", "PutBucketWebsite",
            "GetBucketWebsite", "DeleteBucketWebsite", "PutBucketVersioning", "GetBucketVersioning",
            "PutBucketTagging", "GetBucketTagging", "DeleteBucketTagging", "PutBucketCors", "GetBucketCors",
            "DeleteBucketCors", "PutBucketOwnershipControls", "GetBucketOwnershipControls", "Other");

    /** Methods that change state: a dry run sends none of them. */
    static final Set<String> WRITE_METHODS = Set.of("PUT", "POST", "DELETE");

    /**
     * One request as the client sent it. {@code bucket} and {@code key} are URL-decoded (UTF-8) for reading only;
     * {@code key} is null for bucket-level calls. {@code rawQuery} is as sent, null when there was none.
     * {@code status} is what the upstream answered (or the injected error's status); -1 when the connection was
     * dropped before any answer. With {@link Fault#LOST_RESPONSE} it is the upstream's status, which the client
     * never got. {@code fault} is null when none applied. {@code seq} counts arrivals from 1.
     */
    record Request(int seq, String operation, String method, String bucket, String key, String rawQuery, int status,
                   Instant started, Instant finished, Fault fault) {
        boolean isWrite() {
            return WRITE_METHODS.contains(method);
        }
    }

    /** What a fault rule sees of a request before it is forwarded; header names are lower case. */
    record Call(String operation, String method, String bucket, String key, String rawQuery,
                Map<String, List<String>> headers) {
        /** First value of a header (any case), or null. */
        String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }
    }

    /** What happens to a faulted request. */
    sealed interface Fault permits Fault.ErrorReply, Fault.Slow, Fault.Drop, Fault.LostResponse {
        Fault SLOW_DOWN = new ErrorReply(503, "SlowDown", "Please reduce your request rate.");
        Fault SERVICE_UNAVAILABLE = new ErrorReply(503, "ServiceUnavailable", "Please reduce your request rate.");
        Fault INTERNAL_ERROR = new ErrorReply(500, "InternalError",
                "We encountered an internal error. Please try again.");
        Fault ACCESS_DENIED = new ErrorReply(403, "AccessDenied", "Access Denied");
        /** Reads the request, then closes the connection without any answer; the upstream never sees it. */
        Fault DROP_CONNECTION = new Drop();
        /** Forwards the request (it takes effect), then closes the connection without passing the answer on. */
        Fault LOST_RESPONSE = new LostResponse();

        /** Waits {@code delay}, then forwards as usual. */
        static Fault SLOW(Duration delay) {
            return new Slow(delay);
        }

        /**
         * Any S3 error answer, e.g.
         * {@code error(400, "AccessControlListNotSupported", "The bucket does not allow ACLs")}.
         */
        static Fault error(int status, String code, String message) {
            return new ErrorReply(status, code, message);
        }

        record ErrorReply(int status, String code, String message) implements Fault {
        }

        record Slow(Duration delay) implements Fault {
            public Slow {
                Objects.requireNonNull(delay, "delay");
            }
        }

        record Drop() implements Fault {
        }

        record LostResponse() implements Fault {
        }
    }

    // ------------------------------------------------------------------ state (guarded by this)

    private static final class Rule {
        final Predicate<Call> match;
        final Fault fault;
        int remaining; // ignored when random != null
        final double fraction;
        final Random random; // non-null for a fraction rule

        Rule(Predicate<Call> match, Fault fault, int remaining, double fraction, Random random) {
            this.match = match;
            this.fault = fault;
            this.remaining = remaining;
            this.fraction = fraction;
            this.random = random;
        }
    }

    private static final SecureRandom IDS = new SecureRandom();
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
            "transfer-encoding", "te", "upgrade", "host", "content-length");

    private final URI upstream;
    private final String upstreamHost;
    private final int upstreamPort;
    private final HttpServer server;
    private final ExecutorService executor;
    private final List<Request> requests = new ArrayList<>();
    private final List<Rule> rules = new ArrayList<>();
    private int seq;
    private int generation; // bumped by clear(): requests that arrived before it are not recorded
    private volatile Consumer<Request> listener;

    /** With TLS: the folder holding the proxy's self-signed certificate (ca.pem) and a trust store with it (trust.p12). */
    private final Path tls;

    private S3FaultProxy(URI upstream, int port, Path tls) throws IOException {
        if (!"http".equalsIgnoreCase(upstream.getScheme()) || upstream.getHost() == null) {
            throw new IllegalArgumentException("upstream must be http://HOST:PORT, not " + upstream);
        }
        this.upstream = upstream;
        this.upstreamHost = upstream.getHost();
        this.upstreamPort = upstream.getPort() == -1 ? 80 : upstream.getPort();
        this.tls = tls;
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port);
        if (tls == null) {
            server = HttpServer.create(address, 256);
        } else {
            com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(address, 256);
            https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(selfSigned(tls)));
            server = https;
        }
        AtomicInteger n = new AtomicInteger();
        executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "s3-fault-proxy-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    // ------------------------------------------------------------------ test-facing API

    /** Starts a proxy to {@code upstream} (e.g. moto's {@code http://127.0.0.1:PORT}) on 127.0.0.1 at a free port. */
    static S3FaultProxy start(URI upstream) {
        return start(upstream, 0);
    }

    /**
     * The proxy serving HTTPS (TLS ends here; moto is still reached over HTTP), with a certificate for 127.0.0.1 made by
     * keytool in {@code dir}: clients trust {@link #caPem()} (AWS_CA_BUNDLE, rclone's --ca-cert) or {@link #trustStore()}
     * (Java's javax.net.ssl.trustStore, password "changeit"). Over HTTPS the AWS SDKs send bodies unsigned, as to AWS.
     */
    static S3FaultProxy startHttps(URI upstream, Path dir) {
        try {
            return new S3FaultProxy(upstream, 0, dir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the S3 fault proxy with TLS: " + e, e);
        }
    }

    Path caPem() {
        return tls.resolve("ca.pem");
    }

    Path trustStore() {
        return tls.resolve("trust.p12");
    }

    /** A key pair and certificate for 127.0.0.1 (keytool, valid 2 days), its PEM and a trust store holding it. */
    private static javax.net.ssl.SSLContext selfSigned(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path keys = dir.resolve("keys.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Files.deleteIfExists(keys);
        Files.deleteIfExists(dir.resolve("trust.p12"));
        for (List<String> command : List.of(
                List.of(keytool, "-genkeypair", "-alias", "proxy", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                        "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-keystore", keys.toString(), "-storetype", "PKCS12",
                        "-storepass", "changeit", "-keypass", "changeit"),
                List.of(keytool, "-exportcert", "-rfc", "-alias", "proxy", "-keystore", keys.toString(), "-storepass", "changeit",
                        "-file", dir.resolve("ca.pem").toString()),
                List.of(keytool, "-importcert", "-noprompt", "-alias", "proxy", "-file", dir.resolve("ca.pem").toString(),
                        "-keystore", dir.resolve("trust.p12").toString(), "-storetype", "PKCS12", "-storepass", "changeit"))) {
            try {
                Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
                String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (p.waitFor() != 0) throw new IOException("keytool failed: " + output);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        try (InputStream in = Files.newInputStream(keys)) {
            java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
            store.load(in, "changeit".toCharArray());
            javax.net.ssl.KeyManagerFactory managers = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
            managers.init(store, "changeit".toCharArray());
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(managers.getKeyManagers(), null, null);
            return context;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot load the proxy's key: " + e, e);
        }
    }

    static S3FaultProxy start(URI upstream, int port) {
        try {
            return new S3FaultProxy(upstream, port, null);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the S3 fault proxy: " + e, e);
        }
    }

    /** {@code http://127.0.0.1:PORT}: give it to the client as its endpoint, with path-style addressing. */
    URI endpoint() {
        return URI.create((tls == null ? "http" : "https") + "://127.0.0.1:" + server.getAddress().getPort());
    }

    URI upstream() {
        return upstream;
    }

    /** The next {@code times} requests that {@code match} get {@code fault}. */
    synchronized void inject(Predicate<Call> match, Fault fault, int times) {
        Objects.requireNonNull(match, "match");
        Objects.requireNonNull(fault, "fault");
        if (times < 1) {
            throw new IllegalArgumentException("times must be >= 1");
        }
        rules.add(new Rule(match, fault, times, 1.0, null));
    }

    /**
     * The next {@code times} requests of {@code operation} (null = any) whose decoded key matches {@code keyGlob}
     * (null = any key, bucket-level calls included; {@code *} is any run of characters, {@code /} included, and
     * {@code ?} one character) get {@code fault}.
     */
    void inject(String operation, String keyGlob, Fault fault, int times) {
        inject(matcher(operation, keyGlob), fault, times);
    }

    /** The next {@code times} requests of {@code operation} (null = any) get {@code fault}. */
    void inject(String operation, Fault fault, int times) {
        inject(operation, null, fault, times);
    }

    /** Every request that matches gets {@code fault}, until {@link #clear()}. */
    void injectAlways(Predicate<Call> match, Fault fault) {
        inject(match, fault, Integer.MAX_VALUE);
    }

    /** Every request of {@code operation} (null = any) whose key matches {@code keyGlob} (null = any) gets it. */
    void injectAlways(String operation, String keyGlob, Fault fault) {
        inject(matcher(operation, keyGlob), fault, Integer.MAX_VALUE);
    }

    /**
     * Until {@link #clear()}, each request of {@code operation} (null = any) gets {@code fault} with probability
     * {@code fraction}, drawn from a {@code Random(seed)}: the same sequence of requests gets the same faults.
     * A request this rule spares goes on to the rules added after it.
     */
    synchronized void injectFraction(String operation, Fault fault, double fraction, long seed) {
        Objects.requireNonNull(fault, "fault");
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction must be within [0, 1]");
        }
        rules.add(new Rule(matcher(operation, null), fault, Integer.MAX_VALUE, fraction, new Random(seed)));
    }

    /** Requests so far in arrival order, each recorded just before its answer (or its dropped connection) left. */
    synchronized List<Request> requests() {
        List<Request> copy = new ArrayList<>(requests);
        copy.sort(Comparator.comparingInt(Request::seq));
        return List.copyOf(copy);
    }

    /** Requests of one operation, in arrival order. */
    List<Request> requests(String operation) {
        return requests().stream().filter(r -> r.operation().equals(operation)).toList();
    }

    /** Operations in arrival order, e.g. {@code [ListObjectsV2, PutObject, PutObject, DeleteObjects]}. */
    List<String> operations() {
        return requests().stream().map(Request::operation).toList();
    }

    /** Number of requests of {@code operation}, faulted ones included. */
    synchronized long count(String operation) {
        return requests.stream().filter(r -> r.operation().equals(operation)).count();
    }

    /** Names of the operations sent with PUT, POST or DELETE, sorted; empty after a dry run. */
    synchronized Set<String> writeOperations() {
        Set<String> out = new TreeSet<>();
        for (Request r : requests) {
            if (r.isWrite()) {
                out.add(r.operation());
            }
        }
        return out;
    }

    /** Whether any PUT, POST or DELETE came through (faulted ones included). */
    synchronized boolean anyWrite() {
        return requests.stream().anyMatch(Request::isWrite);
    }

    /** Called with each request as it is recorded, on the proxy's threads; null to stop. */
    void onRequest(Consumer<Request> listener) {
        this.listener = listener;
    }

    /** Forgets recorded requests and every fault rule; numbering starts again from 1. */
    /** The network this proxy plays: a delay before each request is forwarded, and a pace for each request's body. */
    private volatile Duration latency = Duration.ZERO;
    private volatile long bytesPerSecond;

    /**
     * Puts a network between client and server (the benchmark's "CI runner" profile): every request waits
     * {@code latency} before it is forwarded (a round trip to S3 before its first byte), and each request's body is
     * sent at most at {@code bytesPerSecond} (one connection's pace; 0: no cap). Zero and 0 remove it.
     */
    void network(Duration latency, long bytesPerSecond) {
        this.latency = latency;
        this.bytesPerSecond = bytesPerSecond;
    }

    synchronized void clear() {
        requests.clear();
        rules.clear();
        seq = 0;
        generation++;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // ------------------------------------------------------------------ classification

    /** The S3 operation of a path-style REST call. {@code query} maps decoded parameter names to raw values. */
    static String classify(String method, String bucket, String key, Map<String, String> query,
                           Map<String, List<String>> headers) {
        boolean copySource = headers.containsKey("x-amz-copy-source");
        if (bucket == null) {
            return method.equals("GET") ? "ListBuckets" : "Other";
        }
        if (bucket.equals("moto-api")) {
            return "Other";
        }
        if (key == null) {
            return switch (method) {
                case "HEAD" -> "HeadBucket";
                case "POST" -> query.containsKey("delete") ? "DeleteObjects" : "Other";
                case "GET" -> {
                    if ("2".equals(query.get("list-type"))) yield "ListObjectsV2";
                    if (query.containsKey("location")) yield "GetBucketLocation";
                    if (query.containsKey("uploads")) yield "ListMultipartUploads";
                    if (query.containsKey("versions")) yield "ListObjectVersions";
                    String sub = bucketSubresource(query);
                    if (sub != null) yield "GetBucket" + sub;
                    yield hasOnly(query, Set.of("prefix", "marker", "delimiter", "max-keys", "encoding-type"))
                            ? "ListObjects" : "Other";
                }
                case "PUT" -> {
                    String sub = bucketSubresource(query);
                    if (sub != null) yield "PutBucket" + sub;
                    yield query.isEmpty() ? "CreateBucket" : "Other";
                }
                case "DELETE" -> {
                    String sub = bucketSubresource(query);
                    if (sub != null && !sub.equals("Acl") && !sub.equals("Versioning")) yield "DeleteBucket" + sub;
                    yield query.isEmpty() ? "DeleteBucket" : "Other";
                }
                default -> "Other";
            };
        }
        return switch (method) {
            case "PUT" -> {
                if (query.containsKey("uploadId") && query.containsKey("partNumber")) {
                    yield copySource ? "UploadPartCopy" : "UploadPart";
                }
                if (query.containsKey("acl")) yield "PutObjectAcl";
                if (query.containsKey("tagging")) yield "PutObjectTagging";
                yield copySource ? "CopyObject" : "PutObject";
            }
            case "POST" -> {
                if (query.containsKey("uploads")) yield "CreateMultipartUpload";
                if (query.containsKey("uploadId")) yield "CompleteMultipartUpload";
                yield "Other";
            }
            case "DELETE" -> {
                if (query.containsKey("uploadId")) yield "AbortMultipartUpload";
                if (query.containsKey("tagging")) yield "DeleteObjectTagging";
                yield "DeleteObject";
            }
            case "GET" -> {
                if (query.containsKey("uploadId")) yield "ListParts";
                if (query.containsKey("acl")) yield "GetObjectAcl";
                if (query.containsKey("tagging")) yield "GetObjectTagging";
                yield "GetObject";
            }
            case "HEAD" -> "HeadObject";
            default -> "Other";
        };
    }

    private static String bucketSubresource(Map<String, String> query) {
        for (var e : Map.of("acl", "Acl", "policy", "Policy", "website", "Website", "versioning", "Versioning",
                "tagging", "Tagging", "cors", "Cors", "ownershipControls", "OwnershipControls").entrySet()) {
            if (query.containsKey(e.getKey())) {
                return e.getValue();
            }
        }
        return null;
    }

    private static boolean hasOnly(Map<String, String> query, Set<String> allowed) {
        for (String name : query.keySet()) {
            if (!allowed.contains(name) && !name.equals("x-id")) {
                return false;
            }
        }
        return true;
    }

    private static Predicate<Call> matcher(String operation, String keyGlob) {
        if (operation != null && !OPERATIONS.contains(operation)) {
            throw new IllegalArgumentException("unknown operation " + operation + "; one of "
                    + new TreeSet<>(OPERATIONS));
        }
        Pattern key = keyGlob == null ? null : glob(keyGlob);
        return c -> (operation == null || operation.equals(c.operation()))
                && (key == null || (c.key() != null && key.matcher(c.key()).matches()));
    }

    private static Pattern glob(String glob) {
        StringBuilder re = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (char ch : glob.toCharArray()) {
            if (ch == '*' || ch == '?') {
                if (literal.length() > 0) {
                    re.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                re.append(ch == '*' ? ".*" : ".");
            } else {
                literal.append(ch);
            }
        }
        if (literal.length() > 0) {
            re.append(Pattern.quote(literal.toString()));
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    /** Percent-decodes as UTF-8 ('+' stays '+'); malformed input comes back as it was. */
    static String percentDecode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); ) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    return s;
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return s;
                }
                bytes.write(hi * 16 + lo);
                i += 3;
            } else {
                int cp = s.codePointAt(i);
                bytes.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(cp);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ HTTP

    private void handle(HttpExchange ex) throws IOException {
        Instant started = Instant.now();
        int n;
        int gen;
        synchronized (this) {
            n = ++seq;
            gen = generation;
        }
        try {
            String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
            // The request target exactly as the client sent it: URI(String) keeps the original text.
            String target = ex.getRequestURI().toString();
            int q = target.indexOf('?');
            String rawPath = q < 0 ? target : target.substring(0, q);
            String rawQuery = q < 0 ? null : target.substring(q + 1);

            String path = rawPath.startsWith("/") ? rawPath.substring(1) : rawPath;
            int slash = path.indexOf('/');
            String bucket = percentDecode(slash < 0 ? path : path.substring(0, slash));
            String key = slash < 0 || slash == path.length() - 1 ? null : percentDecode(path.substring(slash + 1));
            if (bucket.isEmpty()) {
                bucket = null;
            }
            Map<String, String> query = new LinkedHashMap<>();
            if (rawQuery != null && !rawQuery.isEmpty()) {
                for (String part : rawQuery.split("&")) {
                    int eq = part.indexOf('=');
                    query.put(percentDecode(eq < 0 ? part : part.substring(0, eq)),
                            eq < 0 ? "" : part.substring(eq + 1));
                }
            }
            Map<String, List<String>> headers = new LinkedHashMap<>();
            ex.getRequestHeaders().forEach((name, values) ->
                    headers.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).addAll(values));
            String op = classify(method, bucket, key, query, headers);
            Call call = new Call(op, method, bucket, key, rawQuery, Collections.unmodifiableMap(headers));
            Fault fault = takeFault(call);
            boolean head = method.equals("HEAD");

            if (fault instanceof Fault.Drop) {
                drain(ex.getRequestBody());
                record(n, gen, call, -1, started, fault);
                ex.close(); // no answer started: the JDK server closes the connection
                return;
            }
            if (fault instanceof Fault.ErrorReply e) {
                drain(ex.getRequestBody());
                record(n, gen, call, e.status(), started, fault);
                sendError(ex, head, e.status(), e.code(), e.message());
                return;
            }
            if (fault instanceof Fault.Slow slow) {
                try {
                    Thread.sleep(slow.delay().toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    record(n, gen, call, -1, started, fault);
                    ex.close();
                    return;
                }
            }
            if (!latency.isZero()) {
                try {
                    Thread.sleep(latency.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    ex.close();
                    return;
                }
            }
            forward(ex, n, gen, call, target, method, started, fault);
        } catch (RuntimeException | IOException e) {
            ex.close();
            throw e;
        }
    }

    private void forward(HttpExchange ex, int n, int gen, Call call, String target, String method, Instant started,
                         Fault fault)
            throws IOException {
        boolean head = method.equals("HEAD");
        Socket socket;
        try {
            socket = new Socket();
            socket.connect(new InetSocketAddress(upstreamHost, upstreamPort), 10_000);
            socket.setSoTimeout(300_000);
            socket.setTcpNoDelay(true);
        } catch (IOException e) {
            drain(ex.getRequestBody());
            record(n, gen, call, 502, started, fault);
            sendError(ex, head, 502, "BadGateway", "S3FaultProxy cannot reach " + upstream + ": " + e);
            return;
        }
        try (socket) {
            Headers in = ex.getRequestHeaders();
            InputStream body = ex.getRequestBody();
            long length = -1;
            byte[] buffered = null;
            String cl = in.getFirst("Content-Length");
            if (cl != null) {
                length = Long.parseLong(cl.trim());
            } else if (in.containsKey("Transfer-Encoding")) {
                // The JDK server has undone the chunking; send the body with its length.
                buffered = body.readAllBytes();
                length = buffered.length;
            }
            StringBuilder head0 = new StringBuilder();
            head0.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
            head0.append("Host: ").append(upstreamHost).append(':').append(upstreamPort).append("\r\n");
            for (var e : in.entrySet()) {
                if (HOP_BY_HOP.contains(e.getKey().toLowerCase(Locale.ROOT))) {
                    continue;
                }
                for (String v : e.getValue()) {
                    head0.append(e.getKey()).append(": ").append(v).append("\r\n");
                }
            }
            if (length >= 0) {
                head0.append("Content-Length: ").append(length).append("\r\n");
            }
            head0.append("Connection: close\r\n\r\n");

            OutputStream up = socket.getOutputStream();
            IOException writeFailure = null;
            try {
                // Header values were read as ISO-8859-1 (one char per byte), so this gives back the same bytes.
                up.write(head0.toString().getBytes(StandardCharsets.ISO_8859_1));
                if (buffered != null) {
                    up.write(buffered);
                } else if (length > 0) {
                    copy(body, up, length, bytesPerSecond);
                }
                up.flush();
            } catch (IOException e) {
                writeFailure = e; // the upstream may have answered early and closed: try to read that answer
                drain(body);
            }

            InputStream down = new BufferedInputStream(socket.getInputStream(), 65536);
            Upstream answer;
            try {
                answer = readHead(down);
            } catch (IOException e) {
                if (writeFailure != null) {
                    e.addSuppressed(writeFailure);
                }
                record(n, gen, call, -1, started, fault);
                ex.close();
                throw e;
            }

            if (fault instanceof Fault.LostResponse) {
                if (!noBody(head, answer.status)) {
                    drain(answer.body(down, head));
                }
                record(n, gen, call, answer.status, started, fault);
                ex.close(); // the upstream acted, the client gets nothing
                return;
            }

            Headers out = ex.getResponseHeaders();
            for (String[] h : answer.headers) {
                String lower = h[0].toLowerCase(Locale.ROOT);
                if (HOP_BY_HOP.contains(lower) || lower.equals("date")) {
                    continue;
                }
                out.add(h[0], h[1]);
            }
            record(n, gen, call, answer.status, started, fault);
            if (noBody(head, answer.status)) {
                if (answer.contentLength >= 0 && answer.status != 204) {
                    out.set("Content-Length", Long.toString(answer.contentLength));
                }
                ex.sendResponseHeaders(answer.status, -1);
            } else if (answer.contentLength == 0) {
                ex.sendResponseHeaders(answer.status, -1);
            } else if (answer.contentLength > 0) {
                ex.sendResponseHeaders(answer.status, answer.contentLength);
                try (OutputStream o = ex.getResponseBody()) {
                    copy(down, o, answer.contentLength, bytesPerSecond);
                }
            } else {
                ex.sendResponseHeaders(answer.status, 0); // chunked to the client
                try (OutputStream o = ex.getResponseBody(); InputStream b = answer.body(down, false)) {
                    b.transferTo(o);
                }
            }
            ex.close();
        }
    }

    private static boolean noBody(boolean head, int status) {
        return head || status == 204 || status == 304;
    }

    /** Status line and headers of the upstream's final answer. */
    private static final class Upstream {
        int status;
        long contentLength = -1;
        boolean chunked;
        final List<String[]> headers = new ArrayList<>();

        InputStream body(InputStream in, boolean head) {
            if (head) {
                return InputStream.nullInputStream();
            }
            if (chunked) {
                return new ChunkedInput(in);
            }
            if (contentLength >= 0) {
                return new BoundedInput(in, contentLength);
            }
            return in; // until the upstream closes
        }
    }

    private static Upstream readHead(InputStream in) throws IOException {
        while (true) {
            String statusLine = readLine(in);
            if (statusLine == null) {
                throw new IOException("upstream closed the connection without an answer");
            }
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
                throw new IOException("bad status line from upstream: " + statusLine);
            }
            Upstream u = new Upstream();
            u.status = Integer.parseInt(parts[1]);
            for (String line; (line = readLine(in)) != null && !line.isEmpty(); ) {
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    continue;
                }
                String name = line.substring(0, colon).trim();
                String value = line.substring(colon + 1).trim();
                u.headers.add(new String[] {name, value});
                if (name.equalsIgnoreCase("Content-Length")) {
                    u.contentLength = Long.parseLong(value);
                } else if (name.equalsIgnoreCase("Transfer-Encoding")
                        && value.toLowerCase(Locale.ROOT).contains("chunked")) {
                    u.chunked = true;
                }
            }
            if (u.status >= 100 && u.status < 200 && u.status != 101) {
                continue; // 100 Continue and other interim answers
            }
            if (u.chunked) {
                u.contentLength = -1;
            }
            return u;
        }
    }

    /** A CRLF- (or LF-) terminated line as ISO-8859-1, without the terminator; null at end of stream. */
    private static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                int len = b.length();
                if (len > 0 && b.charAt(len - 1) == '\r') {
                    b.setLength(len - 1);
                }
                return b.toString();
            }
            b.append((char) c);
            if (b.length() > 65536) {
                throw new IOException("header line too long");
            }
        }
        return b.length() == 0 ? null : b.toString();
    }

    /** Exactly {@code limit} bytes of the wrapped stream. */
    private static final class BoundedInput extends InputStream {
        private final InputStream in;
        private long left;

        BoundedInput(InputStream in, long left) {
            this.in = in;
            this.left = left;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int r = in.read(b, off, (int) Math.min(len, left));
            if (r == -1) {
                throw new IOException("upstream body ended " + left + " bytes early");
            }
            left -= r;
            return r;
        }
    }

    /** The data of an HTTP/1.1 chunked body (trailers read and dropped). */
    private static final class ChunkedInput extends InputStream {
        private final InputStream in;
        private long left;
        private boolean done;

        ChunkedInput(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (left == 0) {
                String size = readLine(in);
                if (size == null) {
                    throw new IOException("upstream chunked body ended early");
                }
                int semi = size.indexOf(';');
                left = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                if (left == 0) {
                    for (String t; (t = readLine(in)) != null && !t.isEmpty(); ) {
                        // trailer lines
                    }
                    done = true;
                    return -1;
                }
            }
            int r = in.read(b, off, (int) Math.min(len, left));
            if (r == -1) {
                throw new IOException("upstream chunked body ended early");
            }
            left -= r;
            if (left == 0) {
                readLine(in); // CRLF after the chunk
            }
            return r;
        }
    }

    /** Copies length bytes, at most bytesPerSecond (0: as fast as they come). */
    private static void copy(InputStream in, OutputStream out, long length, long bytesPerSecond) throws IOException {
        byte[] buf = new byte[65536];
        long left = length;
        long start = System.nanoTime();
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r == -1) {
                throw new IOException("body ended " + left + " bytes early");
            }
            out.write(buf, 0, r);
            left -= r;
            if (bytesPerSecond > 0) {
                long due = start + (long) ((length - left) * 1e9 / bytesPerSecond);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    try {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted");
                    }
                }
            }
        }
    }

    private static void drain(InputStream in) {
        try (in) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException ignored) {
            // nothing more to read
        }
    }

    private void sendError(HttpExchange ex, boolean head, int status, String code, String message) throws IOException {
        String requestId = HexFormat.of().withUpperCase().formatHex(randomBytes(8));
        String hostId = java.util.Base64.getEncoder().encodeToString(randomBytes(48));
        byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + xml(code) + "</Code><Message>"
                + xml(message) + "</Message><RequestId>" + requestId + "</RequestId><HostId>" + hostId
                + "</HostId></Error>").getBytes(StandardCharsets.UTF_8);
        Headers h = ex.getResponseHeaders();
        h.set("Content-Type", "application/xml");
        h.set("x-amz-request-id", requestId);
        h.set("x-amz-id-2", hostId);
        h.set("Server", "AmazonS3");
        if (head) {
            ex.sendResponseHeaders(status, -1); // S3 answers HEAD errors without a body
        } else {
            ex.sendResponseHeaders(status, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        }
        ex.close();
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        IDS.nextBytes(b);
        return b;
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private synchronized Fault takeFault(Call call) {
        for (var it = rules.iterator(); it.hasNext(); ) {
            Rule rule = it.next();
            if (!rule.match.test(call)) {
                continue;
            }
            if (rule.random != null) {
                if (rule.random.nextDouble() < rule.fraction) {
                    return rule.fault;
                }
                continue;
            }
            if (rule.remaining != Integer.MAX_VALUE && --rule.remaining <= 0) {
                it.remove();
            }
            return rule.fault;
        }
        return null;
    }

    private void record(int n, int gen, Call call, int status, Instant started, Fault fault) {
        Request r = new Request(n, call.operation(), call.method(), call.bucket(), call.key(), call.rawQuery(), status,
                started, Instant.now(), fault);
        synchronized (this) {
            if (gen != generation) {
                return; // arrived before clear()
            }
            requests.add(r);
        }
        Consumer<Request> l = listener;
        if (l != null) {
            l.accept(r);
        }
    }

    // ------------------------------------------------------------------ standalone

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args[0].startsWith("-")) {
            System.out.println("usage: java S3FaultProxy.java UPSTREAM_URI [PORT]");
            System.exit(args.length < 1 ? 2 : 0);
        }
        S3FaultProxy proxy = start(URI.create(args[0]), args.length > 1 ? Integer.parseInt(args[1]) : 0);
        proxy.onRequest(r -> System.out.println(r.seq() + " " + r.operation() + " " + r.method() + " " + r.bucket()
                + (r.key() == null ? "" : "/" + r.key()) + (r.rawQuery() == null ? "" : "?" + r.rawQuery()) + " -> "
                + r.status() + (r.fault() == null ? "" : " (" + r.fault() + ")")));
        Runtime.getRuntime().addShutdownHook(new Thread(proxy::close));
        System.out.println("S3 fault proxy on " + proxy.endpoint() + " -> " + proxy.upstream());
        System.out.flush();
        new java.util.concurrent.CountDownLatch(1).await();
    }
}
