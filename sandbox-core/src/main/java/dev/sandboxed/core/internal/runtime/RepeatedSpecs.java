package dev.sandboxed.core.internal.runtime;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.sandboxed.core.spec.SandboxSpec;

/**
 * The specs started lately, so that only a spec started again gets its next sandbox set up ahead: a program that
 * starts a spec once, or a suite whose every test builds its own spec, must not pay for a sandbox nobody takes.
 */
public final class RepeatedSpecs {
    /** Bounds the memory; a spec forgotten counts as new once more. */
    static final int MAX_SPECS = 64;

    private final Map<SandboxSpec, Boolean> lastStarted = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<SandboxSpec, Boolean> eldest) {
            return size() > MAX_SPECS;
        }
    };

    /** Records a start of {@code spec}; whether one was recorded before. */
    public synchronized boolean startedBefore(SandboxSpec spec) {
        return lastStarted.put(spec, Boolean.TRUE) != null;
    }
}
