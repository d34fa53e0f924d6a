package dev.sandboxed.junit.internal.hermetic;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tests and containers identified by their position among their siblings only ({@code #2}): invocations of test and
 * class templates, dynamic tests and containers. The sandboxed JVM makes them again (argument sources and factories
 * run there too), so it checks that the one at that position has the display name it had in the test JVM.
 */
public final class Invocations {
    /** The last segment of a unique id: {@code [type:value]}; a value has {@code ]} encoded. */
    private static final Pattern LAST_SEGMENT = Pattern.compile("\\[([^:\\]]+):[^\\]]*]$");
    /**
     * {@code Object.toString}'s form: a class name (with a lambda's hidden class suffix) and an identity hash, which
     * differs between JVMs.
     */
    private static final Pattern IDENTITY = Pattern.compile(
            "(?<![\\w$.])([A-Za-z_$][\\w$]*(?:\\.[A-Za-z_$][\\w$]*)*?)(\\$\\$Lambda(?:\\$\\d+)?/0x[0-9a-f]+)?@[0-9a-f]{1,8}(?![\\w$])");

    private Invocations() {
    }

    /** Whether the unique id's last segment is identified by position. */
    public static boolean positional(String uniqueId) {
        Matcher m = LAST_SEGMENT.matcher(uniqueId);
        if (!m.find()) {
            return false;
        }
        String type = m.group(1);
        return type.equals("test-template-invocation") || type.equals("class-template-invocation")
                || type.startsWith("dynamic-");
    }

    /**
     * Whether the display name here ({@code actual}) is the one the test JVM gave ({@code expected}), but for the
     * identity hashes of objects without their own {@code toString} ({@code Foo@1b2c3d}), whose class {@code loader}
     * finds: text that only looks like one ({@code user@cafe}) must be equal.
     */
    public static boolean sameName(String expected, String actual, ClassLoader loader) {
        return Objects.equals(expected, actual) || expected != null && actual != null
                && mask(expected, loader).equals(mask(actual, loader));
    }

    /** {@code name} with each identity hash of a loadable class's instance replaced by {@code @?}. */
    static String mask(String name, ClassLoader loader) {
        Matcher m = IDENTITY.matcher(name);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String masked = loadable(m.group(1), loader) ? m.group(1) + (m.group(2) == null ? "" : "$$Lambda") + "@?" : m.group();
            m.appendReplacement(out, Matcher.quoteReplacement(masked));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static boolean loadable(String className, ClassLoader loader) {
        try {
            Class.forName(className, false, loader);
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
