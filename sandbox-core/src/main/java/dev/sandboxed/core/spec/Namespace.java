package dev.sandboxed.core.spec;

/** Linux namespaces a sandbox gets its own instance of. All are on by default. */
public enum Namespace {
    USER, MOUNT, PID, NET, IPC, UTS, CGROUP
}
