package dev.sandboxed.core.spec;

import java.util.Locale;

/** Resource limits set with setrlimit(2) on each process; numbers from asm-generic/resource.h. */
public enum Rlimit {
    CPU(0), FSIZE(1), DATA(2), STACK(3), CORE(4), NPROC(6), NOFILE(7), MEMLOCK(8), AS(9);

    private final int resource;

    Rlimit(int resource) {
        this.resource = resource;
    }

    public int resource() {
        return resource;
    }

    public static Rlimit parse(String text) {
        String name = text.trim().toUpperCase(Locale.ROOT).replace("RLIMIT_", "");
        try {
            return valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new SpecException("rlimits", "unknown rlimit '" + text + "'; allowed: cpu, fsize, data, stack, core, nproc, nofile, memlock, as");
        }
    }

    /** A soft and hard value; {@code -1} stands for unlimited. */
    public record Value(long soft, long hard) {
        public Value {
            if (soft < -1 || hard < -1 || (hard != -1 && (soft == -1 || soft > hard))) {
                throw new SpecException("rlimits", "soft " + soft + " / hard " + hard + ": expected 0 <= soft <= hard (-1 = unlimited)");
            }
        }
    }
}
