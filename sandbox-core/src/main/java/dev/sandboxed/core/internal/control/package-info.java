/**
 * Operating a sandbox from outside the JVM that owns it: {@code sandboxed ps}, {@code inspect}, {@code exec},
 * {@code kill} and {@code rm}.
 *
 * <p>Only the owning JVM can act on a sandbox: it holds the init's control socket (the only way to start a process in
 * it), the compiled seccomp program and the id map plan. So each JVM that starts a sandbox listens on one AF_UNIX
 * SOCK_SEQPACKET socket in the abstract namespace, {@code @sandboxed-ops/<uid>/<pid>}, and the CLI reaches a sandbox
 * through the {@code ownerPid} of its state entry (the state directory, 0700 and the user's own, is what lists
 * sandboxes and their owners). Abstract, because a file in the state directory would outlive a killed JVM and would be
 * one more entry there; the socket goes with the JVM's last descriptor of it, and a sandbox in its own network
 * namespace (the default) cannot even see it.
 *
 * <p>Both ends check the other with SO_PEERCRED, since anyone may connect to or take an abstract name. The JVM answers
 * only a caller of its own uid in its own user and mount namespaces: a process inside a sandbox runs as the same uid
 * outside (its root is mapped to the owner), and one sharing the host's network namespace reaches the name, but its
 * namespaces are the sandbox's. The CLI talks only to the process whose pid the state entry names, of its own uid, so
 * whoever took the name first gets neither a request nor the caller's terminal.
 *
 * <p>Every request is one {@code K_CONTROL_REQUEST} message (protocol.h) whose {@code F_CONTROL_JSON} field is a JSON
 * object ({@code op}: list, inspect, exec, signal, kill, rm), answered by one {@code K_CONTROL_REPLY}. Before reading
 * a request the JVM checks the peer's uid (SO_PEERCRED) against its own: root included, nobody else gets an answer,
 * even if the file modes were loosened. {@code exec} comes with three descriptors (SCM_RIGHTS) the CLI made for it,
 * never the caller's own: pipes, or the slave of a fresh pty, which the CLI relays to and from its own stdio; the JVM
 * starts the process exactly as {@code Sandbox.exec} does (the spec's user, capabilities, rlimits, seccomp filter,
 * cgroup) with those descriptors. While it runs the caller may send {@code signal} requests for it; when the caller
 * hangs up (killed, Ctrl-C) the process and its group are killed. The reply carries the exit status.
 *
 * <p>A sandbox kept after its JVM ({@code sandboxed.keep.afterJvm}) is reached through its keeper instead
 * ({@link dev.sandboxed.core.internal.control.KeeperClient}; keeper.c in sandbox-init): a detached process that took over
 * the init's control socket and a lock in the state entry, and listens on the same kind of name with its own pid. It
 * takes no JSON: the client sends the init's own messages (K_EXEC built from the entry's exec profile, K_SIGNAL,
 * K_SHUTDOWN), the keeper gives each process an exec id of its own, puts in the capabilities, rlimits and seccomp
 * program the JVM handed it (whatever the client or a rewritten exec.json says) and routes the answers back.
 */
package dev.sandboxed.core.internal.control;
