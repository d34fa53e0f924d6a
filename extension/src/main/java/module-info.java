/**
 * The JUnit Jupiter extension of Sandboxed: {@code @Sandboxed} tests receive {@code Container}s, each a rootless
 * Linux sandbox, and assert on what they did and used.
 */
module dev.sandboxed.junit {
    requires transitive dev.sandboxed.core;
    requires transitive org.junit.jupiter.api;
    requires transitive org.assertj.core; // the assertions extend AssertJ's
    requires java.management; // the parent's -D options, passed on to a sandboxed test JVM
    requires com.fasterxml.jackson.databind; // the protocol with a sandboxed test JVM (jvm = true)
    requires static org.junit.platform.launcher; // only that JVM's main, run on the class path, uses it
    requires jdk.unsupported; // a jvm = true test's instance here is made without running its constructor

    exports dev.sandboxed.junit;
    // dev.sandboxed.junit.internal.hermetic (jvm = true) and .internal.cleanup are not exported.

    // JUnit instantiates the extension and reads its annotations reflectively.
    opens dev.sandboxed.junit to org.junit.platform.commons;
}
