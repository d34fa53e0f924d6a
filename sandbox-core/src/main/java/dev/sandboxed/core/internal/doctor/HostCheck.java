package dev.sandboxed.core.internal.doctor;

import dev.sandboxed.core.internal.host.CheckResult;

/** A single host capability check run by {@code sandboxed doctor} and by tests deciding whether to skip. */
@FunctionalInterface
public interface HostCheck {
    CheckResult run();
}
