package dev.sandboxed.core.internal.os;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

import dev.sandboxed.core.internal.host.OwnIds;

/** A directory only this user can enter: created 0700, and refused if someone else owns it or it is a symlink. */
public final class PrivateDirectory {
    private PrivateDirectory() {
    }

    public static Path ensure(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir.getParent());
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException raced) {
                // another JVM created it; checked below
            }
        }
        PosixFileAttributes attrs = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attrs.isDirectory()) {
            throw new IOException(dir + " is not a directory (or is a symlink)");
        }
        Object owner = Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (owner instanceof Integer uid && uid != OwnIds.uid()) {
            throw new IOException(dir + " belongs to uid " + uid + ", not to this user");
        }
        Set<PosixFilePermission> perms = attrs.permissions();
        if (!perms.equals(PosixFilePermissions.fromString("rwx------"))) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
        return dir;
    }
}
