import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ./jbang launcher: a jbang on the PATH first, else JBang from Maven Central, with the catalog readable. */
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
        var run = LocalServers.jbang(env, null, "invalidate", "-c", "E1", "--dry-run", "/café");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.stdout().contains("  /caf%C3%A9\n"), run::toString);
    }
}
