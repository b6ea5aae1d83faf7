import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * The one STS call of an OIDC job, AssumeRoleWithWebIdentity, on 127.0.0.1: it records the role and the token it was
 * sent and answers with the local servers' credentials (moto and the CloudFront emulator accept any), so a test can
 * prove that a script reached AWS through the web-identity chain ({@code AWS_ROLE_ARN} and
 * {@code AWS_WEB_IDENTITY_TOKEN_FILE}) and with which token. Any other action gets STS's InvalidAction error.
 */
final class StsEmulator implements AutoCloseable {
    /** One AssumeRoleWithWebIdentity request, its form fields as sent. */
    record Assumed(String roleArn, String roleSessionName, String webIdentityToken) {
    }

    private final HttpServer server;
    private final List<Assumed> assumed = new ArrayList<>();

    private StsEmulator(HttpServer server) {
        this.server = server;
    }

    static StsEmulator start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        StsEmulator sts = new StsEmulator(server);
        server.createContext("/", sts::handle);
        server.start();
        return sts;
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    synchronized List<Assumed> assumed() {
        return List.copyOf(assumed);
    }

    synchronized void reset() {
        assumed.clear();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String query = ex.getRequestURI().getRawQuery();
            Map<String, String> form = form(query == null ? body : query + "&" + body);
            if (!"AssumeRoleWithWebIdentity".equals(form.get("Action"))) {
                reply(ex, 400, "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>only"
                        + " AssumeRoleWithWebIdentity here</Message></Error><RequestId>local</RequestId></ErrorResponse>");
                return;
            }
            Assumed a = new Assumed(form.get("RoleArn"), form.get("RoleSessionName"), form.get("WebIdentityToken"));
            synchronized (this) {
                assumed.add(a);
            }
            String expiration = Instant.now().plus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS).toString();
            reply(ex, 200, "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                    + "<AssumeRoleWithWebIdentityResult><Credentials>"
                    + "<AccessKeyId>" + LocalServers.ACCESS_KEY + "</AccessKeyId>"
                    + "<SecretAccessKey>" + LocalServers.SECRET_KEY + "</SecretAccessKey>"
                    + "<SessionToken>local-session-token</SessionToken>"
                    + "<Expiration>" + expiration + "</Expiration></Credentials>"
                    + "<AssumedRoleUser><AssumedRoleId>AROALOCAL:" + a.roleSessionName() + "</AssumedRoleId>"
                    + "<Arn>" + a.roleArn() + "/" + a.roleSessionName() + "</Arn></AssumedRoleUser>"
                    + "</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>local</RequestId></ResponseMetadata>"
                    + "</AssumeRoleWithWebIdentityResponse>");
        }
    }

    private static Map<String, String> form(String encoded) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String pair : encoded.split("&")) {
            if (pair.isEmpty()) continue;
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            fields.put(name, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return fields;
    }

    private static void reply(HttpExchange ex, int status, String xml) throws IOException {
        byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/xml");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
