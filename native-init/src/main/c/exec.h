/* Starting one workload process inside the sandbox, with its identity and hardening. */
#ifndef SANDBOX_EXEC_H
#define SANDBOX_EXEC_H

#include <sys/types.h>
#include "msg.h"
#include "util.h"

/*
 * Forks and execs the process a K_EXEC message describes, with fds[0..2] as its stdio and, when the message has
 * F_ARGV_MEMFD, its arguments and environment in argv_memfd (-1 without).
 * Returns the pid once execve succeeded, or -1 with the failed step in `f`.
 * When the filter asks for user notifications, *listener receives the seccomp listener fd.
 */
pid_t exec_start(const struct msg *m, const int fds[3], int argv_memfd, int *listener, struct failure *f);

/*
 * Loads the sandbox's seccomp filter into the calling init, which its processes then inherit; a process whose
 * message carries the same filter loads nothing. With `notify`, *listener receives the filter's listener, else
 * -1. Returns -1 with errno when the kernel refuses (processes then load the filter themselves, as before).
 */
int exec_hold_filter(const unsigned char *filter, uint32_t len, int notify, int *listener);

/*
 * Done once in the server, so every sandbox's init inherits it instead of redoing it: the stack for
 * starting processes (with its guard page) and the kernel's last capability number.
 */
int exec_prepare(struct failure *f);

/* fs.suid_dumpable as read once in the server: where 1, a child that changes its uid must not share our memory. */
int exec_suid_dumpable(void);

/* The RLIMIT_NOFILE soft limit started processes get, when the init raised its own (port forwarding). */
void exec_set_nofile_soft(unsigned long soft);

#endif
