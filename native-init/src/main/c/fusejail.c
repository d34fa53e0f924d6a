#define _GNU_SOURCE
#include "fusejail.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * What fuse-overlayfs does with privilege: mount itself (SYS_ADMIN, also for trusted.* attributes it tries first),
 * give files the owners and modes its callers ask for (CHOWN, FOWNER, FSETID, SETFCAP for file capabilities), reach
 * any file of the layers and the writable layer whatever its mode (DAC_OVERRIDE, DAC_READ_SEARCH), and make device
 * nodes (MKNOD). Keeping SYS_ADMIN also keeps the daemon out of reach of the sandbox's processes that lack it (and
 * SYS_PTRACE): ptrace needs the tracer's capabilities to cover the tracee's.
 */
#define CAP(c) (1ULL << (c))
#define FUSE_DAEMON_CAPS                                                                                               \
    (CAP(CAP_CHOWN) | CAP(CAP_DAC_OVERRIDE) | CAP(CAP_DAC_READ_SEARCH) | CAP(CAP_FOWNER) | CAP(CAP_FSETID) |           \
     CAP(CAP_MKNOD) | CAP(CAP_SETFCAP) | CAP(CAP_SYS_ADMIN))

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "no seccomp architecture for this target"
#endif

/*
 * Refused with EPERM: the sandbox's own filter (SeccompProfiles) cannot serve here, since it refuses mount(2), which
 * fuse-overlayfs needs to mount itself. These are what a file system daemon never calls and an attacker who took it
 * over would want: tracing and other processes' memory, kernel modules and kexec, BPF and perf, keyrings, new or
 * other namespaces and roots, the new mount API, handles that bypass paths, io_uring (which seccomp cannot see into),
 * and the host's clock, swap and reboot.
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

static int load_filter(void) {
    /* arch check, x32 refused, then one comparison per denied call */
    static struct sock_filter prog[6 + DENIED + 2];
    size_t n = 0;
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0);
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
    prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, (uint8_t)(DENIED + 1), 0);
#endif
    for (size_t i = 0; i < DENIED; i++) {
        prog[n++] =
            (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)denied[i], (uint8_t)(DENIED - i), 0);
    }
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
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
