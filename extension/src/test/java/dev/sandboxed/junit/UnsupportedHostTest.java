package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;

import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.spec.ResourceLimits;

/** On a host that cannot run the sandbox: fail with the reason by default, skip when configured; never pass. */
class UnsupportedHostTest {
    static final AtomicInteger BODIES_RUN = new AtomicInteger();

    @BeforeEach
    void reset() {
        BODIES_RUN.set(0);
    }

    @Sandboxed
    static class NeedsSandbox {
        @Test
        void withParameter(Container c) {
            BODIES_RUN.incrementAndGet();
        }

        @Test
        void withoutParameter() {
            BODIES_RUN.incrementAndGet();
        }
    }

    static class ParameterOnly {
        @Test
        void onlyTheParameterIsAnnotated(@Sandboxed(memory = "32m") Container c) {
            BODIES_RUN.incrementAndGet();
        }
    }

    @Sandboxed
    static class ConstructorInjected {
        private final Container container;

        ConstructorInjected(Container container) {
            this.container = container;
        }

        @Test
        void usesTheConstructorsContainer() {
            BODIES_RUN.incrementAndGet();
            assertThat(container).isNotNull();
        }
    }

    static class ConstructorParameterOnly {
        ConstructorParameterOnly(@Sandboxed(memory = "32m") Container container) {
        }

        @Test
        void test() {
            BODIES_RUN.incrementAndGet();
        }
    }

    @Test
    void aConstructorParameterIsSkippedLikeAnyOther() {
        Map<String, String> skip = Map.of(ExtensionConfig.SIMULATE_UNSUPPORTED, "simulated", ExtensionConfig.UNSUPPORTED, "skip");
        Kit.run(ConstructorInjected.class, skip).testEvents().assertStatistics(s -> s.succeeded(0).aborted(1).failed(0));
        Kit.run(ConstructorParameterOnly.class, skip).testEvents().assertStatistics(s -> s.succeeded(0).aborted(1).failed(0));
        Kit.run(ConstructorInjected.class, SIMULATED).testEvents().assertStatistics(s -> s.succeeded(0).failed(1))
                .assertThatEvents().haveExactly(1, event(test(), finishedWithFailure(instanceOf(SandboxUnavailableException.class))));
        assertThat(BODIES_RUN).hasValue(0);
    }

    private static final Map<String, String> SIMULATED = Map.of(ExtensionConfig.SIMULATE_UNSUPPORTED, "no user namespaces here");

    @Test
    void failsWithTheReasonByDefault() {
        Kit.run(NeedsSandbox.class, SIMULATED).testEvents()
                .assertStatistics(s -> s.failed(2).succeeded(0).aborted(0))
                .assertThatEvents().haveExactly(2, event(test(), finishedWithFailure(
                        instanceOf(SandboxUnavailableException.class),
                        message(m -> m.contains("no user namespaces here") && m.contains("sandboxed.unsupported=skip")))));
        assertThat(BODIES_RUN).hasValue(0);
    }

    @Test
    void skipsWithTheReasonWhenConfigured() {
        var events = Kit.run(NeedsSandbox.class, Map.of(ExtensionConfig.SIMULATE_UNSUPPORTED, "no user namespaces here",
                ExtensionConfig.UNSUPPORTED, "skip")).testEvents();
        events.assertStatistics(s -> s.aborted(2).failed(0).succeeded(0));
        events.aborted().stream().forEach(e -> assertThat(e.getRequiredPayload(TestExecutionResult.class).getThrowable()
                .orElseThrow()).hasMessageContaining("no user namespaces here"));
        assertThat(BODIES_RUN).hasValue(0);
    }

    @Test
    void aParameterAnnotationAloneIsEnough() {
        Kit.run(ParameterOnly.class, Map.of(ExtensionConfig.SIMULATE_UNSUPPORTED, "simulated", ExtensionConfig.UNSUPPORTED, "skip"))
                .testEvents().assertStatistics(s -> s.succeeded(0).aborted(1).failed(0));
        Kit.run(ParameterOnly.class, SIMULATED).testEvents().assertStatistics(s -> s.succeeded(0).failed(1));
        assertThat(BODIES_RUN).hasValue(0);
    }

    @Test
    void anUnknownPolicyIsRejected() {
        Kit.run(NeedsSandbox.class, Map.of(ExtensionConfig.UNSUPPORTED, "ignore")).testEvents()
                .assertStatistics(s -> s.failed(2))
                .assertThatEvents().haveExactly(2, event(test(), finishedWithFailure(message(m -> m.contains("expected fail or skip")))));
    }

    @Test
    void aLimitThisHostCannotEnforceIsReportedNotIgnored() {
        // As root with cgroup v1 limits work; as an unprivileged user without a delegated parent they do not.
        // Either way the test must not silently run without its limit.
        Kit.run(WithLimit.class).testEvents().assertStatistics(s -> s.succeeded(WithLimit.expectSupported() ? 1 : 0)
                .failed(WithLimit.expectSupported() ? 0 : 1));
    }

    @Sandboxed(pids = "64")
    static class WithLimit {
        static boolean expectSupported() {
            return SandboxRuntime.shared()
                    .limitsUnsupported(ResourceLimits.NONE.withPidsMax(64)).isEmpty();
        }

        @Test
        void limited(Container c) {
            assertThat(c.spec().limits().pidsMax()).hasValue(64);
        }
    }
}
