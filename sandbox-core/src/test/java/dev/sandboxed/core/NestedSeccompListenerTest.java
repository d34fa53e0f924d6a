package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.spec.PortMapping;
import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.testing.ClassRuntime;
import dev.sandboxed.core.testing.ClearedProperty;
import dev.sandboxed.core.testing.RequiresSandbox;

/**
 * A process in a sandbox whose filter notifies the init (denial reports, on by default; the port bypass) cannot load
 * a filter with a listener of its own: where two filters return SECCOMP_RET_USER_NOTIF the kernel asks the newer
 * one's supervisor, which could answer CONTINUE and let a call run past every check of the init. The kernel allows
 * one listener per filter chain (EBUSY, has_duplicate_listener in kernel/seccomp.c), and ours has one: this guards
 * that every notifying filter is loaded with its listener. Filters without a listener stay allowed (bwrap inside).
 */
@RequiresSandbox
@Timeout(120)
class NestedSeccompListenerTest {
    /** argv: flags. Loads a filter that allows everything; prints "loaded", "busy" (EBUSY) or the errno. */
    private static final String LOAD = """
            import ctypes, platform, struct, sys
            libc = ctypes.CDLL(None, use_errno=True)
            insn = ctypes.create_string_buffer(struct.pack('HBBI', 0x06, 0, 0, 0x7fff0000))
            prog = ctypes.create_string_buffer(struct.pack('H6xQ', 1, ctypes.addressof(insn)))
            nr = {'x86_64': 317, 'aarch64': 277}[platform.machine()]
            r = libc.syscall(nr, 1, int(sys.argv[1]), prog)
            e = ctypes.get_errno()
            print('loaded' if r >= 0 else 'busy' if e == 16 else 'errno %d' % e)
            """;

    @RegisterExtension
    static final ClassRuntime runtime = new ClassRuntime();

    @RegisterExtension
    static final ClearedProperty BYPASS_DEFAULT = new ClearedProperty("sandboxed.publish.bypass"); // auto

    private static String load(Sandbox sandbox, int flags) {
        ExecResult r = sandbox.exec("python3", "-c", LOAD, Integer.toString(flags));
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r.stdout().trim();
    }

    @Test
    void withTheBypassANestedListenerIsRefusedAndAPlainFilterIsNot() throws Exception {
        try (Sandbox sandbox = runtime.start(SandboxSpec.builder().publish(PortMapping.tcp(8080)).build())) {
            assertThat(load(sandbox, 8)).as("SECCOMP_FILTER_FLAG_NEW_LISTENER").isEqualTo("busy");
            assertThat(load(sandbox, 0)).as("a filter without a listener, as bwrap loads").isEqualTo("loaded");
        }
    }

    @Test
    void withDenialReportsANestedListenerIsRefused() throws Exception {
        try (Sandbox sandbox = runtime.start(SandboxSpec.defaults())) {
            assertThat(load(sandbox, 8)).isEqualTo("busy");
        }
    }
}
