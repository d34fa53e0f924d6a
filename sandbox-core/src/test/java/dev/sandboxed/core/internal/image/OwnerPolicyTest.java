package dev.sandboxed.core.internal.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.internal.host.IdMapTool;
import dev.sandboxed.core.internal.host.IdMapTool.Privilege;
import dev.sandboxed.core.internal.host.IdRange;
import dev.sandboxed.core.internal.host.UserIdentity;

/** Which way image files get their owners, from the host's facts. */
class OwnerPolicyTest {
    private static final UserIdentity ALICE = new UserIdentity(1000, 1001, 1000, "alice");
    private static final IdMapTool NEWUIDMAP = new IdMapTool("newuidmap", Optional.of(Path.of("/usr/bin/newuidmap")),
            Privilege.SETUID_ROOT);
    private static final IdMapTool NEWGIDMAP = new IdMapTool("newgidmap", Optional.of(Path.of("/usr/bin/newgidmap")),
            Privilege.SETUID_ROOT);
    private static final Optional<IdRange> UIDS = Optional.of(new IdRange(100000, 65536));
    private static final Optional<IdRange> GIDS = Optional.of(new IdRange(200000, 1000));

    @Test
    void realRootChownsItself() {
        OwnerPolicy p = OwnerPolicy.decide(new UserIdentity(0, 0, 0, "root"), Optional.empty(), Optional.empty(),
                NEWUIDMAP, NEWGIDMAP);
        assertThat(p.mode()).isEqualTo(OwnerPolicy.Mode.ROOT);
    }

    @Test
    void aRangeMapsAsASandboxWithRangeMappingDoes() {
        OwnerPolicy p = OwnerPolicy.decide(ALICE, UIDS, GIDS, NEWUIDMAP, NEWGIDMAP);
        assertThat(p.mode()).isEqualTo(OwnerPolicy.Mode.RANGE);
        assertThat(p.count()).as("the smaller range decides").isEqualTo(1000);
        assertThat(p.uidMapCommand()).containsExactly("/usr/bin/newuidmap", "0", "1000", "1", "1", "100000", "1000");
        assertThat(p.gidMapCommand()).containsExactly("/usr/bin/newgidmap", "0", "1001", "1", "1", "200000", "1000");
        assertThat(p.mark(999)).isEqualTo(new OwnerMark(100000, 200000, 999));
        assertThat(p.mark(999).fits(UIDS, GIDS)).isTrue();
        assertThat(p.mark(1001).fits(UIDS, GIDS)).as("id 1001 is beyond 1000 gids").isFalse();
        assertThat(p.mark(999).fits(Optional.of(new IdRange(300000, 65536)), GIDS)).isFalse();
        assertThat(p.mark(999).fits(Optional.empty(), GIDS)).isFalse();
    }

    @Test
    void withoutARangeEverythingStaysTheCallersAndTheFixIsNamed() {
        OwnerPolicy p = OwnerPolicy.decide(ALICE, Optional.empty(), GIDS, NEWUIDMAP, NEWGIDMAP);
        assertThat(p.mode()).isEqualTo(OwnerPolicy.Mode.FALLBACK);
        assertThat(p.reason()).isEqualTo("no /etc/subuid range for alice");
        assertThat(p.fix()).isEqualTo("`sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice`");
        assertThat(OwnerPolicy.decide(ALICE, UIDS, Optional.empty(), NEWUIDMAP, NEWGIDMAP).reason())
                .isEqualTo("no /etc/subgid range for alice");
    }

    @Test
    void withoutNewuidmapEverythingStaysTheCallers() {
        IdMapTool missing = new IdMapTool("newuidmap", Optional.empty(), Privilege.MISSING);
        OwnerPolicy p = OwnerPolicy.decide(ALICE, UIDS, GIDS, missing, NEWGIDMAP);
        assertThat(p.mode()).isEqualTo(OwnerPolicy.Mode.FALLBACK);
        assertThat(p.reason()).isEqualTo("newuidmap not found");
        assertThat(p.fix()).contains("uidmap");
    }
}
