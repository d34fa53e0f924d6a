package dev.sandboxed.core.internal.rootfs;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import dev.sandboxed.core.internal.os.RootFileException;
import dev.sandboxed.core.internal.os.RootFiles;
import dev.sandboxed.core.spec.RootFs;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.spec.UserSpec;

/**
 * Looks up a user given by name in the sandbox's root filesystem, as {@code id NAME} inside it would: /etc/passwd
 * and /etc/group of that root, read without following anything out of it ({@link RootFiles}).
 */
public final class RootUsers {
    private RootUsers() {
    }

    /** {@code spec} with its user given by name replaced by the ids; unchanged when it has ids already. */
    public static SandboxSpec resolve(SandboxSpec spec) {
        if (spec.userName().isEmpty()) {
            return spec;
        }
        return spec.toBuilder().user(lookup(spec.userName().get(), spec.rootfs())).build();
    }

    /** {@code NAME[:GROUP]} (either part may be an id) in {@code rootfs}. */
    public static UserSpec lookup(String text, RootFs rootfs) {
        String[] parts = text.split(":", 2);
        int uid;
        int gid;
        if (UserSpec.isNumber(parts[0])) {
            uid = Integer.parseInt(parts[0]);
            gid = uid;
        } else {
            String[] entry = entry(rootfs, "/etc/passwd", parts[0], "user");
            uid = Integer.parseInt(entry[2]);
            gid = Integer.parseInt(entry[3]);
        }
        if (parts.length == 2) {
            gid = UserSpec.isNumber(parts[1]) ? Integer.parseInt(parts[1])
                    : Integer.parseInt(entry(rootfs, "/etc/group", parts[1], "group")[2]);
        }
        return new UserSpec(uid, gid);
    }

    private static String[] entry(RootFs rootfs, String file, String name, String what) {
        String text = new String(read(rootfs, file, name, what), StandardCharsets.UTF_8);
        int idField = what.equals("user") ? 3 : 2; // passwd has uid and gid, group only gid
        for (String line : text.split("\n")) {
            String[] fields = line.split(":", -1);
            if (fields.length > idField && fields[0].equals(name) && UserSpec.isNumber(fields[2])
                    && UserSpec.isNumber(fields[idField])) {
                return fields;
            }
        }
        throw new SpecException("user", "unknown " + what + " '" + name + "' (not in " + file + " in " + describe(rootfs)
                + "); use a numeric id or a name listed there");
    }

    /** The file as the sandbox will see it: in the image's stacked layers, or under the root directory. */
    private static byte[] read(RootFs rootfs, String file, String name, String what) {
        String failure;
        try {
            if (rootfs.isImage()) {
                return rootfs.image().readFile(file).orElseThrow(
                        () -> new SpecException("user", "cannot look up " + what + " '" + name + "': " + file
                                + " is not a regular file in " + describe(rootfs) + "; use a numeric id"));
            }
            return RootFiles.read(rootfs.isHost() ? Path.of("/") : rootfs.directory(), file, RootFiles.DEFAULT_MAX_BYTES);
        } catch (RootFileException | UncheckedIOException e) {
            failure = e.getMessage();
        }
        throw new SpecException("user", "cannot look up " + what + " '" + name + "': " + failure + "; use a numeric id");
    }

    private static String describe(RootFs rootfs) {
        return rootfs.isImage() ? "image " + rootfs.image().source() : "root " + (rootfs.isHost() ? "/" : rootfs.directory());
    }
}
