import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ./jbang launcher: a jbang on the PATH first, else JBang from Maven Central, with the catalog readable; JBang's
 * answer cached and never served stale; the script's class-data archive written by a later real run, then mapped.
 */
class LauncherTest {
    @TempDir
    Path tmp;

    @Test
    void installsJBangFromMavenCentralIntoAnEmptyCacheAndReadsTheCatalog() throws Exception {
        Path cache = tmp.resolve("launcher-cache");
        var env = LocalServers.cleanEnvironment(Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_USE_PATH", "false"));
        var run = LocalServers.jbang(env, null, "alias", "list");
        assertEquals(0, run.exitCode(), run::toString);
        // With gson 2.10.1 (what Maven alone would pick) JBang reads every catalog as empty: both aliases must show.
        assertTrue(run.stdout().contains("invalidate") && run.stdout().contains("deploy-site"), run::toString);
        assertTrue(Files.exists(cache.resolve("0.132.1/lib/gson-2.13.1.jar")), "gson pinned");
        assertTrue(run.stderr().contains("installing JBang"), run::toString);

        var again = LocalServers.jbang(env, null, "alias", "list");
        assertEquals(0, again.exitCode(), again::toString);
        assertTrue(!again.stderr().contains("installing JBang"), "installed once: " + again);
    }

    @Test
    void passesTheScriptsExitCodeThrough() throws Exception {
        var env = LocalServers.cleanEnvironment(Map.of("JBANG_LAUNCHER_USE_PATH", "false"));
        var usage = LocalServers.jbang(env, null, "invalidate", "--no-such-option");
        assertEquals(2, usage.exitCode(), usage::toString);
        var help = LocalServers.jbang(env, null, "invalidate", "--help");
        assertEquals(0, help.exitCode(), help::toString);
        assertTrue(help.stdout().startsWith("Usage: invalidate"), help::toString);
    }

    /**
     * A fresh install into one folder, as a CI cache wants it: JBANG_LAUNCHER_CACHE alone puts the launcher's JBang, JBang's
     * own cache and the one Maven repository (the install's and the scripts' dependencies) under it, and the install says
     * what it is doing instead of staying silent while mvn downloads (from Maven Central: about 20 s here).
     */
    @Test
    void aFreshInstallSaysWhatItDoesAndKeepsEveryCacheInTheOneFolder() throws Exception {
        Path one = tmp.resolve("ci-cache");
        Path project = Files.createDirectories(tmp.resolve("with-deps"));
        Files.writeString(project.resolve("needs.java"), """
                //DEPS info.picocli:picocli:4.7.7
                //DEPS org.yaml:snakeyaml:2.4
                class needs {
                    public static void main(String[] args) {
                        System.out.println("picocli " + picocli.CommandLine.VERSION);
                    }
                }
                """);
        var env = LocalServers.cleanEnvironment(Map.of("JBANG_LAUNCHER_CACHE", one.toString(), "JBANG_LAUNCHER_USE_PATH", "false"));
        env.remove("JBANG_DIR");
        env.remove("JBANG_REPO");
        var run = LocalServers.run(List.of(LocalServers.repoRoot().resolve("jbang").toString(), "needs.java"), project, env, null);
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("picocli 4.7.7\n", run.stdout());
        // What is downloaded, from where, how much: before, while (every 10 s) and after.
        assertTrue(run.stderr().contains("jbang: installing JBang 0.132.1 into " + one.resolve("0.132.1") + " (once): mvn downloads "
                + "dev.jbang:jbang-cli and its 55 jars from Maven Central into " + one.resolve("m2") + " (about 19 MB"), run::toString);
        assertTrue(run.stderr().matches("(?s).*jbang: installed JBang 0\\.132\\.1 \\(\\d+ jars, \\d+\\.\\d MB\\) in \\d+ s; "
                + "mvn downloaded [1-9]\\d+ files, [1-9]\\d*\\.\\d MB from Maven Central\n.*"), run::toString);
        assertTrue(run.stderr().matches("(?s).*jbang: JBang downloaded [1-9]\\d* files, \\d+\\.\\d MB \\(the script's dependencies, "
                + "from Maven Central\\) into " + Pattern.quote(one.resolve("m2").toString()) + " in \\d+ s\n.*"), run::toString);
        assertTrue(Files.isDirectory(one.resolve("0.132.1/lib")), "the launcher's JBang");
        assertTrue(Files.isDirectory(one.resolve("m2/dev/jbang/jbang-cli")), "the install's Maven repository");
        assertTrue(Files.isDirectory(one.resolve("m2/info/picocli/picocli/4.7.7")), "the script's dependencies, in the same repository");
        assertTrue(Files.isDirectory(one.resolve("m2/org/yaml/snakeyaml/2.4")), "(snakeyaml: one JBang itself does not have, so downloaded)");
        assertTrue(Files.isDirectory(one.resolve("jbang/cache")), "JBang's own cache");
    }

    @Test
    void prefersAJBangOnThePath() throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path fake = Files.writeString(bin.resolve("jbang"), "#!/bin/sh\necho \"the jbang on the PATH: $*\"\nexit 7\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        var env = LocalServers.cleanEnvironment(Map.of());
        env.put("PATH", bin + ":" + env.get("PATH"));
        var run = LocalServers.run(List.of(LocalServers.repoRoot().resolve("jbang").toString(), "version"), LocalServers.repoRoot(), env, null);
        assertEquals(7, run.exitCode(), run::toString);
        assertEquals("the jbang on the PATH: version\n", run.stdout());
    }

    @Test
    void nonAsciiArgumentsSurviveAPosixLocale() throws Exception {
        var env = LocalServers.cleanEnvironment(Map.of("JBANG_LAUNCHER_USE_PATH", "false"));
        env.remove("LANG");
        env.remove("LC_ALL");
        var run = LocalServers.jbang(env, null, "invalidate", "-c", "E1", "--dry-run", "--output", "text", "/café");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.stdout().contains("  /caf%C3%A9\n"), run::toString);
    }

    // ------------------------------------------------------------------ the command cache and the class-data archive

    static final String HELLO = """
            import java.lang.management.ManagementFactory;
            class hello {
                public static void main(String[] args) {
                    StringBuilder b = new StringBuilder("%s");
                    for (String a : args) b.append(" [").append(a).append(']');
                    System.out.println(b);
                    // The JVM's class-data options, on stderr: the test reads which archive this run wrote or mapped.
                    for (String o : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                        if (o.contains("Archive")) System.err.println("jvm option " + o);
                    }
                    if (args.length > 0 && args[0].equals("fail")) System.exit(3);
                }
            }
            """;

    /** A project folder with a catalog (alias hello), and an environment with a launcher cache and JBang folder of its own. */
    record Project(Path dir, Path launcherCache, Map<String, String> env) {
        LocalServers.Run run(String... args) throws Exception {
            List<String> command = new ArrayList<>(List.of(LocalServers.repoRoot().resolve("jbang").toString()));
            command.addAll(List.of(args));
            return LocalServers.run(command, dir, env, null);
        }

        Path lib() {
            return launcherCache.resolve("0.132.1/lib");
        }

        List<Path> entries() throws Exception {
            return files("commands");
        }

        List<Path> archives() throws Exception {
            return files("archives");
        }

        private List<Path> files(String folder) throws Exception {
            Path dir = launcherCache.resolve("0.132.1").resolve(folder);
            if (!Files.isDirectory(dir)) return List.of();
            try (Stream<Path> files = Files.list(dir)) {
                return files.sorted().toList();
            }
        }
    }

    Project project() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("project"));
        Files.writeString(dir.resolve("hello.java"), HELLO.formatted("v1"));
        Files.writeString(dir.resolve("jbang-catalog.json"), "{\"aliases\": {\"hello\": {\"script-ref\": \"hello.java\"}}}\n");
        // JBang itself, copied from the launcher's cache the test run uses (installed there if it is not yet).
        Path installed = Path.of(System.getenv().getOrDefault("JBANG_LAUNCHER_CACHE",
                System.getenv().getOrDefault("XDG_CACHE_HOME", System.getProperty("user.home") + "/.cache") + "/jbang-launcher"));
        if (!Files.isDirectory(installed.resolve("0.132.1/lib"))) {
            var install = LocalServers.jbang(LocalServers.cleanEnvironment(Map.of("JBANG_LAUNCHER_CACHE", installed.toString(),
                    "JBANG_LAUNCHER_USE_PATH", "false")), null, "version");
            assertEquals(0, install.exitCode(), install::toString);
        }
        Path cache = tmp.resolve("launcher-cache");
        copyTree(installed.resolve("0.132.1/lib"), cache.resolve("0.132.1/lib"));
        var env = LocalServers.cleanEnvironment(Map.of("JBANG_LAUNCHER_CACHE", cache.toString(), "JBANG_LAUNCHER_USE_PATH", "false",
                "JBANG_DIR", tmp.resolve("jbang-dir").toString()));
        return new Project(dir, cache, env);
    }

    static void copyTree(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) Files.copy(f, to.resolve(f.getFileName().toString()));
        }
    }

    static void deleteTree(Path root) throws Exception {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    @Test
    void aCachedCommandRunsWithoutJBangAndIsNeverServedStale() throws Exception {
        Project project = project();
        String[] awkward = {"a b", "it's", "$HOME", "", "*"};
        String expected = "v1 [a b] [it's] [$HOME] [] [*]\n";
        var first = project.run(concat("hello", awkward));
        assertEquals(0, first.exitCode(), first::toString);
        assertEquals(expected, first.stdout());

        // Without JBang's jars JBang cannot start: what still runs comes from the cache, arguments and exit code intact.
        Path away = Files.createDirectories(tmp.resolve("away"));
        copyTree(project.lib(), away);
        deleteTree(project.lib());
        Files.createDirectories(project.lib());
        var cached = project.run(concat("hello", awkward));
        assertEquals(0, cached.exitCode(), cached::toString);
        assertEquals(expected, cached.stdout());
        var failing = project.run("hello", "fail");
        assertEquals(3, failing.exitCode(), failing::toString);
        var viaFile = project.run(concat("./hello.java", awkward)); // the same script named by its file: its own entry, not cached yet
        assertTrue(viaFile.exitCode() != 0, "JBang is needed for a command not cached yet: " + viaFile);
        project.env().put("JBANG_LAUNCHER_COMMAND_CACHE", "false");
        var off = project.run(concat("hello", awkward));
        assertTrue(off.exitCode() != 0, "with the cache off JBang must run, and cannot: " + off);
        project.env().remove("JBANG_LAUNCHER_COMMAND_CACHE");
        deleteTree(project.lib());
        copyTree(away, project.lib());

        // What JBang reads to build the command changes: the script, the catalog, JBang's own build of the script.
        Files.writeString(project.dir().resolve("hello.java"), HELLO.formatted("v2"));
        assertEquals("v2 [x]\n", project.run("hello", "x").stdout());
        assertEquals(1, project.entries().size(), "the entry of the script's earlier version is gone: " + project.entries());
        Files.writeString(project.dir().resolve("other.java"), HELLO.formatted("other").replace("class hello", "class other"));
        Files.writeString(project.dir().resolve("jbang-catalog.json"), "{\"aliases\": {\"hello\": {\"script-ref\": \"other.java\"}}}\n");
        assertEquals("other [x]\n", project.run("hello", "x").stdout());
        deleteTree(tmp.resolve("jbang-dir/cache/jars"));
        var rebuilt = project.run("hello", "x");
        assertEquals("other [x]\n", rebuilt.stdout(), rebuilt::toString);
    }

    @Test
    void theClassDataArchiveIsWrittenByASecondRealRunAndMappedByTheNext() throws Exception {
        Project project = project();
        var first = project.run("hello", "x");
        assertEquals("v1 [x]\n", first.stdout(), first::toString);
        assertTrue(!first.stderr().contains("jvm option"), "the first run writes no archive: " + first);
        var help = project.run("hello", "--help");
        assertEquals("v1 [--help]\n", help.stdout(), help::toString);
        assertTrue(!help.stderr().contains("jvm option"), "a help run writes no archive: " + help);
        assertEquals(List.of(), project.archives());

        var writes = project.run("hello", "x");
        assertEquals("v1 [x]\n", writes.stdout(), writes::toString);
        assertTrue(writes.stderr().contains("jvm option -XX:ArchiveClassesAtExit="), writes::toString);
        assertEquals(1, project.archives().size(), "written: " + project.archives());

        var maps = project.run("hello", "x");
        assertEquals("v1 [x]\n", maps.stdout(), maps::toString);
        assertEquals("", maps.stderr().replaceAll("jvm option -XX:SharedArchiveFile=\\S+\\.jsa\n", ""), "maps it, silently: " + maps);
        assertTrue(maps.stderr().contains("SharedArchiveFile"), maps::toString);
        assertEquals(1, project.archives().size());
        assertTrue(project.archives().get(0).toString().endsWith(".jsa"), "moved into place: " + project.archives());

        // A rebuilt jar makes the archive useless: the next real run writes a new one instead of mapping the old.
        try (Stream<Path> jars = Files.walk(tmp.resolve("jbang-dir/cache/jars"))) {
            for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).toList()) {
                Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 60_000));
            }
        }
        var rewrites = project.run("hello", "x");
        assertTrue(rewrites.stderr().contains("ArchiveClassesAtExit"), rewrites::toString);
    }

    static String[] concat(String first, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
