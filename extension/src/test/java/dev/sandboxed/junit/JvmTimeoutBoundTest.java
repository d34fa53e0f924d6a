package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.platform.testkit.engine.EngineExecutionResults;

/**
 * A {@code jvm = true} test with a JUnit timeout: its JVM is killed soon after JUnit there would have failed it, also
 * when it hangs where JUnit cannot stop it, not at the sandbox's much longer timeout.
 */
class JvmTimeoutBoundTest {
    private static final Map<String, String> TWO_SECONDS = Map.of("sandboxed.jvm.timeoutAllowance", "2s");

    /** Spins up to ten minutes (so nothing spins on if a test breaks), deaf to the interrupts of JUnit's timeout. */
    static final class Spin {
        /** Set by a class initializer that spins: whoever reads it first waits, and so does every other thread. */
        static final long SPUN = spin();

        private Spin() {
        }

        static long spin() {
            long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            long n = 0;
            while (System.nanoTime() - end < 0) {
                n++;
            }
            return n;
        }
    }

    @Sandboxed(jvm = true, timeout = "60s")
    static class HangsInAClassInitializer {
        // An instance initializer runs only in the sandboxed JVM (the instance here is hollow); it initializes Spin.
        final long spun = Spin.SPUN;

        @Test
        @Timeout(1)
        void quick() {
        }
    }

    @Test
    void aClassInitializerHangingBeforeTheTestIsKilledAtItsTimeoutPlusTheAllowance() throws IOException {
        List<Path> dirs = JvmTest.ownSharedDirectories();
        Throwable failure = Kit.onlyFailure(Kit.run(HangsInAClassInitializer.class, TWO_SECONDS));
        assertThat(failure).isInstanceOf(SandboxedJvmException.class).hasMessage("the sandboxed JVM did not finish "
                + "within the test's timeout of 1 s plus the 2 s allowance (sandboxed.jvm.timeoutAllowance) and was "
                + "killed before the test started (raise sandboxed.jvm.timeoutAllowance if its start or untimed set-up "
                + "needs longer)");
        assertThat(Kit.diagnostics(failure)).contains("TIMED_OUT");
        Kit.assertNothingLeft(List.of());
        assertThat(JvmTest.ownSharedDirectories()).as("shared directories left").isSubsetOf(dirs);
        assertThat(sandboxedJvms()).as("sandboxed JVMs left").isZero();
    }

    @Sandboxed(jvm = true, timeout = "60s")
    @Timeout(1)
    static class TimedClass {
        @Nested
        class Inner {
            @Test
            void spins() {
                Spin.spin();
            }
        }
    }

    @Test
    void aTimeoutOnAnEnclosingClassBoundsANestedTest() {
        Throwable failure = Kit.onlyFailure(Kit.run(TimedClass.class, TWO_SECONDS));
        assertThat(failure).isInstanceOf(SandboxedJvmException.class).hasMessageStartingWith("the sandboxed JVM did not "
                + "finish within the test's timeout of 1 s plus the 2 s allowance (sandboxed.jvm.timeoutAllowance) and "
                + "was killed ");
        Kit.assertNothingLeft(List.of());
        assertThat(sandboxedJvms()).as("sandboxed JVMs left").isZero();
    }

    /** Sleeps past a 1 s timeout plus a 1 s allowance: passes only where nothing bounds it. */
    @Sandboxed(jvm = true, timeout = "60s")
    static class SleepsPastTheBound {
        @Test
        void sleeps() throws InterruptedException {
            Thread.sleep(4000);
        }
    }

    /** The same, a debugger's agent given in its environment: JUnit there times nothing (disabled_on_debug). */
    @Sandboxed(jvm = true, timeout = "60s",
            env = "JAVA_TOOL_OPTIONS=-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:0")
    static class UnderADebuggerByItsEnvironment extends SleepsPastTheBound {
    }

    @Test
    void aJvmUnderADebuggerGivenInItsEnvironmentIsNotKilledAtTheBound() {
        passesUnbounded(UnderADebuggerByItsEnvironment.class, "1 s", "disabled_on_debug");
    }

    @Test
    void aTimeoutJUnitIgnoresThereBoundsNothingHere() {
        // JUnit does not trim: it ignores "1 s " (and logs why), so the test is untimed in the sandboxed JVM.
        passesUnbounded(SleepsPastTheBound.class, "1 s ", "enabled");
    }

    private static void passesUnbounded(Class<?> fixture, String timeout, String mode) {
        Kit.succeeded(Kit.run(fixture, Map.of("sandboxed.jvm.timeoutAllowance", "1s", "junit.jupiter.execution.timeout.default",
                timeout, "junit.jupiter.execution.timeout.mode", mode)), 1);
        Kit.assertNothingLeft(List.of());
        assertThat(sandboxedJvms()).as("sandboxed JVMs left").isZero();
    }

    @Sandboxed(jvm = true)
    static class Untimed {
        @Test
        void passes() {
        }
    }

    @Test
    void aBadAllowanceIsRefusedNamingTheParameterBeforeAnythingStarts() {
        EngineExecutionResults soon = Kit.run(Untimed.class, Map.of("sandboxed.jvm.timeoutAllowance", "soon"));
        assertThat(soon.allEvents().reportingEntryPublished().count()).as("entries of a sandboxed JVM's run").isZero();
        assertThat(Kit.onlyFailure(soon))
                .isInstanceOf(SandboxedConfigurationException.class)
                .hasMessage("invalid sandboxed.jvm.timeoutAllowance: 'soon' is not a duration; expected e.g. 500ms, 30s, "
                        + "5m, 2h");
        assertThat(Kit.onlyFailure(Kit.run(Untimed.class, Map.of("sandboxed.jvm.timeoutAllowance", "0s"))))
                .isInstanceOf(SandboxedConfigurationException.class)
                .hasMessage("invalid sandboxed.jvm.timeoutAllowance: '0s' must be a positive duration; expected a "
                        + "positive duration such as 500ms, 30s or 5m");
        Kit.assertNothingLeft(List.of());
        assertThat(sandboxedJvms()).as("sandboxed JVMs left").isZero();
    }

    /** This JVM's sandboxed JVMs still running (their launcher's main class is on their command line). */
    private static long sandboxedJvms() {
        return ProcessHandle.current().descendants().filter(p -> p.info().commandLine().orElse("").contains("ChildMain"))
                .count();
    }
}
