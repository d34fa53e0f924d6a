package dev.sandboxed.core.internal.doctor;

import java.util.Objects;

import dev.sandboxed.core.internal.host.CheckResult;

/**
 * Marks a check whose FAIL is reported but does not stop {@link HostReport#sandboxesCanRun()}: it explains another
 * check's failure or concerns an optional feature. Unwrapped checks are essential.
 *
 * @param delegate the check to run
 */
public record AdvisoryCheck(HostCheck delegate) implements HostCheck {

    public AdvisoryCheck {
        Objects.requireNonNull(delegate, "delegate");
    }

    public static HostCheck of(HostCheck check) {
        return new AdvisoryCheck(check);
    }

    @Override
    public CheckResult run() {
        return delegate.run();
    }
}
