package dev.sandboxed.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.sandboxed.core.internal.cgroup.CgroupFigures;
import dev.sandboxed.core.internal.cgroup.RecordedCgroups;
import dev.sandboxed.core.internal.control.ControlClient;
import dev.sandboxed.core.internal.control.KeeperClient;
import dev.sandboxed.core.internal.host.OwnIds;
import dev.sandboxed.core.internal.runtime.ExecProfile;
import dev.sandboxed.core.internal.runtime.SandboxStarter;
import dev.sandboxed.core.internal.state.SandboxState;
import dev.sandboxed.core.internal.state.StateDirectory;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.UserSpec;

/**
 * {@code sandboxed ps, inspect, exec, kill, rm}: sandboxes of this user's JVMs, reached through the state directory
 * (what exists) and each owning JVM's operations socket (what it does now; see {@code internal.control}).
 */
final class OpsCommands {
    static final String USAGE = """
            usage: sandboxed ps [--state-dir DIR]                    every sandbox of this user's JVMs
                   sandboxed inspect [--state-dir DIR] ID            its state, spec and usage as JSON
                   sandboxed exec [OPTIONS] ID [OPTIONS --] CMD [ARG...]
                                                                     OPTIONS: [-i] [-t|-T] [--env K=V] [--workdir DIR]
                                                                     [--user UID[:GID]] [--state-dir DIR]; after the ID
                                                                     only when "--" follows them
                                                                     run CMD in it as Sandbox.exec does (same user,
                                                                     capabilities, rlimits, seccomp filter, cgroup);
                                                                     its stdin, stdout and stderr are relayed from and
                                                                     to this terminal's, never handed over:
                                                                     -t, --tty: a fresh pseudo-terminal (the default
                                                                     when stdin and stdout are terminals; raw here
                                                                     meanwhile, with window size changes passed on;
                                                                     stderr goes to it too, and LF becomes CR LF)
                                                                     -T, --no-tty: pipes (stdout, stderr kept apart
                                                                     and byte-exact) even from a terminal
                                                                     -i, --interactive: accepted as docker's; stdin is
                                                                     always relayed (its end closes CMD's stdin)
                   sandboxed kill [--state-dir DIR] ID [SIGNAL]      signal every process in it (default KILL)
                   sandboxed rm [--force] [--state-dir DIR] ID       close a kept sandbox (--force: any sandbox)
              ID: a sandbox id or a unique prefix of one. --state-dir: as sandboxed.state.dir of the JVM that owns it.""";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Map<String, Integer> SIGNALS = Map.ofEntries(Map.entry("HUP", 1), Map.entry("INT", 2),
            Map.entry("QUIT", 3), Map.entry("KILL", 9), Map.entry("USR1", 10), Map.entry("USR2", 12),
            Map.entry("TERM", 15), Map.entry("CONT", 18), Map.entry("STOP", 19));

    private final PrintStream out;
    private final PrintStream err;

    OpsCommands(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** The options every command takes, and what is left: flags first, then ID and the rest. */
    private static final class Args {
        Optional<String> stateDir = Optional.ofNullable(System.getProperty("sandboxed.state.dir"));
        final Map<String, String> env = new LinkedHashMap<>();
        String workdir;
        String user;
        boolean force;
        Boolean tty; // null: a pty when stdin and stdout are terminals
        final List<String> rest = new ArrayList<>();

        static Args parse(List<String> args, boolean exec) {
            Args a = new Args();
            int i = a.options(args, exec);
            a.rest.addAll(args.subList(i, args.size()));
            return a;
        }

        /** Takes the options at the start of {@code args}; returns the index of the first argument that is none. */
        int options(List<String> args, boolean exec) {
            Args a = this;
            int i = 0;
            for (; i < args.size(); i++) {
                String arg = args.get(i);
                if (arg.equals("--state-dir")) {
                    a.stateDir = Optional.of(value(args, ++i, arg));
                } else if (arg.startsWith("--state-dir=")) {
                    a.stateDir = Optional.of(arg.substring("--state-dir=".length()));
                } else if (arg.equals("--force") || arg.equals("-f")) {
                    a.force = true;
                } else if (exec && arg.matches("-[itT]+")) {
                    if (arg.contains("t") && arg.contains("T")) {
                        throw new UsageException("-t and -T exclude each other");
                    }
                    a.tty = arg.contains("t") ? Boolean.TRUE : arg.contains("T") ? Boolean.FALSE : a.tty;
                } else if (exec && (arg.equals("--tty") || arg.equals("--no-tty"))) {
                    a.tty = arg.equals("--tty");
                } else if (exec && arg.equals("--interactive")) {
                    continue; // stdin is always relayed
                } else if (exec && (arg.equals("--env") || arg.equals("-e"))) {
                    String kv = value(args, ++i, arg);
                    int eq = kv.indexOf('=');
                    if (eq <= 0) {
                        throw new UsageException("invalid --env: '" + kv + "' is not K=V");
                    }
                    a.env.put(kv.substring(0, eq), kv.substring(eq + 1));
                } else if (exec && (arg.equals("--workdir") || arg.equals("-w"))) {
                    a.workdir = value(args, ++i, arg);
                } else if (exec && (arg.equals("--user") || arg.equals("-u"))) {
                    a.user = value(args, ++i, arg);
                    if (!a.user.matches("\\d+(:\\d+)?")) {
                        throw new UsageException("invalid --user: '" + a.user + "'; expected UID[:GID] (numbers)");
                    }
                } else if (arg.startsWith("-") && !arg.equals("--")) {
                    throw new UsageException("unknown option " + arg);
                } else {
                    break;
                }
            }
            return i;
        }

        private static String value(List<String> args, int i, String option) {
            if (i >= args.size()) {
                throw new UsageException(option + " needs a value");
            }
            return args.get(i);
        }

        StateDirectory directory() {
            return StateDirectory.forCurrentUser(stateDir, OwnIds.uid());
        }

        String id(String command) {
            if (rest.isEmpty() || rest.get(0).equals("--")) {
                throw new UsageException(command + " needs a sandbox ID");
            }
            return rest.get(0);
        }
    }

    int ps(List<String> argv) {
        Args a = Args.parse(argv, false);
        if (!a.rest.isEmpty()) {
            throw new UsageException("ps takes no arguments, got " + a.rest);
        }
        StateDirectory dir = a.directory();
        List<SandboxState> states = sandboxes(dir);
        Map<Long, Map<String, Map<String, Object>>> live = new HashMap<>();
        out.printf("%-12s  %-8s  %-8s  %-6s  %-24s  %-16s  %-9s  %s%n", "ID", "OWNER", "STATE", "AGE", "COMMAND", "LIMITS",
                "MEMORY", "CPU");
        for (SandboxState s : states) {
            Map<String, Object> d;
            String state;
            if (s.keptAfterJvm()) {
                d = kept(s);
                state = String.valueOf(d.get("state"));
            } else {
                Map<String, Map<String, Object>> owner = live.computeIfAbsent(s.ownerPid(), pid -> list(pid));
                d = owner == null ? null : owner.get(s.id());
                state = owner == null ? "stale" : d == null ? "unknown" : String.valueOf(d.get("state"));
            }
            String command = d == null || d.get("command") == null ? "-" : String.join(" ", strings(d.get("command")));
            out.printf("%-12s  %-8d  %-8s  %-6s  %-24s  %-16s  %-9s  %s%n", s.id(), s.ownerPid(), state, age(s.createdAt()),
                    cut(command, 24), d == null ? "-" : limits(map(d.get("limits"))), memory(d), cpu(d));
        }
        return 0;
    }

    /** The owner's answer to list, by id; null when the owner cannot be reached (gone). */
    private Map<String, Map<String, Object>> list(long pid) {
        try (ControlClient client = ControlClient.connect(pid)) {
            Map<String, Map<String, Object>> byId = new HashMap<>();
            for (Object o : (List<?>) client.call(Map.of("op", "list")).get("sandboxes")) {
                Map<String, Object> d = map(o);
                byId.put(String.valueOf(d.get("id")), d);
            }
            return byId;
        } catch (SandboxException e) {
            return null;
        }
    }

    /**
     * A sandbox kept after its JVM as its JVM would describe it: what the entry recorded when it was kept (command,
     * limits) and its usage now, read from its own cgroups (nothing asks the keeper, which only passes messages on).
     */
    private static Map<String, Object> kept(SandboxState s) {
        boolean alive = KeeperClient.alive(s);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("id", s.id());
        d.put("keeperPid", s.ownerPid());
        d.put("initPid", s.initPid());
        d.put("state", alive ? "kept" : "stale");
        d.put("startedAt", s.createdAt());
        d.put("keptUntil", s.keptUntil());
        d.put("command", s.command());
        d.put("limits", s.limits() == null ? Map.of() : s.limits());
        if (alive) {
            RecordedCgroups.usage(s.cgroups()).ifPresent(u -> d.put("usage", CgroupFigures.usage(u)));
        }
        d.put("spec", s.spec());
        return d;
    }

    int inspect(List<String> argv) {
        Args a = Args.parse(argv, false);
        StateDirectory dir = a.directory();
        SandboxState s = resolve(dir, a.id("inspect"));
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("state", s);
        if (s.keptAfterJvm()) {
            Map<String, Object> d = kept(s);
            all.put("sandbox", d);
            print(all);
            return d.get("state").equals("kept") ? 0 : RunCommand.SANDBOX_ERROR;
        }
        try (ControlClient client = ControlClient.connect(s.ownerPid())) {
            all.put("sandbox", client.call(Map.of("op", "inspect", "id", s.id())).get("sandbox"));
        } catch (SandboxException e) {
            all.put("unreachable", "JVM " + s.ownerPid() + ": " + e.getMessage());
        }
        print(all);
        return all.containsKey("sandbox") ? 0 : RunCommand.SANDBOX_ERROR;
    }

    private void print(Map<String, Object> json) {
        try {
            out.println(JSON.writeValueAsString(json));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    int exec(List<String> argv) {
        Args a = Args.parse(argv, true);
        String prefix = a.id("exec");
        List<String> command = new ArrayList<>(a.rest.subList(1, a.rest.size()));
        int dashes = command.indexOf("--");
        if (dashes > 0 && command.get(0).startsWith("-")) {
            // ID -w DIR -- CMD: options between the ID and "--" count; without "--" all after the ID is the command
            List<String> options = command.subList(0, dashes);
            int taken = a.options(options, true);
            if (taken < options.size()) {
                throw new UsageException("exec takes only options between the sandbox ID and --, got '"
                        + options.get(taken) + "'");
            }
            options.clear();
        }
        if (!command.isEmpty() && command.get(0).equals("--")) {
            command.remove(0);
        }
        if (command.isEmpty()) {
            throw new UsageException("exec needs a command after the sandbox ID");
        }
        StateDirectory dir = a.directory();
        SandboxState s = resolve(dir, prefix);
        if (s.keptAfterJvm()) {
            return execKept(dir, s, a, command);
        }
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("op", "exec");
        request.put("id", s.id());
        request.put("command", command);
        request.put("env", a.env);
        if (a.workdir != null) {
            request.put("workdir", a.workdir);
        }
        if (a.user != null) {
            request.put("user", a.user);
        }
        SignalForwarding signals = SignalForwarding.install();
        try (ControlClient client = connect(s); ExecStdio stdio = ExecStdio.open(tty(a, request))) {
            client.send(request, stdio.sandboxEnds());
            stdio.start();
            signals.to(signal -> {
                try {
                    client.send(Map.of("op", "signal", "signal", signal));
                } catch (RuntimeException gone) {
                    // the exec ended meanwhile
                }
            });
            Map<String, Object> reply = client.receive();
            stdio.ended();
            if (reply.get("startFailure") != null) {
                err.println("sandboxed: " + reply.get("startFailure"));
            }
            return ((Number) reply.get("exitCode")).intValue();
        }
    }

    /** exec in a sandbox kept after its JVM: built here from its exec profile, run through its keeper. */
    private int execKept(StateDirectory dir, SandboxState s, Args a, List<String> command) {
        ProcessSpec.Builder process = ProcessSpec.builder(command);
        Map<String, Object> env = new LinkedHashMap<>(a.env);
        boolean tty = tty(a, Map.of("env", env));
        env.forEach((k, v) -> process.env(k, (String) v));
        Optional.ofNullable(a.workdir).ifPresent(process::workdir);
        Optional.ofNullable(a.user).map(UserSpec::parseIds).ifPresent(process::user);
        ExecProfile profile = ExecProfile.read(dir.execProfile(s.id()));
        SignalForwarding signals = SignalForwarding.install();
        try (KeeperClient keeper = connectKeeper(s); ExecStdio stdio = ExecStdio.open(tty)) {
            KeeperClient.Outcome outcome = keeper.exec(profile, process.build(), stdio.sandboxEnds(), sender -> {
                stdio.start();
                signals.to(sender);
            });
            stdio.ended();
            if (outcome.startFailure() != null) {
                err.println("sandboxed: " + outcome.startFailure());
            }
            return outcome.status().exitCode();
        }
    }

    /**
     * Whether exec allocates a pty: as asked, else when stdin and stdout are terminals; with one, the caller's TERM goes into
     * {@code request}'s env unless given there.
     */
    @SuppressWarnings("unchecked")
    private static boolean tty(Args a, Map<String, Object> request) {
        boolean tty = a.tty != null ? a.tty : ExecStdio.interactive();
        String term = System.getenv("TERM");
        if (tty && term != null) {
            ((Map<String, Object>) request.get("env")).putIfAbsent("TERM", term);
        }
        return tty;
    }

    private static KeeperClient connectKeeper(SandboxState s) {
        try {
            return KeeperClient.connect(s);
        } catch (SandboxException e) {
            throw new SandboxException("sandbox " + s.id() + " cannot be reached through its keeper " + s.ownerPid() + " ("
                    + e.getMessage() + "); it ended with its keeper: `sandboxed rm " + s.id() + "` removes what is left", e);
        }
    }

    int kill(List<String> argv) {
        Args a = Args.parse(argv, false);
        StateDirectory dir = a.directory();
        SandboxState s = resolve(dir, a.id("kill"));
        int signal = a.rest.size() > 1 ? signal(a.rest.get(1)) : 9;
        if (s.keptAfterJvm()) {
            try (KeeperClient keeper = connectKeeper(s)) {
                keeper.signalAll(signal);
            }
            return 0;
        }
        try (ControlClient client = connect(s)) {
            client.call(Map.of("op", "kill", "id", s.id(), "signal", signal));
        }
        return 0;
    }

    int rm(List<String> argv) {
        Args a = Args.parse(argv, false);
        StateDirectory dir = a.directory();
        SandboxState s = resolve(dir, a.id("rm"));
        Consumer<String> hookFailures = failure -> err.println("sandboxed: " + s.id() + ": " + failure);
        if (s.keptAfterJvm() && KeeperClient.alive(s)) {
            try (KeeperClient keeper = connectKeeper(s)) {
                keeper.remove(dir, hookFailures);
            }
        } else if (s.keptAfterJvm() || list(s.ownerPid()) == null) {
            // its owner is gone: what it left, as the stale clean-up removes it
            KeeperClient.removeEntry(dir, s.id(), hookFailures);
        } else {
            try (ControlClient client = connect(s)) {
                client.call(Map.of("op", "rm", "id", s.id(), "force", a.force));
            }
        }
        out.println(s.id());
        return 0;
    }

    private static ControlClient connect(SandboxState s) {
        try {
            return ControlClient.connect(s.ownerPid());
        } catch (SandboxException e) {
            throw new SandboxException("sandbox " + s.id() + " cannot be reached through its JVM " + s.ownerPid() + " ("
                    + e.getMessage() + "); it ended with that JVM, whose state the next JVM to start removes", e);
        }
    }

    /** Entries that are sandboxes: an init was started (not a pooled cgroup, not a start under way). */
    private static List<SandboxState> sandboxes(StateDirectory dir) {
        List<SandboxState> states = new ArrayList<>();
        for (SandboxState s : dir.list()) {
            if (s.initPid() > 0 && !s.spec().startsWith(SandboxStarter.POOLED)) {
                states.add(s);
            }
        }
        states.sort((x, y) -> x.createdAt().compareTo(y.createdAt()));
        return states;
    }

    /** The sandbox whose id is {@code prefix} or the only one starting with it. */
    private static SandboxState resolve(StateDirectory dir, String prefix) {
        List<SandboxState> matches = new ArrayList<>();
        for (SandboxState s : sandboxes(dir)) {
            if (s.id().equals(prefix)) {
                return s;
            }
            if (s.id().startsWith(prefix)) {
                matches.add(s);
            }
        }
        if (matches.isEmpty()) {
            throw new UsageException("no sandbox '" + prefix + "' in " + dir.root() + " (see `sandboxed ps`)");
        }
        if (matches.size() > 1) {
            throw new UsageException("'" + prefix + "' is ambiguous: " + matches.stream().map(SandboxState::id).toList());
        }
        return matches.get(0);
    }

    static int signal(String text) {
        String name = text.toUpperCase(Locale.ROOT);
        name = name.startsWith("SIG") ? name.substring(3) : name;
        if (SIGNALS.containsKey(name)) {
            return SIGNALS.get(name);
        }
        if (text.matches("\\d{1,2}") && Integer.parseInt(text) >= 1 && Integer.parseInt(text) <= 64) {
            return Integer.parseInt(text);
        }
        throw new UsageException("invalid signal '" + text + "'; expected 1-64 or one of " + SIGNALS.keySet());
    }

    private static String age(String createdAt) {
        try {
            Duration d = Duration.between(Instant.parse(createdAt), Instant.now());
            return d.toHours() > 0 ? d.toHours() + "h" : d.toMinutes() > 0 ? d.toMinutes() + "m" : d.toSeconds() + "s";
        } catch (DateTimeParseException e) {
            return "?";
        }
    }

    private static String limits(Map<String, Object> l) {
        List<String> parts = new ArrayList<>();
        if (l.get("memoryMaxBytes") instanceof Number n) {
            parts.add("mem=" + mib(n.longValue()));
        }
        if (l.get("cpus") instanceof Number n) {
            parts.add("cpus=" + n);
        }
        if (l.get("pidsMax") instanceof Number n) {
            parts.add("pids=" + n);
        }
        return parts.isEmpty() ? "-" : String.join(",", parts);
    }

    private static String memory(Map<String, Object> d) {
        Map<String, Object> u = d == null ? Map.of() : map(d.get("usage"));
        return u.get("memoryCurrentBytes") instanceof Number n && n.longValue() >= 0 ? mib(n.longValue()) : "-";
    }

    private static String cpu(Map<String, Object> d) {
        Map<String, Object> u = d == null ? Map.of() : map(d.get("usage"));
        return u.get("cpuMillis") instanceof Number n && n.longValue() > 0 ? n + "ms" : "-";
    }

    private static String mib(long bytes) {
        return bytes >= 1 << 20 ? (bytes >> 20) + "MiB" : (bytes >> 10) + "KiB";
    }

    private static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    private static List<String> strings(Object o) {
        return o instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of(String.valueOf(o));
    }
}
