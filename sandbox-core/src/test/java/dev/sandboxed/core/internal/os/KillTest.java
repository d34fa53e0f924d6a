package dev.sandboxed.core.internal.os;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class KillTest {
    @Test
    void aRunningProcessDiesOfSigkill() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "600").start();
        try {
            assertThat(Kill.forcibly(sleeper.pid())).isTrue();
            assertThat(sleeper.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(sleeper.exitValue()).as("128 + SIGKILL").isEqualTo(137);
        } finally {
            sleeper.destroyForcibly();
        }
    }

    @Test
    void aGoneProcessIsLeftAlone() throws Exception {
        Process quick = new ProcessBuilder("true").start();
        quick.waitFor();
        assertThat(Kill.forcibly(quick.pid())).isFalse();
    }
}
