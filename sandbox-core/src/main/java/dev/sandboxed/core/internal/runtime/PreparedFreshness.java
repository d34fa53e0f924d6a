package dev.sandboxed.core.internal.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import dev.sandboxed.core.internal.os.NodeIdentity;
import dev.sandboxed.core.internal.rootfs.RootUsers;
import dev.sandboxed.core.internal.seccomp.SeccompProfiles;
import dev.sandboxed.core.spec.Device;
import dev.sandboxed.core.spec.Mount;
import dev.sandboxed.core.spec.SandboxSpec;

/**
 * What a sandbox set up ahead depended on on the host, taken just before its set-up, so that at its use one can
 * tell whether a sandbox set up then would differ: a bind shows the node its source named when it was made (a
 * directory deleted and made again, or a file replaced by a rename, would show the old one), a host mount made
 * since is missing from it, a host-view root lists the host root's entries of then, a seccomp profile file, a
 * user name and (to hide it) the JVM's home directory are read then. {@link Prestarted} bounds the age besides,
 * so that nothing these checks miss stays stale for long.
 */
public record PreparedFreshness(long mountGeneration, Optional<FileTime> hostRootModified,
        Map<Path, Optional<Object>> sourceIdentities, Optional<FileStamp> seccompProfileFile,
        Optional<String> resolvedUser, Optional<String> hiddenHome) implements Prestarted.Snapshot {

    /** A file read during the set-up, as far as a rewrite or a replacement changes it. */
    record FileStamp(Optional<Object> identity, FileTime modified, long size) {
    }

    public PreparedFreshness {
        Objects.requireNonNull(hostRootModified, "hostRootModified");
        Objects.requireNonNull(sourceIdentities, "sourceIdentities");
        Objects.requireNonNull(seccompProfileFile, "seccompProfileFile");
        Objects.requireNonNull(resolvedUser, "resolvedUser");
        Objects.requireNonNull(hiddenHome, "hiddenHome");
    }

    /** The host state {@code spec}'s set-up is about to read. */
    public static PreparedFreshness before(SandboxSpec spec) {
        Map<Path, Optional<Object>> sources = new LinkedHashMap<>();
        for (Path source : sources(spec)) {
            sources.put(source, identity(source));
        }
        return new PreparedFreshness(HostMountTable.generation(),
                spec.rootfs().isHost() ? modified(Path.of("/")) : Optional.empty(), Map.copyOf(sources),
                profileFile(spec).flatMap(PreparedFreshness::stamp), resolvedUser(spec), hiddenHome(spec));
    }

    /** Why a sandbox set up after {@link #before} must not be used now, if it must not. */
    @Override
    public Optional<String> staleness(SandboxSpec spec) {
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
        if (seccompProfileFile.isPresent() && !seccompProfileFile.equals(profileFile(spec).flatMap(PreparedFreshness::stamp))) {
            return Optional.of("the seccomp profile file changed");
        }
        if (resolvedUser.isPresent() && !resolvedUser.equals(resolvedUser(spec))) {
            return Optional.of("user " + spec.userName().orElse("") + " resolves differently now");
        }
        if (!hiddenHome.equals(hiddenHome(spec))) {
            return Optional.of("the home directory to hide changed");
        }
        return Optional.empty();
    }

    /** The JVM's home directory, which the set-up masks with {@code hideHome} (see {@link SandboxStarter}). */
    private static Optional<String> hiddenHome(SandboxSpec spec) {
        return spec.hideHome() ? Optional.ofNullable(System.getProperty("user.home")) : Optional.empty();
    }

    /** A profile given as a file: the filter is built from it at set-up. */
    private static Optional<Path> profileFile(SandboxSpec spec) {
        return SeccompProfiles.isBuiltIn(spec.seccompProfile()) ? Optional.empty()
                : Optional.of(Path.of(spec.seccompProfile()));
    }

    /**
     * What a user given by name resolves to in the root's /etc/passwd and /etc/group (read without following links
     * out of the root), or why it does not; empty without a name.
     */
    private static Optional<String> resolvedUser(SandboxSpec spec) {
        if (spec.userName().isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(RootUsers.lookup(spec.userName().get(), spec.rootfs()).toString());
        } catch (RuntimeException unknown) {
            return Optional.of("unresolved: " + unknown.getMessage());
        }
    }

    private static Optional<FileStamp> stamp(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return Optional.of(new FileStamp(identity(file), a.lastModifiedTime(), a.size()));
        } catch (IOException e) {
            return Optional.empty();
        }
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

    /** The node {@code path} names (following links, as a bind does); empty when there is none. */
    private static Optional<Object> identity(Path path) {
        return NodeIdentity.of(path);
    }

    private static Optional<FileTime> modified(Path path) {
        try {
            return Optional.of(Files.getLastModifiedTime(path));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
