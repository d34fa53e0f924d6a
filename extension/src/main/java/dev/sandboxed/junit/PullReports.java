package dev.sandboxed.junit;

import org.junit.jupiter.api.extension.ExtensionContext;

import dev.sandboxed.core.image.PullListener;

/**
 * Pull progress as report entries of the test that needs the image (key {@value #KEY}): the manifest, each layer
 * extracted or found in the cache, and the end; byte counts while a layer downloads are left out (hundreds per layer).
 * Build tools show them with the test (Maven Surefire in its XML report, Gradle and IDEs in their test output).
 */
final class PullReports {
    static final String KEY = "sandboxed.pull";

    private PullReports() {
    }

    static PullListener to(ExtensionContext context) {
        return event -> {
            if (event.kind() != PullListener.PullEvent.Kind.PROGRESS) {
                context.publishReportEntry(KEY, event.toString());
            }
        };
    }
}
