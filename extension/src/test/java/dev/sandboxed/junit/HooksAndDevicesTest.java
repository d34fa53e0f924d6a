package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;

import dev.sandboxed.core.spec.Hook;

/** {@code hooks} and {@code devices} attributes, and the customizers' afterStart and afterClose callbacks. */
class HooksAndDevicesTest {
    static final List<String> EVENTS = new CopyOnWriteArrayList<>();
    static final List<Integer> PIDS = new CopyOnWriteArrayList<>();

    @BeforeEach
    void reset() {
        EVENTS.clear();
        PIDS.clear();
    }

    /** A customizer for its callbacks only: it leaves the spec as it is. */
    abstract static class CallbacksOnly implements SandboxCustomizer {
        @Override
        public void customize(dev.sandboxed.core.spec.SandboxSpec.Builder spec,
                              org.junit.jupiter.api.extension.ExtensionContext context) {
        }
    }

    /** Records what each callback sees of the container. */
    static class Recording extends CallbacksOnly {
        @Override
        public void afterStart(Container container) {
            PIDS.add(container.pid());
            EVENTS.add("afterStart " + container.exec("hostname").stdout().strip()
                    + " " + container.sandbox().spec().hooks(Hook.Stage.POSTSTOP).size());
        }

        @Override
        public void afterClose(Container container) {
            EVENTS.add("afterClose " + container.sandbox().hookFailures());
        }
    }

    static class FailingAfterStart extends CallbacksOnly {
        @Override
        public void afterStart(Container container) {
            PIDS.add(container.pid());
            throw new IllegalStateException("not ready for this test");
        }
    }

    static class Fixture {
        @Test
        void test(@Sandboxed(customizers = Recording.class, hooks = {"createRuntime:/bin/true", "poststop:/bin/false"},
                devices = "/dev/null:/dev/mine:c:1:3") Container c) {
            EVENTS.add("test " + c.execShell("echo x > /dev/mine && stat -c %t:%T /dev/mine").stdout().strip());
        }
    }

    @Test
    void callbacksRunAroundTheTestAndSeeTheContainerAndItsHooks() {
        EngineExecutionResults results = Kit.run(Fixture.class);
        Kit.succeeded(results, 1);
        assertThat(EVENTS).containsExactly("afterStart sandbox 1", "test 1:3",
                "afterClose [poststop hook /bin/false: exit status 1; no output]");
        Kit.assertNothingLeft(PIDS);
    }

    static class FailingFixture {
        @Test
        void test(@Sandboxed(customizers = FailingAfterStart.class) Container c) {
            EVENTS.add("test ran");
        }
    }

    @Test
    void aFailingAfterStartFailsTheTestAndClosesTheContainer() {
        Throwable failure = Kit.onlyFailure(Kit.run(FailingFixture.class));
        assertThat(failure).hasRootCauseInstanceOf(IllegalStateException.class)
                .hasRootCauseMessage("not ready for this test");
        assertThat(EVENTS).isEmpty();
        Kit.assertNothingLeft(PIDS);
    }

    static class BadHook {
        @Test
        void test(@Sandboxed(hooks = "teardown:/bin/true") Container c) {
        }
    }

    static class BadDevice {
        @Test
        void test(@Sandboxed(devices = "/dev/null:c:1:7") Container c) {
        }
    }

    @Test
    void badHooksAndDevicesNameTheFieldBeforeAnythingStarts() {
        Throwable hook = Kit.onlyFailure(Kit.run(BadHook.class));
        assertThat(hook).isInstanceOf(SandboxedConfigurationException.class)
                .hasMessageContaining("hooks").hasMessageContaining("unknown stage 'teardown'; allowed: prestart,");
        assertThat(((SandboxedConfigurationException) hook).field()).isEqualTo("hooks");
        Throwable device = Kit.onlyFailure(Kit.run(BadDevice.class));
        assertThat(device).isInstanceOf(SandboxedConfigurationException.class)
                .hasMessageContaining("'/dev/null' is c 1:3, not the claimed c 1:7");
        assertThat(((SandboxedConfigurationException) device).field()).isEqualTo("devices");
    }
}
