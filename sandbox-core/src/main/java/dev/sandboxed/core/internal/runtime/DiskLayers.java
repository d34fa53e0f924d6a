package dev.sandboxed.core.internal.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import dev.sandboxed.core.internal.image.ImageCache;
import dev.sandboxed.core.internal.image.OwnerApplier;
import dev.sandboxed.core.internal.image.OwnerPolicy;
import dev.sandboxed.core.internal.os.OwnTree;
import dev.sandboxed.core.internal.os.PrivateDirectory;

/**
 * Image sandboxes' writable layers on disk: {@code writable/ID} beside the image cache (the same file system as the
 * layers), made when the sandbox starts and removed when it closes, or by the next runtime when its JVM died. What the
 * sandbox wrote there may belong to its subordinate ids: then only {@code sandbox-init --remove-tree} can remove it.
 */
public final class DiskLayers {
    private static final System.Logger LOG = System.getLogger(DiskLayers.class.getName());

    private DiskLayers() {
    }

    private static Path directory(String sandboxId) {
        return ImageCache.defaultDirectory().resolve("writable").resolve(sandboxId);
    }

    /** A new, empty layer directory for the sandbox (0700, as is its parent). */
    static Path create(String sandboxId) {
        Path dir = directory(sandboxId);
        try {
            PrivateDirectory.ensure(dir.getParent());
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("create the writable layer " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Removes the sandbox's layer directory if it has one; logs what could not be removed. */
    public static void removeIfPresent(String sandboxId) {
        Path dir = directory(sandboxId);
        if (!Files.exists(dir)) {
            return;
        }
        try {
            try {
                OwnTree.delete(dir);
            } catch (FileSystemException notOurs) {
                if (notOurs instanceof NoSuchFileException) {
                    throw notOurs;
                }
                OwnerApplier applier = new OwnerApplier(OwnerPolicy.current(), InitBinary::locate);
                if (!applier.active()) {
                    throw notOurs;
                }
                applier.removeTree(dir);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "could not remove the writable layer " + dir + ": " + e);
        }
    }
}
