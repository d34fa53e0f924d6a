package dev.sandboxed.cli;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;

import dev.sandboxed.junit.CleanupMode;
import dev.sandboxed.junit.Container;
import dev.sandboxed.junit.Sandboxed;

/**
 * The other JVM of {@link KeepAfterJvmCliTest}: runs {@link KeptTest}, whose container its cleanup mode keeps, with
 * {@code sandboxed.keep.afterJvm=true} as a configuration parameter (as junit-platform.properties would set it),
 * prints the container's id and exits.
 */
public final class KeepAfterJvmHolder {
    static volatile String id;

    private KeepAfterJvmHolder() {
    }

    @Sandboxed(cleanup = CleanupMode.NEVER, hostname = "kept")
    public static class KeptTest {
        @Test
        void leavesEvidence(Container c) {
            id = c.id();
            c.exec("sh", "-c", "echo evidence > /tmp/evidence; sleep 300 > /dev/null 2>&1 &");
        }
    }

    public static void main(String[] args) {
        EngineTestKit.engine("junit-jupiter").selectors(selectClass(KeptTest.class))
                .configurationParameter("sandboxed.keep.afterJvm", "true")
                .configurationParameter("sandboxed.keep.maxAge", "10m").execute().testEvents()
                .assertStatistics(s -> s.succeeded(1));
        System.out.println("KEPT " + id);
        System.exit(0);
    }
}
