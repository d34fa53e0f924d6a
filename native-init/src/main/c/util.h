/* Small helpers shared by the server, the sandbox set-up and the init loop. */
#ifndef SANDBOX_UTIL_H
#define SANDBOX_UTIL_H

#include <stddef.h>
#include <stdlib.h>

/* What failed: the step (for example "mount proc on /proc") and the errno. */
struct failure {
    char step[512];
    int err;
};

/* Records a failed step with an errno and returns -1, so callers can `return fail(...)`. */
int fail(struct failure *f, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Closes fd (if it is one) and keeps errno, so the errno of a failed step survives its clean-up. */
void close_keep_errno(int fd);

/*
 * Scope-bound clean-up: `int fd AUTO_CLOSE = open(...);` closes fd and `char *s AUTO_FREE = strdup(...);`
 * frees s when they go out of scope, on every return path, without touching errno. take_fd hands an fd
 * out of such a variable (which then holds -1).
 */
static inline void cleanup_close(const int *fd) {
    close_keep_errno(*fd);
}

static inline void cleanup_free(void *p) {
    free(*(void **)p); /* free keeps errno (glibc 2.33 and later) */
}

static inline int take_fd(int *fd) {
    int taken = *fd;
    *fd = -1;
    return taken;
}

#define AUTO_CLOSE __attribute__((cleanup(cleanup_close)))
#define AUTO_FREE __attribute__((cleanup(cleanup_free)))

/* Writes all of buf to a file by path (used for /proc/PID/uid_map and cgroup.procs). */
int write_file(const char *path, const char *buf, size_t len);

/*
 * Maps a memfd read-only once it is sealed against every change (shrink, grow, write, seal) and holds exactly
 * `size` bytes, at most `max` (else E2BIG). *data stays NULL for an empty one; undo with munmap(*data, size).
 */
int map_sealed_memfd(int fd, size_t size, size_t max, const unsigned char **data, struct failure *f);

/* Thin wrappers for syscalls glibc 2.36 does not wrap. */
int sys_pidfd_open(int pid);
int sys_close_range(unsigned int first, unsigned int last, unsigned int flags);
/* Closes every descriptor from 3 up but those in keep[] (sorted in place; -1 entries are ignored). */
void close_fds_but(int *keep, int n);

#endif
