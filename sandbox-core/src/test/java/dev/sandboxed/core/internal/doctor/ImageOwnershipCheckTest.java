package dev.sandboxed.core.internal.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.internal.host.CheckResult;
import dev.sandboxed.core.internal.host.CheckResult.Status;
import dev.sandboxed.core.internal.host.IdMapTool;
import dev.sandboxed.core.internal.host.IdMapTool.Privilege;
import dev.sandboxed.core.internal.host.IdRange;
import dev.sandboxed.core.internal.host.UserIdentity;
import dev.sandboxed.core.internal.image.OwnerPolicy;

/** The doctor's "image file owners" line in each of the three modes. */
class ImageOwnershipCheckTest {
    private static final UserIdentity ALICE = new UserIdentity(1000, 1000, 1000, "alice");
    private static final IdMapTool UID = new IdMapTool("newuidmap", Optional.of(Path.of("/usr/bin/newuidmap")),
            Privilege.SETUID_ROOT);
    private static final IdMapTool GID = new IdMapTool("newgidmap", Optional.of(Path.of("/usr/bin/newgidmap")),
            Privilege.SETUID_ROOT);

    private static CheckResult check(OwnerPolicy policy) {
        return new ImageOwnershipCheck(() -> policy).run();
    }

    @Test
    void asRootOwnersAreKept() {
        CheckResult r = check(OwnerPolicy.decide(new UserIdentity(0, 0, 0, "root"), Optional.empty(), Optional.empty(),
                UID, GID));
        assertThat(r.status()).isEqualTo(Status.OK);
        assertThat(r.detail()).startsWith("kept: layers are extracted as root");
    }

    @Test
    void rootlessWithARangeOwnersAreKeptAndTheCostIsSaid() {
        Optional<IdRange> range = Optional.of(new IdRange(100000, 65536));
        CheckResult r = check(OwnerPolicy.decide(ALICE, range, range, UID, GID));
        assertThat(r.status()).isEqualTo(Status.OK);
        assertThat(r.detail()).startsWith("kept rootless: ").contains("uids 100000-165535", "RANGE", "12 ms",
                "device nodes in layers are skipped rootless");
    }

    @Test
    void rootlessWithoutARangeItWarnsWithTheFix() {
        CheckResult r = check(OwnerPolicy.decide(ALICE, Optional.empty(), Optional.empty(), UID, GID));
        assertThat(r.status()).isEqualTo(Status.WARN);
        assertThat(r.detail()).startsWith("not kept: no /etc/subuid range for alice, so every image file is owned by"
                + " root inside the sandbox").contains("device nodes in layers are skipped rootless");
        assertThat(r.fix()).startsWith("`sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice`");
    }
}
