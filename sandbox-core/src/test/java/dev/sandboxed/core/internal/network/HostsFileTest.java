package dev.sandboxed.core.internal.network;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostsFileTest {

    @Test
    void membersAreAppendedAndCommentedOutInPlace(@TempDir Path dir) throws Exception {
        try (HostsFile hosts = HostsFile.create(dir)) {
            Object inode = Files.getAttribute(hosts.path(), "unix:ino");
            long alpha = hosts.add("10.89.1.2", List.of("alpha", "db"));
            hosts.add("10.89.1.3", List.of("beta"));
            assertThat(Files.readString(hosts.path()))
                    .isEqualTo(HostsFile.HEADER + "10.89.1.2\talpha db\n10.89.1.3\tbeta\n");
            long before = Files.size(hosts.path());
            hosts.remove(alpha);
            assertThat(Files.readString(hosts.path()))
                    .isEqualTo(HostsFile.HEADER + "#0.89.1.2\talpha db\n10.89.1.3\tbeta\n");
            // The members' binds hold the inode: the file is never replaced and never shrinks.
            assertThat(Files.getAttribute(hosts.path(), "unix:ino")).isEqualTo(inode);
            assertThat(Files.size(hosts.path())).isEqualTo(before);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(hosts.path()))).isEqualTo("rw-r--r--");
        }
    }

    @Test
    void subnetsAreDistinctWhileTakenAndFreeAgainAfterwards() {
        int a = Subnets.take();
        int b = Subnets.take();
        try {
            assertThat(a).isNotEqualTo(b).isBetween(1, 254);
            assertThat(Subnets.address(a, 2)).isEqualTo("10.89." + a + ".2");
        } finally {
            Subnets.release(a);
            Subnets.release(b);
        }
    }
}
