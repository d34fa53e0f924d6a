package dev.sandboxed.junit.internal.cleanup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class CleanupStepsTest {

    @Test
    void everyStepRunsAndTheFirstFailureCarriesTheOthers() {
        List<String> ran = new ArrayList<>();
        CleanupSteps steps = new CleanupSteps();
        steps.run(() -> ran.add("a"));
        steps.run(() -> {
            ran.add("b");
            throw new IllegalStateException("b failed");
        });
        steps.run(() -> ran.add("c"));
        steps.run(() -> {
            throw new IllegalArgumentException("d failed");
        });

        assertThat(ran).containsExactly("a", "b", "c");
        assertThatThrownBy(steps::throwFirstFailure).isInstanceOf(IllegalStateException.class)
                .hasMessage("b failed").satisfies(t -> assertThat(t.getSuppressed()).singleElement()
                        .extracting(Throwable::getMessage).isEqualTo("d failed"));
    }

    @Test
    void nothingIsThrownWhenEveryStepSucceeds() {
        CleanupSteps steps = new CleanupSteps();
        steps.run(() -> { });
        steps.throwFirstFailure();
    }
}
