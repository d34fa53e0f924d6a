package example;

import static dev.sandboxed.junit.SandboxAssertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.sandboxed.junit.Container;
import dev.sandboxed.junit.Sandboxed;

@Sandboxed(hostname = "it-greeter")
class GreeterTest {

    @Test
    void greets(Container sandbox) {
        assertThat(sandbox.execShell("echo hello $(hostname)")).succeeded().hasStdout("hello it-greeter");
    }

    @Test
    void failsOnPurpose(Container sandbox) {
        sandbox.execShell("echo it-marker-stdout; echo it-marker-stderr >&2; exit 42");
        assertThat(sandbox.exec("sh", "-c", "exit 3")).succeeded();
    }
}
