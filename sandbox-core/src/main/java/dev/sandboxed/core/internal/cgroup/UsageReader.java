package dev.sandboxed.core.internal.cgroup;

import dev.sandboxed.core.result.ResourceUsage;

/** Reads a {@link ResourceUsage} snapshot from a sandbox's cgroup files (v1 and v2 differ). */
interface UsageReader {
    ResourceUsage read();
}
