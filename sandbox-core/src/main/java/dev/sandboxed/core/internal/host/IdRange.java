package dev.sandboxed.core.internal.host;


/**
 * A range of subordinate ids from {@code /etc/subuid} or {@code /etc/subgid}.
 *
 * @param start the first id
 * @param count how many ids; at least 1
 */
public record IdRange(long start, long count) {

    public IdRange {
        if (start < 0) {
            throw new IllegalArgumentException("start must be >= 0: " + start);
        }
        if (count < 1) {
            throw new IllegalArgumentException("count must be >= 1: " + count);
        }
    }

    /** The last id in the range (inclusive). */
    public long last() {
        return start + count - 1;
    }

    public boolean contains(long id) {
        return id >= start && id <= last();
    }

    /** {@code first-last}, the form {@code usermod --add-subuids} takes. */
    @Override
    public String toString() {
        return start + "-" + last();
    }
}
