/* Small helpers shared by the server, the sandbox set-up and the init loop. */
#ifndef SANDBOX_UTIL_H
#define SANDBOX_UTIL_H

#include <stddef.h>

/* What failed: the step (for example "mount proc on /proc") and the errno. */
struct failure {
    char step[512];
    int err;
};

/* Records a failed step with an errno and returns -1, so callers can `return fail(...)`. */
int fail(struct failure *f, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Writes all of buf to a file by path (used for /proc/PID/uid_map and cgroup.procs). */
int write_file(const char *path, const char *buf, size_t len);

/* Thin wrappers for syscalls glibc 2.36 does not wrap. */
int sys_pidfd_open(int pid);
int sys_close_range(unsigned int first, unsigned int last, unsigned int flags);

#endif
