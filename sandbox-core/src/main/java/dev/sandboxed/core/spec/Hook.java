package dev.sandboxed.core.spec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A command run at one of the OCI runtime spec's lifecycle stages, with the sandbox's state as OCI state JSON on its
 * stdin ({@code ociVersion}, {@code id}, {@code status}, {@code pid}, {@code bundle}, {@code annotations}). It runs
 * with the caller's privileges: the runtime stages as a child of the JVM, the container stages as a child of the
 * sandbox's init (root inside its user namespace, which is the caller outside). A hook still running at its timeout
 * is killed (a runtime hook with its descendants, a sandbox hook with its process group) and counts as failed. A failed prestart, createRuntime, createContainer or
 * startContainer hook fails the start; a failed poststart or poststop hook is logged and reported, not fatal.
 *
 * @param stage when and where it runs
 * @param path the absolute path of the program (resolved on the host, except for {@link Stage#START_CONTAINER})
 * @param args its argv, program name first (as in execv; empty: the path alone)
 * @param env its whole environment as {@code NAME=VALUE} entries (nothing is inherited)
 * @param timeout how long it may run, positive
 */
public record Hook(Stage stage, String path, List<String> args, List<String> env, Duration timeout) {
    /** Without a timeout of its own a hook may run this long. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** The allowed stage names, as the OCI config's {@code hooks} object spells them. */
    public static final String STAGES = "prestart, createRuntime, createContainer, startContainer, poststart, poststop";

    /** The OCI lifecycle stages (config.md "POSIX-platform Hooks"), in the order they run. */
    public enum Stage {
        /** After the namespaces exist, before pivot_root; in the runtime's namespaces (deprecated by OCI, kept). */
        PRESTART("prestart"),
        /** After the namespaces exist, before pivot_root; in the runtime's namespaces. */
        CREATE_RUNTIME("createRuntime"),
        /** After createRuntime, before pivot_root; path resolved on the host, run in the sandbox's namespaces. */
        CREATE_CONTAINER("createContainer"),
        /** After pivot_root, before the sandbox's first process; path resolved and run inside the sandbox. */
        START_CONTAINER("startContainer"),
        /** Once the sandbox is started (its main process launched), in the runtime's namespaces; not fatal. */
        POSTSTART("poststart"),
        /** After the sandbox was taken down, in the runtime's namespaces; not fatal. */
        POSTSTOP("poststop");

        private final String ociName;

        Stage(String ociName) {
            this.ociName = ociName;
        }

        /** The name in an OCI config's {@code hooks} object, e.g. {@code createRuntime}. */
        public String ociName() {
            return ociName;
        }

        /** Whether a failure here fails the start (prestart to startContainer). */
        public boolean fatal() {
            return this != POSTSTART && this != POSTSTOP;
        }

        /** Runs as a child of the sandbox's init, in its namespaces (createContainer, startContainer). */
        public boolean inContainer() {
            return this == CREATE_CONTAINER || this == START_CONTAINER;
        }

        /** By its OCI name ({@code createRuntime}); one clear line naming the allowed ones otherwise. */
        public static Stage parse(String field, String name) {
            for (Stage s : values()) {
                if (s.ociName.equals(name)) {
                    return s;
                }
            }
            throw new SpecException(field, "unknown stage '" + name + "'; allowed: " + STAGES);
        }
    }

    public Hook {
        Objects.requireNonNull(stage, "hooks.stage");
        if (path == null || !path.startsWith("/") || path.indexOf('\0') >= 0) {
            throw new SpecException("hooks.path", "'" + path + "' is not an absolute path; a hook's path must be"
                    + " absolute, such as /usr/local/bin/my-hook");
        }
        args = List.copyOf(args == null || args.isEmpty() ? List.of(path) : args);
        env = List.copyOf(env == null ? List.of() : env);
        if (args.size() > 128 || env.size() > 128) {
            throw new SpecException(args.size() > 128 ? "hooks.args" : "hooks.env", "more than 128 entries; a hook"
                    + " takes at most 128 arguments and 128 variables");
        }
        for (String a : args) {
            if (a.indexOf('\0') >= 0) {
                throw new SpecException("hooks.args", "an argument contains a NUL byte");
            }
            ProcessSpec.checkExecString("hooks.args", "an argument", a);
        }
        for (String e : env) {
            int eq = e.indexOf('=');
            if (eq <= 0) {
                throw new SpecException("hooks.env", "'" + e + "' is not NAME=VALUE");
            }
            SandboxSpec.checkEnv(e.substring(0, eq), e.substring(eq + 1));
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new SpecException("hooks.timeout", timeout + " is not positive; expected a timeout of at least 1 ms"
                    + " (OCI: seconds greater than zero)");
        }
    }

    /** A hook with argv {@code path args...}, no environment and {@link #DEFAULT_TIMEOUT}. */
    public static Hook of(Stage stage, String path, String... args) {
        List<String> argv = new ArrayList<>();
        argv.add(path);
        argv.addAll(Arrays.asList(args));
        return new Hook(stage, path, argv, List.of(), DEFAULT_TIMEOUT);
    }

    /** The CLI form {@code STAGE:PATH}, e.g. {@code poststop:/usr/local/bin/cleanup}. */
    public static Hook parse(String text) {
        int colon = text == null ? -1 : text.indexOf(':');
        if (colon < 0) {
            throw new SpecException("hook", "'" + text + "' is not STAGE:PATH; stages: " + STAGES);
        }
        return of(Stage.parse("hook", text.substring(0, colon)), text.substring(colon + 1));
    }

    public Hook withTimeout(Duration value) {
        return new Hook(stage, path, args, env, value);
    }

    public Hook withEnv(String... entries) {
        return new Hook(stage, path, args, Arrays.asList(entries), timeout);
    }

    @Override
    public String toString() {
        return stage.ociName() + ":" + path;
    }
}
