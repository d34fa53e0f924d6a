package dev.sandboxed.core.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.host.FakeHost;
import dev.sandboxed.core.internal.host.HostFacts;
import dev.sandboxed.core.internal.image.OwnerMark;
import dev.sandboxed.core.spec.IdMappingMode;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.spec.UserSpec;

/** The id mapping for an image whose layers were given owners rootless: the range they were given with, or a refusal. */
class IdMapPlanTest {
    @TempDir
    Path root;

    private HostFacts bob(String subuid) {
        return HostFacts.detect(new FakeHost(root).user(1001, 1002)
                .etc("passwd", "bob:x:1001:1002::/home/bob:/bin/bash\n").etc("subuid", subuid)
                .etc("subgid", "bob:100000:65536\n").unshare(0, "").environment());
    }

    @Test
    void withoutOwnedLayersAutoStaysSingleForRoot() {
        IdMapPlan plan = IdMapPlan.decide(IdMappingMode.AUTO, bob("bob:100000:65536\n"), UserSpec.ROOT, List.of(), "img");
        assertThat(plan.highestId()).isZero();
    }

    @Test
    void autoTakesRangeForOwnedLayers() {
        // The fake host has no privileged newuidmap: RANGE's own refusal shows that AUTO asked for it.
        assertThatThrownBy(() -> IdMapPlan.decide(IdMappingMode.AUTO, bob("bob:100000:65536\n"), UserSpec.ROOT,
                List.of(new OwnerMark(100000, 100000, 999)), "img")).isInstanceOf(SpecException.class)
                .hasMessageStartingWith("rootfs: image img has files owned by other users, which only the RANGE id mapping shows,"
                        + " and it needs newuidmap/newgidmap");
    }

    @Test
    void singleIsRefusedForOwnedLayers() {
        assertThatThrownBy(() -> IdMapPlan.decide(IdMappingMode.SINGLE, bob("bob:100000:65536\n"), UserSpec.ROOT,
                List.of(new OwnerMark(100000, 100000, 999)), "img")).isInstanceOf(SpecException.class)
                .hasMessageStartingWith("idMapping: image img has files owned by other users")
                .hasMessageEndingWith("allowed for this image: AUTO, RANGE");
    }

    @Test
    void aChangedRangeIsRefusedWithTheFix() {
        assertThatThrownBy(() -> IdMapPlan.decide(IdMappingMode.AUTO, bob("bob:300000:65536\n"), UserSpec.ROOT,
                List.of(new OwnerMark(100000, 100000, 999)), "img")).isInstanceOf(SpecException.class)
                .hasMessage("rootfs: image img was given owners with subordinate uids from 100000 and gids from 100000"
                        + " (ids up to 999), but /etc/subuid and /etc/subgid now give 300000-365535 and 100000-165535;"
                        + " remove it (`sandboxed images rm img`) and pull it again");
        assertThatThrownBy(() -> IdMapPlan.decide(IdMappingMode.RANGE, bob("bob:100000:500\n"), UserSpec.ROOT,
                List.of(new OwnerMark(100000, 100000, 999)), "img")).hasMessageContaining("100000-100499");
    }
}
