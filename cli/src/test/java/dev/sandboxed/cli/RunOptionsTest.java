package dev.sandboxed.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Options map to the spec without starting anything. */
class RunOptionsTest {

    @Test
    void compatArchitecturesAreOffUnlessAskedFor() {
        assertThat(RunOptions.parse(List.of("--", "true")).spec.allowCompatArchitectures()).isFalse();
        RunOptions on = RunOptions.parse(List.of("--seccomp-compat-arch", "--", "true"));
        assertThat(on.spec.allowCompatArchitectures()).isTrue();
        assertThat(on.process.command()).containsExactly("true");
    }
}
