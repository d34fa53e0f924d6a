/**
 * Sandboxed core: rootless Linux sandboxes from Java. The API is {@code dev.sandboxed.core} (start sandboxes, run
 * processes), {@code dev.sandboxed.core.spec} (what a sandbox and a process look like) and
 * {@code dev.sandboxed.core.result} (what comes back) and {@code dev.sandboxed.core.image} (image references
 * and pulled images). Everything under {@code internal} may change in any release;
 * it is exported only to Sandboxed's own modules.
 */
// "module": the qualified exports name modules this one is compiled without; "requires-automatic": jnr-ffi has
// no module descriptor, only an Automatic-Module-Name.
@SuppressWarnings({"module", "requires-automatic"})
module dev.sandboxed.core {
    requires com.fasterxml.jackson.databind;
    requires org.jnrproject.ffi;
    requires org.apache.commons.compress;
    requires com.github.luben.zstd_jni;
    requires java.net.http;
    requires static jdk.unsupported; // sun.misc.Signal for the CLI, reached by reflection

    exports dev.sandboxed.core;
    exports dev.sandboxed.core.image;
    exports dev.sandboxed.core.result;
    exports dev.sandboxed.core.spec;
    exports dev.sandboxed.core.wait;

    // For the JUnit extension: host support, diagnostics, seccomp profiles checked where they are declared, whether
    // a container started ahead is still what a start now would give (PreparedFreshness), and starts the runtime
    // prestarts nothing for, as the extension starts its containers ahead itself (PrestartOptOut).
    exports dev.sandboxed.core.internal.cgroup to dev.sandboxed.junit;
    exports dev.sandboxed.core.internal.doctor to dev.sandboxed.junit;
    exports dev.sandboxed.core.internal.host to dev.sandboxed.junit;
    exports dev.sandboxed.core.internal.rootfs to dev.sandboxed.junit;
    exports dev.sandboxed.core.internal.runtime to dev.sandboxed.junit;
    exports dev.sandboxed.core.internal.seccomp to dev.sandboxed.junit;

    // jnr-ffi implements JnrLibC.Calls at run time (Java 17-21), the extension removes its JVMs' shared directories
    // (OwnTree); Jackson reads and writes the state entries.
    exports dev.sandboxed.core.internal.os to org.jnrproject.ffi, dev.sandboxed.junit;
    opens dev.sandboxed.core.internal.state to com.fasterxml.jackson.databind;
}
