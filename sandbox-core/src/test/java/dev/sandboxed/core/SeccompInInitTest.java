package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.ClassRuntime;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * The init loads its sandbox's seccomp filter into itself once, and each process inherits it instead of loading it
 * again, where the filter allows everything the init does afterwards; elsewhere each process loads it as before.
 * Either way every process runs under exactly one copy of the filter.
 */
@RequiresSandbox
@Timeout(120)
class SeccompInInitTest {
    /** Seccomp mode (2: filter) and number of filters of the init (pid 1) and of the process itself. */
    private static final String STATUS = "for p in 1 self; do grep -E '^Seccomp(_filters)?:' /proc/$p/status"
            + " | tr -d '\\t' | tr '\\n' ' '; echo; done;"
            + " kill -0 $$ 2>/dev/null && echo kill-allowed || echo kill-refused";

    @RegisterExtension
    static final ClassRuntime runtime = new ClassRuntime();

    private static String status(SandboxSpec spec) {
        try (Sandbox sandbox = runtime.start(spec)) {
            ExecResult r = sandbox.exec("sh", "-c", STATUS);
            assertThat(r.exitCode()).as(r.toString()).isZero();
            return r.stdout();
        }
    }

    @Test
    void theInitHoldsTheDefaultFilterAndProcessesInheritIt() {
        assertThat(status(SandboxSpec.defaults()))
                .isEqualTo("Seccomp:2 Seccomp_filters:1 \nSeccomp:2 Seccomp_filters:1 \nkill-allowed\n");
        assertThat(status(SandboxSpec.builder().reportSeccompDenials(false).build()))
                .isEqualTo("Seccomp:2 Seccomp_filters:1 \nSeccomp:2 Seccomp_filters:1 \nkill-allowed\n");
    }

    @Test
    void aFilterRefusingACallOfTheInitsIsLoadedByEachProcess(@TempDir Path tmp) throws IOException {
        Path profile = tmp.resolve("profile.json");
        Files.writeString(profile, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"kill\"],"
                + " \"action\": \"SCMP_ACT_ERRNO\"}]}");
        assertThat(status(SandboxSpec.builder().seccomp(profile.toString()).build()))
                .isEqualTo("Seccomp:0 Seccomp_filters:0 \nSeccomp:2 Seccomp_filters:1 \nkill-refused\n");
    }

    @Test
    void denialsOfProcessesUnderTheInitsFilterAreReported() {
        try (Sandbox sandbox = runtime.start(SandboxSpec.defaults())) {
            for (int i = 0; i < 2; i++) {
                ExecResult r = sandbox.exec("sh", "-c", "unshare -U true; echo $?");
                assertThat(r.stdout()).isEqualTo("1\n");
            }
            assertThat(sandbox.seccompDenials()).containsEntry("unshare", 2L);
        }
    }
}
