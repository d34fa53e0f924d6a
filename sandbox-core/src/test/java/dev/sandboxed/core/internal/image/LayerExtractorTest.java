package dev.sandboxed.core.internal.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.zip.GZIPOutputStream;

import com.github.luben.zstd.Zstd;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.image.ImageConfig;
import dev.sandboxed.core.internal.host.IdMapTool;
import dev.sandboxed.core.internal.host.OwnIds;
import dev.sandboxed.core.internal.host.UserIdentity;
import dev.sandboxed.core.testing.TarBuilder;

/** Hostile layers, each trick in its own tar written here: nothing may land outside the layer's directory. */
class LayerExtractorTest {
    @TempDir
    Path tmp;
    Path outside;
    Path secret;
    Path layer;
    private final LayerExtractor rootless = new LayerExtractor(false);

    @BeforeEach
    void setUp() throws IOException {
        outside = Files.createDirectory(tmp.resolve("outside"));
        secret = Files.writeString(outside.resolve("secret"), "original");
        layer = Files.createDirectory(tmp.resolve("layer"));
    }

    private LayerExtractor.Result extract(byte[] tar, Path into) throws IOException {
        return rootless.extract(LayerExtractor.decompressed(new ByteArrayInputStream(tar)), into);
    }

    private void assertOutsideUntouched() throws IOException {
        assertThat(Files.readString(secret)).isEqualTo("original");
        try (var files = Files.list(outside)) {
            assertThat(files).containsExactly(secret);
        }
    }

    @Test
    void refusesAbsoluteNames() {
        byte[] tar = new TarBuilder().file(outside.resolve("evil").toString(), "x").build();
        assertThatThrownBy(() -> extract(tar, layer)).isInstanceOf(LayerException.class).hasMessageContaining("absolute");
    }

    @Test
    void refusesDotDot() throws IOException {
        byte[] tar = new TarBuilder().file("a/../../outside/evil", "x").build();
        assertThatThrownBy(() -> extract(tar, layer)).isInstanceOf(LayerException.class).hasMessageContaining("..");
        assertOutsideUntouched();
    }

    @Test
    void neverWritesThroughASymlinkedParent() throws IOException {
        byte[] tar = new TarBuilder().symlink("link", outside.toString()).file("link/evil", "x").build();
        assertThatThrownBy(() -> extract(tar, layer)).isInstanceOf(LayerException.class).hasMessageContaining("symbolic link");
        assertOutsideUntouched();
    }

    @Test
    void aFileReplacesALinkInsteadOfWritingThroughIt() throws IOException {
        byte[] tar = new TarBuilder().symlink("x", secret.toString()).file("x", "replaced").build();
        extract(tar, layer);
        assertOutsideUntouched();
        assertThat(Files.isSymbolicLink(layer.resolve("x"))).isFalse();
        assertThat(Files.readString(layer.resolve("x"))).isEqualTo("replaced");
    }

    @Test
    void hardLinksStayInsideTheLayer() throws IOException {
        assertThatThrownBy(() -> extract(new TarBuilder().hardlink("h", "../outside/secret").build(), layer))
                .isInstanceOf(LayerException.class);
        assertThatThrownBy(() -> extract(new TarBuilder().hardlink("h", secret.toString()).build(), layer))
                .isInstanceOf(LayerException.class);
        Path other = Files.createDirectory(tmp.resolve("other"));
        // A hard link to a symbolic link that points out, then a write at the hard link's name.
        byte[] tar = new TarBuilder().symlink("s", secret.toString()).hardlink("h", "s").file("h", "written").build();
        extract(tar, other);
        assertOutsideUntouched();
        assertThat(Files.readString(other.resolve("h"))).isEqualTo("written");
        Path third = Files.createDirectory(tmp.resolve("third"));
        extract(new TarBuilder().file("f", "data").hardlink("g", "./f").build(), third);
        assertThat(Files.readString(third.resolve("g"))).isEqualTo("data");
        assertThat(Files.getAttribute(third.resolve("g"), "unix:nlink")).isEqualTo(2);
    }

    @Test
    void aSymlinkReplacedByADirectory() throws IOException {
        // Within one layer: the directory entry replaces the link, and the file goes into the real directory.
        extract(new TarBuilder().symlink("a", outside.toString()).dir("a", 0755).file("a/f", "in").build(), layer);
        assertOutsideUntouched();
        assertThat(Files.isDirectory(layer.resolve("a"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(Files.readString(layer.resolve("a/f"))).isEqualTo("in");
        // Across layers: each has its own directory, so the lower link is never under the upper's files.
        Path lower = Files.createDirectory(tmp.resolve("lower"));
        Path upper = Files.createDirectory(tmp.resolve("upper"));
        extract(new TarBuilder().symlink("b", outside.toString()).build(), lower);
        extract(new TarBuilder().dir("b", 0755).file("b/f", "in").build(), upper);
        assertOutsideUntouched();
        assertThat(Files.readString(upper.resolve("b/f"))).isEqualTo("in");
    }

    @Test
    void directoryAttributesNeverReachWhatReplacedTheDirectory() throws IOException {
        FileTime old = FileTime.from(Instant.parse("2001-02-03T04:05:06Z"));
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Files.setLastModifiedTime(secret, old);
        Files.setLastModifiedTime(outside, old);
        Object outsideMode = Files.getAttribute(outside, "unix:mode");
        // The directory itself replaced by a link, and a directory whose parent was replaced by a link.
        extract(new TarBuilder().dir("d", 06777).symlink("d", secret.toString()).dir("a", 0755).dir("a/secret", 06777)
                .symlink("a", outside.toString()).dir("kept", 0750).build(), layer);
        assertThat(Files.getAttribute(secret, "unix:mode")).isEqualTo(0100600);
        assertThat(Files.getLastModifiedTime(secret)).isEqualTo(old);
        assertThat(Files.getAttribute(outside, "unix:mode")).isEqualTo(outsideMode);
        assertThat(Files.getLastModifiedTime(outside)).isEqualTo(old);
        assertOutsideUntouched();
        assertThat(Files.isSymbolicLink(layer.resolve("d"))).isTrue();
        assertThat(Files.getAttribute(layer.resolve("kept"), "unix:mode")).isEqualTo(040750);
    }

    @Test
    void whiteoutsAndOpaqueDirectoriesBecomeOverlayfsOnes() throws IOException {
        extract(new TarBuilder().file(".wh.gone", "").dir("d", 0755).file("d/.wh..wh..opq", "").file("d/kept", "k")
                .file(".wh..wh.plnk", "").build(), layer);
        Path gone = layer.resolve("gone");
        assertThat((Integer) Files.getAttribute(gone, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0170000).isEqualTo(0020000);
        assertThat(Files.getAttribute(gone, "unix:rdev", LinkOption.NOFOLLOW_LINKS)).isEqualTo(0L);
        UserDefinedFileAttributeView view = Files.getFileAttributeView(layer.resolve("d"), UserDefinedFileAttributeView.class);
        ByteBuffer value = ByteBuffer.allocate(4);
        view.read("overlay.opaque", value);
        assertThat(new String(value.array(), 0, value.position(), StandardCharsets.UTF_8)).isEqualTo("y");
        assertThat(layer.resolve(".wh..wh.plnk")).doesNotExist();
        assertThat(layer.resolve("d/.wh..wh..opq")).doesNotExist();
    }

    @Test
    void whiteoutsNamingNoSiblingAreRefused() throws IOException {
        // ".wh." would hide the directory itself, ".wh.." its ".", ".wh..." its parent: the layer's or the cache's.
        for (String whiteout : List.of(".wh.", ".wh..", ".wh...", "sub/.wh.", "sub/.wh..", "sub/.wh...")) {
            Path dir = Files.createTempDirectory(tmp, "l");
            byte[] tar = new TarBuilder().file("keep", "k").dir("sub", 0755).file("sub/keep", "k").file(whiteout, "")
                    .build();
            assertThatThrownBy(() -> extract(tar, dir)).isInstanceOf(LayerException.class)
                    .hasMessageContaining(whiteout);
            assertOutsideUntouched();
            assertThat(Files.readString(dir.resolve("keep"))).isEqualTo("k");
            assertThat(Files.readString(dir.resolve("sub/keep"))).isEqualTo("k");
        }
    }

    @Test
    void whatALayerUnpacksIsBounded() throws IOException {
        LayerExtractor bytesCapped = withProperty("sandboxed.image.max-layer-bytes", "8192");
        byte[] big = new TarBuilder().file("big", "x".repeat(20_000)).build();
        assertThatThrownBy(() -> bytesCapped.extract(new ByteArrayInputStream(big), layer))
                .isInstanceOf(LayerException.class).hasMessageContaining("sandboxed.image.max-layer-bytes");
        LayerExtractor entriesCapped = withProperty("sandboxed.image.max-layer-entries", "3");
        byte[] many = new TarBuilder().file("a", "").file("b", "").file("c", "").file("d", "").build();
        Path other = Files.createDirectory(tmp.resolve("other"));
        assertThatThrownBy(() -> entriesCapped.extract(new ByteArrayInputStream(many), other))
                .isInstanceOf(LayerException.class).hasMessageContaining("sandboxed.image.max-layer-entries");
        Path third = Files.createDirectory(tmp.resolve("third"));
        assertThat(rootless.extract(new ByteArrayInputStream(many), third).entries()).isEqualTo(4); // defaults
        assertThatThrownBy(() -> withProperty("sandboxed.image.max-layer-bytes", "lots"))
                .hasMessageContaining("sandboxed.image.max-layer-bytes");
    }

    @Test
    void headersOverAMebibyteAreRefusedBeforeTheyAreHeld() throws IOException {
        String longName = "n".repeat(600_000); // within the limit alone; an entry's name and link text, over it
        ByteArrayOutputStream gnu = new ByteArrayOutputStream();
        gnu.write(RawTar.header("././@LongLink", 'L', longName.length() + 1));
        gnu.write(RawTar.padded(longName + "\0"));
        gnu.write(RawTar.header("././@LongLink", 'K', longName.length() + 1));
        gnu.write(RawTar.padded(longName + "\0"));
        gnu.write(RawTar.header("n", '2', 0));
        gnu.write(new byte[1024]);
        String records = RawTar.paxRecord("path", longName) + RawTar.paxRecord("linkpath", longName);
        ByteArrayOutputStream pax = new ByteArrayOutputStream();
        pax.write(RawTar.header("PaxHeaders/n", 'x', records.length()));
        pax.write(RawTar.padded(records));
        pax.write(RawTar.header("n", '2', 0));
        pax.write(new byte[1024]);
        for (ByteArrayOutputStream tar : List.of(gnu, pax)) {
            Path into = Files.createDirectory(tmp.resolve(tar == gnu ? "gnu" : "pax"));
            assertThatThrownBy(() -> extract(tar.toByteArray(), into)).as(tar == gnu ? "GNU long names" : "pax records")
                    .isInstanceOf(LayerException.class)
                    .hasMessageContaining("headers (GNU long names, pax records) take more than 1048576 bytes");
        }
        // Long names of real layers pass, and the data of a skipped entry (a device node with data, rootless) is none.
        byte[] named = new TarBuilder().file("a/".repeat(120) + "f", "x").build();
        assertThat(extract(named, layer).entries()).isEqualTo(1);
        ByteArrayOutputStream skipped = new ByteArrayOutputStream();
        skipped.write(RawTar.header("dev", '3', 2 << 20));
        skipped.write(new byte[2 << 20]);
        skipped.write(RawTar.header("g", '0', 1));
        skipped.write(RawTar.padded("y"));
        skipped.write(new byte[1024]);
        Path other = Files.createDirectory(tmp.resolve("other"));
        assertThat(extract(skipped.toByteArray(), other)).isEqualTo(new LayerExtractor.Result(2, 1));
        assertThat(Files.readString(other.resolve("g"))).isEqualTo("y");
    }

    /** Tar blocks written by hand: the tar writer shortens a long name one character at a time, for ever here. */
    private static final class RawTar {
        static byte[] header(String name, char type, long size) {
            byte[] h = new byte[512];
            put(h, 0, name);
            put(h, 100, "0000644");
            put(h, 108, "0000000");
            put(h, 116, "0000000");
            put(h, 124, String.format("%011o", size));
            put(h, 136, "00000000000");
            h[156] = (byte) type;
            put(h, 257, "ustar  "); // the GNU magic and version
            Arrays.fill(h, 148, 156, (byte) ' ');
            int sum = 0;
            for (byte b : h) {
                sum += b & 0xff;
            }
            put(h, 148, String.format("%06o", sum));
            h[154] = 0;
            return h;
        }

        static byte[] padded(String data) {
            byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
            return Arrays.copyOf(bytes, (bytes.length + 511) / 512 * 512);
        }

        /** "LENGTH key=value\n", where LENGTH counts itself. */
        static String paxRecord(String key, String value) {
            int rest = key.length() + value.length() + 3; // ' ', '=', '\n'
            int length = rest + Integer.toString(rest).length();
            length = rest + Integer.toString(length).length();
            return length + " " + key + "=" + value + "\n";
        }

        private static void put(byte[] block, int at, String text) {
            byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(bytes, 0, block, at, bytes.length);
        }
    }

    private static LayerExtractor withProperty(String key, String value) {
        System.setProperty(key, value);
        try {
            return new LayerExtractor(false);
        } finally {
            System.clearProperty(key);
        }
    }

    @Test
    void modesAreKeptAndDeviceNodesSkippedRootless() throws IOException {
        var result = extract(new TarBuilder().dir("ro", 0555).file("ro/suid", "#!", 04755).file("plain", "p", 0600)
                .charDevice("dev/null", 1, 3).build(), layer);
        assertThat(Files.getAttribute(layer.resolve("ro"), "unix:mode")).isEqualTo(040555);
        assertThat(Files.getAttribute(layer.resolve("ro/suid"), "unix:mode")).isEqualTo(0104755);
        assertThat(Files.getAttribute(layer.resolve("plain"), "unix:mode")).isEqualTo(0100600);
        assertThat(layer.resolve("dev/null")).doesNotExist();
        assertThat(result.skipped()).isEqualTo(1);
        LayerExtractor.removeExisting(layer); // read-only directories included
        assertThat(layer).doesNotExist();
    }

    @Test
    void ownersAreKeptOnlyAsRoot() throws IOException {
        byte[] tar = new TarBuilder().owned("data/pg", "x", 999, 999).build();
        extract(tar, layer);
        assertThat(Files.getAttribute(layer.resolve("data/pg"), "unix:uid")).isEqualTo(
                Files.getAttribute(tmp, "unix:uid")); // rootless: the caller's, root inside the sandbox
        Assumptions.assumeTrue(OwnIds.effectiveUid() == 0,
                "keeping owners needs real root");
        Path asRoot = Files.createDirectory(tmp.resolve("root"));
        new LayerExtractor(true).extract(new ByteArrayInputStream(tar), asRoot);
        assertThat(Files.getAttribute(asRoot.resolve("data/pg"), "unix:uid")).isEqualTo(999);
        assertThat(Files.getAttribute(asRoot.resolve("data/pg"), "unix:gid")).isEqualTo(999);
    }

    @Test
    void rootlessWithoutARangeOwnersAreCountedAndTheWarningNamesTheFix() throws IOException {
        OwnerPolicy none = OwnerPolicy.decide(new UserIdentity(1000, 1000, 1000, "alice"),
                Optional.empty(), Optional.empty(), new IdMapTool("newuidmap",
                        Optional.empty(), IdMapTool.Privilege.MISSING),
                new IdMapTool("newgidmap", Optional.empty(),
                        IdMapTool.Privilege.MISSING));
        LayerExtractor extractor = new LayerExtractor(false, Optional.of(new OwnerApplier(none, () -> {
            throw new AssertionError("no applier runs without a range");
        })));
        byte[] tar = new TarBuilder().ownedDir("data", 0700, 999, 999).ownedFile("data/pg", "x", 0600, 999, 999)
                .ownedFile("replaced", "x", 0644, 999, 999).ownedFile("replaced", "y", 0644, 0, 0)
                .ownedDir("gone", 0755, 5, 5).ownedFile("gone/f", "x", 0644, 5, 5).ownedFile(".wh.gone", "", 0644, 0, 0)
                .ownedSymlink("link", "data/pg", 1000, 50).ownedFile("suid", "#!", 04755, 0, 0).build();
        LayerExtractor.Result r = extractor.extract(new ByteArrayInputStream(tar), layer);
        assertThat(r.ownersDropped()).as("data, data/pg, link; the replaced and whited-out entries are forgotten")
                .isEqualTo(3);
        assertThat(r.owned()).isZero();
        assertThat(OwnerMark.read(layer)).isEmpty();
        assertThat(Files.getAttribute(layer.resolve("suid"), "unix:mode")).isEqualTo(0104755);
        assertThat(extractor.ownersWarning("img", r.ownersDropped())).hasValueSatisfying(w -> assertThat(w)
                .startsWith("image img: 3 files are owned by other users in the image, but here they are all owned by"
                        + " root inside the sandbox: no /etc/subuid range for alice; fix: `sudo usermod --add-subuids"
                        + " 100000-165535 --add-subgids 100000-165535 alice`"));
        assertThat(extractor.ownersWarning("img", 0)).isEmpty();
        assertThat(new LayerExtractor(true).ownersWarning("img", 3)).isEmpty();
    }

    @Test
    void ownersBeyondUidTAreRefused() {
        for (long id : List.of(1L << 32, (1L << 32) - 1, (1L << 32) + 999)) {
            assertThatThrownBy(() -> extract(new TarBuilder().owned("f", "x", id, 0).build(), layer))
                    .isInstanceOf(LayerException.class).hasMessageContaining(Long.toString(id));
            assertThatThrownBy(() -> extract(new TarBuilder().owned("g", "x", 0, id).build(), layer))
                    .isInstanceOf(LayerException.class).hasMessageContaining(Long.toString(id));
        }
    }

    @Test
    void aLinkTextWithANulIsRefused() {
        byte[] tar = new TarBuilder().symlink("s", "x".repeat(120) + "\0/etc/shadow").build();
        assertThatThrownBy(() -> extract(tar, layer)).isInstanceOf(LayerException.class).hasMessageContaining("'s'");
    }

    @Test
    void gzipZstdAndPlainLayers() throws IOException {
        byte[] tar = new TarBuilder().file("etc/motd", "hello").build();
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(tar);
        }
        for (byte[] blob : List.of(tar, gz.toByteArray(), Zstd.compress(tar))) {
            Path dir = Files.createTempDirectory(tmp, "l");
            extract(blob, dir);
            assertThat(Files.readString(dir.resolve("etc/motd"))).isEqualTo("hello");
        }
    }

    @Test
    void aWrongDigestIsRejected() {
        byte[] tar = new TarBuilder().file("f", "x").build();
        String wrong = VerifyingInputStream.sha256("other".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> {
            try (VerifyingInputStream in = new VerifyingInputStream(new ByteArrayInputStream(tar), wrong, tar.length,
                    "layer", n -> {})) {
                rootless.extract(LayerExtractor.decompressed(in), layer);
                in.verify();
            }
        }).hasMessageContaining("rejected");
    }

    @Test
    void filesOfTheImageAreReadInsideIt() throws IOException {
        Path lower = Files.createDirectory(tmp.resolve("l1"));
        Path upper = Files.createDirectory(tmp.resolve("l2"));
        extract(new TarBuilder().file("etc/passwd.real", "app:x:999:999::/home/app:/bin/sh\n")
                .symlink("etc/passwd", "../../../../etc/passwd.real").file("etc/hidden", "h")
                .symlink("etc/escape", secret.toString()).file("opq/old", "o").build(), lower);
        extract(new TarBuilder().file("etc/.wh.hidden", "").file("opq/.wh..wh..opq", "").file("opq/new", "n").build(), upper);
        Image image = new Image("test", "sha256:" + "0".repeat(64), "sha256:" + "1".repeat(64), "linux/amd64",
                new ImageConfig(List.of(), List.of(), List.of(), "", "", Set.of(), Optional.empty(), "",
                        Map.of()), List.of(lower, upper), 0);
        assertThat(image.readFile("/etc/passwd")).map(b -> new String(b, StandardCharsets.UTF_8))
                .contains("app:x:999:999::/home/app:/bin/sh\n");
        assertThat(image.readFile("/etc/hidden")).isEmpty();
        assertThat(image.readFile("/etc/escape")).isEmpty(); // the link resolves inside the image, where there is none
        assertThat(image.readFile("/opq/old")).isEmpty();
        assertThat(image.readFile("/opq/new")).isPresent();
    }
}
