package dev.sandboxed.core.internal.image;

import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * An image's StopSignal as Docker reads it: a name with or without {@code SIG} ({@code SIGUSR1}, {@code usr1}),
 * {@code SIGRTMIN+N}, or a number. The numbers are Linux's on x86_64 and aarch64, which agree for all of these.
 */
public final class StopSignals {
    private static final Map<String, Integer> NUMBERS = Map.ofEntries(Map.entry("HUP", 1), Map.entry("INT", 2),
            Map.entry("QUIT", 3), Map.entry("ILL", 4), Map.entry("TRAP", 5), Map.entry("ABRT", 6), Map.entry("IOT", 6),
            Map.entry("BUS", 7), Map.entry("FPE", 8), Map.entry("KILL", 9), Map.entry("USR1", 10), Map.entry("SEGV", 11),
            Map.entry("USR2", 12), Map.entry("PIPE", 13), Map.entry("ALRM", 14), Map.entry("TERM", 15),
            Map.entry("STKFLT", 16), Map.entry("CHLD", 17), Map.entry("CONT", 18), Map.entry("STOP", 19),
            Map.entry("TSTP", 20), Map.entry("TTIN", 21), Map.entry("TTOU", 22), Map.entry("URG", 23),
            Map.entry("XCPU", 24), Map.entry("XFSZ", 25), Map.entry("VTALRM", 26), Map.entry("PROF", 27),
            Map.entry("WINCH", 28), Map.entry("IO", 29), Map.entry("POLL", 29), Map.entry("PWR", 30), Map.entry("SYS", 31));
    private static final int SIGRTMIN = 34;
    private static final int SIGRTMAX = 64;

    private StopSignals() {
    }

    /** The signal's number, or empty for an empty or unknown name. */
    public static OptionalInt parse(String text) {
        String t = text.strip().toUpperCase(Locale.ROOT);
        if (t.isEmpty()) {
            return OptionalInt.empty();
        }
        if (t.chars().allMatch(Character::isDigit) && t.length() <= 2) {
            int n = Integer.parseInt(t);
            return n >= 1 && n <= SIGRTMAX ? OptionalInt.of(n) : OptionalInt.empty();
        }
        String name = t.startsWith("SIG") ? t.substring(3) : t;
        if (name.startsWith("RTMIN+") || name.startsWith("RTMAX-")) {
            String offset = name.substring(6);
            if (offset.isEmpty() || offset.length() > 2 || !offset.chars().allMatch(Character::isDigit)) {
                return OptionalInt.empty();
            }
            int n = name.startsWith("RTMIN+") ? SIGRTMIN + Integer.parseInt(offset) : SIGRTMAX - Integer.parseInt(offset);
            return n >= SIGRTMIN && n <= SIGRTMAX ? OptionalInt.of(n) : OptionalInt.empty();
        }
        Integer n = NUMBERS.get(name);
        return n == null ? OptionalInt.empty() : OptionalInt.of(n);
    }
}
