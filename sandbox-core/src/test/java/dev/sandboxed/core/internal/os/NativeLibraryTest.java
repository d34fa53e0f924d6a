package dev.sandboxed.core.internal.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Which libc implementation is chosen. That the other one stays unloaded, and that no warning is printed, is checked in
 * a JVM of its own by {@code dev.sandboxed.core.NativeAccessWarningsTest}.
 */
class NativeLibraryTest {
    private final String before = System.getProperty(NativeLibrary.PROPERTY);

    @AfterEach
    void restoreProperty() {
        if (before == null) {
            System.clearProperty(NativeLibrary.PROPERTY);
        } else {
            System.setProperty(NativeLibrary.PROPERTY, before);
        }
    }

    @Test
    void theJdksForeignFunctionsOnJava22AndNewerJnrBefore() {
        Assumptions.assumeTrue(before == null || before.equals("auto"),
                "sandboxed.ffi=" + before + " forces the implementation in this run");
        boolean jdk22Build = NativeLibraryTest.class.getClassLoader()
                .getResource("dev/sandboxed/core/internal/os/FfmLibC.class") != null;
        Assumptions.assumeTrue(Runtime.version().feature() < 22 || jdk22Build,
                "these classes were built by a JDK before 22: no FFM implementation to choose");
        assertThat(Native.ffi()).isEqualTo(Runtime.version().feature() >= 22 ? "ffm" : "jnr");
        int[] pipe = Native.pipe("a call through it");
        assertThat(pipe[0]).isNotNegative();
        assertThat(pipe[1]).isNotNegative();
        Native.close(pipe[0]);
        Native.close(pipe[1]);
    }

    @Test
    void anUnknownChoiceIsRefusedNamingTheAllowedValues() {
        System.setProperty(NativeLibrary.PROPERTY, "jni");
        assertThatThrownBy(NativeLibrary::load).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sandboxed.ffi is 'jni'; allowed: auto, ffm, jnr");
    }

    @Test
    void ffmIsRefusedWhereItIsNotAvailable() {
        Assumptions.assumeFalse(NativeLibrary.ffmAvailable(), "FFM is available here");
        System.setProperty(NativeLibrary.PROPERTY, "ffm");
        assertThatThrownBy(NativeLibrary::load).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("sandboxed.ffi=ffm needs Java 22 or newer");
    }
}
