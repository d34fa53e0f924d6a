package dev.sandboxed.core.internal.cgroup;

import java.nio.file.Path;
import java.util.List;

import dev.sandboxed.core.result.ResourceUsage;

/** A sandbox that runs without its own cgroup: nothing to write the pid into, nothing to measure or remove. */
final class NoopSandboxCgroup implements SandboxCgroup {
    static final NoopSandboxCgroup INSTANCE = new NoopSandboxCgroup();

    private NoopSandboxCgroup() {
    }

    @Override
    public List<Path> procsFiles() {
        return List.of();
    }

    @Override
    public List<Path> directories() {
        return List.of();
    }

    @Override
    public ResourceUsage usage() {
        return ResourceUsage.NOT_AVAILABLE;
    }

    @Override
    public void killAll() {
        // The runtime kills the init's process tree itself; there is no cgroup to sweep.
    }

    @Override
    public void close() {
    }
}
