#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int fail(struct failure *f, int err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->step, sizeof f->step, fmt, ap);
    va_end(ap);
    f->err = err;
    return -1;
}

void close_keep_errno(int fd) {
    if (fd >= 0) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
}

int write_file(const char *path, const char *buf, size_t len) {
    int fd AUTO_CLOSE = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return -1;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, buf + done, len - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        done += (size_t)n;
    }
    return close(take_fd(&fd));
}

int sys_pidfd_open(int pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int sys_close_range(unsigned int first, unsigned int last, unsigned int flags) {
    return (int)syscall(SYS_close_range, first, last, flags);
}

void close_fds_but(int *keep, int n) {
    for (int i = 1; i < n; i++) {
        for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
            int t = keep[j];
            keep[j] = keep[j - 1];
            keep[j - 1] = t;
        }
    }
    unsigned first = 3;
    for (int i = 0; i < n; i++) {
        if (keep[i] < 0) continue;
        if ((unsigned)keep[i] > first) sys_close_range(first, (unsigned)keep[i] - 1, 0);
        if ((unsigned)keep[i] + 1 > first) first = (unsigned)keep[i] + 1;
    }
    sys_close_range(first, ~0U, 0);
}

int map_sealed_memfd(int fd, size_t size, size_t max, const unsigned char **data, struct failure *f) {
    *data = NULL;
    if (size > max) {
        return fail(f, E2BIG, "read argument memfd: %zu bytes, more than the %zu allowed", size, max);
    }
    int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0) {
        return fail(f, errno, "read the seals of the argument memfd");
    }
    int required = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
    if ((seals & required) != required) {
        return fail(f, EPERM, "argument memfd is not sealed against changes (seals 0x%x)", (unsigned)seals);
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        return fail(f, errno, "stat the argument memfd");
    }
    if (st.st_size < 0 || (size_t)st.st_size != size) {
        return fail(f, EINVAL, "argument memfd holds %lld bytes, the message says %zu", (long long)st.st_size, size);
    }
    if (size == 0) {
        return 0;
    }
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        return fail(f, errno, "map the argument memfd (%zu bytes)", size);
    }
    *data = p;
    return 0;
}
