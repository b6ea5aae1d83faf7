///usr/bin/env jbang "$0" "$@" ; exit $?
//DESCRIPTION Runs every test of the project (unit, in-process against local servers, end to end) and closes with "N passed, M failed"
//JAVA 17+
//DEPS org.junit:junit-bom:5.13.4@pom
//DEPS org.junit.jupiter:junit-jupiter-engine
//DEPS org.junit.jupiter:junit-jupiter-params
//DEPS org.junit.platform:junit-platform-launcher
//SOURCES ../invalidate.java
//SOURCES ../deploy-site.java
//SOURCES support/*.java
//SOURCES *Test.java
//JAVA_OPTIONS -XX:+UseSerialGC -Xss4m

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The one test command: {@code ./jbang tests/run.java [CLASS-NAME-FILTER...]}.
 * Finds every *Test class in its own jar (a classpath scan finds nothing inside a jar), runs them through the JUnit
 * Platform, prints each failure and closes with the line "N passed, M failed"; exits 1 on any failure or when no test ran.
 */
class run {
    public static void main(String[] args) throws Exception {
        if (!LocalServers.motoAvailable()) {
            System.err.println("tests: error: moto's server (moto_server) is not installed; the S3 tests need it.");
            System.err.println("Install it with: pip install \"moto[server]\"");
            System.out.println("0 passed, 1 failed");
            System.exit(1);
        }
        List<String> classes = testClasses(args);
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(classes.stream().map(DiscoverySelectors::selectClass).toList())
                .build();
        Counter counter = new Counter();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request, counter);
        String closing = counter.passed + " passed, " + counter.failed + " failed" + (counter.skipped > 0 ? ", " + counter.skipped + " skipped" : "");
        System.out.println(closing);
        System.exit(counter.failed > 0 || counter.passed == 0 ? 1 : 0);
    }

    /** Every top-level class named *Test in the jar this runner was built into, filtered by the arguments. */
    static List<String> testClasses(String[] filters) throws IOException, URISyntaxException {
        Path jar = Path.of(run.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> names = new ArrayList<>();
        try (JarFile file = new JarFile(jar.toFile())) {
            for (Enumeration<JarEntry> e = file.entries(); e.hasMoreElements(); ) {
                String entry = e.nextElement().getName();
                if (entry.endsWith("Test.class") && !entry.contains("$") && !entry.contains("/")) {
                    String name = entry.substring(0, entry.length() - ".class".length());
                    if (filters.length == 0 || List.of(filters).stream().anyMatch(name::contains)) names.add(name);
                }
            }
        }
        names.sort(null);
        return names;
    }

    /** Counts tests (not containers) and prints progress and failures on stderr. */
    static final class Counter implements TestExecutionListener {
        int passed;
        int failed;
        int skipped;

        @Override
        public void executionStarted(TestIdentifier id) {
            if (id.getParentId().isPresent() && id.isContainer() && id.getSource().map(s -> s instanceof org.junit.platform.engine.support.descriptor.ClassSource).orElse(false)) {
                System.err.println("== " + id.getDisplayName());
            }
        }

        @Override
        public void executionSkipped(TestIdentifier id, String reason) {
            if (id.isTest()) {
                skipped++;
                System.err.println("   skipped " + id.getDisplayName() + ": " + reason);
            }
        }

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
                // An assumption that does not hold here (e.g. the machine has its own AWS credentials): not run, not passed.
                if (id.isTest()) skipped++;
                System.err.println("   skipped " + id.getDisplayName() + ": " + result.getThrowable().map(Throwable::getMessage).orElse(""));
                return;
            }
            boolean ok = result.getStatus() == TestExecutionResult.Status.SUCCESSFUL;
            if (id.isTest()) {
                if (ok) passed++;
                else failed++;
            } else if (!ok) {
                failed++; // a class whose set-up failed counts as one failure
            }
            if (!ok) {
                System.err.println("   FAILED " + id.getDisplayName() + ": " + result.getThrowable().map(Throwable::toString).orElse(""));
                result.getThrowable().ifPresent(t -> {
                    for (StackTraceElement el : t.getStackTrace()) {
                        if (el.getClassName().endsWith("Test") || el.getClassName().contains("Test$")) {
                            System.err.println("      at " + el);
                        }
                    }
                });
            }
        }
    }
}
