import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.Test;

/** deploy-site's progress on stderr: a bar with files, bytes, rate and ETA on a terminal, plain lines in CI. */
class ProgressTest {
    static String run(boolean terminal) throws InterruptedException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        var progress = new DeploySite.Progress(err, 10, 10 * 1024, terminal, Duration.ofMillis(20));
        for (int i = 0; i < 4; i++) progress.done(1024);
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!buffer.toString(StandardCharsets.UTF_8).contains("4/10 files") && System.nanoTime() < until) Thread.sleep(10);
        progress.stop();
        return buffer.toString(StandardCharsets.UTF_8);
    }

    @Test
    void ciGetsPlainLinesWithFilesBytesRateAndEta() throws InterruptedException {
        String out = run(false);
        assertTrue(out.contains("deploy-site: uploading 4/10 files, 4.0 KiB/10.0 KiB, ") && out.contains("/s, ETA "), out);
        assertTrue(!out.contains("\r"), "no carriage returns in a CI log: " + out);
    }

    @Test
    void theEtaFollowsTheSlowerPaceOfFilesAndBytes() throws InterruptedException {
        // 90% of the bytes in the first of 10 files (a large asset; the small pages come last): by bytes almost nothing
        // remains, by files nine times the time so far does
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        var progress = new DeploySite.Progress(new PrintStream(buffer, true, StandardCharsets.UTF_8), 10, 10 * 1024, false, Duration.ofMillis(50));
        progress.done(9 * 1024);
        Thread.sleep(1200);
        progress.stop();
        String last = buffer.toString(StandardCharsets.UTF_8).lines().reduce((x, y) -> y).orElse("");
        assertTrue(last.contains("1/10 files") && last.matches(".*ETA \\d+(s|m.*)$") && !last.endsWith("ms"), last);
    }

    @Test
    void aTerminalGetsOneRedrawnBar() throws InterruptedException {
        String out = run(true);
        assertTrue(out.contains("\r[#########               ] 4/10 files"), out);
        assertTrue(out.endsWith("\r"), "the bar is cleared at the end: " + out);
    }
}
