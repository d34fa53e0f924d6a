package dev.sandboxed.core.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.ResourceLimits;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;

/** When a start asks for the port bypass (the property read at each start is left unset here: auto). */
class PublishBypassTest {
    @Test
    void aPublishedTcpPortWithRoomForTheConnectHelpersGetsIt() {
        assertThat(PublishBypass.wanted(SandboxSpec.builder().publish(PortMapping.tcp(8080)).build())).isTrue();
        assertThat(PublishBypass.wanted(SandboxSpec.builder().publish(PortMapping.udp(53)).build())).isFalse();
        assertThat(PublishBypass.wanted(SandboxSpec.defaults())).isFalse();
    }

    @Test
    void aTightPidsLimitGetsTheProxy() {
        // Each stream connect in progress takes one more process with the bypass.
        SandboxSpec tight = SandboxSpec.builder().publish(PortMapping.tcp(8080))
                .limits(ResourceLimits.NONE.withPidsMax(PublishBypass.MIN_PIDS - 1)).build();
        SandboxSpec roomy = SandboxSpec.builder().publish(PortMapping.tcp(8080))
                .limits(ResourceLimits.NONE.withPidsMax(PublishBypass.MIN_PIDS)).build();
        assertThat(PublishBypass.wanted(tight)).isFalse();
        assertThat(PublishBypass.wanted(roomy)).isTrue();
    }

    @Test
    void aBadValueNamesTheProperty() {
        assertThatThrownBy(() -> PublishBypass.parse("on")).isInstanceOf(SpecException.class)
                .hasMessageContaining("sandboxed.publish.bypass").hasMessageContaining("allowed: auto, off");
        assertThat(PublishBypass.parse(" OFF ")).isFalse();
        assertThat(PublishBypass.parse("")).isTrue();
    }
}
