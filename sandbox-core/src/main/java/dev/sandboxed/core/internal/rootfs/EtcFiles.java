package dev.sandboxed.core.internal.rootfs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

import dev.sandboxed.core.internal.egress.EgressTool;
import dev.sandboxed.core.internal.host.OwnIds;
import dev.sandboxed.core.internal.image.VerifyingInputStream;

/**
 * The /etc/hostname and /etc/hosts of an image sandbox: files named by their content in the image cache's
 * {@code etc/} directory (the user's own), written once and bound read-only into every sandbox with that hostname.
 */
record EtcFiles(Path hostname, Path hosts) {
    /** The name of the host's loopback inside a sandbox that exposes host ports (where its init listens). */
    static final String HOST_INTERNAL = "127.0.0.2\thost.sandboxed.internal\n";

    static EtcFiles forHostname(Path cacheRoot, String name, boolean hostInternal) {
        String hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" + name + "\n"
                + (hostInternal ? HOST_INTERNAL : "");
        try {
            Path dir = directory(cacheRoot.resolve("etc"));
            return new EtcFiles(write(dir, name + "\n"), write(dir, hosts));
        } catch (IOException e) {
            throw new UncheckedIOException("write /etc/hostname and /etc/hosts for an image sandbox: " + e.getMessage(), e);
        }
    }

    /** The host's /etc/hosts plus {@link #HOST_INTERNAL}, for a host-root sandbox that exposes host ports. */
    static Path hostHostsWithHostInternal(Path cacheRoot) {
        try {
            String hosts = Files.isRegularFile(Path.of("/etc/hosts")) ? Files.readString(Path.of("/etc/hosts")) : "";
            if (!hosts.isEmpty() && !hosts.endsWith("\n")) {
                hosts += "\n";
            }
            Files.createDirectories(cacheRoot);
            return write(directory(cacheRoot.resolve("etc")), hosts + HOST_INTERNAL);
        } catch (IOException e) {
            throw new UncheckedIOException("write the /etc/hosts of a sandbox that exposes host ports: " + e.getMessage(), e);
        }
    }

    /** The /etc/resolv.conf of an egress sandbox: the tool's DNS forwarder only. */
    static Path egressResolvConf(Path cacheRoot) {
        try {
            Files.createDirectories(cacheRoot);
            return write(directory(cacheRoot.resolve("etc")), "# sandboxed network egress: the DNS forwarder of pasta or"
                    + " slirp4netns\nnameserver " + EgressTool.DNS + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("write the /etc/resolv.conf of an egress sandbox: " + e.getMessage(), e);
        }
    }

    private static Path directory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                // made by another JVM meanwhile
            }
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                || (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS) != OwnIds.uid()) {
            throw new IOException(dir + " is not a directory of this user's");
        }
        return dir;
    }

    private static Path write(Path dir, String content) throws IOException {
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve(VerifyingInputStream.sha256(data).substring("sha256:".length()));
        if (!Files.exists(file)) {
            Path tmp = Files.createTempFile(dir, "new-", ".tmp");
            Files.write(tmp, data);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }
}
