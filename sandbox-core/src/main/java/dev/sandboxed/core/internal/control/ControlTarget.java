package dev.sandboxed.core.internal.control;

import java.util.Map;

import dev.sandboxed.core.internal.runtime.RunningSandbox;

/** A sandbox of this JVM as the operations socket reaches it. */
public interface ControlTarget {
    String id();

    /** What {@code ps} and {@code inspect} show: plain values, lists and maps, written as JSON. */
    Map<String, Object> describe();

    /** For {@code exec}: the process goes to the sandbox's init like any other. */
    RunningSandbox running();

    /** Signals every process in the sandbox. */
    void signalAll(int signal);

    /** Whether its owner keeps it for inspection only ({@code rm} without force is for those). */
    boolean isKept();

    /** Closes the sandbox, as its owner's close() would. */
    void remove();
}
