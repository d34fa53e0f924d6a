package example;

import static dev.sandboxed.junit.SandboxAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.junit.Container;
import dev.sandboxed.junit.Sandboxed;

/** One sandbox for the class (a static field); state written by the first test is seen by the second. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SharedSandboxIT {
    @Sandboxed(hostname = "it-shared")
    static Container shared;

    @Test
    @Order(1)
    void writesState() {
        shared.writeString("/tmp/state", "from test 1\n");
        assertThat(shared.exec("hostname")).succeeded().hasStdout("it-shared");
    }

    @Test
    @Order(2)
    void seesStateOfTheFirstTest(Container sameAsShared) {
        assertEquals(shared.id(), sameAsShared.id());
        assertEquals("from test 1\n", sameAsShared.readString("/tmp/state"));
    }

    @Test
    @Order(3)
    void configuredTimeoutApplies() {
        // sandboxed.timeout = 30s from Failsafe's configurationParameters; a shorter per-exec timeout still wins.
        assertThat(shared.exec(ProcessSpec.builder("sleep", "10")
                .timeout(Duration.ofMillis(100)).build())).timedOut();
    }
}
