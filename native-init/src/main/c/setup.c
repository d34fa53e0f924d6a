#define _GNU_SOURCE
#include "setup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "fusejail.h"
#include "hooks.h"
#include "netlink.h"
#include "parse.h"
#include "rootcopy.h"

#define MAX_OPS 512
/* The new root is assembled on top of /tmp inside the private mount namespace (bubblewrap does the
 * same): every host source is opened before, so hiding the host's /tmp hides nothing we need. */
#define STAGING "/tmp"

static int sys_openat2(int dirfd, const char *path, struct open_how *how) {
    return (int)syscall(SYS_openat2, dirfd, path, how, sizeof *how);
}

static int sys_open_tree(int dirfd, const char *path, unsigned int flags) {
    return (int)syscall(SYS_open_tree, dirfd, path, flags);
}

static int sys_move_mount(int from_dirfd, const char *from, int to_dirfd, const char *to, unsigned int flags) {
    return (int)syscall(SYS_move_mount, from_dirfd, from, to_dirfd, to, flags);
}

static int sys_mount_setattr(int dirfd, const char *path, unsigned int flags, struct mount_attr *attr) {
    return (int)syscall(SYS_mount_setattr, dirfd, path, flags, attr, sizeof *attr);
}

static int sys_pivot_root(const char *new_root, const char *put_old) {
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}

/* Opens a path inside the new root. Symlinks are followed but can never leave the root, so a
 * hostile rootfs cannot redirect a mount onto the host (the CVE class runc fixed with securejoin). */
static int open_in_root(int rootfd, const char *path, int extra_flags) {
    struct open_how how = {
        .flags = (unsigned long long)(O_PATH | O_CLOEXEC | extra_flags),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    while (*path == '/') {
        path++;
    }
    return sys_openat2(rootfd, *path ? path : ".", &how);
}

static void split_path(const char *path, char *parent, size_t parent_size, const char **base) {
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        snprintf(parent, parent_size, "/");
        *base = path;
        return;
    }
    size_t n = (size_t)(slash - path);
    if (n >= parent_size) {
        n = parent_size - 1;
    }
    memcpy(parent, path, n);
    parent[n] = '\0';
    if (n == 0) {
        snprintf(parent, parent_size, "/");
    }
    *base = slash + 1;
}

enum node_kind { NODE_DIR, NODE_FILE };

/*
 * Creates path inside the root if it is missing (parents as directories, the last one as `kind`) and returns
 * an O_PATH fd of it. Each step is resolved inside the root, so a symlink cannot lead the creation outside.
 */
static int create_in_root(int rootfd, const char *path, enum node_kind kind);

/*
 * The directory that holds `path` (created if missing), its last component in *base and the parent's path in
 * `parent`. Most mount points sit right below the root: then it is rootfd as it is rather than opened again;
 * otherwise a new fd, also left in *owned for the caller to close.
 */
static int parent_dir(int rootfd, const char *path, char *parent, size_t size, const char **base, int *owned) {
    split_path(path, parent, size, base);
    if (strcmp(parent, "/") == 0) {
        return rootfd;
    }
    *owned = create_in_root(rootfd, parent, NODE_DIR);
    return *owned;
}

static int create_in_root(int rootfd, const char *path, enum node_kind kind) {
    int fd = open_in_root(rootfd, path, 0);
    if (fd >= 0 || errno != ENOENT) {
        return fd;
    }
    char parent[4096];
    const char *base;
    int owned AUTO_CLOSE = -1;
    int pfd = parent_dir(rootfd, path, parent, sizeof parent, &base, &owned);
    if (pfd < 0) {
        return -1;
    }
    int rc;
    if (kind == NODE_DIR) {
        rc = mkdirat(pfd, base, 0755);
    } else {
        rc = openat(pfd, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        close_keep_errno(rc);
    }
    if (rc < 0 && errno != EEXIST) {
        return -1;
    }
    return open_in_root(rootfd, path, 0);
}

static int mkdir_in_root(int rootfd, const char *path) {
    return create_in_root(rootfd, path, NODE_DIR);
}

static int open_target(int rootfd, const struct mount_op *op) {
    if (op->flags & OPF_CREATE_DIR) {
        return create_in_root(rootfd, op->dst, NODE_DIR);
    }
    if (op->flags & OPF_CREATE_FILE) {
        return create_in_root(rootfd, op->dst, NODE_FILE);
    }
    return open_in_root(rootfd, op->dst, 0);
}

static unsigned long long attr_flags(unsigned int flags) {
    unsigned long long attr = 0;
    if (flags & OPF_RDONLY) attr |= MOUNT_ATTR_RDONLY;
    if (flags & OPF_NOSUID) attr |= MOUNT_ATTR_NOSUID;
    if (flags & OPF_NODEV) attr |= MOUNT_ATTR_NODEV;
    if (flags & OPF_NOEXEC) attr |= MOUNT_ATTR_NOEXEC;
    return attr;
}

/* Clones the mount tree at `source_fd`, applies attributes while it is still detached (so it is never
 * visible writable), and attaches it at `target_fd`. */
static int attach_clone(int source_fd, int target_fd, int recursive, unsigned long long attrs) {
    int tree AUTO_CLOSE = sys_open_tree(
        source_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0));
    if (tree < 0) {
        return -1;
    }
    if (attrs != 0) {
        struct mount_attr attr = { .attr_set = attrs };
        if (sys_mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr) < 0) {
            return -1;
        }
    }
    return sys_move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

static int mount_on_fd(const char *source, int target_fd, const char *fstype, unsigned long flags, const char *data) {
    char target[64];
    snprintf(target, sizeof target, "/proc/self/fd/%d", target_fd);
    return mount(source, target, fstype, flags, data);
}

static int open_devnull(struct failure *f) {
    int fd AUTO_CLOSE = open("/dev/null", O_PATH | O_CLOEXEC);
    if (fd < 0) {
        return fail(f, errno, "open /dev/null for masking");
    }
    struct stat st;
    /* Masking with a fake /dev/null would expose what we meant to hide (runc checks this too). */
    if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
        return fail(f, EINVAL, "check /dev/null is the null device (1:3) before masking");
    }
    return take_fd(&fd);
}

/*
 * An OPF_DEVICE bind's source must be the device its data names ("c 10:229"): opened without following a link, so
 * a node swapped for a symlink or a file since Java checked it fails here instead of binding something else.
 */
static int check_device(const struct mount_op *op, const struct stat *st, struct failure *f) {
    char type = 0;
    unsigned int major_nr = 0, minor_nr = 0;
    if (sscanf(op->data, "%c %u:%u", &type, &major_nr, &minor_nr) != 3 || (type != 'c' && type != 'b')) {
        return fail(f, EINVAL, "device %s: '%s' is not TYPE MAJOR:MINOR", op->src, op->data);
    }
    if (S_ISLNK(st->st_mode)) {
        return fail(f, ELOOP, "device %s is a symbolic link, not the device %c %u:%u", op->src, type, major_nr,
                    minor_nr);
    }
    int is_type = type == 'c' ? S_ISCHR(st->st_mode) : S_ISBLK(st->st_mode);
    if (!is_type || major(st->st_rdev) != major_nr || minor(st->st_rdev) != minor_nr) {
        return fail(f, ENODEV, "device %s is not %c %u:%u", op->src, type, major_nr, minor_nr);
    }
    return 0;
}

/* `src_fd` is the host source of an OP_BIND, opened before the staging root hid anything (-1: none). */
static int apply_op(int rootfd, const struct mount_op *op, int src_fd, int devnull_fd, struct failure *f) {
    int optional = op->flags & OPF_OPTIONAL;
    switch (op->op) {
    case OP_MKDIR: {
        int fd AUTO_CLOSE = mkdir_in_root(rootfd, op->dst);
        if (fd < 0) {
            return fail(f, errno, "mkdir %s", op->dst);
        }
        return 0;
    }
    case OP_SYMLINK: {
        char parent[4096];
        const char *base;
        int owned AUTO_CLOSE = -1;
        int pfd = parent_dir(rootfd, op->dst, parent, sizeof parent, &base, &owned);
        if (pfd < 0) {
            return fail(f, errno, "mkdir %s for symlink %s", parent, op->dst);
        }
        if (symlinkat(op->src, pfd, base) < 0 && !(errno == EEXIST && optional)) {
            return fail(f, errno, "symlink %s -> %s", op->dst, op->src);
        }
        return 0;
    }
    case OP_BIND: {
        if (src_fd < 0) {
            return 0; /* optional source that does not exist */
        }
        struct stat st;
        if (fstat(src_fd, &st) < 0) {
            return fail(f, errno, "stat bind source %s", op->src);
        }
        if ((op->flags & OPF_DEVICE) && check_device(op, &st, f) < 0) {
            return -1;
        }
        struct mount_op target = *op;
        target.flags &= ~(unsigned int)(OPF_CREATE_DIR | OPF_CREATE_FILE);
        target.flags |= S_ISDIR(st.st_mode) ? OPF_CREATE_DIR : OPF_CREATE_FILE;
        int tfd AUTO_CLOSE = open_target(rootfd, &target);
        if (tfd < 0) {
            return fail(f, errno, "create mount point %s for bind of %s", op->dst, op->src);
        }
        if (attach_clone(src_fd, tfd, op->flags & OPF_RECURSIVE, attr_flags(op->flags)) < 0) {
            return fail(f, errno, "bind %s on %s", op->src, op->dst);
        }
        return 0;
    }
    case OP_MOUNT: {
        int tfd AUTO_CLOSE = open_target(rootfd, op);
        if (tfd < 0) {
            if (optional && errno == ENOENT) return 0;
            return fail(f, errno, "open mount point %s for %s", op->dst, op->fstype);
        }
        if (mount_on_fd(op->src, tfd, op->fstype, (unsigned long)op->mountflags, op->data) < 0) {
            return fail(f, errno, "mount %s on %s", op->fstype, op->dst);
        }
        return 0;
    }
    case OP_READONLY: {
        int tfd AUTO_CLOSE = open_in_root(rootfd, op->dst, 0);
        if (tfd < 0) {
            if (errno == ENOENT) return 0; /* nothing to protect */
            return fail(f, errno, "open %s to make it read-only", op->dst);
        }
        if (attach_clone(tfd, tfd, 1, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV) < 0) {
            return fail(f, errno, "make %s read-only", op->dst);
        }
        return 0;
    }
    case OP_MASK: {
        int tfd AUTO_CLOSE = open_in_root(rootfd, op->dst, 0);
        if (tfd < 0) {
            if (errno == ENOENT) return 0; /* nothing to hide */
            return fail(f, errno, "open %s to mask it", op->dst);
        }
        struct stat st;
        int rc;
        if (fstat(tfd, &st) < 0) {
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            rc = mount_on_fd("tmpfs", tfd, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=000");
        } else {
            rc = attach_clone(devnull_fd, tfd, 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
        }
        if (rc < 0) {
            return fail(f, errno, "mask %s", op->dst);
        }
        return 0;
    }
    case OP_ROOT_READONLY: {
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
        if (sys_mount_setattr(rootfd, "", AT_EMPTY_PATH, &attr) < 0) {
            return fail(f, errno, "make the root read-only");
        }
        return 0;
    }
    default: return fail(f, EINVAL, "unknown mount operation %u for %s", op->op, op->dst);
    }
}

static int open_sources(const struct mount_op *ops, int *src_fds, int count, struct failure *f) {
    for (int i = 0; i < count; i++) {
        src_fds[i] = -1;
        if (ops[i].op != OP_BIND) {
            continue;
        }
        int nofollow = (ops[i].flags & OPF_DEVICE) ? O_NOFOLLOW : 0;
        src_fds[i] = open(ops[i].src, O_PATH | O_CLOEXEC | nofollow);
        if (src_fds[i] < 0 && !(errno == ENOENT && (ops[i].flags & OPF_OPTIONAL))) {
            return fail(f, errno, "open bind source %s", ops[i].src);
        }
    }
    return 0;
}

/* Set between pivot_root and the detach of the old root that sandbox_detach_old_root does. */
static int old_root_attached;

pid_t sandbox_fuse_daemon;

/* Where the new root is assembled: STAGING itself, or STAGING/root for an image (its upper layer lives beside). */
#define OVERLAY_ROOT STAGING "/root"

/*
 * fuse-overlayfs as the image root, for kernels without overlayfs in user namespaces: a child of the init, so in the
 * sandbox's user and pid namespaces, in a mount namespace and root of its own that hold only the layers it serves and
 * what its loader needs (fuse_daemon_enter_root), so that /proc/PID/root of the daemon leads to nothing of the host.
 * The init mounts the file system and hands the daemon the /dev/fuse descriptor; the daemon runs confined
 * (fusejail.c: no SYS_ADMIN, no mount calls). It dies with the init: killed with the pid namespace, and by
 * PR_SET_PDEATHSIG where there is none (hence -f: a daemon that forked itself would lose it). Its output goes to a
 * memfd, whose last line is the error when it fails. It ignores every signal it can: the init's signals to the whole
 * sandbox (kill(-1)) must not end it, and libfuse leaves an ignored signal alone (it would unmount on SIGTERM, SIGINT
 * and SIGHUP, and die of others).
 */
/*
 * fuse-overlayfs reads its lower directories by path (a /proc/self/fd/N name does not work for it): each layer is bound
 * read-only on STAGING/lower/N, hidden with the rest of STAGING once the old root is detached. Rewrites `data`.
 */
static int stage_fuse_lowers(const int *fds, int count, char *data, size_t size, struct failure *f) {
    if (mkdir(STAGING "/lower", 0700) < 0) {
        return fail(f, errno, "mkdir " STAGING "/lower");
    }
    size_t used = (size_t)snprintf(data, size, "lowerdir=");
    for (int i = 0; i < count; i++) {
        char path[64];
        snprintf(path, sizeof path, STAGING "/lower/%d", i);
        if (mkdir(path, 0700) < 0) {
            return fail(f, errno, "mkdir %s", path);
        }
        int target AUTO_CLOSE = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (target < 0 ||
            attach_clone(fds[i], target, 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV) < 0) {
            return fail(f, errno, "bind image layer %d on %s", i, path);
        }
        used += (size_t)snprintf(data + used, size - used, "%s%s", i ? ":" : "", path);
    }
    snprintf(data + used, size - used, ",upperdir=" STAGING "/upper,workdir=" STAGING "/work");
    return 0;
}

/* Waits for the daemon's answer to the kernel's first request, in a child: a stat of the mount blocks until then. */
static pid_t probe_fuse_root(dev_t staging) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() != parent) _exit(127);
        struct stat root;
        _exit(stat(OVERLAY_ROOT, &root) == 0 && root.st_dev != staging ? 0 : 1);
    }
    return pid;
}

static void reap(pid_t pid) {
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
}

/* The daemon's child: its own root (fusejail.c), no signals, its confinement, then fuse-overlayfs on /dev/fd/N. */
static void exec_fuse_daemon(const char *helper, const char *options, int dev, int log, pid_t parent) {
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent) _exit(127);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0) _exit(127);
    static char exe[PATH_MAX];
    const char *step = "";
    if (fuse_daemon_enter_root(STAGING "/jail", STAGING, STAGING "/lower", helper, exe, &step) < 0) {
        dprintf(2, "give fuse-overlayfs a root of its own: %s: %s\n", step, strerror(errno));
        _exit(127);
    }
    syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
    int fuse = fcntl(dev, F_DUPFD, 3); /* kept across exec: the connection the init mounted */
    char where[32];
    snprintf(where, sizeof where, "/dev/fd/%d", fuse);
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD) {
            signal(sig, SIG_IGN); /* glibc's own signals refuse, which is fine */
        }
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (fuse < 0 || fuse_daemon_confine() < 0) {
        dprintf(2, "confine fuse-overlayfs: %s\n", strerror(errno));
        _exit(127);
    }
    char *argv[] = { exe, "-f", "-o", (char *)options, where, NULL };
    char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
    execve(exe, argv, envp);
    dprintf(2, "exec %s: %s\n", exe, strerror(errno));
    _exit(127);
}

/*
 * The init mounts the file system itself, on a /dev/fuse it opens (from the host's /dev, before the pivot: opened in
 * the sandbox's user namespace, as the kernel wants), with the options libfuse would pass for fuse-overlayfs run as
 * root; the daemon gets the descriptor and so never mounts.
 */
static int mount_fuse_connection(int *dev, struct failure *f) {
    *dev = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (*dev < 0) {
        return fail(f, errno, "open /dev/fuse for fuse-overlayfs");
    }
    char data[160];
    snprintf(data, sizeof data, "fd=%d,rootmode=40000,user_id=%u,group_id=%u,default_permissions,allow_other", *dev,
             (unsigned)getuid(), (unsigned)getgid());
    if (mount("fuse-overlayfs", OVERLAY_ROOT, "fuse.fuse-overlayfs", MS_NODEV | MS_NOATIME, data) < 0) {
        return fail(f, errno, "mount fuse.fuse-overlayfs on " OVERLAY_ROOT);
    }
    return 0;
}

static int mount_fuse_overlay(const char *helper, int count, const char *options, struct failure *f) {
    int log AUTO_CLOSE = memfd_create("fuse-overlayfs", MFD_CLOEXEC);
    if (log < 0) {
        return fail(f, errno, "memfd for fuse-overlayfs's output");
    }
    struct stat staging;
    if (stat(STAGING, &staging) < 0) {
        return fail(f, errno, "stat " STAGING);
    }
    int dev AUTO_CLOSE = -1;
    if (mount_fuse_connection(&dev, f) < 0) {
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        umount2(OVERLAY_ROOT, MNT_DETACH);
        return fail(f, errno, "fork fuse-overlayfs");
    }
    if (pid == 0) {
        exec_fuse_daemon(helper, options, dev, log, parent);
    }
    close(dev); /* the daemon's copy is the connection's last: when it ends, every request fails instead of waiting */
    dev = -1;
    pid_t probe = probe_fuse_root(staging.st_dev);
    for (int waited_ms = 0;; waited_ms++) {
        int status = 1;
        pid_t answered = probe > 0 ? waitpid(probe, &status, WNOHANG) : -1;
        if (answered == probe && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            sandbox_fuse_daemon = pid;
            return 0; /* mounted; the daemon serves it from now on */
        }
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (answered != 0 || done == pid || waited_ms >= 10000) {
            int timed_out = answered == 0 && done != pid;
            if (done != pid) reap(pid);
            if (answered == 0) reap(probe);
            umount2(OVERLAY_ROOT, MNT_DETACH);
            char out[400] = "";
            off_t end = lseek(log, 0, SEEK_END);
            ssize_t n = pread(log, out, sizeof out - 1, end > (off_t)sizeof out - 1 ? end - (off_t)sizeof out + 1 : 0);
            out[n > 0 ? n : 0] = '\0';
            while (n > 0 && out[n - 1] == '\n') {
                out[--n] = '\0';
            }
            char *last = strrchr(out, '\n');
            return fail(f, timed_out ? ETIMEDOUT : EIO, "mount fuse-overlayfs of %d image layers with %s: %s", count,
                        helper, *out ? (last ? last + 1 : out) : "it ended without serving");
        }
        struct timespec ms = { .tv_nsec = 1000000 };
        nanosleep(&ms, NULL);
    }
}

struct root_outcome sandbox_root_outcome = { .fell_back = 0, .failed = -1 };

const char *const sandbox_root_mode_names[] = { "overlay", "fuse-overlayfs", "copy" };

/*
 * Whether a mode's failure means "this host does not allow it here" (fall back) rather than a fault the next mode would
 * hit as well. overlayfs, from mount(2) and Documentation/filesystems/overlayfs.rst: EPERM (no overlay in user
 * namespaces: before Linux 5.11, or a distribution's rule), EACCES (a security module's denial: SELinux and AppArmor
 * answer so), ENODEV (no overlay in this kernel), EINVAL (a layer overlayfs refuses: an upper on NFS or FUSE lacking
 * its required features, too deep a stack of file systems, case-folding, `userxattr` unknown before 5.11),
 * EOPNOTSUPP (a layer's file system lacks an operation overlayfs needs). fuse-overlayfs: any failure (it ends with
 * its reason in its output, or never mounts), since a copy needs nothing but the files.
 */
static int refused(uint32_t mode, int err) {
    if (mode == ROOT_MODE_FUSE) {
        return 1;
    }
    return mode == ROOT_MODE_OVERLAY &&
        (err == EPERM || err == EACCES || err == ENODEV || err == EINVAL || err == EOPNOTSUPP);
}

/* One mode's attempt at the root on OVERLAY_ROOT; `data` holds overlayfs's options (fuse-overlayfs rewrites it). */
static int assemble_root(const struct root_mode *mode, uint32_t as, const int *fds, int count, char *data, size_t size,
                         struct failure *f) {
    if (as == ROOT_MODE_FUSE) {
        return stage_fuse_lowers(fds, count, data, size, f) < 0 ? -1 : mount_fuse_overlay(mode->helper, count, data, f);
    }
    if (as == ROOT_MODE_COPY) {
        umount2(OVERLAY_ROOT, MNT_DETACH); /* a fuse-overlayfs that mounted and then failed (EINVAL: nothing there) */
        int root AUTO_CLOSE = open(OVERLAY_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root < 0) {
            return fail(f, errno, "open " OVERLAY_ROOT " for the copy of the image");
        }
        if (copy_layers(fds, count, root, mode->flags & ROOT_FLAG_LINK, f) < 0) {
            return -1;
        }
        if (mount(OVERLAY_ROOT, OVERLAY_ROOT, NULL, MS_BIND, NULL) < 0) { /* pivot_root wants a mount point */
            return fail(f, errno, "bind the copy of the image on itself");
        }
        return 0;
    }
    if (mount("overlay", OVERLAY_ROOT, "overlay", MS_NOSUID | MS_NODEV, data) < 0) {
        return fail(f, errno, "mount overlay of %d image layers as the new root", count);
    }
    return 0;
}

/*
 * Tries F_ROOT_MODE's mode and, with ROOT_FLAG_FALLBACK, each next one the host allows after a refusal (overlay, then
 * fuse-overlayfs when a helper is named, then a copy), recording the refusals for K_READY (F_ROOT_FELL_BACK). A
 * failure that ends the start names the mode (F_ROOT_FAILED), and after refusals says what was refused first.
 */
static int assemble_with_fallback(const struct root_mode *mode, const int *fds, int count, char *data, size_t size,
                                  struct failure *f) {
    struct root_outcome *o = &sandbox_root_outcome;
    size_t used = 0;
    for (uint32_t as = mode->mode;;) {
        if (assemble_root(mode, as, fds, count, data, size, f) == 0) {
            o->used = as;
            return 0;
        }
        if (!(mode->flags & ROOT_FLAG_FALLBACK) || as == ROOT_MODE_COPY || !refused(as, f->err)) {
            o->failed = (int)as;
            if (o->fell_back) {
                struct failure last = *f;
                fail(f, last.err, "%s, after %s", last.step, o->why);
            }
            return -1;
        }
        if (!o->fell_back) {
            o->fell_back = 1;
            o->first_errno = f->err;
        }
        o->last_errno = f->err;
        used += (size_t)snprintf(o->why + used, sizeof o->why - used, "%s%s refused: %s: %s", used ? "; " : "",
                                 sandbox_root_mode_names[as], f->step, strerror(f->err));
        if (used >= sizeof o->why) {
            used = sizeof o->why - 1;
        }
        as = as == ROOT_MODE_OVERLAY && *mode->helper ? ROOT_MODE_FUSE : ROOT_MODE_COPY;
    }
}

/*
 * An image's layers as the new root, with a writable layer of this sandbox's own on STAGING: a tmpfs (size-limited when
 * F_ROOT_UPPER says so) or F_ROOT_UPPER's host directory, both only reachable through the root once the old root is
 * detached. By default overlayfs stacks the layers (`userxattr` makes it read whiteouts and opaque directories the way
 * an unprivileged user can write them, Linux 5.11); F_ROOT_MODE picks fuse-overlayfs or a copy instead, or lets a
 * refused overlayfs fall back to them. The layers are opened before STAGING is covered and named by /proc/self/fd/N,
 * so a cache under /tmp stays reachable and the mount options stay short.
 */
static int stage_overlay_root(const struct msg *m, const struct field *fl, struct failure *f) {
    const char *layers[ROOT_OVERLAY_MAX];
    int count = 0;
    if (parse_root_overlay(fl, layers, ROOT_OVERLAY_MAX, &count, f) < 0) {
        return -1;
    }
    struct root_mode mode = { .mode = ROOT_MODE_OVERLAY, .helper = "" };
    struct root_upper upper = { .size = 0, .dir = "" };
    struct field field;
    if ((msg_find(m, F_ROOT_MODE, &field) && parse_root_mode(&field, &mode, f) < 0) ||
        (msg_find(m, F_ROOT_UPPER, &field) && parse_root_upper(&field, &upper, f) < 0)) {
        return -1;
    }
    int fds[ROOT_OVERLAY_MAX];
    int opened = 0;
    int rc = -1;
    static char data[ROOT_OVERLAY_MAX * 24 + 128];
    size_t used = (size_t)snprintf(data, sizeof data, "userxattr,lowerdir=");
    for (; opened < count; opened++) {
        fds[opened] = open(layers[opened], O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fds[opened] < 0) {
            fail(f, errno, "open image layer %s", layers[opened]);
            goto out;
        }
        used += (size_t)snprintf(data + used, sizeof data - used, "%s/proc/self/fd/%d", opened ? ":" : "", fds[opened]);
    }
    snprintf(data + used, sizeof data - used, ",upperdir=" STAGING "/upper,workdir=" STAGING "/work");
    if (*upper.dir) {
        int dir AUTO_CLOSE = open(upper.dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int target AUTO_CLOSE = open(STAGING, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0 || target < 0 || attach_clone(dir, target, 0, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV) < 0) {
            fail(f, errno, "bind the writable layer's directory %s on " STAGING, upper.dir);
            goto out;
        }
    } else {
        char options[64];
        snprintf(options, sizeof options, upper.size ? "mode=0755,size=%llu" : "mode=0755",
                 (unsigned long long)upper.size);
        if (mount("tmpfs", STAGING, "tmpfs", MS_NOSUID | MS_NODEV, options) < 0) {
            fail(f, errno, "mount tmpfs for the image's writable layer on " STAGING);
            goto out;
        }
    }
    if (mkdir(STAGING "/upper", 0755) < 0 || mkdir(STAGING "/work", 0700) < 0 || mkdir(OVERLAY_ROOT, 0755) < 0) {
        fail(f, errno, "mkdir the overlay directories in " STAGING);
        goto out;
    }
    rc = assemble_with_fallback(&mode, fds, count, data, sizeof data, f);
out:
    for (int i = 0; i < opened; i++) {
        close(fds[i]);
    }
    return rc;
}

int sandbox_stage_image_root(const struct msg *m, struct failure *f) {
    struct field root;
    if (!msg_find(m, F_ROOT_OVERLAY, &root)) {
        return fail(f, EINVAL, "no image layers (F_ROOT_OVERLAY)");
    }
    return stage_overlay_root(m, &root, f);
}

/* The new root on STAGING: the F_ROOT_BIND directory bound there, an image's layers, or an empty tmpfs. */
static int stage_root(const struct msg *m, const char **root_path, struct failure *f) {
    struct field root;
    *root_path = STAGING;
    if (msg_find(m, F_ROOT_OVERLAY, &root)) {
        *root_path = OVERLAY_ROOT;
        return stage_overlay_root(m, &root, f);
    }
    if (!msg_find(m, F_ROOT_BIND, &root)) {
        if (mount("tmpfs", STAGING, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0) {
            return fail(f, errno, "mount tmpfs for the new root on " STAGING);
        }
        return 0;
    }
    char *dir AUTO_FREE = field_strdup(&root);
    int dirfd AUTO_CLOSE = dir ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
    if (dirfd < 0) {
        return fail(f, errno, "open root directory %s", dir ? dir : "?");
    }
    int target AUTO_CLOSE = open(STAGING, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (target < 0 || attach_clone(dirfd, target, 1, 0) < 0) {
        return fail(f, errno, "bind root directory %s", dir);
    }
    return 0;
}

static int setup_mounts(const struct msg *m, int control, struct failure *f) {
    /* On the stack, not static: the init gives the pages back once set up (release_stack_below in init.c). */
    struct mount_op ops[MAX_OPS];
    int src_fds[MAX_OPS];
    int count = 0;
    if (parse_mount_ops(m, ops, MAX_OPS, &count, f) < 0 || open_sources(ops, src_fds, count, f) < 0) {
        return -1;
    }
    int devnull_fd AUTO_CLOSE = open_devnull(f);
    if (devnull_fd < 0) {
        return -1;
    }
    /* Nothing we mount may propagate back to the host. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        return fail(f, errno, "make mounts private (mount --make-rprivate /)");
    }
    const char *root_path;
    if (stage_root(m, &root_path, f) < 0) {
        return -1;
    }
    int rootfd AUTO_CLOSE = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        return fail(f, errno, "open the new root");
    }
    for (int i = 0; i < count; i++) {
        if (apply_op(rootfd, &ops[i], src_fds[i], devnull_fd, f) < 0) {
            return -1;
        }
        if (src_fds[i] >= 0) {
            close(src_fds[i]);
        }
    }
    /* Lifecycle hooks: the runtime's run while we wait here, then createContainer ones as our children. */
    if (hooks_before_pivot(control, m, f) < 0) {
        return -1;
    }
    /* pivot_root(".", ".") stacks the old root on the new one; detaching it leaves only the new root
     * (the trick runc and crun use: no directory for the old root is needed). */
    if (fchdir(rootfd) < 0) {
        return fail(f, errno, "chdir to the new root");
    }
    if (sys_pivot_root(".", ".") < 0) {
        return fail(f, errno, "pivot_root");
    }
    old_root_attached = 1;
    return 0;
}

int sandbox_detach_old_root(struct failure *f) {
    if (!old_root_attached) {
        return 0;
    }
    if (umount2(".", MNT_DETACH) < 0) {
        return fail(f, errno, "detach the old root");
    }
    old_root_attached = 0;
    if (chdir("/") < 0) {
        return fail(f, errno, "chdir / in the new root");
    }
    return 0;
}

int loopback_up(struct failure *f) {
    int s AUTO_CLOSE = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        return fail(f, errno, "socket for bringing up lo");
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
        return fail(f, errno, "read flags of lo");
    }
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
        return fail(f, errno, "bring up lo");
    }
    return 0;
}

/*
 * eth0, the sandbox's end of its network's veth (the server made it, down, in our namespace): no IPv6 link-local
 * address (the network stays quiet: no DAD, no router solicitations), up, and the address Java allotted. No
 * default route: only the network's own subnet is reachable.
 */
int sandbox_network_up(const struct msg *m, struct failure *f) {
    struct field address;
    if (!msg_find(m, F_NET_ADDRESS, &address)) {
        return 0;
    }
    struct net_address a;
    if (parse_net_address(&address, &a, f) < 0) {
        return -1;
    }
    return eth0_up(a.addr, a.prefix, f);
}

int eth0_up(uint32_t addr, uint8_t prefix, struct failure *f) {
    int nl AUTO_CLOSE = nl_open();
    if (nl < 0) {
        return fail(f, -nl, "open a rtnetlink socket for eth0");
    }
    int index = nl_link_index(nl, "eth0");
    if (index < 0) {
        return fail(f, -index, "find eth0, the sandbox's end of its network");
    }
    int rc = nl_link_no_ipv6_ll(nl, index);
    if (rc < 0 && rc != -EAFNOSUPPORT) { /* EAFNOSUPPORT: no IPv6 at all */
        return fail(f, -rc, "turn off IPv6 link-local on eth0");
    }
    if ((rc = nl_link_up(nl, index)) < 0) {
        return fail(f, -rc, "bring up eth0");
    }
    if ((rc = nl_addr_add(nl, index, addr, prefix)) < 0) {
        return fail(f, -rc, "add the network address to eth0");
    }
    return 0;
}

int sandbox_enter_cgroup_namespace(const struct msg *m, struct failure *f) {
    struct field fl;
    if (msg_find(m, F_CGROUP_NS, &fl) && field_u32(&fl) && unshare(CLONE_NEWCGROUP) < 0) {
        return fail(f, errno, "unshare cgroup namespace");
    }
    return 0;
}

int sandbox_setup(const struct msg *m, int control, struct failure *f) {
    struct field fl;
    if (msg_find(m, F_HOSTNAME, &fl)) {
        if (sethostname((const char *)fl.data, fl.len) < 0) {
            return fail(f, errno, "sethostname");
        }
    }
    if (msg_find(m, F_LOOPBACK_UP, &fl) && field_u32(&fl) && loopback_up(f) < 0) {
        return -1;
    }
    if (!(msg_find(m, F_NO_PIVOT, &fl) && field_u32(&fl))) {
        return setup_mounts(m, control, f);
    }
    return hooks_before_pivot(control, m, f); /* no mount namespace: there is no pivot to run them before */
}
