import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

/**
 * A read-only S3 bucket for the benchmark's memory scenario: it answers ListObjectsV2 (path-style, 1,000 keys a page,
 * continuation tokens, prefix, start-after, encoding-type=url) for the files of a local folder, each with its size
 * and its MD5 as ETag, exactly what S3 (and moto) list after a single-part upload of that folder. Any other request
 * gets 501 NotImplemented, so a deploy that would do more than list fails visibly instead of being measured wrongly.
 *
 * <p>Why: seeding moto with 50,000 objects takes 3 to 8 minutes on 2 cores (one Python process, about 100 to 300
 * PUTs a second); the unchanged re-deploy only needs the listing. JDK only, 127.0.0.1, free port.
 */
final class ListingStub implements AutoCloseable {
    record Entry(long size, String etag) {
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final String bucket;
    private final NavigableMap<String, Entry> objects;
    private final String lastModified = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString().replace("Z", ".000Z");

    private ListingStub(String bucket, NavigableMap<String, Entry> objects) throws IOException {
        this.bucket = bucket;
        this.objects = objects;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 64);
        executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "listing-stub");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Serves the files under {@code root} as the objects of {@code bucket} (keys relative, with '/'). */
    static ListingStub of(String bucket, Path root) throws IOException {
        NavigableMap<String, Entry> objects = new TreeMap<>();
        MessageDigest md5;
        try {
            md5 = MessageDigest.getInstance("MD5");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        for (Path p : files) {
            byte[] body = Files.readAllBytes(p);
            String key = root.relativize(p).toString().replace('\\', '/');
            objects.put(key, new Entry(body.length, HexFormat.of().formatHex(md5.digest(body))));
        }
        return new ListingStub(bucket, objects);
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    int size() {
        return objects.size();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex; InputStream in = ex.getRequestBody()) {
            in.transferTo(OutputStream.nullOutputStream());
            String path = ex.getRequestURI().getRawPath();
            Map<String, String> query = query(ex.getRequestURI().getRawQuery());
            boolean list = ex.getRequestMethod().equals("GET") && (path.equals("/" + bucket) || path.equals("/" + bucket + "/"));
            if (!list || !"2".equals(query.get("list-type")) || query.containsKey("delimiter")) {
                reply(ex, 501, error("NotImplemented", "ListingStub answers only ListObjectsV2 without delimiter on " + bucket
                        + "; got " + ex.getRequestMethod() + " " + ex.getRequestURI()));
                return;
            }
            reply(ex, 200, page(query));
        }
    }

    private String page(Map<String, String> q) {
        String prefix = q.getOrDefault("prefix", "");
        int max = Math.min(1000, Integer.parseInt(q.getOrDefault("max-keys", "1000")));
        boolean url = "url".equals(q.get("encoding-type"));
        String token = q.get("continuation-token");
        String after = token != null ? new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8) : q.get("start-after");
        NavigableMap<String, Entry> tail = after == null ? objects.tailMap(prefix, true) : objects.tailMap(after, false);
        StringBuilder contents = new StringBuilder();
        int n = 0;
        String last = null;
        boolean truncated = false;
        for (var e : tail.entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                if (e.getKey().compareTo(prefix) > 0) break;
                continue;
            }
            if (n == max) {
                truncated = true;
                break;
            }
            contents.append("<Contents><Key>").append(enc(e.getKey(), url)).append("</Key><LastModified>").append(lastModified)
                    .append("</LastModified><ETag>&quot;").append(e.getValue().etag()).append("&quot;</ETag><Size>")
                    .append(e.getValue().size()).append("</Size><StorageClass>STANDARD</StorageClass></Contents>");
            last = e.getKey();
            n++;
        }
        StringBuilder b = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
        b.append("<Name>").append(xml(bucket)).append("</Name><Prefix>").append(enc(prefix, url)).append("</Prefix>");
        if (token != null) b.append("<ContinuationToken>").append(xml(token)).append("</ContinuationToken>");
        if (q.get("start-after") != null) b.append("<StartAfter>").append(enc(q.get("start-after"), url)).append("</StartAfter>");
        b.append("<KeyCount>").append(n).append("</KeyCount><MaxKeys>").append(max).append("</MaxKeys>");
        if (url) b.append("<EncodingType>url</EncodingType>");
        b.append("<IsTruncated>").append(truncated).append("</IsTruncated>");
        if (truncated) {
            b.append("<NextContinuationToken>").append(Base64.getUrlEncoder().encodeToString(last.getBytes(StandardCharsets.UTF_8)))
                    .append("</NextContinuationToken>");
        }
        return b.append(contents).append("</ListBucketResult>").toString();
    }

    private static String enc(String s, boolean url) {
        return url ? URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("%2F", "/") : xml(s);
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String error(String code, String message) {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" + xml(message)
                + "</Message><RequestId>LISTINGSTUB</RequestId></Error>";
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) return q;
        for (String part : raw.split("&")) {
            int eq = part.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
            q.put(name, eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return q;
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/xml");
        ex.getResponseHeaders().set("x-amz-request-id", "LISTINGSTUB");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(bytes);
        }
    }
}
