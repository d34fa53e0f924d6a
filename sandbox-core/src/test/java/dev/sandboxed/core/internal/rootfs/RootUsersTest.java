package dev.sandboxed.core.internal.rootfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.spec.RootFs;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;
import dev.sandboxed.core.spec.UserSpec;
import dev.sandboxed.core.testing.RootDirectories;

/** User names are looked up in the sandbox's root, and a root whose files lead elsewhere is refused in one line. */
class RootUsersTest {
    private final Path tmp;
    private final Path root;
    private final Path etc;

    RootUsersTest(@TempDir Path tmp) throws Exception {
        this.tmp = tmp;
        this.root = RootDirectories.withEtc(tmp);
        this.etc = root.resolve("etc");
    }

    @Test
    void namesResolveFromTheRootsPasswdAndGroup() throws Exception {
        Files.writeString(etc.resolve("passwd"), "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n");
        Files.writeString(etc.resolve("group"), "root:x:0:\nstaff:x:50:app\n");
        SandboxSpec spec = SandboxSpec.builder().rootfs(RootFs.directory(root)).user("app:staff").build();
        assertThat(spec.userName()).contains("app:staff");
        SandboxSpec resolved = RootUsers.resolve(spec);
        assertThat(resolved.user()).isEqualTo(new UserSpec(1000, 50));
        assertThat(resolved.userName()).isEmpty();
        assertThat(RootUsers.lookup("app", RootFs.directory(root))).isEqualTo(new UserSpec(1000, 1001));
        assertThat(RootUsers.lookup("7:staff", RootFs.directory(root))).isEqualTo(new UserSpec(7, 50));
    }

    @Test
    void aPasswdThatLinksToTheHostsShadowIsRefused() throws Exception {
        Files.createSymbolicLink(etc.resolve("passwd"), Path.of("/etc/shadow"));
        assertThatThrownBy(() -> RootUsers.lookup("root", RootFs.directory(root))).isInstanceOf(SpecException.class)
                .hasMessage("user: cannot look up user 'root': /etc/passwd in root " + root
                        + ": is a symbolic link, which is not followed (ELOOP); use a numeric id");
    }

    @Test
    void anEtcThatLeadsOutOfTheRootFindsNothing() throws Exception {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("passwd"), "escaped:x:4242:4242::/:/bin/sh\n");
        Files.delete(etc);
        Files.createSymbolicLink(etc, Path.of("../".repeat(root.getNameCount() + 2) + outside.toString().substring(1)));
        assertThatThrownBy(() -> RootUsers.lookup("escaped", RootFs.directory(root))).isInstanceOf(SpecException.class)
                .hasMessageContaining("/etc/passwd in root " + root + ": No such file or directory (ENOENT)");
    }

    @Test
    void anUnknownNameNamesTheFileItWasLookedUpIn() throws Exception {
        Files.writeString(etc.resolve("passwd"), "root:x:0:0::/root:/bin/sh\n");
        assertThatThrownBy(() -> RootUsers.lookup("nobody2", RootFs.directory(root))).isInstanceOf(SpecException.class)
                .hasMessage("user: unknown user 'nobody2' (not in /etc/passwd in root " + root
                        + "); use a numeric id or a name listed there");
    }
}
