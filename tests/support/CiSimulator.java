import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs CI configurations the way GitHub Actions, GitLab CI and Travis CI run them, on this machine: the shell lines
 * with bash, in order, with the CI's own variables and its rules for failures; what an action or an image provides
 * comes from the test (a {@link GitHub.Uses} handler, the shims on the PATH). The configurations arrive parsed (maps and
 * lists, as a YAML library gives them), so nothing here depends on how they were read.
 */
final class CiSimulator {
    private CiSimulator() {
    }

    /** What one step, job or phase did. */
    record Step(String name, boolean ran, int exitCode, Map<String, String> outputs, String log) {
    }

    /** A finished job or build: success, the CI's word for its state, the steps, and everything they printed. */
    record Outcome(boolean success, String status, List<Step> steps, String log) {
        Step step(String name) {
            return steps.stream().filter(s -> s.name().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError("no step " + name + " in\n" + log));
        }

        @Override
        public String toString() {
            return status + "\n" + log;
        }
    }

    // ------------------------------------------------------------------------------------------------ shared helpers

    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    /** Runs a bash script file; stdout and stderr together, as a CI log shows them. */
    static LocalServers.Run bash(Path script, Path cwd, Map<String, String> env, String... options)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", "--noprofile", "--norc"));
        command.addAll(List.of(options));
        command.add(script.toString());
        return LocalServers.run(command, cwd, env, "");
    }

    static Path write(Path dir, String prefix, String text) throws IOException {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve(prefix + "-" + SEQUENCE.incrementAndGet()), text, StandardCharsets.UTF_8);
    }

    static void executable(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        if (o == null) return Map.of();
        if (o instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new IllegalArgumentException("not a mapping: " + o);
    }

    /** A YAML value that may be one item or a list (of items or nested lists, as GitLab allows), flattened to strings. */
    static List<String> lines(Object o) {
        List<String> out = new ArrayList<>();
        if (o == null) return out;
        if (o instanceof List<?> list) {
            for (Object item : list) out.addAll(lines(item));
        } else {
            out.add(String.valueOf(o));
        }
        return out;
    }

    static String str(Object o) {
        return o == null ? null : String.valueOf(o);
    }

    /** GitHub's file commands ($GITHUB_OUTPUT, $GITHUB_ENV): NAME=VALUE lines and NAME<<DELIMITER blocks. */
    static Map<String, String> fileCommands(Path file) throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        if (!Files.exists(file)) return values;
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int heredoc = line.indexOf("<<");
            int eq = line.indexOf('=');
            if (heredoc > 0 && (eq < 0 || heredoc < eq)) {
                String name = line.substring(0, heredoc);
                String delimiter = line.substring(heredoc + 2);
                StringBuilder value = new StringBuilder();
                for (i++; i < lines.size() && !lines.get(i).equals(delimiter); i++) {
                    if (value.length() > 0) value.append('\n');
                    value.append(lines.get(i));
                }
                values.put(name, value.toString());
            } else if (eq > 0) {
                values.put(line.substring(0, eq), line.substring(eq + 1));
            } else if (!line.isBlank()) {
                throw new IllegalStateException("not a file command: " + line);
            }
        }
        return values;
    }

    // ------------------------------------------------------------------------------------------------ GitHub Actions

    /**
     * One job of a workflow on a GitHub-hosted runner: each {@code run:} step a bash file run with
     * {@code bash --noprofile --norc -eo pipefail}, its own $GITHUB_OUTPUT, $GITHUB_ENV, $GITHUB_PATH and
     * $GITHUB_STEP_SUMMARY files, expressions evaluated first; {@code uses:} steps go to the {@link Uses} handler, and
     * composite actions run their steps the same way. The job stops at the first failed step.
     */
    static final class GitHub {
        /** The effect of a {@code uses:} step; returns its outputs. */
        interface Uses {
            Map<String, String> run(GitHub runner, String ref, Map<String, String> with) throws Exception;
        }

        /** The effect of a {@code run:} step whose work cannot happen here (a download from the internet), by name. */
        interface Substitute {
            void run(GitHub runner, String script, Map<String, String> env) throws Exception;
        }

        final Path workspace;
        final Path temp;
        final Map<String, String> machineEnv;
        private final Uses uses;
        private final Map<String, Substitute> substitutes;
        private final Map<String, String> exported = new LinkedHashMap<>();
        private final List<String> pathAdditions = new ArrayList<>();
        private final StringBuilder log = new StringBuilder();
        private final StringBuilder summary = new StringBuilder();
        private final List<Step> steps = new ArrayList<>();

        GitHub(Path workspace, Path temp, Map<String, String> machineEnv, Uses uses, Map<String, Substitute> substitutes) {
            this.workspace = workspace;
            this.temp = temp;
            this.machineEnv = machineEnv;
            this.uses = uses;
            this.substitutes = substitutes;
        }

        /** What an action such as configure-aws-credentials exports for the later steps of the job. */
        void export(String name, String value) {
            exported.put(name, value);
        }

        String summary() {
            return summary.toString();
        }

        private final class Failed extends Exception {
            private static final long serialVersionUID = 1L;

            Failed(String message) {
                super(message);
            }
        }

        /** Runs {@code jobs.<job>} of the workflow. */
        Outcome runJob(Map<String, Object> workflow, String jobName) throws Exception {
            Map<String, Object> job = map(map(workflow.get("jobs")).get(jobName));
            if (job.isEmpty()) throw new IllegalArgumentException("no job " + jobName);
            Map<String, String> jobEnv = new LinkedHashMap<>();
            Expressions ctx = context(Map.of(), new LinkedHashMap<>(), jobEnv);
            for (var e : map(workflow.get("env")).entrySet()) jobEnv.put(e.getKey(), ctx.interpolate(str(e.getValue())));
            for (var e : map(job.get("env")).entrySet()) jobEnv.put(e.getKey(), ctx.interpolate(str(e.getValue())));
            Map<String, Map<String, String>> stepOutputs = new LinkedHashMap<>();
            boolean ok = true;
            try {
                runSteps(listOfMaps(job.get("steps")), Map.of(), stepOutputs, jobEnv, null, "");
            } catch (Failed f) {
                ok = false;
                log.append("job failed: ").append(f.getMessage()).append('\n');
            }
            return new Outcome(ok, ok ? "success" : "failure", List.copyOf(steps), log.toString());
        }

        /** Runs a composite action's steps with these inputs (defaults from action.yml); returns its outputs. */
        Map<String, String> runAction(Map<String, Object> action, Path actionPath, Map<String, String> with) throws Exception {
            Map<String, Object> runs = map(action.get("runs"));
            if (!"composite".equals(runs.get("using"))) throw new IllegalArgumentException("not a composite action");
            Map<String, String> inputs = new LinkedHashMap<>();
            for (var e : map(action.get("inputs")).entrySet()) {
                Object def = map(e.getValue()).get("default");
                inputs.put(e.getKey(), def == null ? "" : String.valueOf(def));
            }
            for (var e : with.entrySet()) {
                if (!inputs.containsKey(e.getKey())) throw new IllegalArgumentException("the action has no input " + e.getKey());
                inputs.put(e.getKey(), e.getValue());
            }
            Map<String, Map<String, String>> actionSteps = new LinkedHashMap<>();
            runSteps(listOfMaps(runs.get("steps")), inputs, actionSteps, new LinkedHashMap<>(), actionPath, "  ");
            Map<String, String> outputs = new LinkedHashMap<>();
            Expressions ctx = context(inputs, actionSteps, Map.of()).actionPath(actionPath);
            for (var e : map(action.get("outputs")).entrySet()) {
                outputs.put(e.getKey(), ctx.interpolate(str(map(e.getValue()).get("value"))));
            }
            return outputs;
        }

        private void runSteps(List<Map<String, Object>> list, Map<String, String> inputs, Map<String, Map<String, String>> stepOutputs,
                              Map<String, String> scopeEnv, Path actionPath, String indent) throws Exception {
            for (Map<String, Object> step : list) {
                String id = str(step.get("id"));
                String name = str(step.get("name"));
                String label = name != null ? name : step.containsKey("uses") ? String.valueOf(step.get("uses"))
                        : String.valueOf(step.get("run")).lines().findFirst().orElse("");
                Expressions ctx = context(inputs, stepOutputs, scopeEnv).actionPath(actionPath);
                if (step.containsKey("if") && !Expressions.truthy(ctx.evaluate(stripBraces(str(step.get("if")))))) {
                    log.append(indent).append("== ").append(label).append(" (skipped: if)\n");
                    steps.add(new Step(label, false, 0, Map.of(), ""));
                    continue;
                }
                if (step.containsKey("continue-on-error") || step.containsKey("working-directory") && step.containsKey("uses")) {
                    throw new IllegalArgumentException("not simulated: " + step.keySet());
                }
                log.append(indent).append("== ").append(label).append('\n');
                Map<String, String> stepEnv = new LinkedHashMap<>(scopeEnv);
                for (var e : map(step.get("env")).entrySet()) stepEnv.put(e.getKey(), ctx.interpolate(str(e.getValue())));
                Map<String, String> outputs;
                if (step.containsKey("uses")) {
                    Map<String, String> with = new LinkedHashMap<>();
                    for (var e : map(step.get("with")).entrySet()) with.put(e.getKey(), ctx.interpolate(str(e.getValue())));
                    try {
                        outputs = uses.run(this, String.valueOf(step.get("uses")), with);
                    } catch (Failed f) {
                        steps.add(new Step(label, true, 1, Map.of(), f.getMessage()));
                        throw f;
                    }
                    steps.add(new Step(label, true, 0, outputs, ""));
                } else {
                    String script = String.valueOf(step.get("run"));
                    if (actionPath != null && !"bash".equals(step.get("shell"))) {
                        throw new IllegalArgumentException("a composite action's run step needs shell: bash: " + label);
                    }
                    Substitute substitute = name == null ? null : substitutes.get(name);
                    if (substitute != null) {
                        substitute.run(this, script, stepEnv);
                        log.append(indent).append("(replaced by its effect)\n");
                        steps.add(new Step(label, true, 0, Map.of(), ""));
                        outputs = Map.of();
                    } else {
                        outputs = runScript(label, script, stepEnv, actionPath, step, indent);
                    }
                }
                if (id != null) stepOutputs.put(id, outputs);
            }
        }

        private Map<String, String> runScript(String label, String script, Map<String, String> stepEnv, Path actionPath,
                                              Map<String, Object> step, String indent) throws Exception {
            Path dir = temp.resolve("step-" + SEQUENCE.incrementAndGet());
            Files.createDirectories(dir);
            Path output = Files.createFile(dir.resolve("output"));
            Path env = Files.createFile(dir.resolve("env"));
            Path path = Files.createFile(dir.resolve("path"));
            Path summaryFile = Files.createFile(dir.resolve("summary"));
            Map<String, String> vars = new LinkedHashMap<>(machineEnv);
            vars.putAll(exported);
            vars.putAll(stepEnv);
            vars.put("GITHUB_OUTPUT", output.toString());
            vars.put("GITHUB_ENV", env.toString());
            vars.put("GITHUB_PATH", path.toString());
            vars.put("GITHUB_STEP_SUMMARY", summaryFile.toString());
            if (actionPath != null) vars.put("GITHUB_ACTION_PATH", actionPath.toString());
            if (!pathAdditions.isEmpty()) vars.put("PATH", String.join(":", pathAdditions) + ":" + machineEnv.get("PATH"));
            Path cwd = step.containsKey("working-directory") ? workspace.resolve(str(step.get("working-directory"))) : workspace;
            var run = bash(write(dir, "script", script), cwd, vars, "-eo", "pipefail");
            log.append(run.all().indent(indent.length() + 2));
            Map<String, String> outputs = fileCommands(output);
            exported.putAll(fileCommands(env));
            for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) pathAdditions.add(0, line.strip());
            }
            summary.append(Files.readString(summaryFile, StandardCharsets.UTF_8));
            steps.add(new Step(label, true, run.exitCode(), outputs, run.all()));
            if (run.exitCode() != 0) {
                throw new Failed("step '" + label + "' exited " + run.exitCode() + "\n" + run.all());
            }
            return outputs;
        }

        /** A handler calls this when the action it stands for fails. */
        Exception failed(String message) {
            return new Failed(message);
        }

        private Expressions context(Map<String, String> inputs, Map<String, Map<String, String>> stepOutputs, Map<String, String> env) {
            Map<String, String> all = new LinkedHashMap<>(machineEnv);
            all.putAll(exported);
            all.putAll(env);
            return new Expressions(inputs, stepOutputs, all, machineEnv, workspace, temp, null);
        }

        private static String stripBraces(String condition) {
            String c = condition.strip();
            return c.startsWith("${{") && c.endsWith("}}") ? c.substring(3, c.length() - 2) : c;
        }

        @SuppressWarnings("unchecked")
        private static List<Map<String, Object>> listOfMaps(Object o) {
            if (!(o instanceof List<?> list)) throw new IllegalArgumentException("steps is not a list: " + o);
            return (List<Map<String, Object>>) list;
        }
    }

    /**
     * GitHub's expression language as far as the snippets use it: contexts (inputs, steps.ID.outputs.NAME, env, runner,
     * github), string literals, ==, !=, !, &&, ||, parentheses. String comparison ignores case, as GitHub's does.
     * Anything else (a function such as hashFiles) is an error, so an expression this cannot evaluate fails the test.
     */
    static final class Expressions {
        private static final Pattern INTERPOLATION = Pattern.compile("\\$\\{\\{(.*?)}}", Pattern.DOTALL);
        private static final Pattern TOKEN = Pattern.compile(
                "\\s*(?:('(?:[^']|'')*')|(==|!=|&&|\\|\\||!|\\(|\\))|([A-Za-z_][A-Za-z0-9_.\\-]*)|(\\d+))");
        private final Map<String, String> inputs;
        private final Map<String, Map<String, String>> steps;
        private final Map<String, String> env;
        private final Map<String, String> machine;
        private final Path workspace;
        private final Path temp;
        private final Path actionPath;
        private List<String> tokens;
        private int pos;

        Expressions(Map<String, String> inputs, Map<String, Map<String, String>> steps, Map<String, String> env,
                    Map<String, String> machine, Path workspace, Path temp, Path actionPath) {
            this.inputs = inputs;
            this.steps = steps;
            this.env = env;
            this.machine = machine;
            this.workspace = workspace;
            this.temp = temp;
            this.actionPath = actionPath;
        }

        Expressions actionPath(Path path) {
            return new Expressions(inputs, steps, env, machine, workspace, temp, path);
        }

        String interpolate(String text) {
            if (text == null) return "";
            Matcher m = INTERPOLATION.matcher(text);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                Object v = evaluate(m.group(1));
                m.appendReplacement(out, Matcher.quoteReplacement(v == null ? "" : String.valueOf(v)));
            }
            m.appendTail(out);
            return out.toString();
        }

        Object evaluate(String expression) {
            tokens = new ArrayList<>();
            Matcher m = TOKEN.matcher(expression);
            int at = 0;
            while (at < expression.length()) {
                if (expression.substring(at).isBlank()) break;
                if (!m.find(at) || m.start() != at) {
                    throw new IllegalArgumentException("cannot evaluate ${{ " + expression + " }} at: " + expression.substring(at));
                }
                tokens.add(m.group().strip());
                at = m.end();
            }
            pos = 0;
            Object value = or();
            if (pos != tokens.size()) throw new IllegalArgumentException("cannot evaluate ${{ " + expression + " }}");
            return value;
        }

        private Object or() {
            Object left = and();
            while (pos < tokens.size() && tokens.get(pos).equals("||")) {
                pos++;
                Object right = and();
                left = truthy(left) ? left : right;
            }
            return left;
        }

        private Object and() {
            Object left = comparison();
            while (pos < tokens.size() && tokens.get(pos).equals("&&")) {
                pos++;
                Object right = comparison();
                left = truthy(left) ? right : left;
            }
            return left;
        }

        private Object comparison() {
            Object left = unary();
            if (pos < tokens.size() && (tokens.get(pos).equals("==") || tokens.get(pos).equals("!="))) {
                boolean equal = tokens.get(pos++).equals("==");
                Object right = unary();
                boolean same = String.valueOf(left == null ? "" : left).equalsIgnoreCase(String.valueOf(right == null ? "" : right));
                return equal == same;
            }
            return left;
        }

        private Object unary() {
            String t = tokens.get(pos++);
            if (t.equals("!")) return !truthy(unary());
            if (t.equals("(")) {
                Object v = or();
                if (!tokens.get(pos++).equals(")")) throw new IllegalArgumentException("unbalanced parentheses");
                return v;
            }
            if (t.startsWith("'")) return t.substring(1, t.length() - 1).replace("''", "'");
            if (t.matches("\\d+")) return t;
            if (t.equals("true") || t.equals("false")) return Boolean.valueOf(t);
            if (t.equals("null")) return null;
            if (pos < tokens.size() && tokens.get(pos).equals("(")) throw new IllegalArgumentException("function not simulated: " + t);
            return lookup(t);
        }

        private Object lookup(String path) {
            String[] p = path.split("\\.");
            switch (p[0]) {
                case "inputs" -> {
                    if (p.length == 2 && inputs.containsKey(p[1])) return inputs.get(p[1]);
                }
                case "steps" -> {
                    if (p.length == 4 && p[2].equals("outputs")) return steps.getOrDefault(p[1], Map.of()).getOrDefault(p[3], "");
                }
                case "env" -> {
                    if (p.length == 2) return env.getOrDefault(p[1], "");
                }
                case "runner" -> {
                    if (p.length == 2 && p[1].equals("os")) return machine.getOrDefault("RUNNER_OS", "Linux");
                    if (p.length == 2 && p[1].equals("temp")) return temp.toString();
                }
                case "github" -> {
                    if (p.length == 2 && p[1].equals("workspace")) return workspace.toString();
                    if (p.length == 2 && p[1].equals("action_path") && actionPath != null) return actionPath.toString();
                    if (p.length == 2) {
                        String name = "GITHUB_" + p[1].toUpperCase(java.util.Locale.ROOT);
                        if (machine.containsKey(name)) return machine.get(name);
                    }
                }
                default -> {
                }
            }
            throw new IllegalArgumentException("context not simulated: " + path);
        }

        static boolean truthy(Object v) {
            if (v == null) return false;
            if (v instanceof Boolean b) return b;
            String s = String.valueOf(v);
            return !s.isEmpty() && !s.equals("0");
        }
    }

    // ------------------------------------------------------------------------------------------------ GitLab CI

    /**
     * A pipeline for a push to the default branch: the jobs whose rules let them run, stage by stage, each
     * {@code before_script} + {@code script} in one bash with {@code set -eo pipefail} (as GitLab's bash shell does),
     * variables expanded against the predefined ones, each {@code id_tokens} entry an environment variable holding a
     * token for its audience. {@code after_script} failures are ignored. The pipeline stops at the first failed job.
     */
    static final class GitLab {
        /** Issues the ID token GitLab would put in the variable, for this audience. */
        interface Tokens {
            String issue(String variable, String audience);
        }

        /** Restores a job's cache before it runs (the test points the cached folders at this machine's caches). */
        interface Cache {
            void restore(Map<String, Object> job, Map<String, String> jobEnv) throws IOException;
        }

        private static final Set<String> KEYWORDS = Set.of("stages", "variables", "default", "include", "workflow", "image",
                "services", "cache", "before_script", "after_script");

        static Outcome run(Map<String, Object> ci, Path projectDir, Map<String, String> machineEnv, Map<String, String> predefined,
                           Tokens tokens, Cache cache, Path temp) throws Exception {
            List<String> stages = ci.containsKey("stages") ? lines(ci.get("stages")) : List.of("build", "test", "deploy");
            List<Map.Entry<String, Map<String, Object>>> jobs = new ArrayList<>();
            for (var e : ci.entrySet()) {
                if (KEYWORDS.contains(e.getKey()) || e.getKey().startsWith(".") || !(e.getValue() instanceof Map<?, ?>)) continue;
                jobs.add(Map.entry(e.getKey(), map(e.getValue())));
            }
            jobs.sort(java.util.Comparator.comparingInt(j -> stages.indexOf(str(j.getValue().getOrDefault("stage", "test")))));
            StringBuilder log = new StringBuilder();
            List<Step> ran = new ArrayList<>();
            for (var entry : jobs) {
                Map<String, Object> job = entry.getValue();
                if (!stages.contains(str(job.getOrDefault("stage", "test")))) {
                    throw new IllegalArgumentException("job " + entry.getKey() + " has a stage that is not in stages");
                }
                Map<String, String> vars = new LinkedHashMap<>(predefined);
                for (var v : map(ci.get("variables")).entrySet()) vars.put(v.getKey(), expand(str(v.getValue()), vars));
                for (var v : map(job.get("variables")).entrySet()) vars.put(v.getKey(), expand(str(v.getValue()), vars));
                if (!rulesAllow(job, vars)) {
                    log.append("== ").append(entry.getKey()).append(" (not in this pipeline: rules)\n");
                    ran.add(new Step(entry.getKey(), false, 0, Map.of(), ""));
                    continue;
                }
                for (var t : map(job.get("id_tokens")).entrySet()) {
                    Object aud = map(t.getValue()).get("aud");
                    vars.put(t.getKey(), tokens.issue(t.getKey(), aud instanceof List<?> l ? String.valueOf(l.get(0)) : str(aud)));
                }
                cache.restore(job, vars);
                List<String> script = new ArrayList<>(lines(job.containsKey("before_script") ? job.get("before_script") : ci.get("before_script")));
                script.addAll(lines(job.get("script")));
                Map<String, String> env = new LinkedHashMap<>(machineEnv);
                env.putAll(vars);
                log.append("== ").append(entry.getKey()).append('\n');
                var run = bash(write(temp, "gitlab-" + entry.getKey(), echoed(script)), projectDir, env, "-eo", "pipefail");
                log.append(run.all().indent(2));
                List<String> after = lines(job.containsKey("after_script") ? job.get("after_script") : ci.get("after_script"));
                if (!after.isEmpty()) {
                    log.append(bash(write(temp, "gitlab-after", echoed(after)), projectDir, env).all().indent(2));
                }
                ran.add(new Step(entry.getKey(), true, run.exitCode(), Map.of(), run.all()));
                if (run.exitCode() != 0) {
                    log.append("job ").append(entry.getKey()).append(" failed: exit ").append(run.exitCode()).append('\n');
                    return new Outcome(false, "failed", ran, log.toString());
                }
            }
            return new Outcome(true, "passed", ran, log.toString());
        }

        /** Each line printed as GitLab prints it ($ line), then run. */
        private static String echoed(List<String> script) {
            StringBuilder out = new StringBuilder();
            for (String line : script) {
                out.append("printf '%s\\n' ").append(shellQuote("$ " + line)).append('\n').append(line).append('\n');
            }
            return out.toString();
        }

        private static boolean rulesAllow(Map<String, Object> job, Map<String, String> vars) {
            if (job.containsKey("only") || job.containsKey("except")) throw new IllegalArgumentException("only/except: not simulated");
            if (!job.containsKey("rules")) return true;
            for (Object r : (List<?>) job.get("rules")) {
                Map<String, Object> rule = map(r);
                if (!rule.containsKey("if") || condition(str(rule.get("if")), vars)) {
                    return !"never".equals(rule.get("when"));
                }
            }
            return false;
        }

        private static final Pattern CONDITION_TOKEN = Pattern.compile("\\s*(\\$\\{?[A-Za-z_][A-Za-z0-9_]*}?|\"[^\"]*\"|'[^']*'|==|!=|&&|\\|\\||\\(|\\))");

        /** GitLab's rules:if for comparisons of variables and strings, joined by && and || (&& binds tighter). */
        static boolean condition(String expression, Map<String, String> vars) {
            List<String> t = new ArrayList<>();
            Matcher m = CONDITION_TOKEN.matcher(expression);
            int at = 0;
            while (at < expression.length() && !expression.substring(at).isBlank()) {
                if (!m.find(at) || m.start() != at) throw new IllegalArgumentException("rules:if not simulated: " + expression);
                t.add(m.group(1));
                at = m.end();
            }
            boolean any = false;
            for (String alternative : String.join(" ", t).split(" \\|\\| ")) {
                boolean all = true;
                for (String part : alternative.split(" && ")) {
                    String[] w = part.strip().split(" ");
                    if (w.length == 1) {
                        all &= !value(w[0], vars).isEmpty();
                    } else if (w.length == 3 && (w[1].equals("==") || w[1].equals("!="))) {
                        all &= value(w[0], vars).equals(value(w[2], vars)) == w[1].equals("==");
                    } else {
                        throw new IllegalArgumentException("rules:if not simulated: " + expression);
                    }
                }
                any |= all;
            }
            return any;
        }

        private static String value(String token, Map<String, String> vars) {
            if (token.startsWith("$")) return vars.getOrDefault(token.replaceAll("[${}]", ""), "");
            if (token.length() >= 2 && (token.startsWith("\"") || token.startsWith("'"))) return token.substring(1, token.length() - 1);
            throw new IllegalArgumentException("rules:if operand not simulated: " + token);
        }

        /** $NAME and ${NAME} replaced by the variables known so far (unknown ones stay, as GitLab leaves them). */
        static String expand(String value, Map<String, String> vars) {
            if (value == null) return "";
            Matcher m = Pattern.compile("\\$(?:\\{([A-Za-z_][A-Za-z0-9_]*)}|([A-Za-z_][A-Za-z0-9_]*))").matcher(value);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String name = m.group(1) != null ? m.group(1) : m.group(2);
                m.appendReplacement(out, Matcher.quoteReplacement(vars.getOrDefault(name, m.group())));
            }
            m.appendTail(out);
            return out.toString();
        }
    }

    // ------------------------------------------------------------------------------------------------ Travis CI

    /**
     * A Travis build as its generated build script runs it, in one bash session: {@code env.global} exported;
     * before_install, install and before_script (a failure errors the build); script (a failure fails it, the other
     * script lines still run); then, for a push to a branch that {@code deploy.on} names, before_deploy and each
     * {@code provider: script} deploy (a failure errors the build); after_success, after_failure, after_deploy and
     * after_script run but never change the result. Status: passed, failed or errored.
     */
    static final class Travis {
        static Outcome run(Map<String, Object> travis, Path buildDir, Map<String, String> env, Set<String> tools, Path temp)
                throws Exception {
            for (Object snap : (List<?>) map(travis.get("addons")).getOrDefault("snaps", List.of())) {
                String name = snap instanceof Map<?, ?> m ? str(m.get("name")) : str(snap);
                if (!tools.contains(name)) throw new IllegalArgumentException("no effect known for the snap " + name);
            }
            boolean pullRequest = !"false".equals(env.get("TRAVIS_PULL_REQUEST"));
            StringBuilder sh = new StringBuilder("result=0\n");
            Object envSection = travis.get("env");
            List<String> globals = envSection instanceof Map<?, ?> m ? lines(m.get("global")) : lines(envSection);
            for (String g : globals) sh.append("export ").append(g).append('\n');
            for (String phase : List.of("before_install", "install", "before_script")) {
                for (String cmd : lines(travis.get(phase))) sh.append(command(cmd, "echo 'travis: errored'; exit 2"));
            }
            for (String cmd : lines(travis.get("script"))) sh.append(command(cmd, "result=1"));
            sh.append("if [ $result -ne 0 ]; then\n");
            for (String cmd : lines(travis.get("after_failure"))) sh.append(command(cmd, ":"));
            sh.append(afterScript(travis)).append("echo 'travis: failed'; exit 1\nfi\n");
            for (String cmd : lines(travis.get("after_success"))) sh.append(command(cmd, ":"));
            List<Map<String, Object>> deploys = new ArrayList<>();
            Object deploy = travis.get("deploy");
            if (deploy instanceof List<?> list) list.forEach(d -> deploys.add(map(d)));
            else if (deploy != null) deploys.add(map(deploy));
            boolean deployed = false;
            for (Map<String, Object> d : deploys) {
                if (pullRequest || !deploysOn(d, env.get("TRAVIS_BRANCH"))) continue;
                if (!deployed) {
                    for (String cmd : lines(travis.get("before_deploy"))) sh.append(command(cmd, "echo 'travis: errored'; exit 2"));
                }
                deployed = true;
                if (!"script".equals(d.get("provider"))) throw new IllegalArgumentException("deploy provider not simulated: " + d.get("provider"));
                if (Boolean.TRUE.equals(d.get("cleanup"))) throw new IllegalArgumentException("cleanup: true (git stash --all) not simulated");
                String script = str(d.get("script"));
                if (script == null || script.strip().contains("\n")) throw new IllegalArgumentException("a script deploy runs one command");
                sh.append(command(script, "echo 'travis: deploy failed, build errored'; exit 2"));
            }
            if (deployed) for (String cmd : lines(travis.get("after_deploy"))) sh.append(command(cmd, ":"));
            sh.append(afterScript(travis)).append("echo 'travis: passed'; exit 0\n");
            var run = bash(write(temp, "travis-build", sh.toString()), buildDir, env);
            String status = switch (run.exitCode()) {
                case 0 -> "passed";
                case 1 -> "failed";
                default -> "errored";
            };
            return new Outcome(run.exitCode() == 0, status, List.of(new Step("build", true, run.exitCode(), Map.of(), run.all())), run.all());
        }

        private static boolean deploysOn(Map<String, Object> deploy, String branch) {
            Map<String, Object> on = map(deploy.get("on"));
            if (on.containsKey("condition") || on.containsKey("tags") || on.containsKey("repo")) {
                throw new IllegalArgumentException("deploy.on: only branch and all_branches are simulated");
            }
            if (Boolean.TRUE.equals(on.get("all_branches"))) return true;
            List<String> branches = on.containsKey("branch") ? lines(on.get("branch")) : List.of("master");
            return branches.contains(branch);
        }

        private static String afterScript(Map<String, Object> travis) {
            StringBuilder sh = new StringBuilder();
            for (String cmd : lines(travis.get("after_script"))) sh.append(command(cmd, ":"));
            return sh.toString();
        }

        /** One command as Travis's build script has it: echoed, run, then what its failure means. */
        private static String command(String cmd, String onFailure) {
            return "printf '%s\\n' " + shellQuote("$ " + cmd) + "\n{\n" + cmd + "\n}\nif [ $? -ne 0 ]; then " + onFailure + "; fi\n";
        }
    }

    static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
