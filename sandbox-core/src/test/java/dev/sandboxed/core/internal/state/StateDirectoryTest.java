package dev.sandboxed.core.internal.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
}
