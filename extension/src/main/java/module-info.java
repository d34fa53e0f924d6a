/**
 * The JUnit Jupiter extension of Sandboxed: {@code @Sandboxed} tests receive {@code Container}s, each a rootless
 * Linux sandbox, and assert on what they did and used.
 */
module dev.sandboxed.junit {
    requires transitive dev.sandboxed.core;
    requires transitive org.junit.jupiter.api;
    requires transitive org.assertj.core; // the assertions extend AssertJ's

    exports dev.sandboxed.junit;

    // JUnit instantiates the extension and reads its annotations reflectively.
    opens dev.sandboxed.junit to org.junit.platform.commons;
}
