/**
 * Seccomp for sandboxes: Docker/OCI profiles, a policy model and a compiler to classic BPF.
 *
 * <h2>For the runtime</h2>
 * <pre>{@code
 * Optional<SeccompFilter> filter = SeccompFilters.forSandbox("default", caps, notifyDenials, allowNestedNamespaces);
 * // empty: the profile is "unconfined", load nothing
 * byte[] sockFilters = filter.get().bytes();   // struct sock_filter[], little-endian, 8 bytes each
 * int count = filter.get().program().instructionCount();
 * if (filter.get().notifyDenials()) {
 *     // load with SECCOMP_FILTER_FLAG_NEW_LISTENER; answer each notification with
 *     // error = -filter.get().defaultErrno().getAsInt()
 * }
 * }</pre>
 * The profile name is {@code default} (Docker's profile plus TIOCSTI/TIOCLINUX refusals),
 * {@code docker-default}, {@code unconfined}, or a path to a Docker/OCI JSON profile. Bad
 * profiles raise {@link dev.sandboxed.core.spec.SpecException}. {@code allowNestedNamespaces}
 * additionally allows unshare, setns, clone with namespace flags, mount, umount2, pivot_root and
 * the new mount API (see {@code NestedNamespaces}); everything else
 * keeps the profile's decision. Filters are compiled once per profile, capability set,
 * architecture, mode and nested-namespace setting, then served from memory.
 *
 * <h2>Pipeline</h2>
 * {@link dev.sandboxed.core.internal.seccomp.OciProfileParser} reads JSON into an
 * {@link dev.sandboxed.core.internal.seccomp.OciProfile}; resolving it against capabilities, architecture
 * and kernel (runc/libseccomp semantics) gives a {@link dev.sandboxed.core.internal.seccomp.SeccompPolicy};
 * {@link dev.sandboxed.core.internal.seccomp.SeccompCompiler} turns that into a
 * {@link dev.sandboxed.core.internal.seccomp.BpfProgram}: arch check, x32 separation, then a binary
 * search over syscall-number ranges per ABI. Syscall numbers come from tables generated from the
 * kernel UAPI headers by {@code sandbox-core/scripts/gen-syscall-tables.py}.
 */
package dev.sandboxed.core.internal.seccomp;
