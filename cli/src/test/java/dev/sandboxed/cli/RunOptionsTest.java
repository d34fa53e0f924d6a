package dev.sandboxed.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.spec.HostPort;
import dev.sandboxed.core.spec.PortMapping;

/** Options map to the spec without starting anything. */
class RunOptionsTest {

    @Test
    void compatArchitecturesAreOffUnlessAskedFor() {
        assertThat(RunOptions.parse(List.of("--", "true")).spec.allowCompatArchitectures()).isFalse();
        RunOptions on = RunOptions.parse(List.of("--seccomp-compat-arch", "--", "true"));
        assertThat(on.spec.allowCompatArchitectures()).isTrue();
        assertThat(on.process.command()).containsExactly("true");
    }

    @Test
    void publishAndExposeOptions() {
        RunOptions o = RunOptions.parse(List.of("--publish", "8080", "--publish=127.0.0.1:9000:53/udp",
                "--expose-host-port", "9090", "--expose-host-port", "5353/udp", "--", "true"));
        assertThat(o.spec.publishedPorts()).containsExactly(PortMapping.tcp(8080),
                PortMapping.udp(53).withHostPort(9000));
        assertThat(o.spec.exposedHostPorts()).containsExactly(HostPort.tcp(9090), HostPort.udp(5353));
        assertThatThrownBy(() -> RunOptions.parse(List.of("--publish", "0.0.0.0:80:80", "--", "true")))
                .hasMessageStartingWith("publish: host address '0.0.0.0' is not a loopback address");
        assertThatThrownBy(() -> RunOptions.parse(List.of("--publish", "80/sctp", "--", "true")))
                .hasMessageContaining("allowed: [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|/udp]");
        assertThatThrownBy(() -> RunOptions.parse(List.of("--expose-host-port", "http", "--", "true")))
                .hasMessage("expose-host-port: 'http' is not PORT[/tcp|/udp] with a port 1..65535");
        assertThatThrownBy(() -> RunOptions.parse(List.of("--publish-all", "--", "true")))
                .isInstanceOf(UsageException.class).hasMessageStartingWith("--publish-all needs --image");
        assertThatThrownBy(() -> RunOptions.parse(List.of("--net", "host", "--publish", "80", "--", "true")))
                .hasMessageStartingWith("publish: needs the sandbox's own network namespace");
    }
}
