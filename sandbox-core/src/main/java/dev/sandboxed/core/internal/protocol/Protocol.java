package dev.sandboxed.core.internal.protocol;


/**
 * Numbers of the wire protocol. native-init/src/main/c/protocol.h is the source: ProtocolHeaderTest checks that every
 * constant and layout offset there has its twin here with the same value, so change the header, then this.
 */
public final class Protocol {
    public static final int PROTOCOL_VERSION = 3;
    public static final int MAX_MESSAGE = 256 * 1024;
    public static final int MAX_FDS = 8;
    public static final int MAX_ARGV_MEMFD = 4 * 1024 * 1024;

    // Message kinds.
    public static final int K_CREATE = 1;
    public static final int K_CREATED = 2;
    public static final int K_CREATE_FAILED = 3;
    public static final int K_HELLO = 4;
    public static final int K_NETWORK_CREATE = 5;
    public static final int K_NETWORK_CREATED = 6;
    public static final int K_NETWORK_FAILED = 7;
    public static final int K_NETWORK_REMOVE = 8;
    public static final int K_NETWORK_SLOT = 9;
    public static final int K_NETWORK_SLOT_READY = 30;
    public static final int K_READY = 10;
    public static final int K_SETUP_FAILED = 11;
    public static final int K_STARTED = 12;
    public static final int K_EXEC_FAILED = 13;
    public static final int K_EXITED = 14;
    public static final int K_DENIALS = 15;
    public static final int K_NAMESPACES = 16;
    public static final int K_NAMESPACES_FAILED = 17;
    public static final int K_HOST_CONNECT = 18;
    public static final int K_PUBLISH_FAILED = 19;
    public static final int K_EXEC = 20;
    public static final int K_SIGNAL = 21;
    public static final int K_SHUTDOWN = 22;
    public static final int K_GET_NAMESPACES = 23;
    public static final int K_PUBLISH = 24;
    public static final int K_HOST_SOCKET = 25;
    public static final int K_CONTROL_REQUEST = 34;
    public static final int K_CONTROL_REPLY = 35;
    public static final int K_HOOKS_PAUSED = 38;
    public static final int K_HOOKS_GO = 39;
    public static final int K_KEEP = 43;
    public static final int K_DETACH = 44;
    public static final int K_KEEP_DRAINS = 46;
    public static final int K_KILL_INIT = 47;
    public static final int K_PARK = 32;
    public static final int K_UNPARK = 33;

    // Field tags.
    public static final int F_KIND = 1;
    public static final int F_STEP = 2;
    public static final int F_ERRNO = 3;
    public static final int F_PID = 4;
    public static final int F_VERSION = 5;
    public static final int F_STATUS = 6;
    public static final int F_EXEC_ID = 7;
    public static final int F_SIGNO = 8;
    public static final int F_DENIAL = 9;
    public static final int F_PGID = 10;
    public static final int F_PORT = 11;
    public static final int F_TRANSPORT = 12;
    public static final int F_REQUEST_ID = 13;
    public static final int F_NAMESPACES_OUT = 14;
    public static final int F_EXPOSE_UDP_PORT = 16;
    public static final int F_CLONE_FLAGS = 20;
    public static final int F_SETGROUPS = 21;
    public static final int F_UID_MAP = 22;
    public static final int F_GID_MAP = 23;
    public static final int F_UID_MAP_CMD = 24;
    public static final int F_GID_MAP_CMD = 25;
    public static final int F_CGROUP_PROCS = 26;
    public static final int F_CGROUP_DIR = 27;
    public static final int F_NETWORK = 28;
    public static final int F_CGROUP_NS = 30;
    public static final int F_HOSTNAME = 31;
    public static final int F_LOOPBACK_UP = 32;
    public static final int F_ROOT_BIND = 33;
    public static final int F_MOUNT_OP = 34;
    public static final int F_NO_PIVOT = 35;
    public static final int F_JOIN = 36;
    public static final int F_ROOT_OVERLAY = 37;
    public static final int F_EXPOSE_PORT = 38;
    public static final int F_NET_ADDRESS = 39;
    public static final int ROOT_OVERLAY_MAX = 128;
    public static final int TRANSPORT_TCP = 1;
    public static final int TRANSPORT_UDP = 2;
    public static final int FORWARD_MAX_MAPPINGS = 64;
    public static final int FORWARD_MAX_CONNECTIONS = 1024;
    public static final int FORWARD_MAX_UDP_PEERS = 256;
    public static final int FORWARD_UDP_IDLE_SECONDS = 60;
    public static final int F_ARG = 40;
    public static final int F_ENV = 41;
    public static final int F_CWD = 42;
    public static final int F_UID = 43;
    public static final int F_GID = 44;
    public static final int F_GROUPS = 45;
    public static final int F_CAPS = 46;
    public static final int F_RLIMIT = 47;
    public static final int F_SECCOMP = 48;
    public static final int F_SECCOMP_NOTIFY = 49;
    public static final int F_MAIN = 50;
    public static final int F_NEW_SESSION = 51;
    public static final int F_NO_NEW_PRIVS = 52;
    public static final int F_ARGV_MEMFD = 53;
    public static final int F_CONTROL_JSON = 60;
    public static final int F_HOOK = 64;
    public static final int F_HOOK_STATE = 65;
    public static final int F_HOOK_PAUSE = 66;
    public static final int F_ROOT_MODE = 56;
    public static final int F_ROOT_UPPER = 57;
    public static final int ROOT_MODE_OVERLAY = 0;
    public static final int ROOT_MODE_FUSE = 1;
    public static final int ROOT_MODE_COPY = 2;
    public static final int ROOT_FLAG_LINK = 1;
    public static final int ROOT_FLAG_FALLBACK = 2;
    public static final int F_ROOT_FELL_BACK = 70;
    public static final int F_ROOT_FAILED = 71;
    public static final int F_ROOT_LAST_ERRNO = 85;
    public static final int ROOT_FELL_BACK_MODE = 0;
    public static final int ROOT_FELL_BACK_ERRNO = 4;
    public static final int ROOT_FELL_BACK_WHY = 8;
    public static final int ROOT_MODE_MODE = 0;
    public static final int ROOT_MODE_FLAGS = 4;
    public static final int ROOT_MODE_HELPER = 8;
    public static final int ROOT_UPPER_SIZE = 0;
    public static final int ROOT_UPPER_DIR = 8;
    public static final int F_PARKED = 54;
    public static final int F_KEEP_UNTIL = 75;
    public static final int F_IMAGE_LOCK = 80;
    public static final int F_SECCOMP_BIND = 88;
    public static final int F_BYPASS = 89;
    public static final int F_PUBLISHED = 90;
    public static final int F_STDIO_NULL = 91;
    public static final int F_INIT_SEQ = 92;

    // Layouts of the structured fields: byte offsets and lengths.
    public static final int DENIAL_ARCH = 0;
    public static final int DENIAL_NR = 4;
    public static final int DENIAL_COUNT = 8;
    public static final int DENIAL_LEN = 16;
    public static final int CAPS_BOUNDING = 0;
    public static final int CAPS_EFFECTIVE = 8;
    public static final int CAPS_LEN = 16;
    public static final int RLIMIT_RESOURCE = 0;
    public static final int RLIMIT_SOFT = 4;
    public static final int RLIMIT_HARD = 12;
    public static final int RLIMIT_LEN = 20;
    public static final int MOUNT_OP_OP = 0;
    public static final int MOUNT_OP_FLAGS = 4;
    public static final int MOUNT_OP_MOUNTFLAGS = 8;
    public static final int MOUNT_OP_STRINGS = 16;
    public static final int NET_ADDRESS_ADDR = 0;
    public static final int NET_ADDRESS_PREFIX = 4;
    public static final int NET_ADDRESS_LEN = 5;
    public static final int HOOK_STAGE = 0;
    public static final int HOOK_TIMEOUT_MS = 4;
    public static final int HOOK_ARGC = 8;
    public static final int HOOK_ENVC = 12;
    public static final int HOOK_STRINGS = 16;
    public static final int HOOK_MAX_ARGS = 128;
    public static final int HOOK_MAX_ENV = 128;
    public static final int HOOK_STATE_MAX = 65536;
    public static final int HOOK_STAGE_CREATE_CONTAINER = 3;
    public static final int HOOK_STAGE_START_CONTAINER = 4;

    // Mount operations (F_MOUNT_OP) and their flags.
    public static final int OP_MOUNT = 1;
    public static final int OP_BIND = 2;
    public static final int OP_MKDIR = 3;
    public static final int OP_SYMLINK = 4;
    public static final int OP_READONLY = 5;
    public static final int OP_MASK = 6;
    public static final int OP_ROOT_READONLY = 7;
    public static final int OPF_RDONLY = 1;
    public static final int OPF_RECURSIVE = 2;
    public static final int OPF_CREATE_DIR = 4;
    public static final int OPF_CREATE_FILE = 8;
    public static final int OPF_OPTIONAL = 16;
    public static final int OPF_NOSUID = 32;
    public static final int OPF_NODEV = 64;
    public static final int OPF_NOEXEC = 128;
    public static final int OPF_DEVICE = 256;

    // clone(2) namespace flags.
    public static final long CLONE_NEWNS = 0x00020000L;
    public static final long CLONE_NEWCGROUP = 0x02000000L;
    public static final long CLONE_NEWUTS = 0x04000000L;
    public static final long CLONE_NEWIPC = 0x08000000L;
    public static final long CLONE_NEWUSER = 0x10000000L;
    public static final long CLONE_NEWPID = 0x20000000L;
    public static final long CLONE_NEWNET = 0x40000000L;

    // mount(2) flags.
    public static final long MS_RDONLY = 1;
    public static final long MS_NOSUID = 2;
    public static final long MS_NODEV = 4;
    public static final long MS_NOEXEC = 8;

    private Protocol() {
    }
}
