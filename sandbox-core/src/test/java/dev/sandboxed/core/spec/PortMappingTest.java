package dev.sandboxed.core.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PortMappingTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "8080|127.0.0.1|0|8080|TCP",
        "8080/tcp|127.0.0.1|0|8080|TCP",
        "53/udp|127.0.0.1|0|53|UDP",
        "9000:8080|127.0.0.1|9000|8080|TCP",
        "127.0.0.1::8080/UDP|127.0.0.1|0|8080|UDP",
        "127.0.0.2:9000:80|127.0.0.2|9000|80|TCP",
        "127.0.0.1:8080|127.0.0.1|0|8080|TCP",
        "[::1]:9000:80|::1|9000|80|TCP",
        ":80|127.0.0.1|0|80|TCP",
    })
    void parsesDockersForms(String text, String ip, int hostPort, int containerPort, PortMapping.Transport transport) {
        PortMapping m = PortMapping.parse(text);
        assertThat(m.hostAddress()).isEqualTo(ip);
        assertThat(m.hostPort()).isEqualTo(hostPort);
        assertThat(m.containerPort()).isEqualTo(containerPort);
        assertThat(m.transport()).isEqualTo(transport);
        assertThat(PortMapping.parse(m.toString())).isEqualTo(m);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "80/sctp", "0", "65536", "70000:80", "1:2:3:4", "8080/", "999999", "80:"})
    void refusesOtherFormsNamingTheFieldAndTheForms(String text) {
        assertThatThrownBy(() -> PortMapping.parse(text))
                .isInstanceOf(SpecException.class)
                .hasMessageStartingWith("publish: ")
                .hasMessageContaining("[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|/udp]")
                .extracting(e -> ((SpecException) e).field()).isEqualTo("publish");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0:80:80", "192.168.1.2::80", "[::]:80:80", "10.0.0.1:80:80"})
    void refusesHostAddressesOffLoopback(String text) {
        assertThatThrownBy(() -> PortMapping.parse(text))
                .isInstanceOf(SpecException.class)
                .hasMessageContaining("is not a loopback address; allowed: 127.x.y.z or ::1");
    }

    @Test
    void builders() {
        PortMapping m = PortMapping.udp(53).withHostPort(5353).withHostAddress("127.0.0.3");
        assertThat(m).hasToString("127.0.0.3:5353:53/udp");
        assertThat(PortMapping.tcp(80)).hasToString("127.0.0.1::80/tcp");
        assertThatThrownBy(() -> PortMapping.tcp(0)).hasMessageStartingWith("publish: container port 0 is not 1..65535");
        assertThatThrownBy(() -> PortMapping.tcp(80).withHostPort(-1)).hasMessageStartingWith("publish: host port -1");
    }

    @Test
    void specRules() {
        assertThat(SandboxSpec.builder().publish(PortMapping.tcp(80), PortMapping.udp(80)).exposeHostPort(9090).build()
                .publishedPorts()).hasSize(2);
        assertThatThrownBy(() -> SandboxSpec.builder().publish(PortMapping.tcp(80), PortMapping.tcp(80).withHostPort(9000))
                .build()).hasMessage("publish: 80/tcp is published twice; publish each sandbox port once");
        assertThatThrownBy(() -> SandboxSpec.builder().exposeHostPort(0)).hasMessageStartingWith("exposeHostPort: port 0");
        assertThatThrownBy(() -> SandboxSpec.builder().network(NetworkMode.HOST).exposeHostPort(9090).build())
                .hasMessageStartingWith("exposeHostPort: needs the sandbox's own network namespace");
        SandboxSpec spec = SandboxSpec.builder().publish(PortMapping.tcp(80)).exposeHostPort(1).build();
        assertThat(spec.toBuilder().build()).isEqualTo(spec);
        assertThat(spec).isNotEqualTo(SandboxSpec.defaults());
    }
}
