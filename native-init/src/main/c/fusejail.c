#define _GNU_SOURCE
#include "fusejail.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/mount.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * What fuse-overlayfs does with privilege: give files the owners and modes its callers ask for (CHOWN, FOWNER, FSETID,
 * SETFCAP for file capabilities), reach any file of the layers and the writable layer whatever its mode
 * (DAC_OVERRIDE, DAC_READ_SEARCH), and make device nodes (MKNOD). It does not mount: the init mounts the file system
 * on a /dev/fuse it opened and hands the daemon that descriptor (/dev/fd/N, libfuse 3.3), so no SYS_ADMIN.
 */
#define CAP(c) (1ULL << (c))
#define FUSE_DAEMON_CAPS                                                                                               \
    (CAP(CAP_CHOWN) | CAP(CAP_DAC_OVERRIDE) | CAP(CAP_DAC_READ_SEARCH) | CAP(CAP_FOWNER) | CAP(CAP_FSETID) |           \
     CAP(CAP_MKNOD) | CAP(CAP_SETFCAP))

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "no seccomp architecture for this target"
#endif

/*
 * Refused with EPERM: what a file system daemon never calls and an attacker who took it over would want: tracing and
 * other processes' memory, kernel modules and kexec, BPF and perf, keyrings, new or other namespaces and roots, every
 * mount call (the init mounted for it), handles that bypass paths, io_uring (which seccomp cannot see into), and the
 * host's clock, swap and reboot.
 */
static const int denied[] = {
    SYS_ptrace,
    SYS_process_vm_readv,
    SYS_process_vm_writev,
    SYS_kcmp,
    SYS_pidfd_getfd,
    SYS_kexec_load,
    SYS_kexec_file_load,
    SYS_init_module,
    SYS_finit_module,
    SYS_delete_module,
    SYS_bpf,
    SYS_perf_event_open,
    SYS_userfaultfd,
    SYS_keyctl,
    SYS_add_key,
    SYS_request_key,
    SYS_unshare,
    SYS_setns,
    SYS_pivot_root,
    SYS_chroot,
    SYS_mount,
    SYS_umount2,
    SYS_open_by_handle_at,
    SYS_fsopen,
    SYS_fsmount,
    SYS_fspick,
    SYS_move_mount,
    SYS_open_tree,
    SYS_mount_setattr,
    SYS_io_uring_setup,
    SYS_io_uring_enter,
    SYS_io_uring_register,
    SYS_swapon,
    SYS_swapoff,
    SYS_reboot,
    SYS_acct,
    SYS_settimeofday,
    SYS_clock_settime,
    SYS_clock_adjtime,
    SYS_adjtimex,
    SYS_syslog,
    SYS_quotactl,
    SYS_vhangup,
};
#define DENIED (sizeof denied / sizeof denied[0])

/*
 * Linux 6.1's last system call (set_mempolicy_home_node), the newest these headers and glibc 2.36 know: later ones
 * answer ENOSYS, as on an older kernel, which glibc takes as "fall back". A deny-list alone would let every call a
 * newer kernel adds (open_tree_attr, 467, makes detached mounts) through unchecked.
 */
#define HIGHEST_KNOWN_SYSCALL 450
/* New namespaces by clone(2) as by unshare(2); CLONE_NEWTIME shares its bit with the exit signal in clone(2). */
#define CLONE_NEW_ANY                                                                                                  \
    (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

static uint8_t jump(size_t from, size_t to) {
    return (uint8_t)(to - from - 1);
}

static int load_filter(void) {
    /* arch check, x32 refused, clone3 and unknown calls, clone's flags, one comparison per denied call, the ends */
    static struct sock_filter prog[14 + DENIED];
    const size_t allow = 8 + DENIED, clone_flags = allow + 1, deny = allow + 4, enosys = allow + 5;
    size_t n = 0;
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0);
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
    prog[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, jump(n, deny), 0);
#else
    prog[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0);
#endif
    n++;
    /* clone3 passes its flags in memory seccomp cannot read: ENOSYS makes glibc use clone(2), whose flags it can */
    prog[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, jump(n, enosys), 0);
    n++;
    prog[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, HIGHEST_KNOWN_SYSCALL, jump(n, enosys), 0);
    n++;
    prog[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, jump(n, clone_flags), 0);
    n++;
    for (size_t i = 0; i < DENIED; i++, n++) {
        prog[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)denied[i], jump(n, deny), 0);
    }
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    /* clone's flags are its first argument on both architectures; the namespace bits are in the low word */
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
    prog[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEW_ANY, jump(n, deny), 0);
    n++;
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
    struct sock_fprog fprog = { .len = (unsigned short)n, .filter = prog };
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog);
}

int fuse_daemon_confine(void) {
    for (int cap = 0; cap < 64; cap++) {
        if (!(FUSE_DAEMON_CAPS & CAP(cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) {
            return -1;
        }
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
        return -1;
    }
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    data[0].effective = data[0].permitted = (uint32_t)FUSE_DAEMON_CAPS;
    data[1].effective = data[1].permitted = (uint32_t)(FUSE_DAEMON_CAPS >> 32);
    if (syscall(SYS_capset, &hdr, data) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        return -1;
    }
    return load_filter();
}

static int sys_open_tree(const char *path, unsigned int flags) {
    return (int)syscall(SYS_open_tree, AT_FDCWD, path, flags);
}

static int sys_mount_setattr(int fd, unsigned int flags, unsigned long long set) {
    struct mount_attr attr = { .attr_set = set };
    return (int)syscall(SYS_mount_setattr, fd, "", flags | AT_EMPTY_PATH, &attr, sizeof attr);
}

/* mkdir -p of `path` (absolute, below the jail), each component 0755. */
static int make_dirs(char *path) {
    for (char *p = path + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            int rc = mkdir(path, 0755);
            *p = c;
            if (rc < 0 && errno != EEXIST) return -1;
            if (c == '\0') return 0;
        }
    }
}

/*
 * The host's `path` (a directory, or a file) bound at the same path below `jail`: read-only, nosuid and nodev with its
 * submounts, or `writable` without them. Cloned detached and made read-only before it is attached, like attach_clone.
 */
static int bind_into(const char *jail, const char *path, int writable) {
    int tree = sys_open_tree(path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (writable ? 0 : AT_RECURSIVE));
    if (tree < 0) return -1;
    char dst[PATH_MAX];
    struct stat st;
    int rc = -1;
    if (snprintf(dst, sizeof dst, "%s%s", jail, path) >= (int)sizeof dst) {
        errno = ENAMETOOLONG;
    } else if (fstat(tree, &st) == 0 && make_dirs(dst) == 0) {
        if (!S_ISDIR(st.st_mode)) { /* a file's mount point is a file: replace the directory make_dirs made */
            rmdir(dst);
            int file = open(dst, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0444);
            if (file >= 0) close(file);
        }
        if (writable ||
            sys_mount_setattr(tree, AT_RECURSIVE, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV) == 0) {
            rc = (int)syscall(SYS_move_mount, tree, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH);
        }
    }
    int saved = errno;
    close(tree);
    errno = saved;
    return rc;
}

/* The root's entries the loader and the helper's path go through: usr-merged symlinks as they are, else binds. */
static int copy_root_entry(const char *jail, const char *name) {
    char path[64], target[PATH_MAX], dst[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "/%s", name);
    if (lstat(path, &st) < 0) return errno == ENOENT ? 0 : -1;
    if (S_ISDIR(st.st_mode)) return bind_into(jail, path, 0);
    if (!S_ISLNK(st.st_mode)) return 0;
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0) return -1;
    target[n] = '\0';
    snprintf(dst, sizeof dst, "%s%s", jail, path);
    return symlink(target, dst);
}

/*
 * What the sandbox's own /proc hides (MountPlan.MASKED_PATHS), hidden in the daemon's too: a process that reaches the
 * daemon's root must not read there what its own /proc masks. Files get the null device, directories an empty tmpfs.
 */
static int mask_proc(const char *jail) {
    static const char *const masked[] = { "acpi",       "asound",      "kcore",       "keys", "latency_stats",
                                          "timer_list", "timer_stats", "sched_debug", "scsi" };
    for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++) {
        char at[PATH_MAX];
        struct stat st;
        snprintf(at, sizeof at, "%s/proc/%s", jail, masked[i]);
        if (lstat(at, &st) < 0) {
            if (errno == ENOENT) continue;
            return -1;
        }
        if (S_ISDIR(st.st_mode)) {
            if (mount("tmpfs", at, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=000") < 0) {
                return -1;
            }
            continue;
        }
        int null = sys_open_tree("/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        int rc = null < 0 || sys_mount_setattr(null, 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC) < 0
            ? -1
            : (int)syscall(SYS_move_mount, null, "", AT_FDCWD, at, MOVE_MOUNT_F_EMPTY_PATH);
        if (null >= 0) close(null);
        if (rc < 0) return -1;
    }
    return 0;
}

int fuse_daemon_enter_root(const char *jail, const char *writable, const char *layers, const char *helper, char *exe,
                           const char **step) {
    static const char *const root_entries[] = { "lib", "lib32", "lib64", "libx32", "bin", "sbin" };
    char at[PATH_MAX];
    *step = "unshare a mount namespace";
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) return -1;
    *step = "mount the tmpfs of its root";
    if ((mkdir(jail, 0700) < 0 && errno != EEXIST) ||
        mount("tmpfs", jail, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=16k,nr_inodes=64") < 0) {
        return -1;
    }
    *step = "bind the layers it serves";
    if (bind_into(jail, writable, 1) < 0 || bind_into(jail, layers, 0) < 0) return -1;
    *step = "bind /usr read-only";
    if (bind_into(jail, "/usr", 0) < 0) return -1;
    *step = "copy the root's lib and bin entries";
    for (size_t i = 0; i < sizeof root_entries / sizeof root_entries[0]; i++) {
        if (copy_root_entry(jail, root_entries[i]) < 0) return -1;
    }
    *step = "bind /etc/ld.so.cache read-only";
    if (access("/etc/ld.so.cache", F_OK) == 0 && bind_into(jail, "/etc/ld.so.cache", 0) < 0) return -1;
    *step = "resolve the helper";
    if (realpath(helper, exe) == NULL) return -1;
    if (strncmp(exe, "/usr/", 5) != 0) {
        *step = "bind the helper read-only";
        if (bind_into(jail, exe, 0) < 0) return -1;
    }
    /* fuse-overlayfs reads /proc/sys/kernel/overflow[ug]id and names descriptors /proc/self/fd/N: a procfs of the
     * sandbox's pid namespace, read-only; where the kernel refuses a new one (no pid namespace of the sandbox's own), the
     * init's, bound read-only. */
    *step = "mount a read-only /proc";
    snprintf(at, sizeof at, "%s/proc", jail);
    if (mkdir(at, 0555) < 0 ||
        (mount("proc", at, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL) < 0 &&
         bind_into(jail, "/proc", 0) < 0)) {
        return -1;
    }
    *step = "mask /proc as the sandbox's";
    if (mask_proc(jail) < 0) return -1;
    *step = "make its root read-only";
    int root = open(jail, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0 || sys_mount_setattr(root, 0, MOUNT_ATTR_RDONLY) < 0 || fchdir(root) < 0) {
        return -1;
    }
    close(root);
    *step = "pivot into its root";
    if (syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) return -1;
    return 0;
}
