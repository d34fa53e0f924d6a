package dev.sandboxed.core.image;

/** Progress of a pull, called on the pulling thread. */
@FunctionalInterface
public interface PullListener {
    PullListener NONE = event -> {};

    void onEvent(PullEvent event);

    /**
     * One step: {@code RESOLVED} (the manifest, with the number of layers as {@code total}), {@code CACHED} (the
     * whole image, or one layer, already in the cache), {@code PROGRESS} (bytes of a layer so far),
     * {@code EXTRACTED} (a layer is in the cache), {@code DONE}.
     */
    record PullEvent(Kind kind, String source, String digest, long done, long total) {
        public enum Kind { RESOLVED, CACHED, PROGRESS, EXTRACTED, DONE }

        @Override
        public String toString() {
            String shortDigest = digest.startsWith("sha256:") && digest.length() > 19 ? digest.substring(7, 19) : digest;
            return switch (kind) {
                case RESOLVED -> source + ": " + total + " layers (" + shortDigest + ")";
                case CACHED -> shortDigest + ": already in the cache";
                case PROGRESS -> shortDigest + ": " + done + (total > 0 ? "/" + total : "") + " bytes";
                case EXTRACTED -> shortDigest + ": extracted (" + done + " bytes)";
                case DONE -> source + ": done (" + shortDigest + ")";
            };
        }
    }
}
