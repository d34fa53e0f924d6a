package dev.sandboxed.core.image;

/**
 * An image could not be parsed, found, fetched, verified or unpacked. The message is one line that names what
 * failed (the field of a bad reference, or the registry's answer and the reference).
 */
public class ImageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ImageException(String message) {
        super(message);
    }

    public ImageException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A reference that does not parse: {@code image.FIELD: problem}. */
    public static ImageException badReference(String field, String problem) {
        return new ImageException("image." + field + ": " + problem);
    }
}
