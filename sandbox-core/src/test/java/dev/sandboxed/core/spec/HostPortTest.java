package dev.sandboxed.core.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HostPortTest {
    @Test
    void parsesPortAndTransport() {
        assertThat(HostPort.parse("9090")).isEqualTo(HostPort.tcp(9090));
        assertThat(HostPort.parse("9090/tcp")).isEqualTo(HostPort.tcp(9090));
        assertThat(HostPort.parse("53/UDP")).isEqualTo(HostPort.udp(53)).hasToString("53/udp");
        assertThat(HostPort.parse(HostPort.udp(65535).toString())).isEqualTo(HostPort.udp(65535));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "http", "0", "65536", "99999", "-1", "80/", "/udp", "80:80", " 80"})
    void rejectsWhatIsNotAPort(String text) {
        assertThatThrownBy(() -> HostPort.parse(text)).isInstanceOf(SpecException.class)
                .hasMessageStartingWith("exposeHostPort: '" + text + "'").hasMessageContaining("allowed: PORT[/tcp|/udp]");
    }

    @Test
    void namesAnUnknownTransport() {
        assertThatThrownBy(() -> HostPort.parse("80/sctp"))
                .hasMessage("exposeHostPort: '80/sctp': transport 'sctp' is not tcp or udp; allowed: PORT[/tcp|/udp], e.g. 9090, 5353/udp");
        assertThatThrownBy(() -> HostPort.udp(0)).hasMessage("exposeHostPort: port 0 is not 1..65535");
    }

    @Test
    void theSameNumberMayBeExposedForBothTransportsButEachOnce() {
        SandboxSpec spec = SandboxSpec.builder().exposeHostPort(9090).exposeHostPort(HostPort.udp(9090)).build();
        assertThat(spec.exposedHostPorts()).containsExactly(HostPort.tcp(9090), HostPort.udp(9090));
        assertThat(spec.toBuilder().build()).isEqualTo(spec);
        assertThat(spec).isNotEqualTo(SandboxSpec.builder().exposeHostPort(9090).build());
        assertThatThrownBy(() -> SandboxSpec.builder().exposeHostPort(HostPort.udp(53), HostPort.parse("53/udp")).build())
                .hasMessageStartingWith("exposeHostPort: a port is exposed twice");
    }
}
