package dev.sandboxed.core;

import java.nio.file.Path;

import dev.sandboxed.core.image.PullListener.PullEvent.Kind;

/** A second JVM for the concurrent pull test: pulls args[1] into the cache args[0], prints each layer it extracted. */
public final class PullJvmMain {
    private PullJvmMain() {
    }

    public static void main(String[] args) {
        Images.builder().cacheDirectory(Path.of(args[0])).build().pull(args[1], event -> {
            if (event.kind() == Kind.EXTRACTED) {
                System.out.println("extracted " + event.digest());
            }
        });
        System.out.println("done");
    }
}
