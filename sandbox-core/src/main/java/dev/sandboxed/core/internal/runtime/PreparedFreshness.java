package dev.sandboxed.core.internal.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import dev.sandboxed.core.spec.Device;
import dev.sandboxed.core.spec.Mount;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * What a sandbox set up ahead depended on on the host, taken just before its set-up, so that at its use one can
 * tell whether a sandbox set up then would differ: a bind shows the node its source named when it was made (a
 * directory deleted and made again, or a file replaced by a rename, would show the old one), a host mount made
 * since is missing from it, a host-view root lists the host root's entries of then. Past {@code maxAge} it is not
 * used either, so that nothing the checks miss stays stale for long.
 */
public record PreparedFreshness(long madeAtNanos, long mountGeneration, Optional<FileTime> hostRootModified,
        Map<Path, Optional<Object>> sourceIdentities) {

    public PreparedFreshness {
        Objects.requireNonNull(hostRootModified, "hostRootModified");
        Objects.requireNonNull(sourceIdentities, "sourceIdentities");
    }

    /** The host state {@code spec}'s set-up is about to read. */
    public static PreparedFreshness before(SandboxSpec spec) {
        Map<Path, Optional<Object>> sources = new LinkedHashMap<>();
        for (Path source : sources(spec)) {
            sources.put(source, identity(source));
        }
        return new PreparedFreshness(System.nanoTime(), HostMountTable.generation(),
                spec.rootfs().isHost() ? modified(Path.of("/")) : Optional.empty(), Map.copyOf(sources));
    }

    /** Why a sandbox set up after {@link #before} must not be used now, if it must not. */
    public Optional<String> staleness(Duration maxAge) {
        if (System.nanoTime() - madeAtNanos > maxAge.toNanos()) {
            return Optional.of("set up more than " + maxAge.toSeconds() + " s ago");
        }
        if (HostMountTable.generation() != mountGeneration) {
            return Optional.of("the host's mount table changed");
        }
        if (hostRootModified.isPresent() && !hostRootModified.equals(modified(Path.of("/")))) {
            return Optional.of("the host's root directory changed");
        }
        for (Map.Entry<Path, Optional<Object>> e : sourceIdentities.entrySet()) {
            if (!e.getValue().equals(identity(e.getKey()))) {
                return Optional.of("bind source " + e.getKey() + " was replaced");
            }
        }
        return Optional.empty();
    }

    /** The host paths the set-up binds by name (an image's layers are named by digest: they never change). */
    private static List<Path> sources(SandboxSpec spec) {
        List<Path> paths = new ArrayList<>();
        if (!spec.rootfs().isHost() && !spec.rootfs().isImage()) {
            paths.add(spec.rootfs().directory());
        }
        for (Mount m : spec.mounts()) {
            if (m instanceof Mount.Bind bind) {
                paths.add(bind.source());
            }
        }
        for (Device d : spec.devices()) {
            paths.add(d.hostPath());
        }
        return paths;
    }

    /** The node {@code path} names (following links, as a bind does): device and inode; empty when there is none. */
    private static Optional<Object> identity(Path path) {
        try {
            return Optional.ofNullable(Files.readAttributes(path, BasicFileAttributes.class).fileKey());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Optional<FileTime> modified(Path path) {
        try {
            return Optional.of(Files.getLastModifiedTime(path));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
