package dev.sandboxed.core.spec;

import java.time.Duration;
import java.util.Locale;

/** Parsing of human sizes ({@code 64m}, {@code 1g}, {@code 512k}, bytes) and durations ({@code 30s}, {@code 500ms}). */
public final class Sizes {
    /**
     * The longest duration (timeout) accepted: a year. Far beyond any test, and far from the ~292 years at which
     * a duration in nanoseconds, as the waits use it, overflows a long.
     */
    public static final Duration MAX_DURATION = Duration.ofDays(365);

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

    /**
     * {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h} or plain seconds; at most {@link #MAX_DURATION}, so a
     * typo such as {@code 9999999h} is refused here instead of overflowing where the time is waited for.
     */
    public static Duration parseDuration(String field, String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        String quoted = "'" + text + "'";
        try {
            if (t.endsWith("ms")) {
                return checkDuration(field, quoted, Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2))));
            }
            if (t.endsWith("s")) {
                double seconds = Double.parseDouble(t.substring(0, t.length() - 1));
                return checkDuration(field, quoted, Duration.ofMillis(Math.round(seconds * 1000)));
            }
            if (t.endsWith("m")) {
                return checkDuration(field, quoted, Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1))));
            }
            if (t.endsWith("h")) {
                return checkDuration(field, quoted, Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1))));
            }
            return checkDuration(field, quoted, Duration.ofSeconds(Long.parseLong(t)));
        } catch (NumberFormatException e) {
            throw new SpecException(field, "'" + text + "' is not a duration; expected e.g. 500ms, 30s, 5m, 2h");
        } catch (ArithmeticException e) {
            throw tooLong(field, quoted);
        }
    }

    /** Positive and at most {@link #MAX_DURATION}. */
    public static Duration checkDuration(String field, String text, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new SpecException(field, text + " must be a positive duration");
        }
        if (d.compareTo(MAX_DURATION) > 0) {
            throw tooLong(field, text);
        }
        return d;
    }

    private static SpecException tooLong(String field, String text) {
        return new SpecException(field, text + " is longer than the maximum of " + MAX_DURATION.toHours() + "h (365 days)");
    }

}
