package dev.sandboxed.core.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.cgroup.FakeCgroup2Kernel;
import dev.sandboxed.core.internal.host.CheckResult;

class CgroupDoctorCheckTest {
    static final String SCOPE = "/user.slice/user-1000.slice/user@1000.service/app.slice/run-u7.scope";

    @Test
    void delegatedV2ScopeIsOkAndListsControllersAndWhere(@TempDir Path tmp) throws Exception {
        FakeCgroup2Kernel k = new FakeCgroup2Kernel(tmp.resolve("cg"), 1000);
        Path scope = k.chain(SCOPE, "cpu memory pids", 1000, 77);
        CheckResult r = new CgroupDoctorCheck(k.config(tmp, SCOPE).build()).run();
        assertThat(r.status()).isEqualTo(CheckResult.Status.OK);
        assertThat(r.name()).isEqualTo("cgroups");
        assertThat(r.detail()).contains("cgroup v2").contains("own cgroup " + scope)
                .contains("controllers available [cpu, memory, pids]");
        assertThat(k.writes).isEmpty(); // the doctor changes nothing
    }

    @Test
    void undelegatedV2ScopeWarnsWithTheSystemdRunFix(@TempDir Path tmp) throws Exception {
        FakeCgroup2Kernel k = new FakeCgroup2Kernel(tmp.resolve("cg"), 1000);
        k.chain("/user.slice/user-1000.slice/session-2.scope", "memory pids", 0, 77);
        CheckResult r = new CgroupDoctorCheck(k.config(tmp, "/user.slice/user-1000.slice/session-2.scope")
                .build()).run();
        assertThat(r.status()).isEqualTo(CheckResult.Status.WARN);
        assertThat(r.detail()).contains("not delegated to uid 1000");
        assertThat(r.fix()).startsWith("systemd-run --user --scope -p Delegate=yes mvn verify");
        assertThat(r.render()).contains("fix: systemd-run");
    }

    @Test
    void thisHostReportsItsVersion() {
        CheckResult r = new CgroupDoctorCheck().run();
        System.out.println(r.render());
        assertThat(r.detail()).startsWith("cgroup ");
        assertThat(r.status()).isNotEqualTo(CheckResult.Status.FAIL); // no limits is never fatal for the doctor
    }

    @Test
    void saysWhetherCgroupMovesWaitAfterIdle(@TempDir Path tmp) throws Exception {
        FakeCgroup2Kernel k = new FakeCgroup2Kernel(tmp.resolve("cg"), 1000);
        k.chain(SCOPE, "cpu memory pids", 1000, 77);
        CheckResult plain = new CgroupDoctorCheck(k.config(tmp, SCOPE).build()).run();
        assertThat(plain.detail()).contains("no cgroup mount has favordynmods", "mounting cgroup2 with -o favordynmods");

        Path favoring = Files.writeString(tmp.resolve("mountinfo-favoring"), String.join("\n",
                "24 1 0:22 / /sys rw,nosuid - sysfs sysfs rw,favordynmods",
                "30 24 0:26 / " + tmp.resolve("cg") + " rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate,favordynmods",
                ""));
        CheckResult fast = new CgroupDoctorCheck(k.config(tmp, SCOPE).mountinfo(favoring).build()).run();
        assertThat(fast.detail()).contains("cgroup moves are fast: favordynmods on " + tmp.resolve("cg"));
        assertThat(fast.status()).isEqualTo(CheckResult.Status.OK);
    }
}
