/**
 * Operating a sandbox from outside the JVM that owns it: {@code sandboxed ps}, {@code inspect}, {@code exec},
 * {@code kill} and {@code rm}.
 *
 * <p>Only the owning JVM can act on a sandbox: it holds the init's control socket (the only way to start a process in
 * it), the compiled seccomp program and the id map plan. So each JVM that starts a sandbox listens on one
 * AF_UNIX SOCK_SEQPACKET socket, {@code jvm-<pid>.sock} in its state directory (the directory is 0700, the socket
 * 0600), and the CLI reaches a sandbox through the {@code ownerPid} of its state entry. The socket file of a JVM that
 * died is refused (nothing listens) and removed by the next one to start there.
 *
 * <p>Every request is one {@code K_CONTROL_REQUEST} message (protocol.h) whose {@code F_CONTROL_JSON} field is a JSON
 * object ({@code op}: list, inspect, exec, signal, kill, rm), answered by one {@code K_CONTROL_REPLY}. Before reading
 * a request the JVM checks the peer's uid (SO_PEERCRED) against its own: root included, nobody else gets an answer,
 * even if the file modes were loosened. {@code exec} comes with the caller's stdin, stdout and stderr (SCM_RIGHTS);
 * the JVM starts the process exactly as {@code Sandbox.exec} does (the spec's user, capabilities, rlimits, seccomp
 * filter, cgroup) with those descriptors, so its output goes straight to the caller's terminal or pipes and nothing
 * is copied. While it runs the caller may send {@code signal} requests for it; when the caller hangs up (killed,
 * Ctrl-C) the process and its group are killed. The reply carries the exit status.
 */
package dev.sandboxed.core.internal.control;
