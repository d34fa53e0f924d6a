package dev.sandboxed.core.spec;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One process to run in a sandbox: its command, extra environment, working directory, user, stdio and
 * timeout. Anything not set comes from the sandbox's spec.
 */
public final class ProcessSpec {
    private final List<String> command;
    private final Map<String, String> environment;
    private final String workdir;
    private final UserSpec user;
    private final Stdio stdin;
    private final Stdio stdout;
    private final Stdio stderr;
    private final Duration timeout;
    private final int maxOutputBytes;

    private ProcessSpec(Builder b) {
        this.command = List.copyOf(b.command);
        this.environment = Map.copyOf(b.environment);
        this.workdir = b.workdir;
        this.user = b.user;
        this.stdin = b.stdin;
        this.stdout = b.stdout;
        this.stderr = b.stderr;
        this.timeout = b.timeout;
        this.maxOutputBytes = b.maxOutputBytes;
    }

    public static ProcessSpec of(String... command) {
        return builder(command).build();
    }

    public static Builder builder(String... command) {
        return new Builder().command(List.of(command));
    }

    public static Builder builder(List<String> command) {
        return new Builder().command(command);
    }

    public List<String> command() {
        return command;
    }

    public Map<String, String> environment() {
        return environment;
    }

    public Optional<String> workdir() {
        return Optional.ofNullable(workdir);
    }

    public Optional<UserSpec> user() {
        return Optional.ofNullable(user);
    }

    public Stdio stdin() {
        return stdin;
    }

    public Stdio stdout() {
        return stdout;
    }

    public Stdio stderr() {
        return stderr;
    }

    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    /**
     * How much of each piped output stream (stdout, stderr) a run to completion keeps in memory: the first and the
     * last half of this many bytes; what lies between is dropped and counted (see
     * {@code ExecResult.stdoutTruncatedBytes()}). Stream larger output with {@link Stdio#to} or {@link Stdio#file}.
     */
    public int maxOutputBytes() {
        return maxOutputBytes;
    }

    public Builder toBuilder() {
        Builder b = new Builder().command(command);
        b.environment.putAll(environment);
        b.workdir = workdir;
        b.user = user;
        b.stdin = stdin;
        b.stdout = stdout;
        b.stderr = stderr;
        b.timeout = timeout;
        b.maxOutputBytes = maxOutputBytes;
        return b;
    }

    /** The command as a shell would show it, for messages. */
    public String commandLine() {
        return String.join(" ", command);
    }

    @Override
    public String toString() {
        return commandLine();
    }

    /** Of each output stream, by default. */
    public static final int DEFAULT_MAX_OUTPUT_BYTES = 16 << 20;
    /** At most: a byte array holds no more, and two such streams would not fit most heaps. */
    public static final int MAX_OUTPUT_BYTES = 1 << 30;

    /** Linux's limit on one argument or environment string, its NUL included (MAX_ARG_STRLEN, 32 pages). */
    public static final int MAX_ARG_STRLEN = 128 * 1024;

    /** A longer string would fail execve with E2BIG inside the sandbox; refused here, before anything starts. */
    static void checkExecString(String field, String what, String value) {
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes >= MAX_ARG_STRLEN) {
            throw new SpecException(field, what + " is " + bytes + " bytes; Linux takes at most " + (MAX_ARG_STRLEN - 1)
                    + " bytes per argument or variable (MAX_ARG_STRLEN)");
        }
    }

    public static final class Builder {
        private Builder() {
        }

        private final List<String> command = new ArrayList<>();
        private final Map<String, String> environment = new LinkedHashMap<>();
        private String workdir;
        private UserSpec user;
        private Stdio stdin = Stdio.discard();
        private Stdio stdout = Stdio.pipe();
        private Stdio stderr = Stdio.pipe();
        private Duration timeout;
        private int maxOutputBytes = DEFAULT_MAX_OUTPUT_BYTES;

        public Builder command(List<String> argv) {
            command.clear();
            command.addAll(argv);
            return this;
        }

        public Builder env(String name, String value) {
            SandboxSpec.checkEnv(name, value);
            environment.put(name, value);
            return this;
        }

        public Builder workdir(String dir) {
            this.workdir = SandboxPaths.insidePath("workdir", dir);
            return this;
        }

        public Builder user(UserSpec u) {
            this.user = Objects.requireNonNull(u, "user");
            return this;
        }

        public Builder stdin(Stdio s) {
            this.stdin = Objects.requireNonNull(s, "stdin");
            return this;
        }

        public Builder stdout(Stdio s) {
            this.stdout = Objects.requireNonNull(s, "stdout");
            return this;
        }

        public Builder stderr(Stdio s) {
            this.stderr = Objects.requireNonNull(s, "stderr");
            return this;
        }

        /** All three of stdin, stdout and stderr from the JVM, as a CLI wants. */
        public Builder inheritIo() {
            return stdin(Stdio.inherit()).stdout(Stdio.inherit()).stderr(Stdio.inherit());
        }

        public Builder timeout(Duration t) {
            this.timeout = t == null ? null : Sizes.checkDuration("timeout", t.toString(), t);
            return this;
        }

        /** See {@link ProcessSpec#maxOutputBytes()}. */
        public Builder maxOutputBytes(long bytes) {
            if (bytes < 0 || bytes > MAX_OUTPUT_BYTES) {
                throw new SpecException("maxOutputBytes", bytes + " must be between 0 and " + MAX_OUTPUT_BYTES);
            }
            this.maxOutputBytes = (int) bytes;
            return this;
        }

        public ProcessSpec build() {
            if (command.isEmpty() || command.get(0).isEmpty()) {
                throw new SpecException("command", "no command given; expected a program and its arguments");
            }
            for (int i = 0; i < command.size(); i++) {
                String arg = command.get(i);
                if (arg == null || arg.indexOf('\0') >= 0) {
                    throw new SpecException("command", "an argument is null or contains a NUL byte");
                }
                checkExecString("command", "argument " + i, arg);
            }
            if (stdin instanceof Stdio.Stream) {
                throw new SpecException("stdin", "Stdio.to(OutputStream) is for stdout and stderr only");
            }
            if (stdin instanceof Stdio.File f && !Files.isReadable(f.path())) {
                throw new SpecException("stdin", "file '" + f.path() + "' does not exist or is not readable");
            }
            return new ProcessSpec(this);
        }
    }
}
