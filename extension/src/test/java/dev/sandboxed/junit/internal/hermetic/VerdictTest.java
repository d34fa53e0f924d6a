package dev.sandboxed.junit.internal.hermetic;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.spec.SandboxSpec;

/** How a sandboxed JVM that ended without a result is named. */
class VerdictTest {
    private static final TestTimeouts.Bound SECOND = new TestTimeouts.Bound(Duration.ofSeconds(1), Optional.empty(),
            Duration.ofSeconds(60));

    private static JvmRun.Outcome exitedWith(int code, List<JsonNode> events) {
        return new JvmRun.Outcome(List.of("java"), new ExitStatus(code, OptionalInt.empty(), ExitReason.EXITED),
                Duration.ofMillis(5), ResourceUsage.NOT_AVAILABLE, events, SandboxSpec.defaults(), "off", Optional.empty(),
                Optional.empty());
    }

    @Test
    void anExitWithItsFramesIsTheTestsSystemExit() {
        ObjectNode exit = Wire.event("exit");
        exit.set("frames", ThrowableCodec.encode(new IllegalStateException("exit")).get("frames"));
        assertThat(Verdict.death(exitedWith(3, List.of(Wire.event("started"), exit)), SECOND))
                .hasMessage("the test called System.exit(3): the sandboxed JVM exited while the test ran");
    }

    @Test
    void anExitWithoutFramesIsAJvmThatEndedOnItsOwn() {
        // The shutdown hook's event after a boot failure or an uncaught exception: no System.exit to name.
        assertThat(Verdict.death(exitedWith(1, List.of(Wire.event("exit"))), SECOND))
                .hasMessage("the sandboxed JVM exited with code 1 before the test started without reporting a result");
    }
}
