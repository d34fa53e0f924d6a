/*
 * probe: escape attempts run inside real sandboxes by EscapeProbeTest / EscapeProbeControlTest.
 *
 *   probe <test-name> [argument]
 *
 * Prints one line "PROBE <name>: <VERDICT> - <detail>" and exits with
 *   0  SECURE       the sandbox held (the escape attempt failed the way it must)
 *   1  ESCAPED      the escape attempt worked / the syscall reached the kernel
 *   2  UNEXPECTED   something neither secure nor an escape (bad usage, odd errno, crash)
 *   3  UNSUPPORTED  the host lacks what the probe needs (e.g. no ia32 emulation)
 *
 * Refused syscalls are called with bad pointers or invalid arguments so that a wrongly allowed call
 * fails harmlessly in the kernel: EPERM means seccomp refused it, anything else (EFAULT, EINVAL,
 * EBADF, success) means it reached the kernel. Each such call runs in a forked child so that a
 * SIGSYS kill or a succeeding namespace call cannot disturb the probe itself.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define SECURE 0
#define ESCAPED 1
#define UNEXPECTED 2
#define UNSUPPORTED 3

#define X32_BIT 0x40000000L
#define BAD_PTR ((void *)1)

/* Docker's default capability set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
 * NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP. */
#define DOCKER_CAPS 0x00000000a80425fbULL

static const char *probe_name = "?";

static int verdict(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int verdict(int code, const char *fmt, ...) {
    static const char *names[] = { "SECURE", "ESCAPED", "UNEXPECTED", "UNSUPPORTED" };
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    printf("PROBE %s: %s - %s\n", probe_name, names[code], detail);
    fflush(stdout);
    return code;
}

/* ---- running one call in a child ---------------------------------------------------------------- */

struct outcome {
    int signal; /* non-zero: the child was killed by this signal */
    long ret;
    int err;
};

typedef long (*call_fn)(const void *arg);

static struct outcome in_child(call_fn fn, const void *arg) {
    struct outcome o = { 0, 0, 0 };
    int p[2];
    if (pipe(p) < 0) {
        o.signal = -1;
        o.err = errno;
        return o;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        o.signal = -1;
        o.err = errno;
        return o;
    }
    if (pid == 0) {
        close(p[0]);
        alarm(10);
        errno = 0;
        struct outcome c = { 0, 0, 0 };
        c.ret = fn(arg);
        c.err = c.ret < 0 ? errno : 0;
        if (write(p[1], &c, sizeof c) != (ssize_t)sizeof c) _exit(3);
        _exit(0);
    }
    close(p[1]);
    ssize_t n;
    do {
        n = read(p[0], &o, sizeof o);
    } while (n < 0 && errno == EINTR);
    close(p[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (n != (ssize_t)sizeof o) {
        memset(&o, 0, sizeof o);
        o.signal = WIFSIGNALED(status) ? WTERMSIG(status) : -1;
    }
    return o;
}

/* How a call that seccomp must refuse came out. accept_enosys: also secure when the answer is
 * ENOSYS (alternate ABIs, where the kernel may not implement the ABI at all). */
static int judge_refused(const char *what, struct outcome o, int accept_enosys) {
    if (o.signal == SIGSYS) {
        return verdict(SECURE, "%s: killed by SIGSYS (seccomp)", what);
    }
    if (o.signal != 0) {
        return verdict(UNEXPECTED, "%s: child ended by signal %d", what, o.signal);
    }
    if (o.ret == -1 && o.err == EPERM) {
        return verdict(SECURE, "%s: refused with EPERM", what);
    }
    if (accept_enosys && o.ret == -1 && o.err == ENOSYS) {
        return verdict(SECURE, "%s: refused with ENOSYS", what);
    }
    return verdict(ESCAPED, "%s: reached the kernel (ret=%ld errno=%d %s)", what, o.ret, o.err,
                   o.err ? strerror(o.err) : "none");
}

/* ---- native x86_64 / generic syscalls that must be refused --------------------------------------- */
/* The syscall attempts below are one-liners that read as a table: clang-format leaves them alone. */
/* clang-format off */

static long c_keyctl(const void *a) { (void)a; return syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, BAD_PTR, 0, 0, 0); }
static long c_add_key(const void *a) { (void)a; return syscall(SYS_add_key, BAD_PTR, BAD_PTR, NULL, 0, -2 /* process keyring */); }
static long c_request_key(const void *a) { (void)a; return syscall(SYS_request_key, BAD_PTR, BAD_PTR, NULL, 0); }
static long c_bpf(const void *a) { (void)a; return syscall(SYS_bpf, 5 /* BPF_PROG_LOAD */, BAD_PTR, 128); }
static long c_perf_event_open(const void *a) { (void)a; return syscall(SYS_perf_event_open, BAD_PTR, 0, -1, -1, 0); }
/* UFFD_USER_MODE_ONLY passes the unprivileged check; the extra bit 2 makes the kernel answer EINVAL. */
static long c_userfaultfd(const void *a) { (void)a; return syscall(SYS_userfaultfd, 1 | 2); }
static long c_io_uring_setup(const void *a) { (void)a; return syscall(SYS_io_uring_setup, 1, BAD_PTR); }
static long c_kexec_load(const void *a) { (void)a; return syscall(SYS_kexec_load, 0, 1, BAD_PTR, 0); }
static long c_kexec_file_load(const void *a) { (void)a; return syscall(SYS_kexec_file_load, -1, -1, 0, NULL, 0); }
static long c_init_module(const void *a) { (void)a; return syscall(SYS_init_module, BAD_PTR, 4096, BAD_PTR); }
static long c_finit_module(const void *a) { (void)a; return syscall(SYS_finit_module, -1, BAD_PTR, 0); }
static long c_delete_module(const void *a) { (void)a; return syscall(SYS_delete_module, BAD_PTR, 0); }
static long c_open_by_handle_at(const void *a) { (void)a; return syscall(SYS_open_by_handle_at, -1, BAD_PTR, O_RDONLY); }
static long c_fsopen(const void *a) { (void)a; return syscall(SYS_fsopen, BAD_PTR, 0); }
static long c_fsmount(const void *a) { (void)a; return syscall(SYS_fsmount, -1, 0, 0); }
static long c_move_mount(const void *a) { (void)a; return syscall(SYS_move_mount, -1, BAD_PTR, -1, BAD_PTR, 0); }
static long c_open_tree(const void *a) { (void)a; return syscall(SYS_open_tree, -1, BAD_PTR, 0); }
static long c_mount(const void *a) { (void)a; return syscall(SYS_mount, BAD_PTR, BAD_PTR, BAD_PTR, 0, NULL); }
static long c_umount2(const void *a) { (void)a; return syscall(SYS_umount2, BAD_PTR, 0); }
static long c_pivot_root(const void *a) { (void)a; return syscall(SYS_pivot_root, BAD_PTR, BAD_PTR); }
static long c_unshare_user(const void *a) { (void)a; return syscall(SYS_unshare, CLONE_NEWUSER); }
static long c_unshare_ns(const void *a) { (void)a; return syscall(SYS_unshare, CLONE_NEWNS); }
static long c_setns(const void *a) { (void)a; return syscall(SYS_setns, -1, 0); }
static long c_personality(const void *a) { (void)a; return syscall(SYS_personality, ADDR_NO_RANDOMIZE); }
static long c_socket_alg(const void *a) { (void)a; return syscall(SYS_socket, 38 /* AF_ALG */, SOCK_SEQPACKET, 0); }
static long c_socket_alg_highbits(const void *a) { (void)a; return syscall(SYS_socket, 38L | (1L << 32), SOCK_SEQPACKET, 0); }
static long c_socket_vsock(const void *a) { (void)a; return syscall(SYS_socket, 40 /* AF_VSOCK */, SOCK_STREAM, 0); }
static long c_syslog(const void *a) { (void)a; return syscall(SYS_syslog, 3 /* READ_ALL */, BAD_PTR, 16); }
static long c_acct(const void *a) { (void)a; return syscall(SYS_acct, BAD_PTR); }
static long c_swapon(const void *a) { (void)a; return syscall(SYS_swapon, BAD_PTR, 0); }
static long c_reboot(const void *a) { (void)a; return syscall(SYS_reboot, 0, 0, 0, NULL); /* bad magic: EINVAL if allowed */ }
static long c_settimeofday(const void *a) { (void)a; return syscall(SYS_settimeofday, BAD_PTR, NULL); }

/* A raw clone with fork semantics; the child exits at once. */
static long raw_clone(unsigned long flags) {
    long pid = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
    if (pid == 0) {
        _exit(0);
    }
    if (pid > 0) {
        int saved = errno;
        waitpid((pid_t)pid, NULL, 0);
        errno = saved;
    }
    return pid;
}
static long c_clone_newuser(const void *a) { (void)a; return raw_clone(CLONE_NEWUSER); }
static long c_clone_newns(const void *a) { (void)a; return raw_clone(CLONE_NEWNS); }
static long c_clone_newpid(const void *a) { (void)a; return raw_clone(CLONE_NEWPID); }
static long c_clone_plain(const void *a) { (void)a; return raw_clone(0); }
static long c_clone3(const void *a) {
    (void)a;
    /* A too-small size: EINVAL if the kernel sees it, ENOSYS from seccomp (so libc falls back to clone). */
    struct clone_args args;
    memset(&args, 0, sizeof args);
    return syscall(SYS_clone3, &args, 8);
}

/* TIOCSTI on fd 0, plain and with the high bits the kernel ignores (CVE-2019-10063). */
static long c_tiocsti(const void *a) { (void)a; char c = '#'; return syscall(SYS_ioctl, 0, 0x5412UL, &c); }
static long c_tiocsti_highbits(const void *a) { (void)a; char c = '#'; return syscall(SYS_ioctl, 0, 0xffffffff00005412UL, &c); }
static long c_tioclinux(const void *a) { (void)a; char c = 0; return syscall(SYS_ioctl, 0, 0x541CUL, &c); }

/* ---- alternate ABIs ---------------------------------------------------------------------------------- */

static long c_x32_keyctl(const void *a) { (void)a; return syscall(X32_BIT | SYS_keyctl, 1, BAD_PTR, 0, 0, 0); }
static long c_x32_unshare_user(const void *a) { (void)a; return syscall(X32_BIT | SYS_unshare, CLONE_NEWUSER); }
static long c_x32_mount(const void *a) { (void)a; return syscall(X32_BIT | SYS_mount, BAD_PTR, BAD_PTR, BAD_PTR, 0, NULL); }

#if defined(__x86_64__)
static long int80(long nr, long a1, long a2, long a3) {
    long ret = nr;
    __asm__ volatile("int $0x80"
                     : "+a"(ret)
                     : "b"(a1), "c"(a2), "d"(a3)
                     : "memory", "cc", "r8", "r9", "r10", "r11");
    if (ret < 0 && ret > -4096) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}
static long c_i386_getpid(const void *a) { (void)a; return int80(20, 0, 0, 0); }
static long c_i386_keyctl(const void *a) { (void)a; return int80(288, 1, 1 /* bad pointer */, 0); }
static long c_i386_unshare_user(const void *a) { (void)a; return int80(310, CLONE_NEWUSER, 0, 0); }
#endif
/* clang-format on */

/* ---- /proc/self/status ---------------------------------------------------------------------------- */

static int status_field(const char *key, char *out, size_t out_size) {
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) return -1;
    char line[512];
    size_t klen = strlen(key);
    int found = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            char *v = line + klen + 1;
            while (*v == ' ' || *v == '\t') v++;
            v[strcspn(v, "\n")] = '\0';
            snprintf(out, out_size, "%s", v);
            found = 0;
            break;
        }
    }
    fclose(f);
    return found;
}

static int status_hex(const char *key, unsigned long long *value) {
    char buf[128];
    if (status_field(key, buf, sizeof buf) < 0) return -1;
    *value = strtoull(buf, NULL, 16);
    return 0;
}

static int probe_caps(const char *arg) {
    unsigned long long expected = arg ? strtoull(arg, NULL, 0) : DOCKER_CAPS;
    unsigned long long inh, prm, eff, bnd, amb;
    if (status_hex("CapInh", &inh) || status_hex("CapPrm", &prm) || status_hex("CapEff", &eff) ||
        status_hex("CapBnd", &bnd) || status_hex("CapAmb", &amb)) {
        return verdict(UNEXPECTED, "cannot read the Cap* lines of /proc/self/status");
    }
    char sets[256];
    snprintf(sets, sizeof sets, "CapInh=%016llx CapPrm=%016llx CapEff=%016llx CapBnd=%016llx CapAmb=%016llx", inh, prm,
             eff, bnd, amb);
    if (inh != 0 || amb != 0) return verdict(ESCAPED, "inheritable/ambient not empty: %s", sets);
    if (bnd != expected) return verdict(ESCAPED, "bounding set is not %016llx: %s", expected, sets);
    if ((prm & ~bnd) != 0 || (eff & ~bnd) != 0)
        return verdict(ESCAPED, "capabilities beyond the bounding set: %s", sets);
    if (getuid() == 0 && (prm != expected || eff != expected)) {
        return verdict(UNEXPECTED, "root does not hold the expected set: %s", sets);
    }
    if (getuid() != 0 && (prm != 0 || eff != 0)) return verdict(ESCAPED, "non-root user holds capabilities: %s", sets);
    return verdict(SECURE, "%s", sets);
}

static int probe_no_new_privs(void) {
    char v[64];
    if (status_field("NoNewPrivs", v, sizeof v) < 0) return verdict(UNEXPECTED, "no NoNewPrivs line");
    int prctl_value = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    if (strcmp(v, "1") == 0 && prctl_value == 1) return verdict(SECURE, "NoNewPrivs:\t1");
    return verdict(ESCAPED, "NoNewPrivs:\t%s (prctl %d): setuid binaries could gain privileges", v, prctl_value);
}

static int probe_seccomp_mode(void) {
    char v[64];
    if (status_field("Seccomp", v, sizeof v) < 0) return verdict(UNEXPECTED, "no Seccomp line");
    if (strcmp(v, "2") == 0) return verdict(SECURE, "Seccomp:\t2 (filter)");
    return verdict(ESCAPED, "Seccomp:\t%s: no seccomp filter", v);
}

/* ---- filesystem --------------------------------------------------------------------------------- */

/* Counts directory entries other than . and ..; -1 with errno on failure. */
static int count_entries(const char *path, char *first, size_t first_size) {
    DIR *d = opendir(path);
    if (d == NULL) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (n == 0 && first) snprintf(first, first_size, "%s", e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

/* A masked path: missing, unreadable, or empty (a file bound to /dev/null, a dir under an empty tmpfs). */
static int probe_masked(const char *path) {
    if (path == NULL) return verdict(UNEXPECTED, "usage: probe masked <path>");
    struct stat st;
    if (stat(path, &st) < 0) {
        if (errno == ENOENT) return verdict(SECURE, "%s does not exist", path);
        return verdict(SECURE, "%s: stat fails with %s", path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
        char first[256] = "";
        int n = count_entries(path, first, sizeof first);
        if (n < 0) {
            if (errno == EACCES || errno == EPERM)
                return verdict(SECURE, "%s: directory unreadable (%s)", path, strerror(errno));
            return verdict(UNEXPECTED, "%s: opendir: %s", path, strerror(errno));
        }
        if (n == 0) return verdict(SECURE, "%s: empty directory", path);
        return verdict(ESCAPED, "%s: %d entries visible (e.g. %s)", path, n, first);
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == EACCES || errno == EPERM) return verdict(SECURE, "%s: unreadable (%s)", path, strerror(errno));
        return verdict(UNEXPECTED, "%s: open: %s", path, strerror(errno));
    }
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf);
    int saved = errno;
    close(fd);
    if (n == 0) {
        return verdict(SECURE, "%s: reads as empty%s", path,
                       S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) ? " (bound to /dev/null)" : "");
    }
    if (n < 0) {
        if (saved == EACCES || saved == EPERM || saved == EIO)
            return verdict(SECURE, "%s: read fails with %s", path, strerror(saved));
        return verdict(UNEXPECTED, "%s: read: %s", path, strerror(saved));
    }
    return verdict(ESCAPED, "%s: %zd bytes readable", path, n);
}

/* A read-only path: its mount carries MS_RDONLY and opening it for writing fails (EROFS; EACCES when the
 * kernel's permission check comes first, as for host-owned sysctls seen by an unprivileged sandbox).
 * Nothing is ever written: a writable mount is reported before anything is opened. */
static int probe_readonly(const char *path) {
    if (path == NULL) return verdict(UNEXPECTED, "usage: probe readonly <path>");
    struct statvfs vfs;
    if (statvfs(path, &vfs) < 0) {
        if (errno == ENOENT) return verdict(UNSUPPORTED, "%s does not exist on this host", path);
        return verdict(UNEXPECTED, "statvfs %s: %s", path, strerror(errno));
    }
    if (!(vfs.f_flag & ST_RDONLY)) return verdict(ESCAPED, "%s is on a writable mount", path);
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0) {
        close(fd);
        return verdict(ESCAPED, "%s opened for writing", path);
    }
    if (errno == EROFS || errno == EACCES)
        return verdict(SECURE, "%s: read-only mount, open for writing: %s", path, strerror(errno));
    return verdict(UNEXPECTED, "%s: open for writing failed with %s, expected EROFS", path, strerror(errno));
}

/* A directory whose mount must be read-only: creating a file in it must fail with EROFS. */
static int probe_readonly_dir(const char *path) {
    if (path == NULL) return verdict(UNEXPECTED, "usage: probe readonly_dir <dir>");
    char file[4096];
    snprintf(file, sizeof file, "%s/.probe-%d", path, getpid());
    int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        close(fd);
        unlink(file);
        return verdict(ESCAPED, "created %s", file);
    }
    if (errno == EROFS) return verdict(SECURE, "%s: EROFS", path);
    return verdict(UNEXPECTED, "%s: create failed with %s, expected EROFS", file, strerror(errno));
}

/* mount -o remount,rw <path> (and the bind form, which is what clears a read-only bind). */
static int probe_remount_rw(const char *path) {
    if (path == NULL) return verdict(UNEXPECTED, "usage: probe remount_rw <path>");
    int rc = mount(NULL, path, NULL, MS_REMOUNT | MS_BIND, NULL);
    int e1 = errno;
    if (rc == 0) return verdict(ESCAPED, "mount(MS_REMOUNT|MS_BIND) made %s writable", path);
    rc = mount(NULL, path, NULL, MS_REMOUNT, NULL);
    int e2 = errno;
    if (rc == 0) return verdict(ESCAPED, "mount(MS_REMOUNT) made %s writable", path);
    if (e1 == EPERM && e2 == EPERM) return verdict(SECURE, "%s: both remounts refused with EPERM", path);
    return verdict(SECURE, "%s: remounts fail (%s, %s)", path, strerror(e1), strerror(e2));
}

/* Only 0, 1 and 2 may be open (the directory fd used for the listing excepted). */
static int probe_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) return verdict(UNEXPECTED, "opendir /proc/self/fd: %s", strerror(errno));
    int self = dirfd(d);
    char extra[512] = "";
    size_t used = 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        int fd = atoi(e->d_name);
        if (fd <= 2 || fd == self) continue;
        char target[256] = "?";
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len >= 0) target[len] = '\0';
        if (used < sizeof extra - 1) used += (size_t)snprintf(extra + used, sizeof extra - used, " %d->%s", fd, target);
        n++;
    }
    closedir(d);
    if (n == 0) return verdict(SECURE, "only 0, 1, 2 open");
    return verdict(ESCAPED, "%d extra descriptor(s) leaked:%s", n, extra);
}

static int same_file(const struct stat *a, const struct stat *b) {
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* The working directory is inside the root: getcwd gives an absolute path that leads to ".". */
static int check_cwd(void) {
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == NULL)
        return verdict(ESCAPED, "getcwd fails (%s): cwd is outside the root", strerror(errno));
    if (cwd[0] != '/') return verdict(ESCAPED, "cwd \"%s\" is outside the root", cwd);
    struct stat dot, named;
    if (stat(".", &dot) < 0 || stat(cwd, &named) < 0) return verdict(ESCAPED, "cwd %s is not reachable by name", cwd);
    if (!same_file(&dot, &named)) return verdict(ESCAPED, "cwd %s names a different directory than \".\"", cwd);
    /* Walking up from "." must end at our root. */
    struct stat root;
    stat("/", &root);
    int dirfd_cur = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    for (int i = 0; i < 256 && dirfd_cur >= 0; i++) {
        struct stat here, up;
        fstat(dirfd_cur, &here);
        int parent = openat(dirfd_cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        close(dirfd_cur);
        if (parent < 0) break;
        fstat(parent, &up);
        if (same_file(&here, &up)) {
            close(parent);
            if (same_file(&here, &root)) return verdict(SECURE, "cwd %s is inside the root", cwd);
            return verdict(ESCAPED, "walking up from cwd %s reaches a root that is not ours", cwd);
        }
        dirfd_cur = parent;
    }
    return verdict(UNEXPECTED, "could not walk up from %s", cwd);
}

/* Self-test of the cwd check: the classic chroot escape leaves the cwd outside the (new) root. */
static int probe_cwd_after_chroot(void) {
    const char *jail = "/tmp/probe-jail";
    if (mkdir(jail, 0700) < 0 && errno != EEXIST) return verdict(UNEXPECTED, "mkdir %s: %s", jail, strerror(errno));
    if (chdir("/") < 0 || chroot(jail) < 0) return verdict(UNEXPECTED, "chroot %s: %s", jail, strerror(errno));
    return check_cwd();
}

/* /proc/1/root must not lead anywhere but our own root. */
static int probe_proc1_root(const char *pid_arg) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/root/", pid_arg ? pid_arg : "1");
    struct stat root, other;
    stat("/", &root);
    if (stat(path, &other) < 0) {
        if (errno == EACCES || errno == EPERM) return verdict(SECURE, "%s: %s", path, strerror(errno));
        return verdict(UNEXPECTED, "%s: %s", path, strerror(errno));
    }
    if (same_file(&root, &other)) return verdict(SECURE, "%s is our own root", path);
    char first[256] = "";
    int n = count_entries(path, first, sizeof first);
    return verdict(ESCAPED, "%s is another root (%d entries, e.g. %s)", path, n, first);
}

/* The init (and what it runs from) must not be openable through /proc/1/exe. */
static int probe_proc1_exe(const char *mode, const char *pid_arg) {
    int write = mode && strcmp(mode, "write") == 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/exe", pid_arg ? pid_arg : "1");
    int fd = open(path, (write ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
    if (fd >= 0) {
        close(fd);
        return verdict(ESCAPED, "%s opened for %s", path, write ? "writing" : "reading");
    }
    if (errno == EACCES || errno == EPERM || errno == ETXTBSY) {
        return verdict(SECURE, "%s (%s): %s", path, write ? "write" : "read", strerror(errno));
    }
    return verdict(UNEXPECTED, "%s: %s", path, strerror(errno));
}

/* ptrace of PID 1 (Docker's profile allows ptrace on kernels >= 4.8, so the kernel must refuse: the
 * init is not dumpable and its mm belongs to the host's user namespace). PTRACE_SEIZE does not stop
 * the target; the probe exits right away, which detaches. */
static int probe_ptrace_init(const char *pid_arg) {
    pid_t pid = 1;
    if (pid_arg && strcmp(pid_arg, "child") == 0) {
        /* Self-test: a dumpable child of ours must be traceable, or the probe could never fail. */
        pid = fork();
        if (pid == 0) {
            pause();
            _exit(0);
        }
        if (pid < 0) return verdict(UNEXPECTED, "fork: %s", strerror(errno));
        long rc = ptrace(PTRACE_SEIZE, pid, NULL, NULL);
        int saved = errno;
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        if (rc == 0) return verdict(ESCAPED, "PTRACE_SEIZE of our child %d succeeded", pid);
        return verdict(SECURE, "PTRACE_SEIZE of our child %d: %s", pid, strerror(saved));
    } else if (pid_arg) {
        pid = (pid_t)atoi(pid_arg);
    }
    long rc = ptrace(PTRACE_SEIZE, pid, NULL, NULL);
    if (rc == 0) return verdict(ESCAPED, "PTRACE_SEIZE of pid %d succeeded", pid);
    if (errno == EPERM || errno == EACCES) return verdict(SECURE, "PTRACE_SEIZE of pid %d: %s", pid, strerror(errno));
    return verdict(UNEXPECTED, "PTRACE_SEIZE of pid %d: %s", pid, strerror(errno));
}

/* The file is a sealed memfd: write, grow, shrink and further sealing are all refused. */
static int probe_exe_sealed(const char *path) {
    if (path == NULL) return verdict(UNEXPECTED, "usage: probe exe_sealed <path>");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == EACCES || errno == EPERM)
            return verdict(UNSUPPORTED, "%s: %s (needs CAP_SYS_PTRACE over the non-dumpable init)", path,
                           strerror(errno));
        return verdict(UNEXPECTED, "%s: %s", path, strerror(errno));
    }
    int seals = fcntl(fd, F_GET_SEALS);
    int saved = errno;
    close(fd);
    if (seals < 0) return verdict(ESCAPED, "%s is not a sealed memfd (F_GET_SEALS: %s)", path, strerror(saved));
    int need = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
    if ((seals & need) != need) return verdict(ESCAPED, "%s: seals 0x%x lack 0x%x", path, seals, need & ~seals);
    int wfd = open(path, O_WRONLY | O_CLOEXEC);
    if (wfd >= 0) {
        ssize_t n = write(wfd, "", 0) == 0 ? write(wfd, "\x7f", 1) : -1;
        int werr = errno;
        close(wfd);
        if (n == 1) return verdict(ESCAPED, "%s: wrote a byte into the sealed binary", path);
        return verdict(SECURE, "%s: seals 0x%x; open for writing works but write fails (%s)", path, seals,
                       strerror(werr));
    }
    return verdict(SECURE, "%s: seals 0x%x; open for writing fails (%s)", path, seals, strerror(errno));
}

/* Host secrets: the path is absent, or an empty directory (a fresh tmpfs). */
static int probe_hidden(const char *path) {
    if (path == NULL) return verdict(UNEXPECTED, "usage: probe hidden <path>");
    struct stat st;
    if (lstat(path, &st) < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return verdict(SECURE, "%s is not present", path);
        return verdict(UNEXPECTED, "%s: %s", path, strerror(errno));
    }
    if (S_ISSOCK(st.st_mode)) return verdict(ESCAPED, "%s is a socket in the sandbox", path);
    if (!S_ISDIR(st.st_mode))
        return verdict(ESCAPED, "%s is visible (mode %o, %lld bytes)", path, st.st_mode, (long long)st.st_size);
    char first[256] = "";
    int n = count_entries(path, first, sizeof first);
    if (n < 0) return verdict(ESCAPED, "%s exists and is the host's (opendir: %s)", path, strerror(errno));
    if (n == 0) return verdict(SECURE, "%s is an empty directory", path);
    return verdict(ESCAPED, "%s shows %d entries (e.g. %s)", path, n, first);
}

/* No controlling terminal and a session of our own (setsid): TIOCSTI has nothing to inject into. */
static int probe_no_ctty(void) {
    pid_t sid = getsid(0);
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    int tty_err = fd < 0 ? errno : 0;
    if (fd >= 0) {
        close(fd);
        return verdict(ESCAPED, "/dev/tty opens: the process has a controlling terminal");
    }
    if (sid != getpid())
        return verdict(ESCAPED, "not a session leader (sid %d, pid %d): shares the caller's session", sid, getpid());
    return verdict(SECURE, "own session (sid %d), /dev/tty: %s", sid, strerror(tty_err));
}

/* Nested user namespaces through the unshare(1) way: unshare(CLONE_NEWUSER) then write a map. */
static long c_nested_userns(const void *a) {
    (void)a;
    if (unshare(CLONE_NEWUSER) < 0) return -1;
    int fd = open("/proc/self/uid_map", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return 1; /* created, but not mappable: still created */
    ssize_t n = write(fd, "0 0 1", 5);
    close(fd);
    return n == 5 ? 0 : 1;
}

/* ---- dispatch --------------------------------------------------------------------------------- */

struct refusal {
    const char *name;
    call_fn fn;
    int accept_enosys;
};

static const struct refusal REFUSALS[] = {
    { "keyctl", c_keyctl, 0 },
    { "add_key", c_add_key, 0 },
    { "request_key", c_request_key, 0 },
    { "bpf", c_bpf, 0 },
    { "perf_event_open", c_perf_event_open, 0 },
    { "userfaultfd", c_userfaultfd, 0 },
    { "io_uring_setup", c_io_uring_setup, 0 },
    { "kexec_load", c_kexec_load, 0 },
    { "kexec_file_load", c_kexec_file_load, 0 },
    { "init_module", c_init_module, 0 },
    { "finit_module", c_finit_module, 0 },
    { "delete_module", c_delete_module, 0 },
    { "open_by_handle_at", c_open_by_handle_at, 0 },
    { "fsopen", c_fsopen, 0 },
    { "fsmount", c_fsmount, 0 },
    { "move_mount", c_move_mount, 0 },
    { "open_tree", c_open_tree, 0 },
    { "mount", c_mount, 0 },
    { "umount2", c_umount2, 0 },
    { "pivot_root", c_pivot_root, 0 },
    { "unshare_user", c_unshare_user, 0 },
    { "unshare_ns", c_unshare_ns, 0 },
    { "setns", c_setns, 0 },
    { "personality", c_personality, 0 },
    { "socket_alg", c_socket_alg, 0 },
    { "socket_alg_highbits", c_socket_alg_highbits, 0 },
    { "socket_vsock", c_socket_vsock, 0 },
    { "syslog", c_syslog, 0 },
    { "acct", c_acct, 0 },
    { "swapon", c_swapon, 0 },
    { "reboot", c_reboot, 0 },
    { "settimeofday", c_settimeofday, 0 },
    { "clone_newuser", c_clone_newuser, 0 },
    { "clone_newns", c_clone_newns, 0 },
    { "clone_newpid", c_clone_newpid, 0 },
    { "tiocsti", c_tiocsti, 0 },
    { "tiocsti_highbits", c_tiocsti_highbits, 0 },
    { "tioclinux", c_tioclinux, 0 },
    { "x32_keyctl", c_x32_keyctl, 1 },
    { "x32_unshare_user", c_x32_unshare_user, 1 },
    { "x32_mount", c_x32_mount, 1 },
    { "nested_userns", c_nested_userns, 0 },
};

static int probe_clone3(void) {
    struct outcome o = in_child(c_clone3, NULL);
    if (o.signal != 0) return verdict(UNEXPECTED, "clone3: child ended by signal %d", o.signal);
    if (o.ret == -1 && o.err == ENOSYS)
        return verdict(SECURE, "clone3: ENOSYS (libc falls back to clone, whose flags seccomp can see)");
    return verdict(ESCAPED, "clone3 reached the kernel (ret=%ld errno=%d %s)", o.ret, o.err, strerror(o.err));
}

static int probe_clone_plain(void) {
    struct outcome o = in_child(c_clone_plain, NULL);
    if (o.signal == 0 && o.ret > 0) return verdict(SECURE, "plain clone (fork) allowed");
    return verdict(UNEXPECTED, "plain clone failed (ret=%ld errno=%s signal=%d): the profile is too strict", o.ret,
                   strerror(o.err), o.signal);
}

#if defined(__x86_64__)
/* i386 calls through int $0x80. The host may lack ia32 emulation: then int $0x80 faults (SIGSEGV). */
static int probe_i386(call_fn fn, const char *what) {
    struct outcome probe = in_child(c_i386_getpid, NULL);
    if (probe.signal == SIGSEGV || probe.signal == SIGBUS)
        return verdict(UNSUPPORTED, "no ia32 emulation on this kernel (int $0x80 faults)");
    struct outcome o = in_child(fn, NULL);
    if (o.signal == SIGSEGV) return verdict(UNSUPPORTED, "int $0x80 faults: no ia32 emulation");
    return judge_refused(what, o, 1);
}
#endif

static int usage(void) {
    fprintf(stderr, "usage: probe <name> [argument]\n  syscall refusals:");
    for (size_t i = 0; i < sizeof REFUSALS / sizeof REFUSALS[0]; i++) fprintf(stderr, " %s", REFUSALS[i].name);
    fprintf(stderr,
            "\n  other: clone3 clone_plain i386_getpid i386_getpid_refused i386_keyctl i386_unshare_user x32_available "
            "caps [mask] "
            "no_new_privs\n"
            "         seccomp_mode masked <path> readonly <file> readonly_dir <dir> remount_rw <path> fds cwd\n"
            "         cwd_after_chroot proc1_root [pid] proc1_exe [read|write] [pid] ptrace_init [pid|child] "
            "exe_sealed <path>\n"
            "         hidden <path> no_ctty\n");
    return UNEXPECTED;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage();
    probe_name = argv[1];
    const char *name = argv[1];
    const char *arg = argc >= 3 ? argv[2] : NULL;
    signal(SIGPIPE, SIG_IGN);
    for (size_t i = 0; i < sizeof REFUSALS / sizeof REFUSALS[0]; i++) {
        if (strcmp(name, REFUSALS[i].name) == 0) {
            return judge_refused(name, in_child(REFUSALS[i].fn, NULL), REFUSALS[i].accept_enosys);
        }
    }
    if (strcmp(name, "clone3") == 0) return probe_clone3();
    if (strcmp(name, "clone_plain") == 0) return probe_clone_plain();
#if defined(__x86_64__)
    if (strcmp(name, "i386_keyctl") == 0) return probe_i386(c_i386_keyctl, "i386 keyctl via int $0x80");
    if (strcmp(name, "i386_unshare_user") == 0)
        return probe_i386(c_i386_unshare_user, "i386 unshare(CLONE_NEWUSER) via int $0x80");
    if (strcmp(name, "i386_getpid_refused") == 0) return probe_i386(c_i386_getpid, "i386 getpid via int $0x80");
    if (strcmp(name, "i386_getpid") == 0) {
        struct outcome o = in_child(c_i386_getpid, NULL);
        if (o.signal == SIGSEGV) return verdict(UNSUPPORTED, "no ia32 emulation on this kernel");
        if (o.signal == 0 && o.ret > 0)
            return verdict(SECURE, "i386 getpid allowed (compat architectures opted in, as in Docker): %ld", o.ret);
        return verdict(UNEXPECTED, "i386 getpid: ret=%ld errno=%s signal=%d", o.ret, strerror(o.err), o.signal);
    }
    if (strcmp(name, "x32_available") == 0) {
        /* Whether the kernel runs x32 at all: getpid | X32 outside seccomp's way (informational). */
        long r = syscall(X32_BIT | SYS_getpid);
        if (r > 0) return verdict(SECURE, "x32 getpid works: the kernel has the x32 ABI");
        return verdict(UNSUPPORTED, "x32 getpid: %s", strerror(errno));
    }
#endif
    if (strcmp(name, "caps") == 0) return probe_caps(arg);
    if (strcmp(name, "no_new_privs") == 0) return probe_no_new_privs();
    if (strcmp(name, "seccomp_mode") == 0) return probe_seccomp_mode();
    if (strcmp(name, "masked") == 0) return probe_masked(arg);
    if (strcmp(name, "readonly") == 0) return probe_readonly(arg);
    if (strcmp(name, "readonly_dir") == 0) return probe_readonly_dir(arg);
    if (strcmp(name, "remount_rw") == 0) return probe_remount_rw(arg);
    if (strcmp(name, "fds") == 0) return probe_fds();
    if (strcmp(name, "cwd") == 0) return check_cwd();
    if (strcmp(name, "cwd_after_chroot") == 0) return probe_cwd_after_chroot();
    if (strcmp(name, "proc1_root") == 0) return probe_proc1_root(arg);
    if (strcmp(name, "proc1_exe") == 0) return probe_proc1_exe(arg, argc >= 4 ? argv[3] : NULL);
    if (strcmp(name, "ptrace_init") == 0) return probe_ptrace_init(arg);
    if (strcmp(name, "exe_sealed") == 0) return probe_exe_sealed(arg);
    if (strcmp(name, "hidden") == 0) return probe_hidden(arg);
    if (strcmp(name, "no_ctty") == 0) return probe_no_ctty();
    return usage();
}
