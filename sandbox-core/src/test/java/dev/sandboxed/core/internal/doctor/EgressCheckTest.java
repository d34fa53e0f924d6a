package dev.sandboxed.core.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.egress.EgressTool;
import dev.sandboxed.core.internal.egress.EgressTools;
import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.CheckResult.Status;
import dev.sandboxed.core.internal.host.FakeHost;
import dev.sandboxed.core.spec.SpecException;

/** Which egress tool a host has, which one is used, and what doctor and a start say when there is none. */
class EgressCheckTest {

    private static EgressTools tools(FakeHost host) {
        return new EgressTools(host.environment());
    }

    @Test
    void pastaIsPreferredAndSlirp4netnsCanBeForced(@TempDir Path root) {
        FakeHost host = new FakeHost(root).executable("/usr/bin/pasta").executable("/usr/bin/slirp4netns")
                .file("/dev/net/tun", "");
        assertThat(tools(host).choose(null).orElseThrow().tool()).isEqualTo(EgressTool.PASTA);
        assertThat(tools(host).choose("slirp4netns").orElseThrow().tool()).isEqualTo(EgressTool.SLIRP4NETNS);
        CheckResult ok = new EgressCheck(tools(host), null).run();
        assertThat(ok.status()).isEqualTo(Status.OK);
        assertThat(ok.detail()).contains("pasta " + root.resolve("usr/bin/pasta"))
                .contains("slirp4netns " + root.resolve("usr/bin/slirp4netns")).endsWith("egress uses pasta");
        assertThat(new EgressCheck(tools(host), "slirp4netns").run().detail())
                .endsWith("egress uses slirp4netns (" + EgressTools.TOOL_PROPERTY + ")");
    }

    @Test
    void slirp4netnsIsTheFallback(@TempDir Path root) {
        FakeHost host = new FakeHost(root).executable("/usr/bin/slirp4netns").file("/dev/net/tun", "");
        assertThat(tools(host).choose("auto").orElseThrow().tool()).isEqualTo(EgressTool.SLIRP4NETNS);
        assertThat(tools(host).choose("pasta")).isEmpty();
        assertThat(new EgressCheck(tools(host), null).run().detail()).startsWith("no pasta, slirp4netns ")
                .endsWith("egress uses slirp4netns");
    }

    @Test
    void noToolIsAWarningAndAOneLineRefusal(@TempDir Path root) {
        FakeHost host = new FakeHost(root).file("/dev/net/tun", "");
        CheckResult none = new EgressCheck(tools(host), null).run();
        assertThat(none.status()).isEqualTo(Status.WARN);
        assertThat(none.detail()).contains("no pasta, no slirp4netns").contains("network egress is unavailable");
        assertThat(none.fix()).contains("apt-get install passt");
        assertThatThrownBy(() -> tools(host).forSandbox()).isInstanceOf(SpecException.class)
                .hasMessageStartingWith("network: egress needs pasta (Debian: apt-get install passt) or slirp4netns")
                .hasMessageContaining("neither is installed").hasMessageNotContaining("\n");
    }

    @Test
    void aClosedTunIsNamedWithItsFix(@TempDir Path root) {
        FakeHost host = new FakeHost(root).executable("/usr/bin/pasta"); // no /dev/net/tun at all
        CheckResult closed = new EgressCheck(tools(host), null).run();
        assertThat(closed.status()).isEqualTo(Status.WARN);
        assertThat(closed.detail()).contains("/dev/net/tun is not readable and writable by you");
        assertThat(closed.fix()).contains("chmod 0666 /dev/net/tun");
        assertThatThrownBy(() -> tools(host).forSandbox()).isInstanceOf(SpecException.class)
                .hasMessageContaining("/dev/net/tun readable and writable");
    }

    @Test
    void anUnknownToolIsNamed(@TempDir Path root) {
        FakeHost host = new FakeHost(root).executable("/usr/bin/pasta");
        assertThat(new EgressCheck(tools(host), "vpnkit").run().detail())
                .contains("unknown egress tool 'vpnkit'; allowed: auto, pasta, slirp4netns");
    }

    @Test
    void pastaForwardsNoPortsAndMapsTheHostOnlyWhenAsked() {
        Path exe = Path.of("/usr/bin/pasta");
        var hermetic = EgressTool.PASTA.argv(exe, "/u", "/n", false, false);
        assertThat(String.join(" ", hermetic)).contains("-t none -u none -T none -U none").contains("--no-map-gw")
                .contains("--userns /u --netns /n").doesNotContain("--runas");
        assertThat(EgressTool.PASTA.argv(exe, "/u", "/n", true, true)).doesNotContain("--no-map-gw")
                .containsSequence("--runas", "0:0");
        assertThat(EgressTool.SLIRP4NETNS.argv(Path.of("/usr/bin/slirp4netns"), "/u", "/n", false, false))
                .contains("--disable-host-loopback", "--userns-path=/u").endsWith("/n", "tap0");
        assertThat(EgressTool.SLIRP4NETNS.argv(Path.of("/usr/bin/slirp4netns"), "/u", "/n", true, false))
                .doesNotContain("--disable-host-loopback");
    }
}
