package dev.sandboxed.core.internal.rootfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;

import dev.sandboxed.core.internal.host.CommandRunner;
import dev.sandboxed.core.internal.os.PrivateDirectory;
import dev.sandboxed.core.spec.ImageRootMode;

/**
 * Actually assembles an image root the way a choice does (an auto one, or a forced mode), for doctor: {@code sandbox-init --probe-root} stacks a
 * one-file layer made beside the image cache (so on the cache's file system) in a throwaway user, mount and pid
 * namespace, overlayfs first and what it falls back to after a refusal, on a tmpfs or on a directory where disk
 * writable layers go. A kernel version says nothing of a security module, a distribution's rule or a file system
 * overlayfs will not take; this finds them.
 */
public final class ImageRootProbe {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** What a probe found. */
    public enum Verdict {
        /** A root was assembled, in {@link Outcome#mode()}, after the refusals in {@link Outcome#detail()} if any. */
        ASSEMBLED,
        /** Every mode failed; the detail is the last failure. */
        FAILED,
        /** The probe could not run (no user namespace, no sandbox-init); the detail says why. */
        NOT_PROBED
    }

    /**
     * @param mode   the mode that assembled the root, or that failed last
     * @param detail the refusals before it (empty: none), the failure, or why nothing was probed
     */
    public record Outcome(Verdict verdict, ImageRootMode mode, String detail) {
    }

    /** Probes one kind of writable layer; an interface so doctor's tests can answer without namespaces. */
    @FunctionalInterface
    public interface Prober {
        Outcome probe(ImageRootChoice choice, boolean diskLayer);
    }

    private final CommandRunner commands;
    private final Supplier<Path> initBinary;
    private final Path cache;

    /** {@code cache}: the image cache directory, whose file system the layers and disk writable layers are on. */
    public ImageRootProbe(CommandRunner commands, Supplier<Path> initBinary, Path cache) {
        this.commands = commands;
        this.initBinary = initBinary;
        this.cache = cache;
    }

    /** An auto choice's probe: overlayfs, falling back to fuse-overlayfs with {@code helper} when given, else a copy. */
    public Outcome probe(Optional<Path> helper, boolean diskLayer) {
        return probe(new ImageRootChoice(ImageRootMode.OVERLAY, helper, "auto", true), diskLayer);
    }

    /** {@code choice}'s probe: falling back as an auto choice does, or only its mode when forced. */
    public Outcome probe(ImageRootChoice choice, boolean diskLayer) {
        Optional<Path> helper = choice.helper();
        List<Path> made = new ArrayList<>();
        try {
            Path top = made(made, Files.createTempDirectory(PrivateDirectory.ensure(cache), "probe-"));
            Path layer = Files.createDirectory(top.resolve("layer"));
            Files.writeString(layer.resolve("probe"), "probe\n");
            String disk = "";
            if (diskLayer) {
                Path writable = PrivateDirectory.ensure(cache.resolve("writable"));
                disk = made(made, Files.createTempDirectory(writable, "probe-",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")))).toString();
            }
            List<String> command = new ArrayList<>(List.of(initBinary.get().toString(), "--probe-root",
                    layer.toString(), helper.map(Path::toString).orElse(""), disk));
            if (!choice.fallback()) {
                command.add(choice.mode().toString());
            }
            CommandRunner.Result result = commands.run(command, TIMEOUT);
            if (!result.succeeded()) {
                return new Outcome(Verdict.NOT_PROBED, choice.mode(), "sandbox-init --probe-root "
                        + (result.timedOut() ? "did not finish in " + TIMEOUT.toSeconds() + " s"
                                : "failed (exit " + result.exitCode() + "): " + result.output().strip()));
            }
            return parse(result.output());
        } catch (IOException | RuntimeException e) {
            return new Outcome(Verdict.NOT_PROBED, ImageRootMode.OVERLAY, "could not try: " + e.getMessage());
        } finally {
            made.forEach(ImageRootProbe::remove);
        }
    }

    /** The probe's line: "MODE", "MODE\tREFUSALS" or "failed\tMODE\tERROR" (an unexpected one: not probed). */
    public static Outcome parse(String output) {
        String[] lines = output.strip().split("\n");
        String[] parts = lines[lines.length - 1].split("\t", 3);
        try {
            if (parts[0].equals("failed") && parts.length == 3) {
                return new Outcome(Verdict.FAILED, ImageRootMode.parse(parts[1]), parts[2]);
            }
            return new Outcome(Verdict.ASSEMBLED, ImageRootMode.parse(parts[0]), parts.length > 1 ? parts[1] : "");
        } catch (RuntimeException e) {
            return new Outcome(Verdict.NOT_PROBED, ImageRootMode.OVERLAY, "unexpected answer from sandbox-init"
                    + " --probe-root: " + output.strip());
        }
    }

    private static Path made(List<Path> made, Path dir) {
        made.add(dir);
        return dir;
    }

    /** Our own directories (overlayfs leaves its work directory at mode 000): each made searchable, then emptied. */
    private static void remove(Path top) {
        try {
            removeTree(top, 0);
        } catch (IOException e) {
            System.getLogger(ImageRootProbe.class.getName()).log(System.Logger.Level.WARNING,
                    "could not remove doctor's probe directory " + top + ": " + e);
        }
    }

    private static void removeTree(Path path, int depth) throws IOException {
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS) && depth < 16) {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx------"));
            try (Stream<Path> entries = Files.list(path)) {
                for (Path entry : entries.toList()) {
                    removeTree(entry, depth + 1);
                }
            }
        }
        Files.deleteIfExists(path);
    }
}
