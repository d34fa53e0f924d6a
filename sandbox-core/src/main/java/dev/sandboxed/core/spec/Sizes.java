package dev.sandboxed.core.spec;

import java.time.Duration;
import java.util.Locale;

/** Parsing of human sizes ({@code 64m}, {@code 1g}, {@code 512k}, bytes) and durations ({@code 30s}, {@code 500ms}). */
public final class Sizes {
    private Sizes() {
    }

    public static long parseBytes(String field, String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("ib")) {
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("b")) {
            t = t.substring(0, t.length() - 1);
        }
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'k' -> unit = 1L << 10;
                case 'm' -> unit = 1L << 20;
                case 'g' -> unit = 1L << 30;
                case 't' -> unit = 1L << 40;
                default -> unit = 1;
            }
            if (unit != 1) {
                t = t.substring(0, t.length() - 1);
            }
        }
        try {
            long value = Long.parseLong(t);
            if (value < 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(value, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new SpecException(field, "'" + text + "' is not a size; expected bytes or a number with k, m, g (e.g. 64m)");
        }
    }

    public static Duration parseDuration(String field, String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                return positive(field, text, Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2))));
            }
            if (t.endsWith("s")) {
                return positive(field, text, Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000)));
            }
            if (t.endsWith("m")) {
                return positive(field, text, Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)) * 60));
            }
            if (t.endsWith("h")) {
                return positive(field, text, Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1))));
            }
            return positive(field, text, Duration.ofSeconds(Long.parseLong(t)));
        } catch (NumberFormatException e) {
            throw new SpecException(field, "'" + text + "' is not a duration; expected e.g. 500ms, 30s, 5m");
        }
    }

    private static Duration positive(String field, String text, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new SpecException(field, "'" + text + "' must be a positive duration");
        }
        return d;
    }
}
