package dev.sandboxed.core.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.spec.ProcessSpec;
import dev.sandboxed.core.spec.Stdio;

/** What goes with an exec message: a descriptor per stream, except the discarded ones, which the init fills. */
class StdioSetupTest {
    @Test
    void aDiscardedStreamSendsNoDescriptorAndIsMarkedForTheInit() {
        StdioSetup stdio = StdioSetup.openRaw(ProcessSpec.builder("true").stdout(Stdio.discard()).build());
        try {
            assertThat(stdio.nullStreams()).as("stdin (the default) and stdout").isEqualTo(0b011);
            assertThat(stdio.sentFds()).as("stderr's pipe only").hasSize(1);
        } finally {
            stdio.closeChildEnds();
            stdio.closeParentEnds();
        }
    }

    @Test
    void withNothingDiscardedEveryStreamSendsItsDescriptorInOrder() {
        StdioSetup stdio = StdioSetup.openRaw(ProcessSpec.builder("true").stdin(Stdio.pipe()).build());
        try {
            assertThat(stdio.nullStreams()).isZero();
            assertThat(stdio.sentFds()).hasSize(3).doesNotHaveDuplicates().doesNotContain(-1);
        } finally {
            stdio.closeChildEnds();
            stdio.closeParentEnds();
        }
    }
}
