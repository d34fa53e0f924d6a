package dev.sandboxed.core.internal.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostFactsTest {
    @TempDir
    Path root;

    @Test
    void detectsAnUnprivilegedUsersFacts() {
        FakeHost fake = new FakeHost(root).user(1001, 1002)
                .etc("passwd", "root:x:0:0::/root:/bin/bash\nbob:x:1001:1002::/home/bob:/bin/bash\n")
                .etc("subuid", "alice:1:1\nbob:100000:65536\nbob:300000:10\n")
                .etc("subgid", "1001:200000:65536\n")
                .unshare(0, "");
        HostFacts facts = HostFacts.detect(fake.environment());

        assertThat(facts.uid()).isEqualTo(1001);
        assertThat(facts.gid()).isEqualTo(1002);
        assertThat(facts.isRoot()).isFalse();
        assertThat(facts.userName()).isEqualTo("bob");
        assertThat(facts.subuidRange()).contains(new IdRange(100000, 65536));
        assertThat(facts.subgidRange()).contains(new IdRange(200000, 65536));
        assertThat(facts.userNamespacesUsable()).isTrue();
        assertThat(facts.newuidmapUsable()).isFalse();
    }

    @Test
    void failedProbeMeansUserNamespacesUnusable() {
        FakeHost fake = new FakeHost(root).user(0, 0).proc("sys/user/max_user_namespaces", "100")
                .unshare(1, "unshare: unshare failed: Operation not permitted");
        HostFacts facts = HostFacts.detect(fake.environment());
        assertThat(facts.isRoot()).isTrue();
        assertThat(facts.userNamespacesUsable()).isFalse();
        assertThat(facts.subuidRange()).isEmpty();
    }

    @Test
    void withoutUnshareTheSysctlsDecide() {
        FakeHost open = new FakeHost(root.resolve("open")).user(1001, 1001)
                .proc("sys/user/max_user_namespaces", "100");
        assertThat(HostFacts.detect(open.environment()).userNamespacesUsable()).isTrue();

        FakeHost closed = new FakeHost(root.resolve("closed")).user(1001, 1001)
                .proc("sys/user/max_user_namespaces", "100").proc("sys/kernel/unprivileged_userns_clone", "0");
        assertThat(HostFacts.detect(closed.environment()).userNamespacesUsable()).isFalse();
    }

    @Test
    void userWithoutPasswdEntryIsNamedByUid() {
        FakeHost fake = new FakeHost(root).user(4242, 4242).unshare(0, "");
        assertThat(HostFacts.detect(fake.environment()).userName()).isEqualTo("4242");
    }

    @Test
    void effectiveUidDecidesRoot() {
        FakeHost fake = new FakeHost(root).proc("self/status", "Uid:\t1001\t0\t0\t0\nGid:\t1001\t1001\t1001\t1001\n");
        UserIdentity identity = UserIdentity.read(fake.environment());
        assertThat(identity.uid()).isEqualTo(1001);
        assertThat(identity.effectiveUid()).isZero();
        assertThat(identity.isRoot()).isTrue();
    }

    @Test
    void missingProcStatusIsAClearError() {
        assertThatThrownBy(() -> HostFacts.detect(new FakeHost(root).environment()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is /proc mounted?");
    }

    @Test
    void currentIsComputedOnce() {
        assertThat(HostFacts.current()).isSameAs(HostFacts.current());
    }
}
