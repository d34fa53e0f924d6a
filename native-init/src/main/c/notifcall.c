/* Shared by the handlers of seccomp notifications (see notifcall.h). */
#define _GNU_SOURCE
#include "notifcall.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

long notif_sys(long nr, long a, long b, long c, long d, long e, long f) {
#if defined(__x86_64__)
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
    return x0;
#else
    /* Elsewhere no notification is handled (NATIVE_ARCH is unset): only errno's use from a shared child is lost. */
    long r = syscall(nr, a, b, c, d, e, f);
    return r < 0 ? -errno : r;
#endif
}

int notif_is_call(const struct seccomp_notif *req, long native, int compat) {
    uint32_t nr = (uint32_t)req->data.nr;
#if defined(__x86_64__)
    return (req->data.arch == AUDIT_ARCH_X86_64 && (nr == native || nr == (0x40000000u | (uint32_t)native))) ||
        (req->data.arch == AUDIT_ARCH_I386 && nr == (uint32_t)compat);
#elif defined(__aarch64__)
    return (req->data.arch == AUDIT_ARCH_AARCH64 && nr == native) ||
        (req->data.arch == AUDIT_ARCH_ARM && nr == (uint32_t)compat);
#else
    (void)compat;
    return nr == (uint32_t)native;
#endif
}

void notif_answer(int listener, uint64_t id, int error, int cont) {
    struct seccomp_notif_resp resp;
    memset(&resp, 0, sizeof resp);
    resp.id = id;
    resp.error = error;
    resp.flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
    notif_sys(SYS_ioctl, listener, (long)SECCOMP_IOCTL_NOTIF_SEND, (long)&resp, 0, 0, 0);
}

int notif_valid(int listener, uint64_t id) {
    return notif_sys(SYS_ioctl, listener, (long)SECCOMP_IOCTL_NOTIF_ID_VALID, (long)&id, 0, 0, 0) == 0;
}

void notif_proc_path(char *buf, long id, const char *leaf) {
    char digits[24];
    int n = 0;
    unsigned long v = id < 0 ? 0 : (unsigned long)id;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    memcpy(buf, "/proc/", 6);
    char *p = buf + 6;
    while (n > 0) *p++ = digits[--n];
    *p++ = '/';
    size_t l = strnlen(leaf, 24);
    memcpy(p, leaf, l);
    p[l] = '\0';
}

long notif_status(pid_t tid, char *buf, size_t size) {
    char path[48];
    notif_proc_path(path, tid, "status");
    long fd = notif_sys(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0, 0, 0);
    if (fd < 0) return -1;
    long n = notif_sys(SYS_read, fd, (long)buf, (long)size - 1, 0, 0, 0);
    notif_sys(SYS_close, fd, 0, 0, 0, 0, 0);
    if (n <= 0) return -1;
    buf[n] = '\0';
    return n;
}

static int digit(char ch, int base) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (base == 16 && ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (base == 16 && ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

int notif_status_numbers(const char *status, const char *name, int base, uint64_t *out, int max) {
    char key[32];
    size_t l = strnlen(name, sizeof key - 3);
    key[0] = '\n';
    memcpy(key + 1, name, l);
    key[l + 1] = ':';
    key[l + 2] = '\0';
    const char *p = strstr(status, key);
    if (p == NULL) return -1;
    p += l + 2;
    int n = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (digit(*p, base) < 0) return n;
        if (n == max) return -1;
        uint64_t v = 0;
        for (int d; (d = digit(*p, base)) >= 0; p++) v = v * (uint64_t)base + (uint64_t)d;
        out[n++] = v;
    }
}

pid_t notif_thread_group(pid_t tid) {
    char buf[1024];
    uint64_t tgid;
    if (notif_status(tid, buf, sizeof buf) < 0 || notif_status_numbers(buf, "Tgid", 10, &tgid, 1) != 1) return -1;
    return (pid_t)tgid;
}

int notif_pidfd(pid_t tid, pid_t *tgid) {
    pid_t group = notif_thread_group(tid);
    if (tgid != NULL) *tgid = group;
    if (group <= 0) return -ESRCH;
    return (int)notif_sys(SYS_pidfd_open, group, 0, 0, 0, 0, 0);
}

int notif_getfd(int pidfd, int fd) {
    if (pidfd < 0 || fd < 0) return -EBADF;
    return (int)notif_sys(SYS_pidfd_getfd, pidfd, fd, 0, 0, 0, 0);
}

int notif_read_memory(pid_t tid, uint64_t addr, void *buf, size_t len) {
    if (len == 0) return 0;
    struct iovec local = { .iov_base = buf, .iov_len = len };
    struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
    return notif_sys(SYS_process_vm_readv, tid, (long)&local, 1, (long)&remote, 1, 0) == (long)len ? 0 : -1;
}
