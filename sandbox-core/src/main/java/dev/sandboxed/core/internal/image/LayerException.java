package dev.sandboxed.core.internal.image;

/** A layer that cannot be extracted safely (a name that would leave its directory, a bad hard link). */
public final class LayerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LayerException(String message) {
        super(message);
    }
}
