package dev.sandboxed.core.internal.cgroup;

import java.nio.file.Path;

/**
 * A cgroup operation on the host failed. The message names the step, the path and the kernel's reason
 * (the errno text, for example {@code Device or resource busy}), so a user can reproduce it by hand.
 */
public class CgroupException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CgroupException(String message) {
        super(message);
    }

    public CgroupException(String message, Throwable cause) {
        super(message, cause);
    }

    /** {@code <step> <path>: <reason>}, for example {@code write memory.max /sys/fs/cgroup/x/memory.max: Invalid argument}. */
    static CgroupException of(String step, Path path, Throwable cause) {
        return new CgroupException(step + " " + path + ": " + CgroupFs.reason(cause), cause);
    }
}
