package dev.sandboxed.core.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Hooks as a spec takes them: bad input is one line naming the field and what is allowed. */
class HookTest {

    @Test
    void parsesTheCliForm() {
        Hook h = Hook.parse("createRuntime:/usr/local/bin/setup");
        assertThat(h.stage()).isEqualTo(Hook.Stage.CREATE_RUNTIME);
        assertThat(h.path()).isEqualTo("/usr/local/bin/setup");
        assertThat(h.args()).containsExactly("/usr/local/bin/setup");
        assertThat(h.env()).isEmpty();
        assertThat(h.timeout()).isEqualTo(Hook.DEFAULT_TIMEOUT);
    }

    @Test
    void anUnknownStageNamesTheAllowedOnes() {
        assertThatThrownBy(() -> Hook.parse("prestop:/bin/true"))
                .isInstanceOf(SpecException.class)
                .hasMessage("hook: unknown stage 'prestop'; allowed: prestart, createRuntime, createContainer,"
                        + " startContainer, poststart, poststop");
        assertThatThrownBy(() -> Hook.parse("/bin/true")).hasMessageStartingWith("hook: '/bin/true' is not STAGE:PATH");
    }

    @Test
    void aRelativePathIsRefused() {
        assertThatThrownBy(() -> Hook.parse("poststop:bin/cleanup"))
                .isInstanceOf(SpecException.class)
                .hasMessage("hooks.path: 'bin/cleanup' is not an absolute path; a hook's path must be absolute, such as"
                        + " /usr/local/bin/my-hook");
    }

    @Test
    void aNonPositiveTimeoutIsRefused() {
        Hook h = Hook.parse("poststop:/bin/true");
        assertThatThrownBy(() -> h.withTimeout(Duration.ZERO))
                .isInstanceOf(SpecException.class).extracting(e -> ((SpecException) e).field()).isEqualTo("hooks.timeout");
        assertThatThrownBy(() -> h.withTimeout(Duration.ofSeconds(-1))).hasMessageContaining("is not positive");
    }

    @Test
    void envEntriesMustBeNameValue() {
        assertThatThrownBy(() -> Hook.parse("poststop:/bin/true").withEnv("JUSTANAME"))
                .isInstanceOf(SpecException.class).hasMessage("hooks.env: 'JUSTANAME' is not NAME=VALUE");
    }

    @Test
    void aSpecKeepsItsHooksPerStageInOrder() {
        SandboxSpec spec = SandboxSpec.builder().hook(Hook.parse("poststop:/a")).hook(Hook.parse("prestart:/b"))
                .hook(Hook.parse("poststop:/c")).build();
        assertThat(spec.hooks(Hook.Stage.POSTSTOP)).extracting(Hook::path).isEqualTo(List.of("/a", "/c"));
        assertThat(spec.toBuilder().build()).isEqualTo(spec);
    }
}
