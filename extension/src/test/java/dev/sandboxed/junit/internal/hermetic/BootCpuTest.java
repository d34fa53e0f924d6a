package dev.sandboxed.junit.internal.hermetic;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** The boot CPU time a sandboxed JVM reports, read from its untrusted events. */
class BootCpuTest {
    private static JsonNode event(String json) throws Exception {
        return Json.readTree(json);
    }

    @Test
    void theFirstReceivedEventCounts() throws Exception {
        assertThat(JvmRun.cpuAtStart(List.of(event("{\"type\":\"started\"}"), event("{\"type\":\"received\",\"cpuNanos\":5000}"),
                event("{\"type\":\"received\",\"cpuNanos\":1}")))).contains(Duration.ofNanos(5000));
    }

    @Test
    void aMissingNegativeOrMalformedFigureIsNone() throws Exception {
        assertThat(JvmRun.cpuAtStart(List.of())).isEmpty();
        assertThat(JvmRun.cpuAtStart(List.of(event("{\"type\":\"received\",\"cpuNanos\":-1}")))).isEmpty();
        assertThat(JvmRun.cpuAtStart(List.of(event("{\"type\":\"received\",\"cpuNanos\":\"lots\"}")))).isEmpty();
        assertThat(JvmRun.cpuAtStart(List.of(event("{\"type\":\"received\"}")))).isEmpty();
        assertThat(JvmRun.cpuAtStart(List.of(event("{\"type\":\"received\",\"cpuNanos\":1e300}")))).isEmpty();
    }
}
