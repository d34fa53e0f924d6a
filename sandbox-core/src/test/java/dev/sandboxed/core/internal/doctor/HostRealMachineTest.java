package dev.sandboxed.core.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.host.HostFacts;
import dev.sandboxed.core.internal.host.KernelVersion;

/**
 * Runs the probes against the machine the build runs on. The project's development and CI hosts run Linux 6.x with
 * user namespaces enabled, as root and as an unprivileged user; these assertions are what sandboxes depend on.
 */
class HostRealMachineTest {

    @Test
    void kernelIsAtLeast512() {
        KernelVersion kernel = KernelVersion.read(HostEnvironment.system()).orElseThrow();
        assertThat(kernel.atLeast(5, 12)).as("kernel %s", kernel).isTrue();
    }

    @Test
    void userNamespacesAreUsable() {
        assertThat(HostFacts.current().userNamespacesUsable()).isTrue();
    }

    @Test
    void identityMatchesTheJvmsView() throws Exception {
        HostFacts facts = HostFacts.current();
        // A file this process creates is owned by its effective uid.
        Path probe = Files.createTempFile("host-facts", ".tmp");
        try {
            int owner = (Integer) Files.getAttribute(probe, "unix:uid");
            assertThat(facts.identity().effectiveUid()).isEqualTo(Integer.toUnsignedLong(owner));
            assertThat(facts.isRoot()).isEqualTo(owner == 0);
        } finally {
            Files.delete(probe);
        }
        assertThat(facts.userName()).isNotBlank();
    }

    @Test
    void standardReportSaysSandboxesCanRun() {
        HostReport report = HostProbe.runStandard(List.of());
        assertThat(report.sandboxesCanRun()).as(report.render()).isTrue();
        assertThat(report.results()).hasSize(HostProbe.standardChecks().size());
        assertThat(report.render().lines().limit(report.results().size()))
                .allMatch(line -> line.matches("\\[(OK  |WARN|FAIL)\\] .+: .*"));
    }
}
