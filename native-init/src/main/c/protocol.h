/*
 * Wire protocol between the Java runtime and sandbox-init.
 *
 * Transport: AF_UNIX SOCK_SEQPACKET, one message per packet, file descriptors in SCM_RIGHTS.
 * A message is a sequence of fields: u32 tag, u32 length, then `length` bytes (no padding),
 * native byte order. The first field is always F_KIND. Java mirrors these numbers in
 * dev.sandboxed.core.process.Protocol; change both together.
 */
#ifndef SANDBOX_PROTOCOL_H
#define SANDBOX_PROTOCOL_H

#define PROTOCOL_VERSION 1
#define MAX_MESSAGE (256 * 1024)
#define MAX_FDS 8

/* Message kinds (value of F_KIND). */
enum kind {
    /* Java -> server */
    K_CREATE = 1, /* fds: [sandbox control socket] */
    /* server -> Java */
    K_CREATED = 2,       /* F_PID: host pid of the sandbox init */
    K_CREATE_FAILED = 3, /* F_STEP, F_ERRNO */
    K_HELLO = 4,         /* F_VERSION: sent by the server once it is ready */
    /* sandbox init -> Java */
    K_READY = 10,
    K_SETUP_FAILED = 11,      /* F_STEP, F_ERRNO */
    K_STARTED = 12,           /* F_EXEC_ID, F_PID (pid inside the sandbox) */
    K_EXEC_FAILED = 13,       /* F_EXEC_ID, F_STEP, F_ERRNO */
    K_EXITED = 14,            /* F_EXEC_ID, F_STATUS (raw wait status) */
    K_DENIALS = 15,           /* F_DENIAL repeated: seccomp refusals counted so far */
    K_NAMESPACES = 16,        /* fds: [user namespace, network namespace] of the sandbox */
    K_NAMESPACES_FAILED = 17, /* F_STEP, F_ERRNO: answer to K_GET_NAMESPACES when the files cannot be opened */
    /* Java -> sandbox init */
    K_EXEC = 20,           /* process description; fds: [stdin, stdout, stderr] */
    K_SIGNAL = 21,         /* F_EXEC_ID (0: every process), F_SIGNO */
    K_SHUTDOWN = 22,       /* kill everything and exit */
    K_GET_NAMESPACES = 23, /* answered with K_NAMESPACES */
};

/* Field tags. */
enum tag {
    F_KIND = 1,    /* u32 */
    F_STEP = 2,    /* string: the setup step that failed */
    F_ERRNO = 3,   /* u32 */
    F_PID = 4,     /* u32 */
    F_VERSION = 5, /* u32 */
    F_STATUS = 6,  /* u32: raw wait status */
    F_EXEC_ID = 7, /* u32 */
    F_SIGNO = 8,   /* u32 */
    F_DENIAL = 9,  /* u32 arch, u32 nr, u64 count */

    /* K_CREATE: work done by the server around clone() */
    F_CLONE_FLAGS = 20,  /* u64: CLONE_NEW* flags for clone() */
    F_SETGROUPS = 21,    /* string written to /proc/PID/setgroups ("deny") */
    F_UID_MAP = 22,      /* string written to /proc/PID/uid_map */
    F_GID_MAP = 23,      /* string written to /proc/PID/gid_map */
    F_UID_MAP_CMD = 24,  /* NUL-separated argv; the pid is inserted as argv[1] (newuidmap) */
    F_GID_MAP_CMD = 25,  /* NUL-separated argv (newgidmap) */
    F_CGROUP_PROCS = 26, /* string, repeated: cgroup.procs files to write the init pid into */
    F_CGROUP_DIR = 27,   /* string: cgroup v2 directory to clone the init straight into (CLONE_INTO_CGROUP);
                             F_CGROUP_PROCS is the fallback where clone3 is missing */

    /* K_CREATE: work done by the sandbox init before it reports K_READY */
    F_CGROUP_NS = 30,   /* u32: unshare the cgroup namespace after joining the cgroups */
    F_HOSTNAME = 31,    /* string */
    F_LOOPBACK_UP = 32, /* u32 */
    F_ROOT_BIND = 33,   /* string: host directory bound as the new root; absent: empty tmpfs root */
    F_MOUNT_OP = 34,    /* struct mount_op header + "src\0dst\0fstype\0data\0" */
    F_NO_PIVOT = 35,    /* u32: keep the host root (no mount namespace) */
    F_JOIN = 36,        /* u32: join the user and network namespaces passed as fds 1 and 2 of K_CREATE */

    /* K_EXEC: one process */
    F_ARG = 40,            /* string, repeated */
    F_ENV = 41,            /* string "K=V", repeated */
    F_CWD = 42,            /* string */
    F_UID = 43,            /* u32 */
    F_GID = 44,            /* u32 */
    F_GROUPS = 45,         /* u32[] supplementary groups (may be empty) */
    F_CAPS = 46,           /* u64 bounding, u64 effective==permitted (inheritable and ambient are always empty) */
    F_RLIMIT = 47,         /* u32 resource, u64 soft, u64 hard; repeated */
    F_SECCOMP = 48,        /* struct sock_filter[] */
    F_SECCOMP_NOTIFY = 49, /* u32 errno to answer user notifications with (filter uses RET_USER_NOTIF) */
    F_MAIN = 50,           /* u32: when this process exits, the sandbox ends with its status */
    F_NEW_SESSION = 51,    /* u32: setsid() so the process has no controlling terminal */
    F_NO_NEW_PRIVS = 52,   /* u32 */
};

/* F_MOUNT_OP header; the four strings follow. Targets are resolved inside the new root. */
struct mount_op {
    unsigned int op;
    unsigned int flags;            /* OPF_* */
    unsigned long long mountflags; /* MS_* for mount(2) */
};

enum mount_op_kind {
    OP_MOUNT = 1,         /* mount(fstype, dst, mountflags, data): proc, tmpfs, devpts, mqueue */
    OP_BIND = 2,          /* bind host path src onto dst */
    OP_MKDIR = 3,         /* mkdir -p dst */
    OP_SYMLINK = 4,       /* symlink src (target text) at dst */
    OP_READONLY = 5,      /* bind dst onto itself and make it read-only */
    OP_MASK = 6,          /* hide dst: /dev/null over a file, empty read-only tmpfs over a directory */
    OP_ROOT_READONLY = 7, /* make the new root itself read-only (last step before pivot) */
};

enum mount_op_flags {
    OPF_RDONLY = 1,      /* OP_BIND: read-only (recursively with OPF_RECURSIVE) */
    OPF_RECURSIVE = 2,   /* OP_BIND: rbind */
    OPF_CREATE_DIR = 4,  /* create the target as a directory if missing */
    OPF_CREATE_FILE = 8, /* create the target as an empty file if missing */
    OPF_OPTIONAL = 16,   /* skip silently if the source or target does not exist */
    OPF_NOSUID = 32,     /* OP_BIND: nosuid */
    OPF_NODEV = 64,      /* OP_BIND: nodev */
    OPF_NOEXEC = 128,    /* OP_BIND: noexec */
};

#endif
