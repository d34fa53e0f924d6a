package dev.sandboxed.core.internal.image;

import java.nio.charset.Charset;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.StandardCharsets;

/**
 * The bytes of file names as this JVM writes them: {@code sun.jnu.encoding}, which the locale decides (UTF-8 under
 * {@code LANG=C.UTF-8}, ASCII under {@code LANG=C}) and no command-line option changes. Names handed to sandbox-init
 * must be these bytes, or it looks for other files than the JVM made.
 */
public final class FileNames {
    static final Charset CHARSET = jnuCharset();

    private FileNames() {
    }

    private static Charset jnuCharset() {
        try {
            return Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
        } catch (IllegalArgumentException e) { // unsupported or illegal: the JDK names files in UTF-8 then
            return StandardCharsets.UTF_8;
        }
    }

    public static byte[] bytes(String name) {
        return name.getBytes(CHARSET);
    }

    /**
     * Refuses a layer entry whose name (or link text) this JVM cannot give a file, with the fix, before anything of
     * it is made: java.nio would fail on it half-way with a bare "unmappable characters".
     */
    static void check(String what, String name) {
        CharsetEncoder encoder = CHARSET.newEncoder();
        if (!encoder.canEncode(name)) {
            throw new LayerException(what + " '" + name + "' cannot be named by this JVM, whose file names are "
                    + CHARSET.name() + " (sun.jnu.encoding, from the locale); run it under a UTF-8 locale, e.g."
                    + " LANG=C.UTF-8");
        }
    }
}
