package dev.sandboxed.core.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.CheckResult.Status;
import dev.sandboxed.core.internal.host.CommandRunner;
import dev.sandboxed.core.internal.host.FakeHost;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.internal.host.IdMapTool;
import dev.sandboxed.core.internal.host.IdMapTools;
import dev.sandboxed.core.internal.host.SubordinateIds;
import dev.sandboxed.core.internal.host.UserIdentity;

class HostIdMappingChecksTest {
    private static final Supplier<UserIdentity> ROOT = () -> new UserIdentity(0, 0, 0, "root");
    private static final Supplier<UserIdentity> BOB = () -> new UserIdentity(1001, 1001, 1001, "bob");
    private static final IdMapTools.FileStat SETUID_ROOT = file -> new IdMapTools.FileMode(04755, 0);
    private static final IdMapTools.FileStat PLAIN = file -> new IdMapTools.FileMode(0755, 0);

    @TempDir
    Path root;

    @Test
    void rangesForTheUserAreOk() {
        HostEnvironment host = new FakeHost(root).etc("subuid", "bob:100000:65536\n")
                .etc("subgid", "1001:100000:65536\n").environment();
        CheckResult result = new SubordinateIdsCheck(SubordinateIds.of(host), BOB).run();
        assertThat(result.status()).isEqualTo(Status.OK);
        assertThat(result.detail()).isEqualTo("subuid 100000-165535, subgid 100000-165535 for bob (uid 1001)");
    }

    @Test
    void missingRangesWarnWithUsermodFix() {
        HostEnvironment host = new FakeHost(root).etc("subuid", "alice:100000:65536\n").environment();
        CheckResult result = new SubordinateIdsCheck(SubordinateIds.of(host), BOB).run();
        assertThat(result.status()).isEqualTo(Status.WARN);
        assertThat(result.detail()).contains("/etc/subuid and /etc/subgid").contains("single mapping")
                .contains("--user 1000:1000");
        assertThat(result.fix())
                .isEqualTo("sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER");
    }

    @Test
    void onlyTheMissingFileIsNamed() {
        HostEnvironment host = new FakeHost(root).etc("subuid", "bob:100000:65536\n").environment();
        CheckResult result = new SubordinateIdsCheck(SubordinateIds.of(host), BOB).run();
        assertThat(result.status()).isEqualTo(Status.WARN);
        assertThat(result.detail()).contains("no /etc/subgid range").doesNotContain("/etc/subuid");
    }

    @Test
    void smallRangesWarn() {
        HostEnvironment host = new FakeHost(root).etc("subuid", "bob:100000:1000\n")
                .etc("subgid", "bob:100000:65536\n").environment();
        CheckResult result = new SubordinateIdsCheck(SubordinateIds.of(host), BOB).run();
        assertThat(result.status()).isEqualTo(Status.WARN);
        assertThat(result.detail()).contains("fewer than 65536");
    }

    @Test
    void rootNeedsNoRanges() {
        HostEnvironment host = new FakeHost(root).environment();
        assertThat(new SubordinateIdsCheck(SubordinateIds.of(host), ROOT).run().status()).isEqualTo(Status.OK);
    }

    @Test
    void setuidRootHelpersAreUsable() {
        HostEnvironment host = new FakeHost(root).executable("/usr/bin/newuidmap")
                .executable("/usr/bin/newgidmap").environment();
        IdMapTools tools = new IdMapTools(host, SETUID_ROOT);
        assertThat(tools.newuidmap().privilege()).isEqualTo(IdMapTool.Privilege.SETUID_ROOT);
        assertThat(tools.bothUsable()).isTrue();
        CheckResult result = new IdMapToolsCheck(tools, BOB).run();
        assertThat(result.status()).isEqualTo(Status.OK);
        assertThat(result.detail()).contains("newuidmap (" + root.resolve("usr/bin/newuidmap") + ", setuid root)");
    }

    @Test
    void helpersAreFoundOnPathBeforeUsrBin() {
        FakeHost fake = new FakeHost(root).executable("/opt/shadow/bin/newuidmap").executable("/usr/bin/newuidmap");
        fake.env.put("PATH", "relative/bin:/opt/shadow/bin");
        IdMapTool tool = new IdMapTools(fake.environment(), SETUID_ROOT).newuidmap();
        assertThat(tool.path()).contains(root.resolve("opt/shadow/bin/newuidmap"));
    }

    @Test
    void missingHelpersWarnWithInstallFix() {
        HostEnvironment host = new FakeHost(root).executable("/usr/bin/newuidmap").environment();
        CheckResult result = new IdMapToolsCheck(new IdMapTools(host, SETUID_ROOT), BOB).run();
        assertThat(result.status()).isEqualTo(Status.WARN);
        assertThat(result.detail()).contains("newgidmap not found");
        assertThat(result.fix()).isEqualTo("sudo apt-get install uidmap");
    }

    @Test
    void helpersWithoutSetuidWarnWithChmodFix() {
        HostEnvironment host = new FakeHost(root).executable("/usr/bin/newuidmap")
                .executable("/usr/bin/newgidmap").environment();
        CheckResult result = new IdMapToolsCheck(new IdMapTools(host, PLAIN), BOB).run();
        assertThat(result.status()).isEqualTo(Status.WARN);
        assertThat(result.fix()).startsWith("sudo chmod u+s,go-w " + root.resolve("usr/bin/newuidmap") + " "
                + root.resolve("usr/bin/newgidmap"));
    }

    @Test
    void setuidButNotOwnedByRootIsNotUsable() {
        HostEnvironment host = new FakeHost(root).executable("/usr/bin/newuidmap").environment();
        IdMapTool tool = new IdMapTools(host, file -> new IdMapTools.FileMode(04755, 1001)).newuidmap();
        assertThat(tool.privilege()).isEqualTo(IdMapTool.Privilege.UNPRIVILEGED);
    }

    @Test
    void fileCapabilitiesReportedByGetcapCount() throws Exception {
        FakeHost fake = new FakeHost(root).executable("/usr/bin/newuidmap").executable("/usr/bin/newgidmap")
                .executable("/usr/sbin/getcap");
        HostEnvironment host = HostEnvironment.underRoot(root, Map.of("PATH", "/usr/bin"), (command, timeout) ->
                CommandRunner.Result.exited(0, command.get(1) + (command.get(1).endsWith("newuidmap")
                        ? " cap_setuid=ep" : " cap_setgid=ep")));
        IdMapTools tools = new IdMapTools(host, PLAIN);
        assertThat(tools.newuidmap().privilege()).isEqualTo(IdMapTool.Privilege.FILE_CAPABILITIES);
        assertThat(tools.newgidmap().privilege()).isEqualTo(IdMapTool.Privilege.FILE_CAPABILITIES);
        assertThat(fake.root).isEqualTo(root);
    }

    @Test
    void helpersDoNotMatterForRoot() {
        HostEnvironment host = new FakeHost(root).environment();
        assertThat(new IdMapToolsCheck(new IdMapTools(host, PLAIN), ROOT).run().status()).isEqualTo(Status.OK);
    }

    @Test
    void realStatReaderSeesTheSetuidBit() throws Exception {
        Path file = Files.createFile(root.resolve("helper"));
        Files.setAttribute(file, "unix:mode", 04755);
        IdMapTools.FileMode mode = IdMapTools.unixModeAndOwner(file);
        assertThat(mode.mode() & 07777).isEqualTo(04755);
        assertThat(mode.ownerUid()).isEqualTo(Long.valueOf(Files.getAttribute(file, "unix:uid").toString()));
    }
}
