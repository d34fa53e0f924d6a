package dev.sandboxed.junit.internal.hermetic;

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
}
