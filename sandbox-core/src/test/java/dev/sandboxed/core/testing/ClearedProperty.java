package dev.sandboxed.core.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A system property cleared for a test class (its default applies) and restored after it, for properties the runtime
 * reads at each start, such as {@code sandboxed.publish.bypass} that CI may set for the whole run.
 */
public final class ClearedProperty implements BeforeAllCallback, AfterAllCallback {
    private final String key;
    private String before;

    public ClearedProperty(String key) {
        this.key = key;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        before = System.getProperty(key);
        System.clearProperty(key);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (before == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, before);
        }
    }
}
