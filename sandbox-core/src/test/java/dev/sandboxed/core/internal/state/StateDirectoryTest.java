package dev.sandboxed.core.internal.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.internal.os.Native;

/** State entries: written compact, and handed back whole to the clean-up once their owner is gone. */
class StateDirectoryTest {

    @Test
    void anAbandonedEntryGivesTheCleanUpEverythingItRecorded(@TempDir Path root) throws Exception {
        StateDirectory states = new StateDirectory(root);
        SandboxState written = new SandboxState("0123456789ab", 4242, 777, 123456, List.of("/sys/fs/cgroup/pids/x",
                "/sys/fs/cgroup/memory/x"), "2026-12-06T06:00:00Z", "rootfs=host, hostname=sandbox");
        StateDirectory.Entry entry = states.create(written.id());
        entry.write(written);
        String text = Files.readString(entry.directory().resolve("state.json"));
        assertThat(text).doesNotContain("\n").startsWith("{\"id\":\"0123456789ab\"");
        assertThat(new ObjectMapper().readValue(text, SandboxState.class)).isEqualTo(written);

        entry.release(); // as if its JVM died: the lock goes, the entry stays
        List<Optional<SandboxState>> handed = new ArrayList<>();
        assertThat(states.removeAbandoned((id, state) -> handed.add(state))).isEqualTo(1);
        assertThat(handed).containsExactly(Optional.of(written));
        assertThat(entry.directory()).doesNotExist();
    }

    @Test
    void anEntryWhoseJvmDiedHandingItToAKeeperIsAbandonedOneHandedOverIsNot(@TempDir Path root) throws Exception {
        StateDirectory states = new StateDirectory(root);
        for (boolean handedOver : new boolean[] {true, false}) {
            SandboxState written = new SandboxState("0123456789ab", 4242, 777, 123456, List.of(), "2026-12-06T06:00:00Z",
                    "rootfs=host");
            StateDirectory.Entry entry = states.create(written.id());
            entry.write(handedOver ? written.keptBy(4343, 99, Instant.now().plusSeconds(3600), null, null, null) : written);
            // A keeper holds the keeper lock (in a process of its own, as keeper.c locks it); its JVM is gone.
            Path keeperLock = entry.directory().resolve(StateDirectory.KEEPER_LOCK);
            Native.close(entry.openKeeperLock());
            Process keeper = new ProcessBuilder("python3", "-c", "import fcntl,sys\nf=open(sys.argv[1],'r+b')\n"
                    + "fcntl.lockf(f, fcntl.LOCK_EX)\nprint('locked', flush=True)\nsys.stdin.read()", keeperLock.toString())
                    .redirectErrorStream(true).start();
            try {
                assertThat(new String(keeper.getInputStream().readNBytes(7))).isEqualTo("locked\n");
                entry.release();
                List<String> cleaned = new ArrayList<>();
                assertThat(states.removeAbandoned((id, state) -> cleaned.add(id))).isEqualTo(handedOver ? 0 : 1);
                assertThat(entry.directory().toFile().exists()).isEqualTo(handedOver);
            } finally {
                keeper.getOutputStream().close();
                keeper.waitFor(10, TimeUnit.SECONDS);
                keeper.destroyForcibly();
            }
            states.removeAbandoned((id, state) -> { }); // the handed-over one, once its keeper is gone
            assertThat(entry.directory()).doesNotExist();
        }
    }
}
