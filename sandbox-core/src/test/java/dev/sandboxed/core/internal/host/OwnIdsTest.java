package dev.sandboxed.core.internal.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The ids the state directory, the private cache and the operations socket are named and checked by. */
class OwnIdsTest {
    private static int id(String option) throws IOException, InterruptedException {
        Process id = new ProcessBuilder("id", option).redirectErrorStream(true).start();
        String out = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(id.waitFor()).as("id %s: %s", option, out).isZero();
        return Integer.parseInt(out);
    }

    @Test
    void theIdsAreWhatIdSaysForThisProcess() throws Exception {
        assertThat(OwnIds.uid()).isEqualTo(id("-ru"));
        assertThat(OwnIds.gid()).isEqualTo(id("-rg"));
        assertThat(OwnIds.effectiveUid()).isEqualTo(id("-u"));
    }

    @Test
    void realAndEffectiveIdsComeFromTheirOwnColumns() {
        ProcStatus status = ProcStatus.parse(List.of("Name:\tjava", "Uid:\t1000\t1001\t1002\t1003",
                "Gid:\t2000\t2001\t2002\t2003"));
        assertThat(OwnIds.from(status)).isEqualTo(new OwnIds.Ids(1000, 2000, 1001));
    }

    @Test
    void withoutProcTheFailureSaysWhy() {
        assertThatThrownBy(() -> OwnIds.from(ProcStatus.parse(List.of()))).isInstanceOf(IllegalStateException.class)
                .hasMessage("cannot read Uid: from /proc/self/status; is /proc mounted?");
    }
}
