package dev.sandboxed.core.internal.runtime;

import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.internal.os.PollSet;

/**
 * Counts changes of this JVM's mount table: the kernel flags {@code /proc/self/mountinfo} (poll's POLLPRI) when a
 * mount is made or removed in the mount namespace, without it being read again. One descriptor, held for the JVM's
 * life from the first question on.
 */
final class HostMountTable {
    private static PollSet changes;
    private static long generation;

    private HostMountTable() {
    }

    /** A number that grows with each change seen since the first call; equal numbers mean no mount changed. */
    static synchronized long generation() {
        if (changes == null) {
            PollSet watching = PollSet.forPriorityEvents(1); // made once: a poll per question, no allocation
            watching.watch(0, Native.open("/proc/self/mountinfo", Native.O_RDONLY, 0, "watch the host's mount table"));
            changes = watching; // only once it watches: after a failed open the next question tries again
        } else if (changes.await(0)) {
            generation++;
        }
        return generation;
    }
}
