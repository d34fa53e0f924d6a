package dev.sandboxed.core.image;

import java.util.List;

/**
 * What a prune of the image cache did: the sources it forgot (least recently used first), the layer digests it
 * deleted, the bytes it freed, and the bytes the cache still holds.
 */
public record PruneResult(List<String> removedImages, List<String> removedLayers, long reclaimedBytes,
        long remainingBytes) {
    public PruneResult {
        removedImages = List.copyOf(removedImages);
        removedLayers = List.copyOf(removedLayers);
    }
}
