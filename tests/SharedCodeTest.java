import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The invalidation code exists once in each script, so each stays one self-contained file: the two copies must not drift. */
class SharedCodeTest {
    static final String BEGIN = "// ================================================================ SHARED INVALIDATION CODE BEGIN";
    static final String END = "// ================================================================ SHARED INVALIDATION CODE END";

    static String block(String file) throws IOException {
        String text = Files.readString(LocalServers.repoRoot().resolve(file), StandardCharsets.UTF_8);
        int begin = text.indexOf(BEGIN);
        int end = text.indexOf(END);
        assertTrue(begin >= 0 && end > begin, file + " has no shared block");
        assertEquals(begin, text.lastIndexOf(BEGIN), file + " has two shared blocks");
        return text.substring(begin, end + END.length());
    }

    /**
     * tests/sandbox.java and the benchmarks compile these support files without the scripts (//SOURCES names them one by
     * one): a reference to Invalidate or DeploySite there breaks the README's first command, which no other test builds.
     */
    @Test
    void theSupportFilesTheSandboxAndBenchmarksCompileNeedNoScript() throws IOException {
        for (String file : List.of("LocalServers.java", "CloudFrontEmulator.java", "S3FaultProxy.java")) {
            String text = Files.readString(LocalServers.repoRoot().resolve("tests/support").resolve(file), StandardCharsets.UTF_8);
            assertTrue(!text.matches("(?s).*\\b(Invalidate|DeploySite)\\b\\s*[.(].*") && !text.contains("new Invalidate(") && !text.contains("new DeploySite("),
                    file + " refers to a script; move that code to a file only tests/run.java compiles (such as InProcess.java)");
        }
    }

    @Test
    void invalidationCodeIsIdenticalInBothScripts() throws IOException {
        String invalidate = block("invalidate.java");
        String deploySite = block("deploy-site.java");
        if (!invalidate.equals(deploySite)) {
            String[] a = invalidate.split("\n", -1);
            String[] b = deploySite.split("\n", -1);
            int line = 0;
            while (line < Math.min(a.length, b.length) && a[line].equals(b[line])) line++;
            throw new AssertionError("the shared invalidation blocks differ from line " + (line + 1) + " of the block: run tests/sync-shared.sh\n"
                    + "invalidate.java:  " + (line < a.length ? a[line] : "<end>") + "\n"
                    + "deploy-site.java: " + (line < b.length ? b[line] : "<end>"));
        }
    }
}
