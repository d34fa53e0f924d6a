package dev.sandboxed.junit.internal.hermetic;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class InvocationsTest {
    @Test
    void positionalSegmentsAreInvocationsAndDynamicNodes() {
        String method = "[engine:junit-jupiter]/[class:a.B]/[method:m()]";
        assertThat(Invocations.positional(method)).isFalse();
        assertThat(Invocations.positional("[engine:junit-jupiter]/[class:a.B]/[test-template:m(int)]/[test-template-invocation:#2]"))
                .isTrue();
        assertThat(Invocations.positional("[engine:junit-jupiter]/[class-template:a.B]/[class-template-invocation:#1]")).isTrue();
        assertThat(Invocations.positional("[engine:junit-jupiter]/[class-template:a.B]/[class-template-invocation:#1]/[method:m()]"))
                .isFalse();
        assertThat(Invocations.positional("[engine:junit-jupiter]/[class:a.B]/[test-factory:f()]/[dynamic-container:#1]")).isTrue();
        assertThat(Invocations.positional("[engine:junit-jupiter]/[class:a.B]/[method:m(%5B)]")).isFalse();
        assertThat(Invocations.positional("not a unique id")).isFalse();
    }
}
