package dev.sandboxed.junit.internal.hermetic;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class InvocationsTest {
    private static final ClassLoader LOADER = InvocationsTest.class.getClassLoader();
    private static final String SELF = InvocationsTest.class.getName();

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

    @Test
    void identityHashesOfLoadableClassesAreMasked() {
        assertThat(Invocations.sameName("[1] " + SELF + "@1b2c3d", "[1] " + SELF + "@7f0a", LOADER)).isTrue();
        assertThat(Invocations.sameName("[1] java.lang.Object@1b2c3d, " + SELF + "@1", "[1] java.lang.Object@9, " + SELF + "@2",
                LOADER)).isTrue();
        // A lambda's hidden class has an address suffix, another in each JVM.
        assertThat(Invocations.sameName("[2] " + SELF + "$$Lambda/0x000071a2c8003a00@5e9f23b4",
                "[2] " + SELF + "$$Lambda/0x00007f0018001800@1d2adfbe", LOADER)).isTrue();
        assertThat(Invocations.sameName("[2] " + SELF + "$$Lambda$14/0x0000000800c03000@5e9f23b4",
                "[2] " + SELF + "$$Lambda$15/0x0000000800c04000@1d2adfbe", LOADER)).isTrue();
    }

    @Test
    void whatOnlyLooksLikeAnIdentityHashMustBeEqual() {
        assertThat(Invocations.sameName("[1] user@cafe", "[1] user@beef", LOADER)).as("no class user").isFalse();
        assertThat(Invocations.sameName("[1] no.such.Type@1b2c3d", "[1] no.such.Type@2", LOADER)).isFalse();
        assertThat(Invocations.sameName("[1] " + SELF + "@1b2c3d", "[1] java.lang.Object@1b2c3d", LOADER))
                .as("other classes").isFalse();
        assertThat(Invocations.sameName("[1] " + SELF + "@1b2c3d", "[2] " + SELF + "@1b2c3d", LOADER)).isFalse();
        assertThat(Invocations.sameName("[1] " + SELF + "@123456789", "[1] " + SELF + "@1", LOADER)).as("over 8 digits").isFalse();
        assertThat(Invocations.sameName("[1] x" + SELF + "@1", "[1] x" + SELF + "@2", LOADER)).isFalse();
        assertThat(Invocations.sameName("[1] 1", "[1] 1", LOADER)).isTrue();
    }
}
