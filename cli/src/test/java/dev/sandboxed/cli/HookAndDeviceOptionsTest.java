package dev.sandboxed.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.spec.Device;
import dev.sandboxed.core.spec.Hook;
import dev.sandboxed.core.spec.SpecException;

/** {@code --hook}, {@code --hooks FILE} and {@code --device} map to the spec, bad input before anything starts. */
class HookAndDeviceOptionsTest {

    @Test
    void hookOptionsAddHooksInOrder() {
        RunOptions o = RunOptions.parse(List.of("--hook", "poststop:/bin/a", "--hook=createRuntime:/bin/b", "--", "true"));
        assertThat(o.spec.hooks()).extracting(Hook::toString).containsExactly("poststop:/bin/a", "createRuntime:/bin/b");
        assertThatThrownBy(() -> RunOptions.parse(List.of("--hook", "later:/bin/a", "--", "true")))
                .isInstanceOf(SpecException.class).hasMessage("hook: unknown stage 'later'; allowed: prestart,"
                        + " createRuntime, createContainer, startContainer, poststart, poststop");
    }

    @Test
    void hooksFileTakesTheOciHooksObject(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("hooks.json"), """
                {"prestart": [{"path": "/usr/bin/setup", "args": ["setup", "-v"], "env": ["A=1"], "timeout": 5}],
                 "poststop": [{"path": "/usr/bin/cleanup"}]}""");
        List<Hook> hooks = RunOptions.parse(List.of("--hooks", file.toString(), "--", "true")).spec.hooks();
        assertThat(hooks).containsExactly(
                new Hook(Hook.Stage.PRESTART, "/usr/bin/setup", List.of("setup", "-v"), List.of("A=1"),
                        Duration.ofSeconds(5)),
                Hook.of(Hook.Stage.POSTSTOP, "/usr/bin/cleanup"));
    }

    @Test
    void hooksFileAcceptsAWholeConfigJson(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("config.json"), """
                {"ociVersion": "1.2.0", "process": {}, "hooks": {"poststart": [{"path": "/bin/true"}]}}""");
        assertThat(RunOptions.parse(List.of("--hooks", file.toString(), "--", "true")).spec.hooks())
                .containsExactly(Hook.of(Hook.Stage.POSTSTART, "/bin/true"));
    }

    @Test
    void hooksFileErrorsNameTheField(@TempDir Path dir) throws Exception {
        Path zero = Files.writeString(dir.resolve("zero.json"), "{\"poststop\": [{\"path\": \"/x\", \"timeout\": 0}]}");
        assertThatThrownBy(() -> RunOptions.parse(List.of("--hooks", zero.toString(), "--", "true")))
                .hasMessage("hooks.poststop.timeout: 0 is not a whole number of seconds greater than zero");
        Path relative = Files.writeString(dir.resolve("rel.json"), "{\"poststop\": [{\"path\": \"x\"}]}");
        assertThatThrownBy(() -> RunOptions.parse(List.of("--hooks", relative.toString(), "--", "true")))
                .hasMessageStartingWith("hooks.path: 'x' is not an absolute path");
        Path stage = Files.writeString(dir.resolve("stage.json"), "{\"prestop\": []}");
        assertThatThrownBy(() -> RunOptions.parse(List.of("--hooks", stage.toString(), "--", "true")))
                .hasMessageStartingWith("hooks: unknown stage 'prestop'; allowed: prestart,");
        Path noPath = Files.writeString(dir.resolve("nopath.json"), "{\"poststop\": [{\"args\": []}]}");
        assertThatThrownBy(() -> RunOptions.parse(List.of("--hooks", noPath.toString(), "--", "true")))
                .hasMessage("hooks.poststop.path: missing; each hook needs an absolute \"path\"");
    }

    @Test
    void deviceOptionTakesNamedAndNumberedDevices() {
        RunOptions o = RunOptions.parse(List.of("--device", "/dev/null:/dev/mine:c:1:3", "--", "true"));
        assertThat(o.spec.devices()).containsExactly(new Device("/dev/mine", Path.of("/dev/null"), Device.Type.CHAR, 1, 3));
        assertThatThrownBy(() -> RunOptions.parse(List.of("--device", "/dev/null:c:1:9", "--", "true")))
                .hasMessage("devices.hostPath: '/dev/null' is c 1:3, not the claimed c 1:9");
    }
}
