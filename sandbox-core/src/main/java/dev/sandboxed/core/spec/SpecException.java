package dev.sandboxed.core.spec;

/**
 * A sandbox specification was rejected before anything was created on the host.
 * The message names the field and what is allowed.
 */
public class SpecException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final String field;

    public SpecException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    /** The spec field that was rejected, for example {@code mounts[2].source}. */
    public String field() {
        return field;
    }
}
