package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.cgroup.CgroupConfig;
import dev.sandboxed.core.internal.cgroup.CgroupManager;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * On cgroup v2 the init is cloned straight into its cgroup (clone3 with CLONE_INTO_CGROUP). Exercised on a
 * real cgroup2 mount: this host's controllers live on v1, but its cgroup2 hierarchy still takes processes.
 */
@RequiresSandbox
class CloneIntoCgroupTest {

    @Test
    void initStartsInItsV2Cgroup(@TempDir Path tmp) throws Exception {
        Optional<String> cgroup2 = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.contains(" - cgroup2 ")).map(l -> l.split(" ")[4]).findFirst();
        Assumptions.assumeTrue(cgroup2.isPresent(), "no cgroup2 mount on this host");
        Path root = Path.of(cgroup2.get());
        Assumptions.assumeTrue(Files.isWritable(root), () -> "cgroup2 at " + root + " is not writable by this user");
        String ownLine = Files.readAllLines(Path.of("/proc/self/cgroup")).stream().filter(l -> l.startsWith("0::"))
                .findFirst().orElse("0::/");
        Path mountinfo = tmp.resolve("mountinfo");
        Files.writeString(mountinfo, "40 25 0:35 / " + root + " rw,relatime shared:9 - cgroup2 cgroup2 rw\n");
        Path procCgroup = tmp.resolve("cgroup");
        Files.writeString(procCgroup, ownLine + "\n");
        String parent = "sandboxed-clone-into-test";
        Path parentDir = root.resolve(parent);
        CgroupManager v2 = CgroupManager.detect(CgroupConfig.builder().mountinfo(mountinfo).procCgroup(procCgroup)
                .parent(parent).build());
        assertThat(v2.version()).isEqualTo("v2");
        try (SandboxRuntime runtime = new SandboxRuntime(RuntimeConfig.fromSystemProperties(), v2);
                Sandbox s = runtime.start(SandboxSpec.defaults())) {
            String expected = "0::/" + parent + "/sandboxed-" + s.id();
            List<String> initCgroup = Files.readAllLines(Path.of("/proc/" + s.pid() + "/cgroup"));
            assertThat(initCgroup).contains(expected);
            // Everything the sandbox starts is in there too.
            assertThat(s.exec("cat", "/proc/self/cgroup").stdout()).contains("0::/");
            assertThat(Files.readString(parentDir.resolve("sandboxed-" + s.id()).resolve("cgroup.procs")).trim())
                    .isEqualTo(Integer.toString(s.pid()));
        } finally {
            Files.deleteIfExists(parentDir);
        }
    }
}
