package dev.sandboxed.samples;

import static dev.sandboxed.junit.SandboxAssertions.assertThat;

import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.sandboxed.core.spec.Rlimit;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.junit.Container;
import dev.sandboxed.junit.SandboxCustomizer;
import dev.sandboxed.junit.Sandboxed;
import dev.sandboxed.junit.SandboxedExtension;

/**
 * What no {@code @Sandboxed} attribute expresses, set with the core's typed spec builder: a customizer class named in
 * the annotation (reusable, e.g. in your own meta-annotation), or customizers registered in code for the whole class.
 */
@Sandboxed(hostname = "builder")
class CustomizedSandboxTest {
    /** Every container of this class: a file descriptor budget, as a build tool in CI might have. */
    @RegisterExtension
    static SandboxedExtension sandboxes = SandboxedExtension.builder()
            .customize(spec -> spec.rlimit(Rlimit.NOFILE, 256, 256))
            .build();

    /** No capabilities at all, not even those Docker grants by default. */
    static class Unprivileged implements SandboxCustomizer {
        @Override
        public void customize(SandboxSpec.Builder spec, ExtensionContext context) {
            spec.capabilities(Set.of());
        }
    }

    @Test
    void everyContainerHasTheClassesFileLimit(Container sandbox) {
        assertThat(sandbox.execShell("ulimit -n; hostname")).succeeded().hasStdout("256\nbuilder\n");
    }

    @Test
    @Sandboxed(customizers = Unprivileged.class)
    void withoutCapabilitiesRootCannotOverridePermissions(Container sandbox) {
        assertThat(sandbox.execShell("grep CapEff /proc/self/status")).hasStdout("CapEff:\t0000000000000000\n");
        // Without CAP_DAC_OVERRIDE, root is refused like anyone else.
        assertThat(sandbox.execShell("echo secret > /tmp/f && chmod 000 /tmp/f && cat /tmp/f")).failed()
                .stderrContains("Permission denied");
        assertThat(sandbox.execShell("ulimit -n")).hasStdout("256\n");
    }
}
