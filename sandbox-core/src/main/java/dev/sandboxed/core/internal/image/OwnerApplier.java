package dev.sandboxed.core.internal.image;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Rootless owners of a layer's files: runs {@code sandbox-init --apply-owners} (the records on its stdin) and
 * {@code sandbox-init --remove-tree}, which work from a child in a user namespace mapped as {@link OwnerPolicy} says,
 * never following a link or leaving the directory. One run costs a fork, two newuidmap/newgidmap runs and the
 * chowns; the caller's JVM only writes the records.
 */
public final class OwnerApplier {
    private final OwnerPolicy policy;
    private final Supplier<Path> initBinary;

    /** {@code initBinary}: the verified sandbox-init (the runtime's InitBinary::locate). */
    public OwnerApplier(OwnerPolicy policy, Supplier<Path> initBinary) {
        this.policy = policy;
        this.initBinary = initBinary;
    }

    public OwnerPolicy policy() {
        return policy;
    }

    /** Whether this applier can give owners (rootless with a range). */
    public boolean active() {
        return policy.mode() == OwnerPolicy.Mode.RANGE;
    }

    /** One owner to give: uid, gid and the mode to set again after chown, for a path relative to the layer. */
    public record Owner(int uid, int gid, int mode) {}

    /**
     * Gives each path beneath {@code layer} its owner; paths are relative, '/'-separated, as the extractor made them,
     * and go to sandbox-init in the bytes the JVM named the files with (not always UTF-8: see {@link FileNames}).
     */
    public void apply(Path layer, Map<String, Owner> owners) throws IOException {
        run("--apply-owners", layer, out -> {
            for (Map.Entry<String, Owner> e : owners.entrySet()) {
                Owner o = e.getValue();
                out.write((Integer.toUnsignedString(o.uid()) + " " + Integer.toUnsignedString(o.gid()) + " "
                        + Integer.toOctalString(o.mode() & 07777) + " ").getBytes(StandardCharsets.US_ASCII));
                out.write(FileNames.bytes(e.getKey()));
                out.write(0);
            }
        });
    }

    /** Removes {@code tree} (absolute) and everything beneath it, whichever of the range's ids own its files. */
    public void removeTree(Path tree) throws IOException {
        run("--remove-tree", tree.toAbsolutePath().normalize(), out -> {
        });
    }

    private interface Feed {
        void write(OutputStream out) throws IOException;
    }

    private void run(String mode, Path dir, Feed feed) throws IOException {
        if (!active()) {
            throw new IllegalStateException("no subordinate range: " + policy.reason());
        }
        List<String> command = new ArrayList<>(List.of(initBinary.get().toString(), mode, dir.toString()));
        command.addAll(policy.uidMapCommand());
        command.add("--");
        command.addAll(policy.gidMapCommand());
        Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String error;
        try {
            try (OutputStream out = new BufferedOutputStream(p.getOutputStream(), 1 << 16)) {
                feed.write(out);
            } catch (IOException e) {
                // it exited early; its message says why
            }
            try (InputStream err = p.getErrorStream()) {
                error = new String(err.readNBytes(4096), StandardCharsets.UTF_8).strip();
            }
            int status = p.waitFor();
            if (status != 0) {
                throw new IOException("sandbox-init " + mode + " " + dir + " exited with " + status
                        + (error.isEmpty() ? "" : ": " + error));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while giving layer files their owners", e);
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }
}
