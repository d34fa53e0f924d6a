package dev.sandboxed.junit;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ResourceUsage;

/**
 * Entry point for AssertJ assertions on sandbox results; import statically next to AssertJ's own.
 *
 * <pre>{@code
 * assertThat(container.exec("mytool", "--check")).succeeded().stdoutContains("OK");
 * assertThat(container.usage()).peakMemory().isLessThan(mebibytes(64));
 * }</pre>
 */
public final class SandboxAssertions {
    private SandboxAssertions() {
    }

    public static ExecResultAssert assertThat(ExecResult actual) {
        return new ExecResultAssert(actual);
    }

    public static UsageAssert assertThat(ResourceUsage actual) {
        return new UsageAssert(actual);
    }

    /** {@code n} KiB in bytes. */
    public static long kibibytes(long n) {
        return Math.multiplyExact(n, 1024L);
    }

    /** {@code n} MiB in bytes. */
    public static long mebibytes(long n) {
        return Math.multiplyExact(n, 1024L * 1024);
    }

    /** {@code n} GiB in bytes. */
    public static long gibibytes(long n) {
        return Math.multiplyExact(n, 1024L * 1024 * 1024);
    }
}
