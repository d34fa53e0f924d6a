package dev.sandboxed.core.internal.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

import dev.sandboxed.core.internal.host.OwnIds;
import dev.sandboxed.core.internal.os.PrivateDirectory;
import dev.sandboxed.core.result.SandboxException;

/**
 * Locates sandbox-init on the classpath, checks it against the SHA-256 recorded at build time, and
 * keeps a verified copy in a per-user cache (written atomically, mode 0500, re-verified on every
 * use). The init then re-executes itself from a sealed memfd, so even this file is never what runs.
 */
public final class InitBinary {
    private static final String RESOURCE_DIR = "dev/sandboxed/nativeinit/";

    private InitBinary() {
    }

    public static String platform() {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String normalized = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch;
        };
        return "linux-" + normalized;
    }

    /** The verified executable, extracting it on first use. */
    public static Path locate() {
        String base = RESOURCE_DIR + platform() + "/sandbox-init";
        byte[] binary = readResource(base);
        String expected = new String(readResource(base + ".sha256"), StandardCharsets.US_ASCII).trim();
        String actual = sha256(binary);
        if (!actual.equals(expected)) {
            throw new SandboxException("verify sandbox-init from the classpath: SHA-256 " + actual
                    + " does not match the recorded " + expected, 0);
        }
        Path dir = cacheDirectory();
        Path target = dir.resolve("sandbox-init-" + expected.substring(0, 16));
        try {
            if (Files.isRegularFile(target) && sha256(Files.readAllBytes(target)).equals(expected)) {
                return target;
            }
            Path tmp = Files.createTempFile(dir, ".sandbox-init", ".tmp");
            try {
                Files.write(tmp, binary);
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r-x------"));
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            if (!sha256(Files.readAllBytes(target)).equals(expected)) {
                throw new SandboxException("verify extracted sandbox-init at " + target, 0);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("extract sandbox-init to " + dir, e);
        }
    }

    private static Path cacheDirectory() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path home = Path.of(System.getProperty("user.home", "/nonexistent"));
        Path preferred = xdg != null && !xdg.isEmpty() ? Path.of(xdg, "sandboxed") : home.resolve(".cache/sandboxed");
        try {
            return PrivateDirectory.ensure(preferred);
        } catch (IOException e) {
            try {
                return PrivateDirectory.ensure(Path.of(System.getProperty("java.io.tmpdir"), "sandboxed-cache-" + OwnIds.uid()));
            } catch (IOException e2) {
                throw new UncheckedIOException("create a cache directory for sandbox-init", e2);
            }
        }
    }

    private static byte[] readResource(String name) {
        try (InputStream in = InitBinary.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new SandboxException("find " + name + " on the classpath: this platform (" + platform()
                        + ") has no sandbox-init build; is sandboxed-native-init on the classpath?", 0);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("read " + name, e);
        }
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
