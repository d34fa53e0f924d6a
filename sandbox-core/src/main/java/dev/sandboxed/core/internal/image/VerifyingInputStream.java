package dev.sandboxed.core.internal.image;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.LongConsumer;

import dev.sandboxed.core.image.ImageException;

/**
 * Hashes a blob with SHA-256 while it streams, so a layer is extracted and verified in one pass; {@link #verify()}
 * at the end rejects a blob whose digest or size is not the one the manifest names (the caller then throws away
 * everything made from it).
 */
public final class VerifyingInputStream extends FilterInputStream {
    private final MessageDigest sha256 = newSha256();
    private final String expectedDigest;
    private final long expectedSize;
    private final String what;
    private final LongConsumer progress;
    private long count;
    private long reported;

    public VerifyingInputStream(InputStream in, String expectedDigest, long expectedSize, String what, LongConsumer progress) {
        super(in);
        this.expectedDigest = expectedDigest;
        this.expectedSize = expectedSize;
        this.what = what;
        this.progress = progress;
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
            sha256.update((byte) b);
            advance(1);
        }
        return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        int n = in.read(buf, off, len);
        if (n > 0) {
            sha256.update(buf, off, n);
            advance(n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buf = new byte[(int) Math.min(n, 8192)];
        int r = read(buf, 0, buf.length);
        return Math.max(r, 0);
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    private void advance(int n) throws IOException {
        count += n;
        if (expectedSize > 0 && count > expectedSize) {
            throw new ImageException(what + " " + expectedDigest + " is longer than the " + expectedSize
                    + " bytes its descriptor gives; rejected");
        }
        if (count - reported >= (1 << 20)) {
            reported = count;
            progress.accept(count);
        }
    }

    /** Reads to the end, then checks the digest and the size. */
    public long verify() throws IOException {
        transferTo(OutputStream.nullOutputStream());
        String actual = "sha256:" + HexFormat.of().formatHex(sha256.digest());
        if (!actual.equals(expectedDigest)) {
            throw new ImageException(what + " has digest " + actual + ", not " + expectedDigest
                    + " as its descriptor says; rejected (corrupt download or a registry serving other content)");
        }
        if (expectedSize >= 0 && count != expectedSize) {
            throw new ImageException(what + " " + expectedDigest + " is " + count + " bytes, not " + expectedSize
                    + "; rejected");
        }
        return count;
    }

    public static String sha256(byte[] data) {
        return "sha256:" + HexFormat.of().formatHex(newSha256().digest(data));
    }

    /** Checks bytes already in memory (a manifest, a config) against a digest. */
    public static byte[] verified(byte[] data, String expectedDigest, String what) {
        String actual = sha256(data);
        if (!actual.equals(expectedDigest)) {
            throw new ImageException(what + " has digest " + actual + ", not " + expectedDigest + "; rejected");
        }
        return data;
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
