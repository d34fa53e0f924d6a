/*
 * Wire protocol between the Java runtime and sandbox-init.
 *
 * Transport: AF_UNIX SOCK_SEQPACKET, one message per packet, file descriptors in SCM_RIGHTS.
 * A message is a sequence of fields: u32 tag, u32 length, then `length` bytes (no padding),
 * native byte order. The first field is always F_KIND. Java mirrors these numbers in
 * dev.sandboxed.core.internal.protocol.Protocol; change both together.
 */
#ifndef SANDBOX_PROTOCOL_H
#define SANDBOX_PROTOCOL_H

#define PROTOCOL_VERSION 3
#define MAX_MESSAGE (256 * 1024)
#define MAX_FDS 8
/* The most bytes an argument memfd (F_ARGV_MEMFD) may hold: more than execve accepts (a quarter of the stack
 * rlimit, 2 MiB with the usual 8 MiB), so the kernel is what refuses a description that is merely too long. */
#define MAX_ARGV_MEMFD (4 * 1024 * 1024)

/* Message kinds (value of F_KIND). */
enum kind {
    /* Java -> server */
    K_CREATE = 1, /* fds: [sandbox control socket] */
    /* server -> Java */
    K_CREATED = 2,       /* F_PID: host pid of the sandbox init; F_INIT_SEQ; F_PARKED when a parked process cloned it */
    K_CREATE_FAILED = 3, /* F_STEP, F_ERRNO */
    K_HELLO = 4,         /* F_VERSION: sent by the server once it is ready */
    /* Java -> server: a network (a bridge in a network namespace of its own), kept by the server's descriptors */
    K_NETWORK_CREATE = 5, /* F_NETWORK, F_SETGROUPS, F_UID_MAP, F_GID_MAP (the maps of the network's holder) */
    /* server -> Java */
    K_NETWORK_CREATED = 6, /* F_NETWORK */
    K_NETWORK_FAILED = 7,  /* F_NETWORK, F_STEP, F_ERRNO */
    /* Java -> server, no answer: the server closes the network's socket, and the namespace goes (members first) */
    K_NETWORK_REMOVE = 8, /* F_NETWORK */
    /* Java -> server: a prepared member namespace ("slot") of a network, made ahead of the start that claims it */
    K_NETWORK_SLOT = 9, /* F_NETWORK, F_NET_ADDRESS, F_SETGROUPS, F_UID_MAP, F_GID_MAP (the member's id maps) */
    /* server -> Java: the slot's namespaces, eth0 up with its address and its bridge port forwarding; a sandbox
       joins them with F_JOIN. They live as long as someone holds them. Failure: K_NETWORK_FAILED */
    K_NETWORK_SLOT_READY = 30, /* F_NETWORK; fds: [user namespace, network namespace] */
    /* sandbox init -> Java */
    K_READY = 10,
    K_SETUP_FAILED = 11,      /* F_STEP, F_ERRNO */
    K_STARTED = 12,           /* F_EXEC_ID, F_PID (pid inside the sandbox) */
    K_EXEC_FAILED = 13,       /* F_EXEC_ID, F_STEP, F_ERRNO */
    K_EXITED = 14,            /* F_EXEC_ID, F_STATUS (raw wait status) */
    K_DENIALS = 15,           /* F_DENIAL repeated: seccomp refusals counted so far */
    K_NAMESPACES = 16,        /* fds: [user namespace, network namespace] of the sandbox */
    K_NAMESPACES_FAILED = 17, /* F_STEP, F_ERRNO: answer to K_GET_NAMESPACES when the files cannot be opened */
    K_HOST_CONNECT = 18,      /* F_REQUEST_ID, F_PORT, F_TRANSPORT: a connection to an exposed host port
                                 (F_EXPOSE_PORT) was accepted inside, or a datagram came from a new client of an exposed
                                 UDP port (F_EXPOSE_UDP_PORT); Java answers with K_HOST_SOCKET */
    K_PUBLISH_FAILED = 19,    /* F_PORT, F_STEP, F_ERRNO: a K_PUBLISH the init could not act on (the mapping is
                                 gone: its socket closed) */
    /* Java -> sandbox init */
    K_EXEC = 20,           /* process description; fds: [stdin, stdout, stderr but those in F_STDIO_NULL, argument
                              memfd if F_ARGV_MEMFD] */
    K_SIGNAL = 21,         /* F_EXEC_ID (0: every process), F_SIGNO, optional F_PGID */
    K_SHUTDOWN = 22,       /* kill everything and exit */
    K_GET_NAMESPACES = 23, /* answered with K_NAMESPACES */
    K_PUBLISH = 24,        /* F_PORT, F_TRANSPORT; fds: [host socket]: a listening TCP or bound UDP socket of the
                              host whose traffic the init forwards to 127.0.0.1:F_PORT inside (see FORWARD_*); with
                              F_BYPASS fds: [listening TCP socket, its twin of the other family or none] */
    K_HOST_SOCKET = 25,    /* F_REQUEST_ID; fds: [non-blocking TCP socket connecting to the host port, or UDP socket
                              connected to it], or no fd and F_ERRNO when Java could not connect it */
    /* Java -> server, no answer: a parked process, a child of the server that moves itself into these v1 cgroups
       (the move waits for an RCU grace period: its time, not a start's) and waits for a K_CREATE naming it (F_PARKED),
       whose init it then clones there. Without a free slot the server parks nothing: that K_CREATE joins as usual. */
    K_PARK = 32,   /* F_PARKED (an id Java chooses, unique in the JVM), F_CGROUP_PROCS repeated */
    K_UNPARK = 33, /* F_PARKED: the parked process exits (Java removes its cgroups, killing what is left there) */
    /* `sandboxed` CLI <-> the JVM owning a sandbox, on that JVM's operations socket (see the Java package
       dev.sandboxed.core.internal.control); sandbox-init neither sends nor reads these */
    K_CONTROL_REQUEST = 34, /* F_CONTROL_JSON; fds: [stdin, stdout, stderr] of the caller for "exec" */
    K_CONTROL_REPLY = 35,   /* F_CONTROL_JSON */

    /* Lifecycle hooks (F_HOOK_PAUSE in K_CREATE): the init stops before pivot_root and says so; Java runs the
       runtime's prestart and createRuntime hooks, then lets it go on with the state JSON the in-sandbox hooks get. */
    K_HOOKS_PAUSED = 38, /* sandbox init -> Java: mounts done, pivot_root not yet */
    K_HOOKS_GO = 39,     /* Java -> sandbox init: F_HOOK_STATE; the init runs its createContainer hooks and goes on */

    /* Keeping a sandbox after its JVM (sandboxed.keep.afterJvm): Java detaches the init, then has the server fork a
       keeper that holds the init's control socket in a session of its own (see keeper.c). */
    K_KEEP = 43,        /* Java -> server: F_KEEP_UNTIL, the profile every process gets (F_CAPS, F_RLIMIT..., F_SECCOMP,
                      F_SECCOMP_NOTIFY), F_IMAGE_LOCK; fds: [init control socket, keeper lock file, output pipes to
                      drain once the JVM is gone...]; answered with K_KEEP: F_PID (the keeper), or F_STEP, F_ERRNO */
    K_DETACH = 44,      /* Java -> sandbox init: outlive the server (no parent-death signal); answered with K_DETACH */
    K_KEEP_DRAINS = 46, /* Java -> keeper (its operations socket): fds: more output pipes to drain than K_KEEP carries
                           (the keeper takes up to 64 in all); no answer */
    K_KILL_INIT = 47,   /* Java -> server: F_PID, F_INIT_SEQ: SIGKILL that init if the server has not reaped it (a
                           hung one that a close gave up on); no answer */
};

/* Field tags. */
enum tag {
    F_KIND = 1,        /* u32 */
    F_STEP = 2,        /* string: the setup step that failed */
    F_ERRNO = 3,       /* u32 */
    F_PID = 4,         /* u32 */
    F_VERSION = 5,     /* u32 */
    F_STATUS = 6,      /* u32: raw wait status */
    F_EXEC_ID = 7,     /* u32 */
    F_SIGNO = 8,       /* u32 */
    F_DENIAL = 9,      /* 16 bytes: u32 arch @0, u32 nr @4, u64 count @8 (DENIAL_* below) */
    F_PGID = 10,       /* u32, K_SIGNAL: also signal this process group (the one a process started with F_NEW_SESSION
                      leads, which may outlive it); only where the init has its own pid namespace */
    F_PORT = 11,       /* u32: a TCP or UDP port, 1..65535 */
    F_TRANSPORT = 12,  /* u32: TRANSPORT_TCP or TRANSPORT_UDP */
    F_REQUEST_ID = 13, /* u32: pairs K_HOST_CONNECT with its K_HOST_SOCKET */
    F_NAMESPACES_OUT = 14,  /* u32, K_CREATE (not with F_JOIN): K_CREATED carries the init's user and network
                              namespaces as fds 0 and 1, opened while it is still dumpable (for an egress tool) */
    F_EXPOSE_UDP_PORT = 16, /* u32, repeated, K_CREATE: as F_EXPOSE_PORT for UDP: the init binds EXPOSE_ADDRESS:port
                               inside and relays each client's datagrams through a host socket of its own */

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
    F_NETWORK = 28,      /* u32: network id (K_NETWORK_*); in K_CREATE: the live network the sandbox joins, whose
                            veth the server plugs into the sandbox's new network namespace as eth0 (not with F_JOIN) */

    /* K_CREATE: work done by the sandbox init before it reports K_READY */
    F_CGROUP_NS = 30,   /* u32: unshare the cgroup namespace after joining the cgroups */
    F_HOSTNAME = 31,    /* string */
    F_LOOPBACK_UP = 32, /* u32 */
    F_ROOT_BIND = 33,   /* string: host directory bound as the new root; absent: empty tmpfs root */
    F_MOUNT_OP = 34, /* u32 op @0, u32 flags @4, u64 mountflags @8, then @16 "src\0dst\0fstype\0data\0" (MOUNT_OP_*) */
    F_NO_PIVOT = 35, /* u32: keep the host root (no mount namespace) */
    F_JOIN = 36,     /* u32: join the user and network namespaces passed as fds 1 and 2 of K_CREATE */
    F_ROOT_OVERLAY = 37, /* NUL-terminated host directories, topmost first: the new root is an overlayfs of these
                            read-only layers (userxattr) with a writable upper on a private tmpfs; see ROOT_OVERLAY_MAX */
    F_EXPOSE_PORT = 38,  /* u32, repeated (at most FORWARD_MAX_MAPPINGS): the init listens on EXPOSE_ADDRESS:port inside
                            before it reports ready, and forwards each connection to the host's 127.0.0.1:port */
    F_NET_ADDRESS = 39,  /* NET_ADDRESS_LEN bytes (NET_ADDRESS_* below): the IPv4 address of eth0 (with F_NETWORK) */

    /* K_EXEC: one process */
    F_ARG = 40,            /* string, repeated */
    F_ENV = 41,            /* string "K=V", repeated */
    F_CWD = 42,            /* string */
    F_UID = 43,            /* u32 */
    F_GID = 44,            /* u32 */
    F_GROUPS = 45,         /* u32[] supplementary groups (may be empty): a multiple of 4 bytes, at most 64 */
    F_CAPS = 46,           /* 16 bytes: u64 bounding @0, u64 effective==permitted @8 (CAPS_* below) */
    F_RLIMIT = 47,         /* 20 bytes: u32 resource @0, u64 soft @4, u64 hard @12 (RLIMIT_* below); repeated */
    F_SECCOMP = 48,        /* kernel struct sock_filter[]: 8 bytes each (u16 code, u8 jt, u8 jf, u32 k); in K_CREATE
                              one the init loads into itself when ready: a K_EXEC with the same bytes loads nothing */
    F_SECCOMP_NOTIFY = 49, /* u32 errno to answer user notifications with (filter uses RET_USER_NOTIF); also K_CREATE */
    F_MAIN = 50,           /* u32: when this process exits, the sandbox ends with its status */
    F_NEW_SESSION = 51,    /* u32: setsid() so the process has no controlling terminal */
    F_NO_NEW_PRIVS = 52,   /* u32 */
    F_ARGV_MEMFD = 53,     /* u32: size in bytes of the argument memfd, the last descriptor (see below) */
    F_CONTROL_JSON = 60,   /* string: a K_CONTROL_REQUEST's or K_CONTROL_REPLY's JSON object */

    /* Lifecycle hooks the init runs itself, in the sandbox's namespaces */
    F_HOOK = 64,       /* K_CREATE, repeated: a createContainer or startContainer hook (HOOK_* layout below) */
    F_HOOK_STATE = 65, /* K_HOOKS_GO, twice: the OCI state JSON createContainer and then startContainer hooks get on
                          stdin (at most HOOK_STATE_MAX bytes each) */
    F_HOOK_PAUSE = 66, /* K_CREATE, u32: stop before pivot_root with K_HOOKS_PAUSED until K_HOOKS_GO */

    /* K_CREATE, with F_ROOT_OVERLAY: how the image root is assembled */
    F_ROOT_MODE = 56,  /* u32 mode @0 (ROOT_MODE_*), u32 flags @4 (ROOT_FLAG_*), then @8 the NUL-terminated helper path
                          (the fuse-overlayfs executable for ROOT_MODE_FUSE, else empty); absent: ROOT_MODE_OVERLAY */
    F_ROOT_UPPER = 57, /* u64 tmpfs size in bytes @0 (0: no limit), then @8 a NUL-terminated host directory that holds
                          the writable layer instead of a tmpfs (empty: a tmpfs); absent: a tmpfs without a limit */
    /* K_READY, with ROOT_FLAG_FALLBACK: the mode F_ROOT_MODE asked for was refused and another assembled the root:
       u32 mode used @0 (ROOT_MODE_*), u32 errno of the first refusal @4, then @8 the NUL-terminated refusals */
    F_ROOT_FELL_BACK = 70,
    /* K_READY, with F_ROOT_FELL_BACK: u32 errno of the last refusal (ETIMEDOUT: fuse-overlayfs never answered), so
       Java can tell a passing failure of the next mode from the host's refusal of it */
    F_ROOT_LAST_ERRNO = 85,
    /* K_SETUP_FAILED: the failed step was assembling the image root in this mode (u32, ROOT_MODE_*) */
    F_ROOT_FAILED = 71,

    /* K_PARK, K_UNPARK, and K_CREATE: the init is cloned by this parked process, in its cgroups (with F_JOIN, the
       child that joins the namespaces and forks the init); if it is gone, the server clones the init itself and
       writes F_CGROUP_PROCS. K_CREATED carries it back when the parked process did the clone. */
    F_PARKED = 54, /* u32 */

    F_KEEP_UNTIL = 75, /* u64, K_KEEP: the keeper shuts the sandbox down at this time (seconds since the epoch) */
    F_IMAGE_LOCK = 80, /* string, K_KEEP: the image's use lock file, which the keeper holds a shared lock on */

    /* Port bypass (see bypass.c): a server in the sandbox that binds a published TCP port gets the host socket */
    F_SECCOMP_BIND = 88, /* u32, K_EXEC: the filter sends bind(2) to the listener (RET_USER_NOTIF) for the bypass; the
                            init loads it with a listener even without F_SECCOMP_NOTIFY, and answers other notifications
                            with F_SECCOMP_NOTIFY's errno, or ENOSYS (as the kernel would without a listener) */
    F_BYPASS = 89,       /* u32, K_PUBLISH (TCP): a process binding the port inside may take the host socket; the
                            second descriptor, if any, is a socket of the other family bound (not listening) to the
                            same host address and port (an IPv4-mapped IPv6 one for 127.0.0.0/8) */
    F_PUBLISHED = 90,    /* u32, K_HOST_CONNECT: F_PORT is a bypassed published container port: connect to the host
                            socket of that mapping (its host address and port), for a connection made inside */
    F_STDIO_NULL = 91,   /* u32, K_EXEC: bit i set: stream i (0 stdin, 1 stdout, 2 stderr) is the init's own stdio,
                            the host's /dev/null; no descriptor is sent for it */
    F_INIT_SEQ = 92,     /* u32, K_CREATED and K_KILL_INIT: the server's number for this init, unique in the server; 0:
                            not listed (no memory), K_KILL_INIT cannot name it */
};

/*
 * Layouts of the structured fields: byte offsets into a field's data, native byte order, no padding and
 * no alignment (a field may start at any offset of the message). The C side reads and writes them value
 * by value at these offsets (parse.c), never by casting to a struct, and checks the length first.
 */

/*
 * F_DENIAL (sandbox init -> Java): one kind of seccomp refusal, exactly DENIAL_LEN bytes.
 *   0  u32 arch   AUDIT_ARCH_* of the refused call
 *   4  u32 nr     syscall number
 *   8  u64 count  refusals of this (arch, nr) so far
 */
#define DENIAL_ARCH 0
#define DENIAL_NR 4
#define DENIAL_COUNT 8
#define DENIAL_LEN 16

/*
 * F_CAPS (Java -> sandbox init): exactly CAPS_LEN bytes; the inheritable and ambient sets are always empty.
 *   0  u64 bounding   bit n set: capability n stays in the bounding set
 *   8  u64 effective  the effective and permitted sets
 */
#define CAPS_BOUNDING 0
#define CAPS_EFFECTIVE 8
#define CAPS_LEN 16

/*
 * F_RLIMIT (Java -> sandbox init): exactly RLIMIT_LEN bytes. The u64s are unaligned: there is no padding
 * after the u32, unlike in a C struct of the same members.
 *   0   u32 resource  RLIMIT_*
 *   4   u64 soft      RLIM_INFINITY is all ones
 *   12  u64 hard
 */
#define RLIMIT_RESOURCE 0
#define RLIMIT_SOFT 4
#define RLIMIT_HARD 12
#define RLIMIT_LEN 20

/* F_TRANSPORT values. */
#define TRANSPORT_TCP 1
#define TRANSPORT_UDP 2

/*
 * Port forwarding by the sandbox init (K_PUBLISH, F_EXPOSE_PORT). At most FORWARD_MAX_MAPPINGS mappings of either
 * kind per sandbox; each TCP mapping carries at most FORWARD_MAX_CONNECTIONS connections at once (one more is
 * accepted and reset), each UDP mapping at most FORWARD_MAX_UDP_PEERS client addresses, a peer idle for
 * FORWARD_UDP_IDLE_SECONDS is forgotten (the oldest goes first when the table is full).
 */
#define FORWARD_MAX_MAPPINGS 64
#define FORWARD_MAX_CONNECTIONS 1024
#define FORWARD_MAX_UDP_PEERS 256
#define FORWARD_UDP_IDLE_SECONDS 60
/* Inside the sandbox, exposed host ports listen here (on lo; 127.0.0.0/8 is local without any route set up). */
#define EXPOSE_ADDRESS "127.0.0.2"

/*
 * F_NET_ADDRESS (Java -> sandbox init, K_CREATE): exactly NET_ADDRESS_LEN bytes. The init gives eth0 this address
 * (no IPv6 link-local, no default route: only the network's own subnet is reachable).
 *   0  4 bytes  the IPv4 address in network byte order (as in struct in_addr), not native order
 *   4  u8       prefix length, 8 to 30
 */
#define NET_ADDRESS_ADDR 0
#define NET_ADDRESS_PREFIX 4
#define NET_ADDRESS_LEN 5

/*
 * F_HOOK (Java -> sandbox init, K_CREATE): at least HOOK_STRINGS + 1 bytes, the last one a NUL.
 *   0   u32 stage       HOOK_STAGE_CREATE_CONTAINER or HOOK_STAGE_START_CONTAINER
 *   4   u32 timeout_ms  positive: the hook and its process group are killed after this long
 *   8   u32 argc        1..HOOK_MAX_ARGS
 *   12  u32 envc        0..HOOK_MAX_ENV
 *   16  NUL-terminated strings: the absolute path, then argc arguments, then envc "K=V" entries
 * A hook that exits non-zero, is killed by a signal or runs out of time fails the start (K_SETUP_FAILED names the
 * stage, path, status and the tail of its output).
 */
#define HOOK_STAGE 0
#define HOOK_TIMEOUT_MS 4
#define HOOK_ARGC 8
#define HOOK_ENVC 12
#define HOOK_STRINGS 16
#define HOOK_MAX_ARGS 128
#define HOOK_MAX_ENV 128
#define HOOK_STATE_MAX 65536
/* Stage numbers: the OCI order (prestart 1 ... poststop 6); only these two run in the init. */
#define HOOK_STAGE_CREATE_CONTAINER 3
#define HOOK_STAGE_START_CONTAINER 4
/* F_ROOT_MODE: the kernel's overlayfs, fuse-overlayfs (a daemon in the sandbox's namespaces), or a copy. */
#define ROOT_MODE_OVERLAY 0
#define ROOT_MODE_FUSE 1
#define ROOT_MODE_COPY 2
/* F_ROOT_MODE flags: ROOT_MODE_COPY may hard-link the layers' files (only for a root nothing can make writable). */
#define ROOT_FLAG_LINK 1
/* F_ROOT_MODE flags: a mode the host refuses gives way to the next: overlay, then fuse-overlayfs (when the helper
   is named; ROOT_MODE_OVERLAY may name it only with this flag), then a copy; K_READY says so (F_ROOT_FELL_BACK). */
#define ROOT_FLAG_FALLBACK 2
#define ROOT_FELL_BACK_MODE 0
#define ROOT_FELL_BACK_ERRNO 4
#define ROOT_FELL_BACK_WHY 8
#define ROOT_MODE_MODE 0
#define ROOT_MODE_FLAGS 4
#define ROOT_MODE_HELPER 8
#define ROOT_UPPER_SIZE 0
#define ROOT_UPPER_DIR 8

/* F_ROOT_OVERLAY: at most this many layers (overlayfs itself allows 500). */
#define ROOT_OVERLAY_MAX 128

/*
 * F_ARGV_MEMFD (Java -> sandbox init, K_EXEC): arguments and environment too large for one message (Java sends
 * them this way above 64 KiB; a message is at most MAX_MESSAGE, and the socket buffers cap it lower) travel in a
 * memfd, passed as the last descriptor, after the stdio ones. The field's u32 is its size, at most
 * MAX_ARGV_MEMFD. Before sending, Java seals it against every change (F_SEAL_SHRINK, F_SEAL_GROW,
 * F_SEAL_WRITE, F_SEAL_SEAL); the init refuses one that is not sealed or whose size differs.
 * Content: F_ARG and F_ENV fields in the message encoding (u32 tag, u32 length, bytes; native order, no
 * padding, no NUL), nothing else and no partial field. They count after those in the message itself, if any.
 */

/*
 * F_MOUNT_OP (Java -> sandbox init): at least MOUNT_OP_STRINGS + 4 bytes, the last one a NUL.
 *   0   u32 op          OP_* (enum mount_op_kind)
 *   4   u32 flags       OPF_* (enum mount_op_flags)
 *   8   u64 mountflags  MS_* for mount(2)
 *   16  four NUL-terminated strings, each possibly empty: src, dst, fstype, data (empty data: none)
 * Targets (dst) are resolved inside the new root.
 */
#define MOUNT_OP_OP 0
#define MOUNT_OP_FLAGS 4
#define MOUNT_OP_MOUNTFLAGS 8
#define MOUNT_OP_STRINGS 16

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
    OPF_DEVICE = 256,    /* OP_BIND of a device node: src is opened without following a symlink and must be the
                            device data names, "c MAJOR:MINOR" or "b MAJOR:MINOR" */
};

#endif
