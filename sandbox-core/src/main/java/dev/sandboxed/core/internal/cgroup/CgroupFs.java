package dev.sandboxed.core.internal.cgroup;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything this package does to the host: cgroupfs file access and SIGKILL. Production code uses
 * {@link SystemCgroupFs}; tests substitute a fake kernel that reproduces cgroupfs semantics (interface files
 * appear on mkdir, rmdir fails with EBUSY while populated, ...) in a temporary directory.
 */
interface CgroupFs {

    /** Reads a whole interface file. */
    String read(Path file) throws IOException;

    /** Writes {@code value} to an existing interface file in a single write(2), as cgroupfs requires. */
    void write(Path file, String value) throws IOException;

    /** mkdir(2); fails when the directory exists. */
    void mkdir(Path dir) throws IOException;

    /** rmdir(2) of a cgroup directory (the interface files inside do not count as content). */
    void rmdir(Path dir) throws IOException;

    boolean exists(Path path);

    boolean isDirectory(Path path);

    /** Whether this process may write the file or create entries in the directory. */
    boolean canWrite(Path path);

    /** Child cgroups (subdirectories) of a cgroup directory. */
    List<Path> childDirectories(Path dir) throws IOException;

    /** Owner uid of a file, or -1 when unknown. */
    int ownerUid(Path path);

    /** Effective uid of this process. */
    int uid();

    /** Sends SIGKILL to {@code pid}; a pid that is already gone is not an error. */
    void kill(long pid);

    /** The kernel's reason from an I/O exception: strerror text when there is one. */
    static String reason(Throwable t) {
        if (t instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }
}
