import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The scripts run in-process, as the tests of several layers do. Apart from LocalServers, which the sandbox and the
 * benchmarks also compile without the scripts.
 */
final class InProcess {
    private InProcess() {
    }

    /** Runs invalidate: this environment and stdin, what it printed. */
    static LocalServers.Run invalidate(Map<String, String> env, String stdin, List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Invalidate cmd = new Invalidate();
        cmd.env = env;
        cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        cmd.in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        int code = Invalidate.newCommandLine(cmd).execute(args.toArray(String[]::new));
        return new LocalServers.Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Runs deploy-site: this environment, what it printed. */
    static LocalServers.Run deploySite(Map<String, String> env, List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        DeploySite cmd = new DeploySite();
        cmd.env = env;
        cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        int code = DeploySite.newCommandLine(cmd).execute(args.toArray(String[]::new));
        return new LocalServers.Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
