package dev.sandboxed.core.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.protocol.Protocol;

/**
 * The sandbox-init builds the native jar embeds: each is an ELF for the architecture its directory names, with its
 * recorded SHA-256; the aarch64 one (cross-built where the build had the cross compiler) answers --version with this
 * protocol's version under qemu, where qemu is installed.
 */
class EmbeddedBinariesTest {
    private static final String DIR = "dev/sandboxed/nativeinit/";
    private static final int EM_X86_64 = 62;
    private static final int EM_AARCH64 = 183;

    @Test
    void hostBinaryIsForTheHostArchitecture() throws IOException {
        String platform = InitBinary.platform();
        byte[] binary = resource(platform + "/sandbox-init").orElseThrow();
        assertThat(machine(binary)).isEqualTo(platform.endsWith("aarch64") ? EM_AARCH64 : EM_X86_64);
        assertThat(InitBinary.sha256(binary)).isEqualTo(recordedSha256(platform));
    }

    @Test
    void aarch64BinaryIsAnAarch64ElfWithItsRecordedHash() throws IOException {
        byte[] binary = aarch64();
        assertThat(machine(binary)).isEqualTo(EM_AARCH64);
        assertThat(InitBinary.sha256(binary)).isEqualTo(recordedSha256("linux-aarch64"));
    }

    @Test
    void aarch64BinaryAnswersTheVersionUnderQemu(@TempDir Path dir) throws Exception {
        byte[] binary = aarch64();
        Optional<Path> qemu = Stream.of("qemu-aarch64-static", "qemu-aarch64")
                .flatMap(name -> Stream.of("/usr/bin/", "/usr/local/bin/").map(d -> Path.of(d + name)))
                .filter(Files::isExecutable).findFirst();
        assumeTrue(qemu.isPresent() || InitBinary.platform().equals("linux-aarch64"),
                "no qemu-aarch64(-static) to run the aarch64 build on this " + InitBinary.platform() + " host "
                        + "(Debian: apt-get install qemu-user-static)");
        Path exe = Files.write(dir.resolve("sandbox-init"), binary);
        exe.toFile().setExecutable(true);
        ProcessBuilder pb = qemu.isPresent() && !InitBinary.platform().equals("linux-aarch64")
                ? new ProcessBuilder(qemu.get().toString(), exe.toString(), "--version")
                : new ProcessBuilder(exe.toString(), "--version");
        Process p = pb.redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("finished").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).isEqualTo("sandbox-init protocol " + Protocol.PROTOCOL_VERSION + "\n");
    }

    private static byte[] aarch64() throws IOException {
        Optional<byte[]> binary = resource("linux-aarch64/sandbox-init");
        assumeTrue(binary.isPresent(), "the native jar has no aarch64 build: the build had no aarch64-linux-gnu-gcc "
                + "(Debian: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)");
        return binary.get();
    }

    private static String recordedSha256(String platform) throws IOException {
        return new String(resource(platform + "/sandbox-init.sha256").orElseThrow(), StandardCharsets.US_ASCII).trim();
    }

    /** e_machine of a 64-bit little-endian ELF. */
    private static int machine(byte[] elf) {
        assertThat(elf).hasSizeGreaterThan(20);
        assertThat(new String(elf, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("ELF");
        assertThat(elf[4]).as("ELFCLASS64").isEqualTo((byte) 2);
        assertThat(elf[5]).as("little-endian").isEqualTo((byte) 1);
        return (elf[18] & 0xff) | (elf[19] & 0xff) << 8;
    }

    private static Optional<byte[]> resource(String name) throws IOException {
        try (InputStream in = EmbeddedBinariesTest.class.getClassLoader().getResourceAsStream(DIR + name)) {
            return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
        }
    }
}
