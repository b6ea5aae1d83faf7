import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * The README's IAM policies ("## IAM permissions") are complete and least-privilege. Every kind of call each script
 * can make is run in-process against moto's S3 (behind {@link S3FaultProxy}) and the {@link CloudFrontEmulator}; every
 * request both servers received is mapped to the IAM actions and resources that AWS's Service Authorization Reference
 * requires for it ({@link #NEEDS}); the policies are read from README.md itself; and the check fails when a request is
 * not allowed, when a granted action (or resource) was never needed, or when a statement whose Sid starts with
 * {@code Only} is needed outside the case it names, or not in it.
 */
class IamPolicyTest {
    static final String BUCKET = "iam-site";
    static final String DIST = "E1IAMPOLICY01";
    static final String ALIAS = "www.iam.example";
    static final String ACCOUNT_ID = CloudFrontEmulator.ACCOUNT_ID;
    /** Above deploy-site's multipart threshold (8 MiB): two parts. */
    static final int BIG = 8 * 1024 * 1024 + 64 * 1024;
    /** Under the threshold, but stored by the test in 5 MiB parts: its ETag is not its MD5, so deploy-site HEADs it. */
    static final int OTHER_PARTS = 6 * 1024 * 1024;
    static final int MIB_5 = 5 * 1024 * 1024;

    static final String DEPLOY_SITE = "deploy-site";
    static final String INVALIDATE = "invalidate";
    /** The cases the README's conditional statements name (their Sid). */
    static final String WITH_ACL = "OnlyWithAcl";
    static final String WITH_WAIT = "OnlyWithWait";
    static final String WITH_ID = "OnlyWithDistributionId";
    static final String TO_FIND = "OnlyToFindTheDistribution";

    // ---------------------------------------------------------------- operation -> IAM action, from AWS's documentation

    /** What an action is checked against: the bucket, the object, the copy's source object, the distribution, or "*". */
    enum On { BUCKET, OBJECT, COPY_SOURCE, DELETED_KEYS, DISTRIBUTION, ANY }

    record Need(String action, On on) {
    }

    /**
     * Each operation a server can record and what it needs, from the Service Authorization Reference ("API operations
     * defined by Amazon S3"; "Actions defined by Amazon CloudFront", where ListDistributions has no resource type and so
     * takes "*") and the Permissions paragraph of each S3 API page: ListObjectsV2 and HeadBucket need s3:ListBucket,
     * HeadObject s3:GetObject, the multipart calls s3:PutObject (Abort its own action), DeleteObjects s3:DeleteObject
     * for each key, CopyObject s3:GetObject on the source and s3:PutObject on the destination. An ACL header adds
     * s3:PutObjectAcl ({@link #ACL_NEED}). Operations the scripts do not send are here so that, should a change start
     * sending one, the failure names the action it needs instead of only the operation.
     */
    static final Map<String, List<Need>> NEEDS = Map.ofEntries(
            Map.entry("ListObjectsV2", List.of(new Need("s3:ListBucket", On.BUCKET))),
            Map.entry("ListObjects", List.of(new Need("s3:ListBucket", On.BUCKET))),
            Map.entry("HeadBucket", List.of(new Need("s3:ListBucket", On.BUCKET))),
            Map.entry("GetBucketLocation", List.of(new Need("s3:GetBucketLocation", On.BUCKET))),
            Map.entry("ListMultipartUploads", List.of(new Need("s3:ListBucketMultipartUploads", On.BUCKET))),
            Map.entry("ListObjectVersions", List.of(new Need("s3:ListBucketVersions", On.BUCKET))),
            Map.entry("HeadObject", List.of(new Need("s3:GetObject", On.OBJECT))),
            Map.entry("GetObject", List.of(new Need("s3:GetObject", On.OBJECT))),
            Map.entry("PutObject", List.of(new Need("s3:PutObject", On.OBJECT))),
            Map.entry("CreateMultipartUpload", List.of(new Need("s3:PutObject", On.OBJECT))),
            Map.entry("UploadPart", List.of(new Need("s3:PutObject", On.OBJECT))),
            Map.entry("CompleteMultipartUpload", List.of(new Need("s3:PutObject", On.OBJECT))),
            Map.entry("AbortMultipartUpload", List.of(new Need("s3:AbortMultipartUpload", On.OBJECT))),
            Map.entry("ListParts", List.of(new Need("s3:ListMultipartUploadParts", On.OBJECT))),
            Map.entry("CopyObject", List.of(new Need("s3:GetObject", On.COPY_SOURCE), new Need("s3:PutObject", On.OBJECT))),
            Map.entry("UploadPartCopy", List.of(new Need("s3:GetObject", On.COPY_SOURCE), new Need("s3:PutObject", On.OBJECT))),
            Map.entry("DeleteObject", List.of(new Need("s3:DeleteObject", On.OBJECT))),
            Map.entry("DeleteObjects", List.of(new Need("s3:DeleteObject", On.DELETED_KEYS))),
            Map.entry("PutObjectAcl", List.of(new Need("s3:PutObjectAcl", On.OBJECT))),
            Map.entry("GetObjectAcl", List.of(new Need("s3:GetObjectAcl", On.OBJECT))),
            Map.entry("PutObjectTagging", List.of(new Need("s3:PutObjectTagging", On.OBJECT))),
            Map.entry("CreateInvalidation", List.of(new Need("cloudfront:CreateInvalidation", On.DISTRIBUTION))),
            Map.entry("GetInvalidation", List.of(new Need("cloudfront:GetInvalidation", On.DISTRIBUTION))),
            Map.entry("ListInvalidations", List.of(new Need("cloudfront:ListInvalidations", On.DISTRIBUTION))),
            Map.entry("GetDistribution", List.of(new Need("cloudfront:GetDistribution", On.DISTRIBUTION))),
            Map.entry("GetDistributionConfig", List.of(new Need("cloudfront:GetDistributionConfig", On.DISTRIBUTION))),
            Map.entry("ListDistributions", List.of(new Need("cloudfront:ListDistributions", On.ANY))));

    /** PutObject, CreateMultipartUpload and CopyObject with an ACL header (x-amz-acl, x-amz-grant-*) also need this. */
    static final Need ACL_NEED = new Need("s3:PutObjectAcl", On.OBJECT);
    static final Set<String> ACL_CARRIERS = Set.of("PutObject", "CreateMultipartUpload", "CopyObject");

    // ---------------------------------------------------------------- what the servers received

    /**
     * One request: S3 (bucket, key, copy source, whether it carried an ACL header, and for DeleteObjects the keys that
     * disappeared) or CloudFront (the distribution in its path, null for ListDistributions).
     */
    record Call(String operation, String bucket, String key, String copySource, boolean acl, List<String> deletedKeys,
                String distribution) {
        static Call s3(String operation, String bucket, String key) {
            return new Call(operation, bucket, key, null, false, List.of(), null);
        }

        static Call cloudFront(String operation, String distribution) {
            return new Call(operation, null, null, null, false, List.of(), distribution);
        }

        Call withDeleted(String... keys) {
            return new Call(operation, bucket, key, copySource, acl, List.of(keys), distribution);
        }
    }

    /** A scenario's requests; {@code cases} are the conditional statements (Sids) its command line is the case of. */
    record Observed(String script, String scenario, Set<String> cases, List<Call> calls) {
    }

    /** An action on one resource ARN (or "*"), and the request that needs it. */
    record Required(String action, String resource, String because) {
    }

    static List<Required> required(Call c) {
        List<Need> needs = new ArrayList<>(NEEDS.get(c.operation()));
        if (c.acl() && ACL_CARRIERS.contains(c.operation())) needs.add(ACL_NEED);
        List<Required> out = new ArrayList<>();
        for (Need n : needs) {
            String because = c.operation() + (c.key() != null ? " " + c.key() : c.distribution() != null ? " " + c.distribution() : "");
            switch (n.on()) {
                case BUCKET -> out.add(new Required(n.action(), "arn:aws:s3:::" + c.bucket(), because));
                case OBJECT -> out.add(new Required(n.action(), "arn:aws:s3:::" + c.bucket() + "/" + c.key(), because));
                case COPY_SOURCE -> out.add(new Required(n.action(), "arn:aws:s3:::" + c.copySource(), because + " (its source)"));
                case DELETED_KEYS -> c.deletedKeys().forEach(k -> out.add(new Required(n.action(), "arn:aws:s3:::" + c.bucket() + "/" + k, because + " " + k)));
                case DISTRIBUTION -> out.add(new Required(n.action(), "arn:aws:cloudfront::" + ACCOUNT_ID + ":distribution/" + c.distribution(), because));
                case ANY -> out.add(new Required(n.action(), "*", because));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- the README's policies

    record Statement(String sid, List<String> actions, List<String> resources) {
        boolean conditional() {
            return sid.startsWith("Only");
        }

        /** The action as written here that grants {@code r}, or null. */
        String grant(Required r) {
            if (resources.stream().noneMatch(p -> resourceMatches(p, r.resource()))) return null;
            return actions.stream().filter(a -> glob(a).matcher(r.action()).matches()).findFirst().orElse(null);
        }
    }

    /** An action without resource types takes "*" only; an ARN matches IAM's wildcards (* any run, ? one character). */
    static boolean resourceMatches(String pattern, String resource) {
        return resource.equals("*") ? pattern.equals("*") : glob(pattern).matcher(resource).matches();
    }

    static Pattern glob(String iamPattern) {
        StringBuilder re = new StringBuilder();
        for (char ch : iamPattern.toCharArray()) {
            if (ch == '*') re.append(".*");
            else if (ch == '?') re.append('.');
            else re.append(Pattern.quote(String.valueOf(ch)));
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    /** The section "## IAM permissions" up to the next "## " heading. */
    static String section(String readme) {
        Matcher m = Pattern.compile("(?m)^## IAM permissions\\s*$").matcher(readme);
        if (!m.find()) throw new AssertionError("README.md has no section \"## IAM permissions\"");
        Matcher next = Pattern.compile("(?m)^## ").matcher(readme);
        int end = next.find(m.end()) ? next.start() : readme.length();
        return readme.substring(m.start(), end);
    }

    /** Each "### " subsection of the section: its title and its ```json blocks. */
    static Map<String, List<String>> jsonBlocks(String readme) {
        Map<String, List<String>> blocks = new LinkedHashMap<>();
        String title = "";
        Matcher m = Pattern.compile("(?ms)^### ([^\\n]+)$|^```json\\n(.*?)^```").matcher(section(readme));
        while (m.find()) {
            if (m.group(1) != null) title = m.group(1).trim();
            else blocks.computeIfAbsent(title, k -> new ArrayList<>()).add(m.group(2));
        }
        return blocks;
    }

    static String policyTitle(String script) {
        return "Policy for " + script;
    }

    /** The one JSON policy under "### Policy for SCRIPT", placeholders replaced by the test's bucket, account and distribution. */
    static List<Statement> policy(String readme, String script) {
        List<String> blocks = jsonBlocks(readme).getOrDefault(policyTitle(script), List.of());
        if (blocks.size() != 1) {
            throw new AssertionError("README.md's \"### " + policyTitle(script) + "\" should hold one ```json block, found " + blocks.size());
        }
        Map<?, ?> doc = (Map<?, ?>) MiniJson.parse(blocks.get(0));
        List<Statement> statements = new ArrayList<>();
        for (Object o : (List<?>) doc.get("Statement")) {
            Map<?, ?> s = (Map<?, ?>) o;
            String sid = String.valueOf(s.get("Sid"));
            if (!"Allow".equals(s.get("Effect"))) throw new AssertionError(script + ": statement " + sid + " is not an Allow");
            List<String> resources = strings(s.get("Resource")).stream()
                    .map(r -> r.replace("ACCOUNT_ID", ACCOUNT_ID).replace("DISTRIBUTION_ID", DIST).replace(":::BUCKET", ":::" + BUCKET))
                    .toList();
            statements.add(new Statement(sid, strings(s.get("Action")), resources));
        }
        return statements;
    }

    static List<String> strings(Object value) {
        if (value instanceof String s) return List.of(s);
        if (value instanceof List<?> l) return l.stream().map(String::valueOf).toList();
        return List.of();
    }

    // ---------------------------------------------------------------- the check

    /** Everything wrong with the README's policies given what the scripts were seen to send; empty when all is well. */
    static List<String> problems(String readme, List<Observed> observed) {
        List<String> problems = new ArrayList<>();
        Map<String, List<Observed>> byScript = new LinkedHashMap<>();
        observed.forEach(o -> byScript.computeIfAbsent(o.script(), k -> new ArrayList<>()).add(o));
        for (var entry : byScript.entrySet()) {
            String script = entry.getKey();
            List<Statement> policy;
            try {
                policy = policy(readme, script);
            } catch (AssertionError | RuntimeException e) {
                problems.add(script + ": " + e.getMessage());
                continue;
            }
            Set<String> sids = new TreeSet<>();
            policy.forEach(s -> sids.add(s.sid()));
            Map<Statement, Set<String>> usedActions = new HashMap<>();
            Map<Statement, Set<String>> usedResources = new HashMap<>();
            for (Statement s : policy) {
                for (String a : s.actions()) {
                    if (a.contains("*") || a.contains("?")) problems.add(script + ": statement " + s.sid() + " grants the wildcard " + a + ": name the actions");
                }
            }
            for (Observed o : entry.getValue()) {
                for (String c : o.cases()) {
                    if (!sids.contains(c)) {
                        problems.add(script + ": scenario '" + o.scenario() + "' is the case of " + c + ", but the policy has no statement "
                                + c + ": the statement that only this case needs should say so by its Sid");
                    }
                }
                Set<Statement> conditionalNeeded = new LinkedHashSet<>();
                for (Call call : o.calls()) {
                    if (!NEEDS.containsKey(call.operation())) {
                        problems.add(script + ": scenario '" + o.scenario() + "' sent " + call.operation()
                                + ", which the test's table does not map to an IAM action: add it from AWS's Service Authorization Reference");
                        continue;
                    }
                    for (Required r : required(call)) {
                        List<Statement> granting = policy.stream().filter(s -> s.grant(r) != null).toList();
                        if (granting.isEmpty()) {
                            problems.add(script + ": scenario '" + o.scenario() + "' sent " + r.because() + ", which needs " + r.action()
                                    + " on " + r.resource() + ": the README's policy for " + script + " does not grant it");
                            continue;
                        }
                        for (Statement s : granting) {
                            usedActions.computeIfAbsent(s, k -> new TreeSet<>()).add(s.grant(r));
                            s.resources().stream().filter(p -> resourceMatches(p, r.resource()))
                                    .forEach(p -> usedResources.computeIfAbsent(s, k -> new TreeSet<>()).add(p));
                            if (r.resource().matches("arn:.*") && s.resources().contains("*")) {
                                problems.add(script + ": statement " + s.sid() + " grants " + r.action() + " on \"*\", but it takes a resource ("
                                        + r.resource() + "): name it");
                            }
                        }
                        if (granting.stream().allMatch(Statement::conditional)) conditionalNeeded.addAll(granting);
                    }
                }
                for (Statement s : policy) {
                    if (!s.conditional()) continue;
                    boolean needed = conditionalNeeded.contains(s);
                    boolean itsCase = o.cases().contains(s.sid());
                    if (needed && !itsCase) {
                        problems.add(script + ": scenario '" + o.scenario() + "' needed " + s.actions() + " of statement " + s.sid()
                                + " outside its case");
                    } else if (itsCase && !needed) {
                        problems.add(script + ": scenario '" + o.scenario() + "' is the case of " + s.sid() + " but sent nothing that needs "
                                + s.actions());
                    }
                }
            }
            for (Statement s : policy) {
                for (String a : s.actions()) {
                    if (!usedActions.getOrDefault(s, Set.of()).contains(a)) {
                        problems.add(script + ": statement " + s.sid() + " grants " + a + ", which no scenario of " + script + " needed");
                    }
                }
                for (String r : s.resources()) {
                    if (!usedResources.getOrDefault(s, Set.of()).contains(r)) {
                        problems.add(script + ": statement " + s.sid() + " names the resource " + r + ", which no request of " + script + " needed");
                    }
                }
            }
        }
        return problems;
    }

    // ---------------------------------------------------------------- the servers and the scenarios

    static LocalServers.Moto moto;
    static S3FaultProxy proxy;
    static CloudFrontEmulator cloudFront;
    static S3Client s3;
    @TempDir
    static Path tmp;
    static Path site;
    static List<Observed> observed;

    @BeforeAll
    static void startServers() throws Exception {
        LocalServers.init();
        moto = LocalServers.Moto.start();
        proxy = S3FaultProxy.start(moto.endpoint());
        cloudFront = CloudFrontEmulator.start();
        // Long enough that --wait asks at least once (the scripts poll every 50 ms here).
        cloudFront.completionDelay(Duration.ofMillis(300));
        cloudFront.addDistribution(DIST, null, List.of(ALIAS), List.of(CloudFrontEmulator.Origin.s3(BUCKET)));
        cloudFront.addDistribution("E2IAMOTHER002", null, List.of("other.iam.example"), List.of(CloudFrontEmulator.Origin.s3("other-bucket")));
        s3 = TestS3.client(moto.endpoint()); // straight to moto: the test's own set-up is not recorded
        s3.createBucket(b -> b.bucket(BUCKET));
        site = Files.createDirectories(tmp.resolve("public"));
    }

    @AfterAll
    static void stopServers() throws Exception {
        LocalServers.closeAll(s3, cloudFront, proxy, moto);
    }

    static void write(String relative, String content) throws IOException {
        write(relative, content.getBytes(StandardCharsets.UTF_8));
    }

    static void write(String relative, byte[] content) throws IOException {
        Path f = site.resolve(relative);
        Files.createDirectories(f.getParent());
        Files.write(f, content);
    }

    static byte[] randomBytes(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static Set<String> keys() {
        Set<String> keys = new TreeSet<>();
        for (var page : s3.listObjectsV2Paginator(r -> r.bucket(BUCKET))) page.contents().forEach(o -> keys.add(o.key()));
        return keys;
    }

    /** Runs one command in-process with every request recorded; asserts its exit code and that it sent what it is there for. */
    static Observed run(String script, String scenario, Set<String> cases, int exit, Set<String> exercises, List<String> args,
                        Runnable faults) {
        proxy.clear();
        cloudFront.reset();
        List<S3FaultProxy.Call> s3Calls = Collections.synchronizedList(new ArrayList<>());
        // Observes every call with its headers, matches none; added first, so it sees the calls a fault rule takes too.
        proxy.injectAlways(call -> {
            s3Calls.add(call);
            return false;
        }, S3FaultProxy.Fault.SLOW(Duration.ZERO));
        faults.run();
        Set<String> before = keys();
        LocalServers.Run r;
        if (script.equals(DEPLOY_SITE)) {
            List<String> all = new ArrayList<>(List.of("--endpoint-url", proxy.endpoint().toString(),
                    "--cloudfront-endpoint-url", cloudFront.endpoint().toString(), "--poll-interval", "50ms"));
            all.addAll(args);
            all.addAll(List.of(site.toString(), "s3://" + BUCKET));
            r = InProcess.deploySite(new HashMap<>(), all);
        } else {
            List<String> all = new ArrayList<>(List.of("--endpoint-url", cloudFront.endpoint().toString(), "--poll-interval", "50ms"));
            all.addAll(args);
            r = InProcess.invalidate(new HashMap<>(), "", all);
        }
        assertEquals(exit, r.exitCode(), script + ", " + scenario + ":\n" + r);
        Set<String> after = keys();
        List<String> deleted = before.stream().filter(k -> !after.contains(k)).toList();

        List<Call> calls = new ArrayList<>();
        synchronized (s3Calls) {
            for (S3FaultProxy.Call c : s3Calls) {
                boolean acl = c.header("x-amz-acl") != null || c.headers().keySet().stream().anyMatch(h -> h.startsWith("x-amz-grant-"));
                calls.add(new Call(c.operation(), c.bucket(), c.key(), copySource(c.header("x-amz-copy-source")), acl,
                        c.operation().equals("DeleteObjects") ? deleted : List.of(), null));
            }
        }
        for (CloudFrontEmulator.RecordedRequest c : cloudFront.requests()) {
            String[] path = c.path().split("/");  // "", "2020-05-31", "distribution", ID, ...
            calls.add(Call.cloudFront(c.operation(), path.length > 3 ? path[3] : null));
        }
        Set<String> sent = new TreeSet<>();
        calls.forEach(c -> sent.add(c.operation()));
        assertTrue(sent.containsAll(exercises), script + ", " + scenario + ": meant to send " + exercises + ", sent " + sent + "\n" + r);
        return new Observed(script, scenario, cases, calls);
    }

    /** "bucket/key" from x-amz-copy-source ("/bucket/key?versionId=..." URL-encoded), or null. */
    static String copySource(String header) {
        if (header == null) return null;
        String s = header.startsWith("/") ? header.substring(1) : header;
        int q = s.indexOf('?');
        return S3FaultProxy.percentDecode(q < 0 ? s : s.substring(0, q));
    }

    static Observed deploy(String scenario, Set<String> cases, Set<String> exercises, String... args) {
        return run(DEPLOY_SITE, scenario, cases, 0, exercises, List.of(args), () -> {
        });
    }

    static Observed invalidate(String scenario, Set<String> cases, Set<String> exercises, String... args) {
        return run(INVALIDATE, scenario, cases, 0, exercises, List.of(args), () -> {
        });
    }

    /** Every scenario, once per class run (the checks below share them). */
    static synchronized List<Observed> observed() throws Exception {
        if (observed != null) return observed;
        List<Observed> all = new ArrayList<>();
        write("index.html", "<html><link href=/css/site.css><h1>Home</h1></html>");
        write("css/site.css", "body { color: black; }");
        write("js/app.js", "console.log('hi');");
        write("blog/first/index.html", "<h1>First</h1>");
        write("blog/second/index.html", "<h1>Second</h1>");
        write("index.xml", "<rss></rss>");
        all.add(deploy("first deploy", Set.of(WITH_ID), Set.of("ListObjectsV2", "PutObject", "GetDistribution", "CreateInvalidation"),
                "-c", DIST));

        write("css/site.css", "body { color: navy; }");
        Files.delete(site.resolve("blog/first/index.html"));
        all.add(deploy("a change with deletions", Set.of(WITH_ID), Set.of("PutObject", "DeleteObjects", "CreateInvalidation"), "-c", DIST));

        write("video/big.bin", randomBytes(BIG, 1));
        all.add(deploy("a file over 8 MiB", Set.of(WITH_ID), Set.of("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"),
                "-c", DIST));

        storeInOtherParts("downloads/six.bin", randomBytes(OTHER_PARTS, 2));
        all.add(deploy("an object whose ETag is not its MD5", Set.of(WITH_ID), Set.of("HeadObject"), "-c", DIST));

        all.add(deploy("--acl public-read", Set.of(WITH_ACL, WITH_ID), Set.of("PutObject", "CreateMultipartUpload"),
                "--acl", "public-read", "--force", "-c", DIST));

        all.add(deploy("--refresh-headers", Set.of(WITH_ID), Set.of("HeadObject", "CopyObject"),
                "--refresh-headers", "--cache-control", "css/*.css=max-age=60", "-c", DIST));

        write("js/app.js", "console.log('wait');");
        all.add(deploy("--wait", Set.of(WITH_ID), Set.of("CreateInvalidation", "GetInvalidation"), "--wait", "-c", DIST));

        // An orphaned asset is deleted by a later run once its grace is over and its invalidation completed (GetInvalidation).
        Files.delete(site.resolve("index.xml"));
        write("js/app.js", "console.log('orphaning');");
        write("js/extra.js", "console.log('extra');");
        all.add(deploy("an asset orphaned", Set.of(WITH_ID), Set.of("PutObject", "DeleteObjects", "CreateInvalidation"),
                "--delete-grace", "1s", "-c", DIST));
        Files.delete(site.resolve("js/extra.js"));
        write("js/app.js", "console.log('orphaned extra');");
        all.add(deploy("orphans kept", Set.of(WITH_ID), Set.of("PutObject", "CreateInvalidation"), "--delete-grace", "1s", "-c", DIST));
        Thread.sleep(1100);
        all.add(deploy("orphans due", Set.of(WITH_ID), Set.of("GetObject", "GetInvalidation", "DeleteObjects", "CreateInvalidation"),
                "--delete-grace", "1s", "-c", DIST));

        write("js/app.js", "console.log('by bucket');");
        all.add(deploy("the distribution found by its bucket", Set.of(TO_FIND), Set.of("ListDistributions", "CreateInvalidation")));

        write("js/app.js", "console.log('by name');");
        all.add(deploy("--distribution NAME", Set.of(TO_FIND), Set.of("ListDistributions", "CreateInvalidation"), "--distribution", ALIAS));

        write("video/refused.bin", randomBytes(BIG, 3));
        all.add(run(DEPLOY_SITE, "a multipart upload refused with 403", Set.of(WITH_ID), 1,
                Set.of("CreateMultipartUpload", "UploadPart", "AbortMultipartUpload"), List.of("-c", DIST),
                () -> proxy.injectAlways("UploadPart", "video/refused.bin", S3FaultProxy.Fault.ACCESS_DENIED)));

        all.add(invalidate("-c ID", Set.of(), Set.of("CreateInvalidation"), "-c", DIST, "/index.html", "/css/*"));
        all.add(invalidate("--distribution NAME", Set.of(TO_FIND), Set.of("ListDistributions", "CreateInvalidation"),
                "--distribution", ALIAS, "/index.html"));
        all.add(invalidate("--distribution NAME --dry-run", Set.of(TO_FIND), Set.of("ListDistributions"),
                "--distribution", ALIAS, "--dry-run", "/index.html"));
        all.add(invalidate("--wait", Set.of(WITH_WAIT), Set.of("CreateInvalidation", "GetInvalidation"), "-c", DIST, "--wait", "/index.html"));
        observed = List.copyOf(all);
        return observed;
    }

    /** Writes the file and stores the same bytes in 5 MiB parts (ETag "...-2", not the MD5), with the MD5 in its metadata. */
    static void storeInOtherParts(String key, byte[] bytes) throws Exception {
        write(key, bytes);
        String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
        String id = s3.createMultipartUpload(r -> r.bucket(BUCKET).key(key).contentType("application/octet-stream")
                .metadata(Map.of("md5", md5))).uploadId();
        List<CompletedPart> parts = new ArrayList<>();
        for (int n = 1, from = 0; from < bytes.length; n++, from += MIB_5) {
            int number = n;
            byte[] part = Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + MIB_5));
            String etag = s3.uploadPart(r -> r.bucket(BUCKET).key(key).uploadId(id).partNumber(number), RequestBody.fromBytes(part)).eTag();
            parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
        }
        s3.completeMultipartUpload(r -> r.bucket(BUCKET).key(key).uploadId(id).multipartUpload(m -> m.parts(parts)));
        assertTrue(s3.headObject(r -> r.bucket(BUCKET).key(key)).eTag().contains("-"), "stored in parts");
    }

    static String readme() throws IOException {
        return Files.readString(LocalServers.repoRoot().resolve("README.md"), StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- the tests

    @Test
    void theReadmePoliciesAllowEveryRequestTheScriptsSendAndNothingMore() throws Exception {
        List<String> problems = problems(readme(), observed());
        assertTrue(problems.isEmpty(), () -> problems.size() + " problem(s) with the README's policies:\n" + String.join("\n", problems));
    }

    @Test
    void removingAnyGrantedActionFromTheReadmeFailsTheCheckNamingIt() throws Exception {
        String readme = readme();
        List<Observed> observed = observed();
        int mutants = 0;
        for (String script : List.of(DEPLOY_SITE, INVALIDATE)) {
            for (Statement s : policy(readme, script)) {
                for (String action : s.actions()) {
                    String without = withoutAction(readme, script, action);
                    assertNotEquals(readme, without, "removed " + action);
                    List<String> found = problems(without, observed);
                    assertTrue(found.stream().anyMatch(p -> p.startsWith(script + ": ") && p.contains("needs " + action + " on")),
                            () -> "without " + action + " in the policy for " + script + ", the check should fail naming it; it found:\n"
                                    + String.join("\n", found));
                    mutants++;
                }
            }
        }
        assertTrue(mutants >= 10, "every action of both policies was removed in turn: " + mutants);
    }

    /** A copy of the README with {@code action} taken out of the policy for {@code script} only. */
    static String withoutAction(String readme, String script, String action) {
        String block = jsonBlocks(readme).get(policyTitle(script)).get(0);
        String q = Pattern.quote("\"" + action + "\"");
        String inArray = "(?=[^\\[\\]]*\\])";
        String mutated = block.replaceFirst("(\"Action\"\\s*:\\s*)" + q, "$1[]");
        if (mutated.equals(block)) mutated = block.replaceFirst(q + ",\\s*" + inArray, "");
        if (mutated.equals(block)) mutated = block.replaceFirst(",\\s*" + q + inArray, "");
        MiniJson.parse(mutated); // still a policy, less one action
        int at = readme.indexOf(block, readme.indexOf("### " + policyTitle(script)));
        return readme.substring(0, at) + mutated + readme.substring(at + block.length());
    }

    @Test
    void theCheckNamesAMissingAnUnneededAWildcardAMisplacedConditionalAndAnUnmappedCall() {
        String readme = "## IAM permissions\n\n### Policy for deploy-site\n\n```json\n"
                + "{\"Version\": \"2012-10-17\", \"Statement\": [\n"
                + " {\"Sid\": \"List\", \"Effect\": \"Allow\", \"Action\": \"s3:ListBucket\", \"Resource\": \"arn:aws:s3:::BUCKET\"},\n"
                + " {\"Sid\": \"Objects\", \"Effect\": \"Allow\", \"Action\": [\"s3:PutObject\", \"s3:GetObject\"], \"Resource\": \"arn:aws:s3:::BUCKET/*\"},\n"
                + " {\"Sid\": \"OnlyWithAcl\", \"Effect\": \"Allow\", \"Action\": \"s3:PutObjectAcl\", \"Resource\": \"arn:aws:s3:::BUCKET/*\"},\n"
                + " {\"Sid\": \"Everything\", \"Effect\": \"Allow\", \"Action\": \"cloudfront:*\", \"Resource\": \"*\"}\n"
                + "]}\n```\n\n## Next\n";
        Call put = Call.s3("PutObject", BUCKET, "a.html");
        Call putWithAcl = new Call("PutObject", BUCKET, "b.html", null, true, List.of(), null);
        List<Observed> observed = List.of(
                new Observed(DEPLOY_SITE, "plain", Set.of(), List.of(Call.s3("ListObjectsV2", BUCKET, null), put, putWithAcl,
                        Call.s3("DeleteObjects", BUCKET, null).withDeleted("old.html"), Call.s3("Other", BUCKET, "x"),
                        Call.cloudFront("CreateInvalidation", DIST))),
                new Observed(DEPLOY_SITE, "with --acl", Set.of(WITH_ACL, WITH_WAIT), List.of(put)));
        String found = String.join("\n", problems(readme, observed));
        assertTrue(found.contains("sent DeleteObjects old.html, which needs s3:DeleteObject on arn:aws:s3:::iam-site/old.html"), found);
        assertTrue(found.contains("statement Objects grants s3:GetObject, which no scenario of deploy-site needed"), found);
        assertTrue(found.contains("statement Everything grants the wildcard cloudfront:*"), found);
        assertTrue(found.contains("grants cloudfront:CreateInvalidation on \"*\", but it takes a resource"), found);
        assertTrue(found.contains("scenario 'plain' needed [s3:PutObjectAcl] of statement OnlyWithAcl outside its case"), found);
        assertTrue(found.contains("scenario 'with --acl' is the case of OnlyWithAcl but sent nothing that needs"), found);
        assertTrue(found.contains("scenario 'with --acl' is the case of OnlyWithWait, but the policy has no statement OnlyWithWait"), found);
        assertTrue(found.contains("sent Other, which the test's table does not map to an IAM action"), found);
    }

    @Test
    void everyJsonBlockOfTheSectionIsJsonAndTheTrustPoliciesNameTheProviderAudienceAndSubject() throws Exception {
        Map<String, List<String>> blocks = jsonBlocks(readme());
        blocks.values().forEach(list -> list.forEach(MiniJson::parse));
        assertTrust(blocks, "Trust policy for GitHub Actions", "token.actions.githubusercontent.com", "repo:OWNER/SITE:ref:refs/heads/main");
        assertTrust(blocks, "Trust policy for GitLab CI", "gitlab.com", "project_path:GROUP/PROJECT:ref_type:branch:ref:main");
    }

    static void assertTrust(Map<String, List<String>> blocks, String title, String provider, String subject) {
        List<String> found = blocks.getOrDefault(title, List.of());
        assertEquals(1, found.size(), "one ```json block under \"### " + title + "\"");
        Map<?, ?> statement = (Map<?, ?>) ((List<?>) ((Map<?, ?>) MiniJson.parse(found.get(0))).get("Statement")).get(0);
        assertEquals("Allow", statement.get("Effect"), title);
        assertEquals(Map.of("Federated", "arn:aws:iam::ACCOUNT_ID:oidc-provider/" + provider), statement.get("Principal"), title);
        assertEquals("sts:AssumeRoleWithWebIdentity", statement.get("Action"), title);
        Map<?, ?> equals = (Map<?, ?>) ((Map<?, ?>) statement.get("Condition")).get("StringEquals");
        assertEquals(Map.of(provider + ":aud", "sts.amazonaws.com", provider + ":sub", subject), equals, title);
    }
}
