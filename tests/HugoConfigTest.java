import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Layer 1: a Hugo site's configuration as deploy-site --hugo reads it, checked against how Hugo itself reads it
 * (config/configLoader.go, deploy/deployConfig.go, media/builtin.go, hugofs/glob): which file is read, how the config
 * folder and environments merge, every [deployment] key, target URLs, matchers, media types, include/exclude globs and
 * order. Every site is built in a @TempDir; no network, no servers.
 */
class HugoConfigTest {
    @TempDir
    Path tmp;

    // ---------------------------------------------------------------- helpers

    /** A site folder holding the files given as path, content, path, content, ... */
    static Path site(Path dir, String... pathsAndContents) {
        try {
            Files.createDirectories(dir);
            for (int i = 0; i < pathsAndContents.length; i += 2) {
                Path file = dir.resolve(pathsAndContents[i]);
                Files.createDirectories(file.getParent());
                Files.writeString(file, pathsAndContents[i + 1], StandardCharsets.UTF_8);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static DeploySite.Hugo.Settings settings(Path site) {
        return settings(site, DeploySite.Hugo.DEFAULT_ENVIRONMENT, null);
    }

    static DeploySite.Hugo.Settings settings(Path site, String environment, String target) {
        return DeploySite.Hugo.settings(DeploySite.Hugo.load(site, environment), site, target);
    }

    /** The settings of a hugo.toml holding exactly this text. */
    DeploySite.Hugo.Settings toml(String text) {
        return settings(site(tmp.resolve("site"), "hugo.toml", text));
    }

    /** The usage error's message; fails when the code does not throw one. */
    static String usageError(Executable code) {
        return assertThrows(DeploySite.Invalidations.UsageError.class, code).getMessage();
    }

    /** One target, the minimum a [deployment] section needs. */
    static String target(String bucket) {
        return "[[deployment.targets]]\nname = '" + bucket + "'\nurl = 's3://" + bucket + "'\n";
    }

    static DeploySite.Site.Rules hugoRules(List<DeploySite.Hugo.Matcher> matchers, Map<String, List<String>> mediaTypes) {
        return DeploySite.Site.Rules.of(List.of(), List.of(), null, List.of()).withHugo(matchers, mediaTypes);
    }

    static DeploySite.Hugo.Matcher matcher(String pattern, String cacheControl, String contentType, String contentEncoding, boolean gzip,
                                           boolean force) {
        return new DeploySite.Hugo.Matcher(Pattern.compile(pattern), cacheControl, contentType, contentEncoding, gzip, force);
    }

    static DeploySite.Site.Headers headers(String contentType, String cacheControl, String contentEncoding, boolean compress) {
        return new DeploySite.Site.Headers(contentType, cacheControl, contentEncoding, compress);
    }

    static DeploySite.Site.LocalFile file(String key, String md5) {
        return new DeploySite.Site.LocalFile(key, Path.of(key), 5, md5, null, new DeploySite.Site.Headers("text/html; charset=utf-8", null, null),
                DeploySite.Site.isEntryPoint(key));
    }

    static DeploySite.Site.RemoteObject object(String key, String etag) {
        return new DeploySite.Site.RemoteObject(key, 5, "\"" + etag + "\"");
    }

    /** Upload groups as "a b | c": the keys of each group in order, groups separated by '|'. */
    static String groups(List<List<DeploySite.Site.Upload>> groups) {
        return groups.stream().map(g -> g.stream().map(u -> u.file().key()).collect(Collectors.joining(" "))).collect(Collectors.joining(" | "));
    }

    static List<Pattern> patterns(String... regexps) {
        return Arrays.stream(regexps).map(Pattern::compile).toList();
    }

    // ================================================================ layouts: which files are read, in which order

    static final String HUGO_TOML_A = "[deployment]\n" + target("root-hugo");

    /** name, environment, expected summary (target bucket, maxDeletes, workers, matchers), the site's files. */
    static Stream<Arguments> layouts() {
        return Stream.of(
                Arguments.of("hugo.toml alone", "production", "root-hugo maxDeletes=null workers=null matchers=0",
                        new String[]{"hugo.toml", HUGO_TOML_A}),
                Arguments.of("hugo.yaml", "production", "from-yaml maxDeletes=7 workers=null matchers=1",
                        new String[]{"hugo.yaml", """
                                deployment:
                                  maxDeletes: 7
                                  targets:
                                    - name: y
                                      URL: s3://from-yaml
                                  matchers:
                                    - pattern: '\\.css$'
                                      gzip: true
                                """}),
                Arguments.of("hugo.yml", "production", "from-yml maxDeletes=null workers=null matchers=0",
                        new String[]{"hugo.yml", "deployment:\n  targets:\n    - {name: y, url: 's3://from-yml'}\n"}),
                Arguments.of("hugo.json", "production", "from-json maxDeletes=null workers=4 matchers=0",
                        new String[]{"hugo.json", """
                                {"deployment": {"workers": 4, "targets": [{"name": "j", "url": "s3://from-json"}]}}
                                """}),
                Arguments.of("config.toml alone", "production", "from-config maxDeletes=null workers=null matchers=0",
                        new String[]{"config.toml", "[deployment]\n" + target("from-config")}),
                Arguments.of("config.yaml alone", "production", "from-config-yaml maxDeletes=null workers=null matchers=0",
                        new String[]{"config.yaml", "deployment:\n  targets:\n    - {name: c, url: 's3://from-config-yaml'}\n"}),
                Arguments.of("hugo.toml and config.toml: only hugo.toml is read (config.toml's maxDeletes is ignored)", "production",
                        "root-hugo maxDeletes=null workers=null matchers=0",
                        new String[]{"hugo.toml", HUGO_TOML_A, "config.toml", "[deployment]\nmaxDeletes = 5\n" + target("from-config")}),
                Arguments.of("hugo.json beats config.toml (name before extension)", "production", "from-json maxDeletes=null workers=null matchers=0",
                        new String[]{"hugo.json", "{\"deployment\": {\"targets\": [{\"name\": \"j\", \"url\": \"s3://from-json\"}]}}",
                                "config.toml", "[deployment]\nworkers = 3\n" + target("from-config")}),
                Arguments.of("hugo.toml beats hugo.yaml (toml first)", "production", "root-hugo maxDeletes=null workers=null matchers=0",
                        new String[]{"hugo.toml", HUGO_TOML_A, "hugo.yaml", "deployment:\n  workers: 9\n  targets:\n    - {name: y, url: 's3://from-yaml'}\n"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layouts")
    void everyLayoutIsReadAsHugoReadsIt(String name, String environment, String expected, String[] files) {
        Path dir = site(tmp.resolve("site"), files);
        assertTrue(DeploySite.Hugo.isSite(dir), name);
        DeploySite.Hugo.Settings s = settings(dir, environment, null);
        assertEquals(expected, s.target().where().bucket() + " maxDeletes=" + s.maxDeletes() + " workers=" + s.workers()
                + " matchers=" + s.matchers().size(), name);
    }

    /** Hugo's merge of a later configuration into an earlier one: tables key by key, anything else (arrays too) replaced. */
    static Stream<Arguments> merges() {
        return Stream.of(
                Arguments.of(Map.of("a", 1), Map.of("b", 2), "{a=1, b=2}"),
                Arguments.of(Map.of("a", 1), Map.of("a", 2), "{a=2}"),
                Arguments.of(Map.of("t", Map.of("x", 1, "y", 2)), Map.of("t", Map.of("y", 3)), "{t={x=1, y=3}}"),
                Arguments.of(Map.of("list", List.of(1, 2)), Map.of("list", List.of(3)), "{list=[3]}"),
                Arguments.of(Map.of("t", Map.of("x", 1)), Map.of("t", 5), "{t=5}"),
                Arguments.of(Map.of("t", 5), Map.of("t", Map.of("x", 1)), "{t={x=1}}"),
                Arguments.of(Map.of("deployment", Map.of("targets", List.of("a", "b"), "matchers", List.of("m"), "workers", 3)),
                        Map.of("deployment", Map.of("targets", List.of("c"), "workers", 6)),
                        "{deployment={matchers=[m], targets=[c], workers=6}}"));
    }

    @ParameterizedTest(name = "{0} then {1} -> {2}")
    @MethodSource("merges")
    void laterConfigurationMergesTablesAndReplacesArrays(Map<String, Object> earlier, Map<String, Object> later, String expected) {
        Map<String, Object> into = new java.util.TreeMap<>(earlier);
        DeploySite.Hugo.merge(into, later);
        assertEquals(expected, sorted(into).toString());
    }

    /** Nested maps as TreeMaps, for a stable toString. */
    static Object sorted(Object value) {
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> out = new java.util.TreeMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), sorted(v)));
            return out;
        }
        return value;
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            hugo.toml            | true
            hugo.yaml            | true
            hugo.yml             | true
            hugo.json            | true
            config.toml          | true
            config.json          | true
            config/.keep         | true
            hugo.ini             | false
            site.toml            | false
            content/_index.md    | false
            """)
    void aSiteIsAFolderWithARootFileOrAConfigFolder(String file, boolean isSite) {
        Path dir = site(tmp.resolve("site"), file, "");
        assertEquals(isSite, DeploySite.Hugo.isSite(dir));
        assertFalse(DeploySite.Hugo.isSite(dir.resolve(file)));
    }

    /** Hugo's keys are case-insensitive: every spelling gives the same settings. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            lower case       | deployment | targets | url | cloudfrontdistributionid | maxdeletes | matchers | pattern | cachecontrol | gzip
            Hugo's spelling  | deployment | targets | URL | cloudFrontDistributionID | maxDeletes | matchers | pattern | cacheControl | gzip
            upper case       | DEPLOYMENT | TARGETS | URL | CLOUDFRONTDISTRIBUTIONID | MAXDELETES | MATCHERS | PATTERN | CACHECONTROL | GZIP
            mixed            | Deployment | Targets | Url | CloudFrontDistributionId | MaxDeletes | Matchers | Pattern | CacheControl | Gzip
            """)
    void keysAreCaseInsensitive(String name, String deployment, String targets, String url, String distribution, String maxDeletes,
                                String matchers, String pattern, String cacheControl, String gzip) {
        DeploySite.Hugo.Settings s = toml("[" + deployment + "]\n" + maxDeletes + " = 9\n"
                + "[[" + deployment + "." + targets + "]]\nname = 'n'\n" + url + " = 's3://case-bucket?prefix=p/'\n" + distribution + " = 'E123'\n"
                + "[[" + deployment + "." + matchers + "]]\n" + pattern + " = 'x'\n" + cacheControl + " = 'max-age=1'\n" + gzip + " = true\n");
        assertEquals(new DeploySite.Site.Target("case-bucket", "p/"), s.target().where());
        assertEquals("E123", s.target().distributionId());
        assertEquals(9, s.maxDeletes());
        assertEquals(1, s.matchers().size());
        assertEquals("max-age=1", s.matchers().get(0).cacheControl());
        assertTrue(s.matchers().get(0).gzip());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            ''                                | public
            publishDir = "out"                | out
            publishdir = "build/site"         | build/site
            PUBLISHDIR = "dist"               | dist
            """)
    void publishDirDefaultsToPublic(String line, String expected) {
        Path dir = tmp.resolve("site");
        assertEquals(dir.resolve(expected), settings(site(dir, "hugo.toml", line + "\n[deployment]\n" + target("bbb"))).publishDir());
    }

    // ---------------------------------------------------------------- folders that are no Hugo site, files that do not parse

    @Test
    void aFolderWithoutConfigurationIsAUsageError() {
        Path dir = site(tmp.resolve("site"), "content/_index.md", "# hi\n", "public/index.html", "<p>hi</p>");
        assertFalse(DeploySite.Hugo.isSite(dir));
        assertTrue(usageError(() -> DeploySite.Hugo.load(dir, "production")).contains("no Hugo configuration"));
        assertTrue(usageError(() -> DeploySite.Hugo.load(tmp.resolve("missing"), "production")).contains("is not a folder"));
        assertFalse(DeploySite.Hugo.isSite(tmp.resolve("missing")));
    }

    @Test
    void aConfigFolderWithoutTheEnvironmentsFilesIsAUsageError() {
        Path dir = site(tmp.resolve("site"), "config/development/deployment.toml", "[[targets]]\nname = 'd'\nurl = 's3://dev-bucket'\n");
        assertTrue(DeploySite.Hugo.isSite(dir));
        assertTrue(usageError(() -> DeploySite.Hugo.load(dir, "production")).contains("no Hugo configuration"));
    }

    /** file, content, what the message must name besides the file. */
    static Stream<Arguments> invalidFiles() {
        return Stream.of(
                Arguments.of("hugo.toml", "[deployment\nx = 1\n", "TOML"),
                Arguments.of("hugo.toml", "[deployment]\nworkers = = 3\n", "TOML"),
                Arguments.of("config.toml", "title = 'unterminated\n", "TOML"),
                Arguments.of("hugo.yaml", "deployment:\n  targets: [\n", "YAML"),
                Arguments.of("hugo.json", "{\"deployment\": {\"targets\": [}", "JSON"));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("invalidFiles")
    void anInvalidFileIsAUsageErrorNamingIt(String file, String content, String format) {
        Path dir = site(tmp.resolve("site"), file, content);
        String message = usageError(() -> DeploySite.Hugo.load(dir, "production"));
        assertTrue(message.contains(dir.resolve(file).toString()), message);
        assertTrue(message.contains(format), message);
    }

    @Test
    void aRootFileThatIsNotATableIsAUsageError() {
        Path dir = site(tmp.resolve("site"), "hugo.yaml", "- just\n- a list\n");
        assertTrue(usageError(() -> DeploySite.Hugo.load(dir, "production")).contains("does not hold a table"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            no [deployment]                  | title = "x"                                        | has no [deployment] section
            [deployment] without targets     | [deployment]\\nmaxDeletes = 3                     | no targets
            deployment is not a table        | deployment = 3                                     | is not a table
            a target without url             | [deployment]\\n[[deployment.targets]]\\nname = "n" | has no URL
            """)
    void anIncompleteDeploymentSectionIsAUsageError(String name, String text, String expected) {
        String message = usageError(() -> toml(text.replace("\\n", "\n")));
        assertTrue(message.contains(expected), message);
    }

    // ================================================================ [deployment] keys

    /** The line(s) added to [deployment] (one target 'bbb' follows), and the settings expected as "key=value". */
    static Stream<Arguments> deploymentKeys() {
        return Stream.of(
                Arguments.of("", "order=[] matchers=0 confirm=false dryRun=false force=false invalidateCdn=null maxDeletes=null workers=null"),
                Arguments.of("order = ['.jpg$', '.gif$']", "order=[.jpg$,.gif$]"),
                Arguments.of("order = '^img/'", "order=[^img/]"),
                Arguments.of("confirm = true", "confirm=true"),
                Arguments.of("confirm = false", "confirm=false"),
                Arguments.of("dryRun = true", "dryRun=true"),
                Arguments.of("force = true", "force=true"),
                Arguments.of("force = 'true'", "force=true"),
                Arguments.of("invalidateCDN = false", "invalidateCdn=false"),
                Arguments.of("invalidateCDN = true", "invalidateCdn=true"),
                Arguments.of("maxDeletes = 10", "maxDeletes=10"),
                Arguments.of("maxDeletes = -1", "maxDeletes=-1"),
                Arguments.of("maxDeletes = 0", "maxDeletes=0"),
                Arguments.of("maxDeletes = '25'", "maxDeletes=25"),
                Arguments.of("workers = 4", "workers=4"),
                Arguments.of("workers = 0", "workers=0"),
                Arguments.of("target = 'bbb'", "target=bbb"),
                Arguments.of("[[deployment.matchers]]\npattern = 'a'\n[[deployment.matchers]]\npattern = 'b'", "matchers=2"));
    }

    @ParameterizedTest(name = "[deployment] {0} -> {1}")
    @MethodSource("deploymentKeys")
    void everyDeploymentKeyIsRead(String lines, String expected) {
        // matchers are tables after the targets; plain keys go before them
        boolean tables = lines.startsWith("[[");
        DeploySite.Hugo.Settings s = toml("[deployment]\n" + (tables ? "" : lines + "\n") + target("bbb") + (tables ? lines + "\n" : ""));
        Map<String, String> actual = new java.util.LinkedHashMap<>();
        actual.put("order", "[" + s.order().stream().map(Pattern::pattern).collect(Collectors.joining(",")) + "]");
        actual.put("matchers", String.valueOf(s.matchers().size()));
        actual.put("confirm", String.valueOf(s.confirm()));
        actual.put("dryRun", String.valueOf(s.dryRun()));
        actual.put("force", String.valueOf(s.force()));
        actual.put("invalidateCdn", String.valueOf(s.invalidateCdn()));
        actual.put("maxDeletes", String.valueOf(s.maxDeletes()));
        actual.put("workers", String.valueOf(s.workers()));
        actual.put("target", s.target().name());
        for (String pair : expected.split(" ")) {
            String key = pair.substring(0, pair.indexOf('='));
            assertEquals(pair, key + "=" + actual.get(key), lines);
        }
    }

    /** [deployment] text (one target 'bbb' follows unless the text has its own), what the usage error must say. */
    static Stream<Arguments> deploymentErrors() {
        return Stream.of(
                Arguments.of("foo = 1", List.of("[deployment]", "foo")),
                Arguments.of("fooBar = 1\nworkers = 2", List.of("[deployment]", "foobar")),
                Arguments.of("maxDeletes = 'many'", List.of("maxdeletes", "'many'", "not a number")),
                Arguments.of("workers = 'x'", List.of("workers", "not a number")),
                Arguments.of("order = ['(']", List.of("order", "'('", "not a valid regular expression")),
                Arguments.of("[[deployment.targets]]\nname = 't'\nurl = 's3://t-bucket'\nbar = 1", List.of("'t'", "bar")),
                Arguments.of("[[deployment.targets]]\nname = 'g'\nurl = 's3://g-bucket'\ngoogleCloudCDNOrigin = 'project/origin'",
                        List.of("googleCloudCDNOrigin", "Google Cloud CDN")),
                Arguments.of("[[deployment.targets]]\nname = 's'\nurl = 's3://s-bucket'\nstripIndexHTML = true", List.of("stripIndexHTML")),
                Arguments.of("[[deployment.targets]]\nname = 'gs'\nurl = 'gs://my-bucket'", List.of("gs://", "Google Cloud Storage")),
                Arguments.of("[[deployment.targets]]\nname = 'az'\nurl = 'azblob://my-container'", List.of("azblob://", "Azure")),
                Arguments.of("[[deployment.targets]]\nname = 'f'\nurl = 'file:///tmp/bucket'", List.of("file://", "local folder")),
                Arguments.of("[[deployment.targets]]\nname = 'bad'\nurl = 's3://MyBucket'", List.of("invalid bucket name", "MyBucket")),
                Arguments.of("[[deployment.targets]]\nname = 'i'\nurl = 's3://i-bucket'\ninclude = '{a,b'", List.of("include", "'{a,b'")),
                Arguments.of("[[deployment.targets]]\nname = 'e'\nurl = 's3://e-bucket'\nexclude = '[abc'", List.of("exclude", "'[abc'")),
                Arguments.of("[[deployment.matchers]]\npattern = 'x'\nbaz = 1", List.of("[[deployment.matchers]]", "baz")),
                Arguments.of("[[deployment.matchers]]\npattern = '[x'", List.of("pattern", "'[x'", "not a valid regular expression")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("deploymentErrors")
    void unknownOrUnsupportedSettingsAreUsageErrors(String lines, List<String> expected) {
        boolean ownTarget = lines.contains("[[deployment.targets]]");
        boolean tables = lines.startsWith("[[");
        String text = "[deployment]\n" + (tables ? "" : lines + "\n") + (ownTarget ? "" : target("bbb")) + (tables ? lines + "\n" : "");
        String message = usageError(() -> toml(text));
        for (String e : expected) assertTrue(message.contains(e), message + " does not contain " + e);
    }

    @Test
    void stripIndexHtmlFalseIsFine() {
        DeploySite.Hugo.Settings s = toml("[deployment]\n[[deployment.targets]]\nname = 's'\nurl = 's3://s-bucket'\nstripIndexHTML = false\n");
        assertEquals("s-bucket", s.target().where().bucket());
    }

    // ---------------------------------------------------------------- target selection

    static final String THREE_TARGETS = "[deployment]\n" + target("prod-bucket").replace("name = 'prod-bucket'", "name = 'production'")
            + target("staging-bucket").replace("name = 'staging-bucket'", "name = 'staging'")
            + target("other-bucket").replace("name = 'other-bucket'", "name = 'other'");

    @ParameterizedTest(name = "target={0}, --target={1} -> {2}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            -          | staging    | staging-bucket
            -          | production | prod-bucket
            staging    | -          | staging-bucket
            other      | -          | other-bucket
            staging    | other      | other-bucket
            """)
    void aTargetIsChosenByName(String inFile, String argument, String bucket) {
        String text = inFile == null ? THREE_TARGETS : THREE_TARGETS.replace("[deployment]\n", "[deployment]\ntarget = '" + inFile + "'\n");
        Path dir = site(tmp.resolve("site"), "hugo.toml", text);
        assertEquals(bucket, settings(dir, "production", argument).target().where().bucket());
    }

    @Test
    void theOnlyTargetNeedsNoName() {
        DeploySite.Hugo.Settings s = toml("[deployment]\n[[deployment.targets]]\nurl = 's3://lonely-bucket'\n");
        assertEquals("lonely-bucket", s.target().where().bucket());
        assertEquals("", s.target().name());
    }

    @Test
    void severalTargetsWithoutANameIsAnErrorListingThem() {
        String message = usageError(() -> toml(THREE_TARGETS));
        assertTrue(message.contains("'production', 'staging', 'other'"), message);
        assertTrue(message.contains("--target"), message);
    }

    @ParameterizedTest(name = "target={0}, --target={1}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            nope | -
            -    | nope
            prod | -
            -    | Production
            """)
    void anUnknownTargetNameIsAnErrorListingTheNames(String inFile, String argument) {
        String text = inFile == null ? THREE_TARGETS : THREE_TARGETS.replace("[deployment]\n", "[deployment]\ntarget = '" + inFile + "'\n");
        Path dir = site(tmp.resolve("site"), "hugo.toml", text);
        String message = usageError(() -> settings(dir, "production", argument));
        String wanted = inFile != null ? inFile : argument;
        assertTrue(message.contains("'" + wanted + "'") && message.contains("'production', 'staging', 'other'"), message);
    }

    // ---------------------------------------------------------------- target URLs

    /** url, bucket, prefix, region, endpoint, path style. */
    static Stream<Arguments> urls() {
        return Stream.of(
                Arguments.of("s3://my-bucket", "my-bucket", "", null, null, false),
                Arguments.of("s3://my-bucket?region=us-west-1", "my-bucket", "", "us-west-1", null, false),
                Arguments.of("s3://my-bucket?prefix=site/", "my-bucket", "site/", null, null, false),
                Arguments.of("s3://my-bucket?prefix=a/b", "my-bucket", "a/b/", null, null, false),
                Arguments.of("s3://my-bucket?region=eu-west-1&prefix=blog%2F", "my-bucket", "blog/", "eu-west-1", null, false),
                Arguments.of("s3://my-bucket?endpoint=http://127.0.0.1:9000&disableSSL=true&s3ForcePathStyle=true", "my-bucket", "", null,
                        "http://127.0.0.1:9000", true),
                Arguments.of("s3://my-bucket?endpoint=https://s3.example.net", "my-bucket", "", null, "https://s3.example.net", false),
                Arguments.of("s3://my-bucket?endpoint=minio.local:9000", "my-bucket", "", null, "https://minio.local:9000", false),
                Arguments.of("s3://my-bucket?endpoint=minio.local:9000&disableSSL=true", "my-bucket", "", null, "http://minio.local:9000", false),
                Arguments.of("s3://my-bucket?endpoint=minio.local:9000&disableSSL=false", "my-bucket", "", null, "https://minio.local:9000", false),
                Arguments.of("s3://my-bucket?endpoint=minio.local&disable_https=true&use_path_style=true", "my-bucket", "", null,
                        "http://minio.local", true),
                Arguments.of("s3://my-bucket?endpoint=https://my.minio.instance&awssdk=v2&use_path_style=true&disable_https=false", "my-bucket", "",
                        null, "https://my.minio.instance", true),
                Arguments.of("s3://my-bucket?s3ForcePathStyle=true", "my-bucket", "", null, null, true),
                Arguments.of("s3://my-bucket?s3ForcePathStyle=false&region=us-east-2", "my-bucket", "", "us-east-2", null, false),
                Arguments.of("s3://my-bucket?disableSSL=true", "my-bucket", "", null, null, false),
                Arguments.of("s3://my-bucket?endpoint=http%3A%2F%2Flocalhost%3A4566&s3ForcePathStyle=1", "my-bucket", "", null,
                        "http://localhost:4566", true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("urls")
    void urlParametersBecomeTheTargetsSettings(String url, String bucket, String prefix, String region, String endpoint, boolean pathStyle) {
        DeploySite.Hugo.Target t = toml("[deployment]\n[[deployment.targets]]\nname = 'n'\nurl = '" + url + "'\n").target();
        assertEquals(new DeploySite.Site.Target(bucket, prefix), t.where(), url);
        assertEquals(region, t.region(), url);
        assertEquals(endpoint == null ? null : URI.create(endpoint), t.endpoint(), url);
        assertEquals(pathStyle, t.pathStyle(), url);
        assertEquals(url, t.url());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            s3://my-bucket?profile=dev                   | profile
            s3://my-bucket?foo=1                         | foo
            s3://my-bucket?region=us-west-1&sneaky=yes   | sneaky
            """)
    void anUnknownUrlParameterIsAUsageErrorNamingIt(String url, String parameter) {
        String message = usageError(() -> toml("[deployment]\n[[deployment.targets]]\nname = 'n'\nurl = '" + url + "'\n"));
        assertTrue(message.contains("URL parameter '" + parameter + "' not supported"), message);
        assertTrue(message.contains("region"), message); // the supported ones are listed
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            s3://my_production_bucket?region=us-west-1 | invalid bucket name 'my_production_bucket'
            s3://my-bucket/site?region=us-west-1       | ?prefix=site
            s3://my-bucket?Region=us-west-1            | URL parameter 'Region' not supported
            """)
    void whatHugoDeployWouldReadOtherwiseIsAUsageError(String url, String expected) {
        String message = usageError(() -> toml("[deployment]\n[[deployment.targets]]\nname = 'n'\nurl = '" + url + "'\n"));
        assertTrue(message.contains(expected), message);
    }

    @Test
    void anEmptyDistributionIsNoneAndOnlyMinusOneLiftsTheDeletionLimit() {
        DeploySite.Hugo.Target t = toml("[deployment]\n[[deployment.targets]]\nname = 'n'\nurl = 's3://b-1'\ncloudFrontDistributionID = ''\n").target();
        assertEquals(null, t.distributionId());
        String message = usageError(() -> toml("[deployment]\nmaxDeletes = -2\n[[deployment.targets]]\nname = 'n'\nurl = 's3://b-1'\n"));
        assertTrue(message.contains("maxDeletes -2"), message);
    }

    @Test
    void theTargetKeepsItsDistributionAndGlobs() {
        DeploySite.Hugo.Target t = toml("""
                [deployment]
                [[deployment.targets]]
                name = 'production'
                url = 's3://www-example?region=us-west-1'
                cloudFrontDistributionID = 'E1234567890ABCDEF0'
                include = '**.html'
                exclude = '**.{heic,psd}'
                """).target();
        assertEquals(new DeploySite.Hugo.Target("production", "s3://www-example?region=us-west-1", new DeploySite.Site.Target("www-example", ""),
                "us-west-1", null, false, "E1234567890ABCDEF0", "**.html", "**.{heic,psd}"), t);
        DeploySite.Hugo.Target bare = toml("[deployment]\n" + target("bare-bucket")).target();
        assertNull(bare.distributionId());
        assertNull(bare.include());
        assertNull(bare.exclude());
    }

    // ================================================================ matchers: headers and force

    /** A matcher list of two patterns, to show that the first match decides. */
    static final List<DeploySite.Hugo.Matcher> TWO = List.of(
            matcher("\\.html$", "max-age=60", "", "", true, false),
            matcher("index", "max-age=3600", "text/x-index", "br", false, true));

    /** path, expected headers (type | cache | encoding | compress), whether forced. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            index.html            | text/html; charset=utf-8  | max-age=60   | gzip | true  | false
            posts/a/index.html    | text/html; charset=utf-8  | max-age=60   | gzip | true  | false
            posts/index.xml       | text/x-index              | max-age=3600 | br   | false | true
            index.json            | text/x-index              | max-age=3600 | br   | false | true
            reindex.txt           | text/x-index              | max-age=3600 | br   | false | true
            about.htm             | text/html; charset=utf-8  | -            | -    | false | false
            page.html.txt         | text/plain; charset=utf-8 | -            | -    | false | false
            """)
    void theFirstMatchingMatcherDecides(String path, String type, String cache, String encoding, boolean compress, boolean forced) {
        DeploySite.Site.Rules rules = hugoRules(TWO, Map.of());
        assertEquals(headers(type, cache, encoding, compress), rules.headersFor(path), path);
        assertEquals(forced, rules.forced(path), path);
    }

    /** pattern, path, whether it matches: Go's MatchString, unanchored, on the path relative to publishDir without a leading slash. */
    @ParameterizedTest(name = "{0} on {1} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            css                   | assets/css/site.css   | true
            \\.css$               | assets/css/site.css   | true
            \\.css$               | site.css.map          | false
            ^index\\.html$        | index.html            | true
            ^index\\.html$        | posts/index.html      | false
            ^/index\\.html$       | index.html            | false
            ^/leading\\.txt$      | leading.txt           | false
            ^posts/               | posts/a/index.html    | true
            ^posts/               | old/posts/a.html      | false
            '^.+\\.(png|jpg)$'    | img/a.png             | true
            '^.+\\.(png|jpg)$'    | img/a.PNG             | false
            (?i)\\.png$           | img/a.PNG             | true
            ^sitemap\\.xml$       | sitemap.xml           | true
            ^sitemap\\.xml$       | en/sitemap.xml        | false
            """)
    void aMatcherPatternIsFoundAnywhereInTheRelativePath(String pattern, String path, boolean matches) {
        DeploySite.Hugo.Matcher m = matcher(pattern, "max-age=1", "", "", false, true);
        assertEquals(matches, m.matches(path));
        DeploySite.Site.Rules rules = hugoRules(List.of(m), Map.of());
        assertEquals(matches, rules.forced(path));
        assertEquals(matches ? "max-age=1" : null, rules.headersFor(path).cacheControl());
    }

    /** One matcher on everything with the given fields: the headers of "a/file.css". */
    @ParameterizedTest(name = "cacheControl={0} contentType={1} contentEncoding={2} gzip={3}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            ''                 | ''                | ''   | false | text/css; charset=utf-8 | -                  | -    | false
            public, max-age=9  | ''                | ''   | false | text/css; charset=utf-8 | public, max-age=9  | -    | false
            ''                 | text/x-special    | ''   | false | text/x-special          | -                  | -    | false
            ''                 | ''                | ''   | true  | text/css; charset=utf-8 | -                  | gzip | true
            ''                 | ''                | br   | false | text/css; charset=utf-8 | -                  | br   | false
            ''                 | ''                | br   | true  | text/css; charset=utf-8 | -                  | gzip | true
            no-cache           | application/x-css | gzip | false | application/x-css       | no-cache           | gzip | false
            """)
    void everyMatcherFieldBecomesAHeader(String cacheControl, String contentType, String contentEncoding, boolean gzip,
                                         String type, String cache, String encoding, boolean compress) {
        DeploySite.Site.Rules rules = hugoRules(List.of(matcher(".", cacheControl, contentType, contentEncoding, gzip, false)), Map.of());
        assertEquals(headers(type, cache, encoding, compress), rules.headersFor("a/file.css"));
    }

    @Test
    void matchersReadFromTheFileKeepEveryField() {
        DeploySite.Hugo.Settings s = toml("""
                [deployment]
                [[deployment.targets]]
                url = 's3://m-bucket'
                [[deployment.matchers]]
                pattern = '^a'
                cacheControl = 'max-age=5'
                contentType = 'text/x-a'
                contentEncoding = 'br'
                gzip = false
                force = true
                [[deployment.matchers]]
                pattern = 'b$'
                gzip = true
                """);
        DeploySite.Hugo.Matcher a = s.matchers().get(0);
        assertEquals(List.of("^a", "max-age=5", "text/x-a", "br", false, true),
                List.of(a.pattern().pattern(), a.cacheControl(), a.contentType(), a.contentEncoding(), a.gzip(), a.force()));
        DeploySite.Hugo.Matcher b = s.matchers().get(1);
        assertEquals(List.of("b$", "", "", "", true, false),
                List.of(b.pattern().pattern(), b.cacheControl(), b.contentType(), b.contentEncoding(), b.gzip(), b.force()));
    }

    @Test
    void aForcingMatcherUploadsUnchangedFilesAndOnlyThose() {
        DeploySite.Site.Rules rules = hugoRules(List.of(matcher("^keep/", "", "", "", false, false), matcher("\\.html$", "", "", "", false, true)),
                Map.of());
        String prefix = "www/";
        List<DeploySite.Site.LocalFile> local = List.of(file("www/index.html", "a1"), file("www/keep/page.html", "b1"), file("www/style.css", "c1"));
        List<DeploySite.Site.RemoteObject> remote = List.of(object("www/index.html", "a1"), object("www/keep/page.html", "b1"),
                object("www/style.css", "c1"));
        DeploySite.Site.Plan plan = DeploySite.Site.plan(local, remote, prefix, List.of(), false, r -> true,
                f -> rules.forced(f.key().substring(prefix.length())), Map.of(), Map.of());
        assertEquals(List.of("www/index.html FORCED"), plan.uploads().stream().map(u -> u.file().key() + " " + u.reason()).toList());
        assertEquals(List.of("www/keep/page.html", "www/style.css"), plan.unchanged().stream().map(DeploySite.Site.LocalFile::key).toList());
    }

    // ---------------------------------------------------------------- Hugo's documentation example

    /** The example of Hugo's documentation, as the scenario test deploys it. */
    static final String DOCS_EXAMPLE = DeploySiteScenarioTest.HUGO_DOCS_EXAMPLE;

    static final String YEAR = "max-age=31536000, no-transform, public";

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            css/site.css         | text/css; charset=utf-8         | max-age=31536000, no-transform, public | gzip | true
            js/app.js            | text/javascript; charset=utf-8  | max-age=31536000, no-transform, public | gzip | true
            img/logo.svg         | image/svg+xml; charset=utf-8    | max-age=31536000, no-transform, public | gzip | true
            fonts/x.ttf          | font/ttf                        | max-age=31536000, no-transform, public | gzip | true
            img/a.png            | image/png                       | max-age=31536000, no-transform, public | -    | false
            photos/b.jpg         | image/jpeg                      | max-age=31536000, no-transform, public | -    | false
            sitemap.xml          | application/xml                 | -                                      | gzip | true
            en/sitemap.xml       | application/rss+xml             | -                                      | gzip | true
            index.html           | text/html; charset=utf-8        | -                                      | gzip | true
            posts/a/index.html   | text/html; charset=utf-8        | -                                      | gzip | true
            posts/index.xml      | application/rss+xml             | -                                      | gzip | true
            data.json            | application/json; charset=utf-8 | -                                      | gzip | true
            fonts/x.woff2        | font/woff2                      | -                                      | -    | false
            anim.gif             | image/gif                       | -                                      | -    | false
            img/c.jpeg           | image/jpeg                      | -                                      | -    | false
            """)
    void theDocsExampleGivesHugosHeaders(String path, String type, String cache, String encoding, boolean compress) {
        DeploySite.Hugo.Settings s = settings(site(tmp.resolve("site"), "hugo.toml", DOCS_EXAMPLE), "production", "production");
        DeploySite.Site.Rules rules = hugoRules(s.matchers(), s.mediaTypes());
        DeploySite.Site.Headers h = rules.headersFor(path);
        // Hugo sends the media type alone; a "; charset=utf-8" after it is allowed
        String sent = h.contentType().equals(type + "; charset=utf-8") ? type : h.contentType();
        assertEquals(headers(type, cache, encoding, compress), headers(sent, h.cacheControl(), h.contentEncoding(), h.compress()), path);
        assertFalse(rules.forced(path), path);
    }

    @Test
    void theDocsExampleTargetsAndOrder() {
        Path dir = site(tmp.resolve("site"), "hugo.toml", DOCS_EXAMPLE);
        DeploySite.Hugo.Settings production = settings(dir, "production", "production");
        assertEquals(new DeploySite.Site.Target("my-production-bucket", ""), production.target().where());
        assertEquals("us-west-1", production.target().region());
        assertEquals("E1234567890ABCDEF0", production.target().distributionId());
        assertEquals("**.{heic,psd}", production.target().exclude());
        assertEquals(List.of(".jpg$", ".gif$"), production.order().stream().map(Pattern::pattern).toList());
        assertEquals(4, production.matchers().size());
        DeploySite.Hugo.Settings staging = settings(dir, "production", "staging");
        assertEquals(new DeploySite.Site.Target("my-staging-bucket", ""), staging.target().where());
        assertNull(staging.target().distributionId());
    }

    // ================================================================ media types

    /** suffix, custom types ("type=suffix,suffix;type=..."), expected Content-Type (a "; charset=utf-8" after it is allowed). */
    @ParameterizedTest(name = "{0} with [{1}] -> {2}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            xml          | ''                                     | application/rss+xml
            rss          | ''                                     | application/rss+xml
            html         | ''                                     | text/html
            htm          | ''                                     | text/html
            png          | ''                                     | image/png
            jpg          | ''                                     | image/jpeg
            jfif         | ''                                     | image/jpeg
            svg          | ''                                     | image/svg+xml
            css          | ''                                     | text/css
            js           | ''                                     | text/javascript
            mjs          | ''                                     | text/javascript
            json         | ''                                     | application/json
            webmanifest  | ''                                     | application/manifest+json
            pdf          | ''                                     | application/pdf
            yml          | ''                                     | application/yaml
            woff         | ''                                     | font/woff
            woff2        | ''                                     | font/woff2
            webp         | ''                                     | image/webp
            avif         | ''                                     | image/avif
            ics          | ''                                     | text/calendar
            txt          | ''                                     | text/plain
            md           | ''                                     | text/markdown
            ts           | ''                                     | text/typescript
            ogv          | ''                                     | video/ogg
            mp4          | ''                                     | video/mp4
            mpg          | ''                                     | video/mpeg
            avi          | ''                                     | video/x-msvideo
            ogg          | ''                                     | -
            mp3          | ''                                     | -
            ico          | ''                                     | -
            enr          | ''                                     | -
            enr          | text/enriched=enr                      | text/enriched
            xml          | application/rss+xml=rss                | application/xml
            rss          | application/rss+xml=rss                | application/rss+xml
            xml          | application/atom+xml=xml               | application/atom+xml
            xml          | application/zz+xml=xml                 | application/rss+xml
            html         | text/html=html                         | text/html
            htm          | text/html=html                         | -
            png          | image/png=png,apng;text/enriched=enr   | image/png
            apng         | image/png=png,apng;text/enriched=enr   | image/png
            """)
    void contentTypesAreHugosMediaTypes(String suffix, String custom, String expected) {
        Map<String, List<String>> types = new java.util.TreeMap<>();
        if (!custom.isEmpty()) {
            for (String entry : custom.split(";")) {
                String[] kv = entry.split("=");
                types.put(kv[0], List.of(kv[1].split(",")));
            }
        }
        String actual = DeploySite.Hugo.contentType(suffix, types);
        if (expected == null) assertNull(actual, suffix);
        else assertTrue(expected.equals(actual) || (expected + "; charset=utf-8").equals(actual), suffix + " -> " + actual);
    }

    @Test
    void textTypesCarryTheirCharset() {
        assertEquals("text/html; charset=utf-8", DeploySite.Hugo.contentType("html", Map.of()));
        assertEquals("image/png", DeploySite.Hugo.contentType("png", Map.of()));
    }

    @Test
    void customMediaTypesFromTheConfigurationReachTheHeaders() {
        DeploySite.Hugo.Settings s = toml("""
                [mediaTypes."text/enriched"]
                suffixes = ["ENR"]
                [mediaTypes."application/rss+xml"]
                suffixes = ["rss"]
                [deployment]
                [[deployment.targets]]
                url = 's3://media-bucket'
                [[deployment.matchers]]
                pattern = '^feeds/'
                contentType = 'application/atom+xml'
                """);
        assertEquals(Map.of("text/enriched", List.of("enr"), "application/rss+xml", List.of("rss")), s.mediaTypes());
        DeploySite.Site.Rules rules = hugoRules(s.matchers(), s.mediaTypes());
        assertTrue(rules.headersFor("docs/z.enr").contentType().startsWith("text/enriched"));
        assertTrue(rules.headersFor("Z.ENR").contentType().startsWith("text/enriched"));
        assertTrue(rules.headersFor("sitemap.xml").contentType().startsWith("application/xml"));
        assertTrue(rules.headersFor("index.rss").contentType().startsWith("application/rss+xml"));
        assertEquals("application/atom+xml", rules.headersFor("feeds/index.xml").contentType()); // the matcher comes first
        assertTrue(rules.headersFor("IMG/A.PNG").contentType().equals("image/png"));
    }

    @Test
    void withoutHugoTheScriptsOwnTableDecides() {
        // Rules without withHugo: no media types, the extension table (xml is application/xml there)
        DeploySite.Site.Rules plain = DeploySite.Site.Rules.of(List.of(), List.of(), null, List.of());
        assertEquals("application/xml; charset=utf-8", plain.headersFor("sitemap.xml").contentType());
        assertTrue(hugoRules(List.of(), Map.of()).headersFor("sitemap.xml").contentType().startsWith("application/rss+xml"));
    }

    // ================================================================ include / exclude globs

    /** glob, path, whether it matches (gobwas/glob over the lower-cased path, '/' the separator, no leading slash). */
    @ParameterizedTest(name = "{0} on {1} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            *.html           | index.html              | true
            *.html           | INDEX.HTML              | true
            *.html           | posts/index.html        | false
            **.html          | index.html              | true
            **.html          | posts/a/index.html      | true
            **.html          | Upper/X.HTML            | true
            **.html          | x.htm                   | false
            **/*.html        | index.html              | false
            **/*.html        | posts/index.html        | true
            **/*.html        | posts/a/index.html      | true
            /**.html         | index.html              | false
            /**.html         | posts/index.html        | false
            **.{heic,psd}    | old.PSD                 | true
            **.{heic,psd}    | img/b.heic              | true
            **.{heic,psd}    | img/c.png               | false
            **.{heic,psd}    | img/heic.png            | false
            **.HTML          | a/b.html                | true
            img/*            | img/a.png               | true
            img/*            | img/sub/a.png           | false
            img/**           | img/sub/a.png           | true
            img/**           | imgs/a.png              | false
            ?.txt            | a.txt                   | true
            ?.txt            | ab.txt                  | false
            a?b              | a/b                     | false
            [abc].txt        | b.txt                   | true
            [abc].txt        | d.txt                   | false
            [!abc].txt       | d.txt                   | true
            [!abc].txt       | a.txt                   | false
            [a-c]*.css       | b-site.css              | true
            [a-c]*.css       | d-site.css              | false
            {posts,blog}/**  | blog/2024/a.html        | true
            {posts,blog}/**  | news/a.html             | false
            \\*.txt          | *.txt                   | true
            \\*.txt          | a.txt                   | false
            a.b              | axb                     | false
            a+b(c)           | a+b(c)                  | true
            """)
    void includeAndExcludeAreGobwasGlobs(String glob, String path, boolean matches) {
        assertEquals(matches, DeploySite.Hugo.Globs.scope(glob, null).test(path), glob + " include " + path);
        assertEquals(!matches, DeploySite.Hugo.Globs.scope(null, glob).test(path), glob + " exclude " + path);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            {a,b       | unbalanced '{'
            a}         | unbalanced '}'
            [abc       | unclosed '['
            """)
    void aMalformedGlobIsAUsageError(String glob, String expected) {
        String message = usageError(() -> DeploySite.Hugo.Globs.compile(glob, "include"));
        assertTrue(message.contains(expected) && message.contains("include"), message);
    }

    /** include, exclude, the paths kept among a fixed list. */
    @ParameterizedTest(name = "include={0} exclude={1}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            -          | -                  | index.html posts/a.html drafts/b.html img/c.png raw/d.PSD
            **.html    | -                  | index.html posts/a.html drafts/b.html
            -          | **.{heic,psd}      | index.html posts/a.html drafts/b.html img/c.png
            **.html    | drafts/**          | index.html posts/a.html
            *.html     | -                  | index.html
            **         | **.png             | index.html posts/a.html drafts/b.html raw/d.PSD
            """)
    void scopeIsIncludeAndNotExclude(String include, String exclude, String kept) {
        List<String> paths = List.of("index.html", "posts/a.html", "drafts/b.html", "img/c.png", "raw/d.PSD");
        Predicate<String> scope = DeploySite.Hugo.Globs.scope(include, exclude);
        assertEquals(kept, paths.stream().filter(scope).collect(Collectors.joining(" ")));
    }

    /** prefix, include, exclude, deletions expected: objects outside the scope are never deleted. */
    @ParameterizedTest(name = "prefix={0} include={1} exclude={2}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            ''     | -        | -              | gone.html img/gone.png img/photo.heic old.PSD
            ''     | -        | **.{heic,psd}  | gone.html img/gone.png
            ''     | **.html  | -              | gone.html
            ''     | **.html  | gone.*         | -
            site/  | -        | **.{heic,psd}  | site/gone.html site/img/gone.png
            site/  | img/**   | **.heic        | site/img/gone.png
            """)
    void excludedRemoteObjectsAreNeverDeleted(String prefix, String include, String exclude, String deletions) {
        List<DeploySite.Site.LocalFile> local = List.of(file(prefix + "index.html", "a1"));
        List<DeploySite.Site.RemoteObject> remote = Stream.of("index.html", "gone.html", "img/gone.png", "img/photo.heic", "old.PSD")
                .map(k -> object(prefix + k, "x1")).toList();
        DeploySite.Site.Plan plan = DeploySite.Site.plan(local, remote, prefix, List.of(), false, DeploySite.Hugo.Globs.scope(include, exclude),
                f -> false, Map.of(), Map.of());
        assertEquals(deletions == null ? List.of() : List.of(deletions.split(" ")), plan.deletions());
    }

    @Test
    void theScanSkipsFilesOutsideTheScope() throws IOException {
        Path publicDir = site(tmp.resolve("public"), "index.html", "<p>hi</p>", "img/a.png", "png", "img/Photo.HEIC", "heic", "raw/b.psd", "psd",
                "posts/index.html", "<p>post</p>");
        List<String> keys = DeploySite.Local.scan(publicDir, "pre/", false, List.of(), DeploySite.Hugo.Globs.scope(null, "**.{heic,psd}"),
                hugoRules(List.of(), Map.of())).stream().map(DeploySite.Site.LocalFile::key).toList();
        assertEquals(List.of("pre/img/a.png", "pre/index.html", "pre/posts/index.html"), keys);
        List<String> included = DeploySite.Local.scan(publicDir, "", false, List.of(), DeploySite.Hugo.Globs.scope("*.html", null),
                hugoRules(List.of(), Map.of())).stream().map(DeploySite.Site.LocalFile::key).toList();
        assertEquals(List.of("index.html"), included);
    }

    // ================================================================ order

    /** order regexps ("," separated), prefix, keys, expected groups. */
    @ParameterizedTest(name = "order={0} prefix={1}: {2}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            -                     | ''    | a.css b.gif c.jpg           | 'a.css b.gif c.jpg'
            .jpg$,.gif$           | ''    | a.css b.gif c.jpg d.jpg     | 'c.jpg d.jpg | b.gif | a.css'
            .jpg$,.gif$           | ''    | a.css img/x.jpg             | 'img/x.jpg | a.css'
            .gif$,.jpg$           | ''    | a.css c.jpg                 | 'c.jpg | a.css'
            .gif$,.jpg$           | ''    | a.css b.txt                 | 'a.css b.txt'
            .gif$,.jpg$           | ''    | b.gif c.jpg                 | 'b.gif | c.jpg'
            ^img/,\\.png$         | ''    | b.png img/a.png z.css       | 'img/a.png | b.png | z.css'
            \\.png$,^img/         | ''    | b.png img/a.png z.css       | 'b.png img/a.png | z.css'
            ^img/                 | site/ | site/b.png site/img/a.png   | 'site/img/a.png | site/b.png'
            ^site/                | site/ | site/b.png site/site/a.png  | 'site/site/a.png | site/b.png'
            """)
    void orderGroupsUploadsByTheirFirstMatchingRegexp(String order, String prefix, String keys, String expected) {
        List<DeploySite.Site.Upload> uploads = Arrays.stream(keys.split(" "))
                .map(k -> new DeploySite.Site.Upload(file(k, "m"), DeploySite.Site.Reason.NEW)).toList();
        List<Pattern> patterns = order == null ? List.of() : patterns(order.split(","));
        assertEquals(expected, groups(DeploySite.Site.ordered(uploads, patterns, prefix)));
    }

    @Test
    void orderFromTheConfigurationGroupsTheRun() {
        DeploySite.Hugo.Settings s = toml("[deployment]\norder = ['.jpg$', '.gif$', '^posts/']\n" + target("order-bucket"));
        DeploySite.Site.Target where = new DeploySite.Site.Target("order-bucket", "www/");
        List<DeploySite.Site.LocalFile> local = Stream.of("a.css", "b.gif", "img/z.jpg", "a.jpg", "index.html", "posts/index.html",
                "posts/index.xml", "sitemap.xml", "posts/cover.jpg", "posts/x.js").map(k -> file("www/" + k, "m")).toList();
        DeploySite.Site.Plan plan = DeploySite.Site.plan(local, List.of(), "www/", List.of(), false, r -> true, f -> false, Map.of(), Map.of());
        DeploySite.Site.Policy policy = new DeploySite.Site.Policy(false, true, false, false, DeploySite.Site.DEFAULT_DELETE_GRACE, false, 256,
                s.order());
        DeploySite.Site.Deployment d = DeploySite.Site.deployment("public", where, plan, List.of(), Map.of(), null,
                new DeploySite.Site.Replan(local, List.of(), "", 30), policy, Instant.parse("2026-01-01T00:00:00Z"), note -> { });
        // assets first (jpg, then gif, then posts/, then the rest), then the pages in the same order
        assertEquals("www/a.jpg www/img/z.jpg www/posts/cover.jpg | www/b.gif | www/posts/x.js | www/a.css"
                + " | www/posts/index.html www/posts/index.xml | www/index.html www/sitemap.xml", groups(d.uploadGroups()));
        List<String> flat = d.uploadGroups().stream().flatMap(List::stream).map(u -> u.file().key()).toList();
        assertEquals(new ArrayList<>(plan.uploads().stream().map(u -> u.file().key()).sorted().toList()), flat.stream().sorted().toList());
    }

    @Test
    void withoutOrderAssetsStillComeBeforePages() {
        List<DeploySite.Site.LocalFile> local = Stream.of("index.html", "a.css", "img/b.png", "index.xml").map(k -> file(k, "m")).toList();
        DeploySite.Site.Plan plan = DeploySite.Site.plan(local, List.of(), "", List.of(), false, r -> true, f -> false, Map.of(), Map.of());
        DeploySite.Site.Policy policy = new DeploySite.Site.Policy(false, true, false, false, DeploySite.Site.DEFAULT_DELETE_GRACE, false, 256);
        DeploySite.Site.Deployment d = DeploySite.Site.deployment("public", new DeploySite.Site.Target("b-b", ""), plan, List.of(), Map.of(), null,
                new DeploySite.Site.Replan(local, List.of(), "", 30), policy, Instant.parse("2026-01-01T00:00:00Z"), note -> { });
        assertEquals("a.css img/b.png | index.html index.xml", groups(d.uploadGroups()));
    }

    // ================================================================ the config folder: config/_default/, then config/ENVIRONMENT/

    /** name, environment, expected summary (as for layouts()), the site's files. */
    static Stream<Arguments> configFolderLayouts() {
        return Stream.of(
                Arguments.of("config/_default/hugo.toml", "production", "dir-hugo maxDeletes=null workers=null matchers=0",
                        new String[]{"config/_default/hugo.toml", "[deployment]\n" + target("dir-hugo")}),
                Arguments.of("config/_default/config.toml", "production", "dir-config maxDeletes=null workers=null matchers=0",
                        new String[]{"config/_default/config.toml", "[deployment]\n" + target("dir-config")}),
                Arguments.of("config/_default/deployment.toml holds [deployment]'s body", "production",
                        "dir-deployment maxDeletes=12 workers=null matchers=1",
                        new String[]{"config/_default/deployment.toml", """
                                maxDeletes = 12
                                [[targets]]
                                name = 'd'
                                url = 's3://dir-deployment'
                                [[matchers]]
                                pattern = '\\.html$'
                                gzip = true
                                """}),
                Arguments.of("config/_default/deployment.yaml", "production", "dir-deployment-yaml maxDeletes=null workers=2 matchers=0",
                        new String[]{"config/_default/deployment.yaml", "workers: 2\ntargets:\n  - {name: d, url: 's3://dir-deployment-yaml'}\n"}),
                Arguments.of("config/production/deployment.toml: targets replaced, tables merged", "production",
                        "prod-only maxDeletes=12 workers=6 matchers=1",
                        new String[]{"config/_default/deployment.toml", """
                                maxDeletes = 12
                                workers = 3
                                [[targets]]
                                name = 'a'
                                url = 's3://default-a'
                                [[targets]]
                                name = 'b'
                                url = 's3://default-b'
                                [[matchers]]
                                pattern = '\\.html$'
                                """,
                                "config/production/deployment.toml", """
                                workers = 6
                                [[targets]]
                                name = 'p'
                                url = 's3://prod-only'
                                """}),
                Arguments.of("environment staging picks config/staging/", "staging", "staging-bucket maxDeletes=null workers=null matchers=0",
                        new String[]{"config/_default/deployment.toml", "[[targets]]\nname = 'd'\nurl = 's3://default-bucket'\n",
                                "config/production/deployment.toml", "[[targets]]\nname = 'p'\nurl = 's3://prod-bucket'\n",
                                "config/staging/deployment.toml", "[[targets]]\nname = 's'\nurl = 's3://staging-bucket'\n"}),
                Arguments.of("production without config/production/: _default alone", "production",
                        "default-bucket maxDeletes=null workers=null matchers=0",
                        new String[]{"config/_default/deployment.toml", "[[targets]]\nname = 'd'\nurl = 's3://default-bucket'\n",
                                "config/staging/deployment.toml", "[[targets]]\nname = 's'\nurl = 's3://staging-bucket'\n"}),
                Arguments.of("root file then config/_default/: the folder wins, other keys kept", "production",
                        "dir-bucket maxDeletes=40 workers=3 matchers=1",
                        new String[]{"hugo.toml", "[deployment]\nworkers = 3\nmaxDeletes = 1\n" + target("root-bucket")
                                + "[[deployment.matchers]]\npattern = 'x'\n",
                                "config/_default/deployment.toml", "maxDeletes = 40\n[[targets]]\nname = 'd'\nurl = 's3://dir-bucket'\n"}),
                Arguments.of("root file, _default, production: production wins", "production",
                        "prod-bucket maxDeletes=2 workers=3 matchers=0",
                        new String[]{"hugo.toml", "[deployment]\nworkers = 3\nmaxDeletes = 1\n" + target("root-bucket"),
                                "config/_default/hugo.toml", "[deployment]\nmaxDeletes = 2\n" + target("default-bucket"),
                                "config/production/deployment.toml", "[[targets]]\nname = 'p'\nurl = 's3://prod-bucket'\n"}),
                Arguments.of("other files of the config folder are read and do not disturb", "production",
                        "d-bucket maxDeletes=null workers=null matchers=0",
                        new String[]{"config/_default/hugo.toml", "baseURL = 'https://example.org/'\n",
                                "config/_default/params.toml", "colour = 'blue'\n",
                                "config/_default/menus.en.toml", "[[main]]\nname = 'Home'\n",
                                "config/_default/deployment.toml", "[[targets]]\nname = 'd'\nurl = 's3://d-bucket'\n"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configFolderLayouts")
    void everyConfigFolderLayoutIsReadAsHugoReadsIt(String name, String environment, String expected, String[] files) {
        everyLayoutIsReadAsHugoReadsIt(name, environment, expected, files);
    }

    @Test
    void theEnvironmentsFolderAloneIsRead() {
        Path dir = site(tmp.resolve("site"), "config/development/deployment.toml", "[[targets]]\nname = 'd'\nurl = 's3://dev-bucket'\n");
        assertEquals("dev-bucket", settings(dir, "development", null).target().where().bucket());
    }

    static Stream<Arguments> invalidConfigFolderFiles() {
        return Stream.of(
                Arguments.of("config/_default/deployment.toml", "[[targets]\nname = 'x'\n", "TOML"),
                Arguments.of("config/production/deployment.yaml", "targets: {a: 1\n", "YAML"));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("invalidConfigFolderFiles")
    void anInvalidConfigFolderFileIsAUsageErrorNamingIt(String file, String content, String format) {
        anInvalidFileIsAUsageErrorNamingIt(file, content, format);
    }

    @Test
    void theMergedConfigurationKeepsTablesAndReplacesArrays() {
        Path dir = site(tmp.resolve("site"),
                "hugo.toml", "title = 'T'\n[params]\na = 1\nlist = [1, 2, 3]\n[deployment]\n" + target("rrr"),
                "config/_default/params.toml", "b = 2\nlist = [9]\n");
        Map<String, Object> config = DeploySite.Hugo.load(dir, "production");
        @SuppressWarnings("unchecked") Map<String, Object> params = (Map<String, Object>) config.get("params");
        assertEquals(1L, ((Number) params.get("a")).longValue());
        assertEquals(2L, ((Number) params.get("b")).longValue());
        assertEquals(List.of(9L), ((List<?>) params.get("list")).stream().map(n -> ((Number) n).longValue()).toList());
        assertEquals("T", config.get("title"));
    }

    @Test
    void keysInAConfigFolderFileAreCaseInsensitiveToo() {
        Path dir = site(tmp.resolve("site"), "config/_default/deployment.toml",
                "MaxDeletes = 3\n[[Targets]]\nName = 'n'\nURL = 's3://folder-bucket'\nCloudFrontDistributionID = 'EFOLDER'\n");
        DeploySite.Hugo.Settings s = settings(dir);
        assertEquals("folder-bucket", s.target().where().bucket());
        assertEquals("EFOLDER", s.target().distributionId());
        assertEquals(3, s.maxDeletes());
    }

    @Test
    void publishDirFromTheConfigFolder() {
        Path dir = site(tmp.resolve("site"), "config/_default/hugo.toml", "publishDir = 'www'\n",
                "config/_default/deployment.toml", "[[targets]]\nname = 'd'\nurl = 's3://b-b'\n");
        assertEquals(dir.resolve("www"), settings(dir).publishDir());
    }

    @Test
    void aConfigFolderFileWithItsOwnDeploymentHeaderIsCaught() {
        // config/_default/deployment.toml holds [deployment]'s body: a [deployment] table inside it is deployment.deployment
        Path dir = site(tmp.resolve("site"), "config/_default/deployment.toml", "[deployment]\n[[deployment.targets]]\nname = 'x'\nurl = 's3://x-x'\n");
        String message = usageError(() -> settings(dir));
        assertTrue(message.contains("[deployment]") && message.contains("deployment"), message);
    }

    @Test
    void mediaTypesFromTheConfigFolder() {
        Path dir = site(tmp.resolve("site"), "config/_default/mediaTypes.toml", "[\"text/enriched\"]\nsuffixes = [\"enr\"]\n",
                "config/_default/deployment.toml", "[[targets]]\nurl = 's3://media-bucket'\n");
        DeploySite.Hugo.Settings s = settings(dir);
        assertEquals(Map.of("text/enriched", List.of("enr")), s.mediaTypes());
    }
}
