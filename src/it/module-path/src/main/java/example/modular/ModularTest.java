package example.modular;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.sandboxed.junit.Container;
import dev.sandboxed.junit.Sandboxed;

@Sandboxed(hostname = "modular")
class ModularTest {
    @Test
    void runsACommandInASandbox(Container container) {
        assertThat(container.exec("hostname").stdout()).isEqualTo("modular\n");
    }

    @Test
    void theSandboxHasItsOwnPidNamespace(Container container) {
        // PID 1 is the sandbox's init; the first process started in it comes right after.
        assertThat(Integer.parseInt(container.exec("sh", "-c", "echo $$").stdout().strip())).isLessThan(10);
    }
}
