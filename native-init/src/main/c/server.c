#define _GNU_SOURCE
#include "server.h"
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <linux/if.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "init.h"
#include "keeper.h"
#include "msg.h"
#include "netlink.h"
#include "parse.h"
#include "setup.h"
#include "util.h"

/* Replies to Java on the control socket; the server's only one, so one buffer. */
static struct msg reply;
/* The host's /dev/null, opened once in the server's (the host's) mount namespace: each init takes it as its stdio
 * and gives it to the streams a K_EXEC discards (F_STDIO_NULL), so neither the spec's mounts nor a hook decide what
 * they are, and /proc/PID/fd shows /dev/null (a descriptor opened in the init's own copy of the mounts would show
 * /null once the old root is detached). */
static int host_devnull = -1;

/*
 * The live networks: each an rtnetlink socket opened inside the network's namespace by its holder, which then
 * exited. The namespaces live only by these sockets (a veth holds no reference): they go with the server, also when
 * the JVM is killed, and nothing is left on the host.
 */
#define MAX_NETWORKS 64
#define BRIDGE_NAME "br0"
/* How long a new member's bridge port may take to forward (it takes tens of microseconds). */
#define PORT_UP_TIMEOUT_NS 1000000000L
/* How long a reused address may wait for its former member's veth to go (a namespace is torn down in ~40 ms). */
#define ADDRESS_FREE_TIMEOUT_NS 2000000000L

struct network {
    int used;
    uint32_t id;
    int nl;         /* rtnetlink socket of the network's namespace */
    int bridge;     /* ifindex of BRIDGE_NAME there */
    uint32_t veths; /* veths made so far: names are never reused, so none clashes with one still being torn down */
    uint32_t holder[256]; /* by the address's last byte: 1 + the number of the veth that had it last, or 0 */
};

static struct network networks[MAX_NETWORKS];

/* The server's answer to a member whose eth0 is up: its bridge port forwards (anything else: it did not come up). */
#define PORT_UP 'p'

/*
 * Members whose eth0 the init is bringing up after its mounts: the server waits for each one's byte in its poll
 * loop, then for its bridge port, without holding up other requests meanwhile.
 */
#define MAX_PENDING 64

struct pending_port {
    int sync; /* the server's end of the start-up socket; -1: a free slot */
    struct network *network;
    char veth[16];
};

static struct pending_port pending[MAX_PENDING];

/*
 * Parked processes (K_PARK): children of the server that moved themselves into a future sandbox's v1 cgroups. A
 * v1 cgroup.procs write waits for an RCU grace period (about 10 ms) unless another move happened just before; a
 * parked process pays it in the background, and the init it clones later starts life in the cgroups, as
 * CLONE_INTO_CGROUP does on v2.
 */
#define MAX_PARKED 64

struct parked {
    int sock; /* the server's end of the parked process's socket; -1: a free slot */
    uint32_t id;
    pid_t pid;
};

static struct parked parked[MAX_PARKED];

/* Its request buffer (a parked process is a copy of the server, whose buffers it leaves alone). */
static struct msg parked_request;

static struct network *find_network(uint32_t id) {
    for (int i = 0; i < MAX_NETWORKS; i++) {
        if (networks[i].used && networks[i].id == id) return &networks[i];
    }
    return NULL;
}

/* In a child of the server: no network or parked process's socket may stay open in a sandbox or a holder. */
static void close_network_sockets(void) {
    for (int i = 0; i < MAX_NETWORKS; i++) {
        if (networks[i].used) close(networks[i].nl);
    }
    for (int i = 0; i < MAX_PENDING; i++) {
        if (pending[i].sync >= 0) close(pending[i].sync);
    }
    for (int i = 0; i < MAX_PARKED; i++) {
        if (parked[i].sock >= 0) close(parked[i].sock);
    }
}

/*
 * The inits this server cloned and has not reaped, with the number K_CREATED gave Java. Only while an init is listed
 * is its pid surely its own: K_KILL_INIT names both, so a kill never reaches a later process given the same pid.
 */
struct live_init {
    pid_t pid;
    uint32_t seq;
};

static struct live_init *live_inits;
static size_t live_count, live_capacity;
static uint32_t last_init_seq;

static void forget_init(pid_t pid) {
    for (size_t i = live_count; i-- > 0;) {
        if (live_inits[i].pid == pid) live_inits[i] = live_inits[--live_count];
    }
}

/*
 * The list lives in a mapping no init inherits (MADV_DONTFORK). On the heap, the server's write of each new entry just
 * after a clone would leave the new init holding the heap page's old copy as its own: a page more per idle sandbox.
 */
static int grow_live_inits(void) {
    size_t capacity = live_capacity == 0 ? 512 : live_capacity * 2;
    size_t bytes = capacity * sizeof *live_inits;
    struct live_init *grown = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (grown == MAP_FAILED) return -1;
    if (madvise(grown, bytes, MADV_DONTFORK) != 0) {
        munmap(grown, bytes);
        return -1;
    }
    if (live_inits != NULL) {
        memcpy(grown, live_inits, live_count * sizeof *live_inits);
        munmap(live_inits, live_capacity * sizeof *live_inits);
    }
    live_inits = grown;
    live_capacity = capacity;
    return 0;
}

/* Lists an init that K_CREATED names; returns its number, or 0 if there is no memory for it. */
static uint32_t remember_init(pid_t pid) {
    forget_init(pid); /* an entry of an earlier process with this pid: the kernel gave the pid anew */
    if (live_count == live_capacity && grow_live_inits() != 0) return 0;
    if (++last_init_seq == 0) last_init_seq = 1;
    live_inits[live_count++] = (struct live_init){ .pid = pid, .seq = last_init_seq };
    return last_init_seq;
}

/*
 * In a parked process, whose descriptors are closed already: the tables name none of its own. Only entries in use
 * are written: a page written here is copied, and the init cloned later would keep that copy to itself (its Pss).
 */
static void forget_server_tables(void) {
    for (int i = 0; i < MAX_NETWORKS; i++) {
        if (networks[i].used) networks[i] = (struct network){ 0 };
    }
    for (int i = 0; i < MAX_PENDING; i++) {
        if (pending[i].sync >= 0) pending[i].sync = -1;
    }
    for (int i = 0; i < MAX_PARKED; i++) {
        if (parked[i].sock >= 0) parked[i].sock = -1;
    }
}

/* Where one creation stands: what the failure path must undo, and what the success path reports. */
struct creation {
    pid_t pid;               /* the cloned child; after a join with a new pid namespace, the init it forked */
    int sync[2];             /* start-up handshake: [0] the child's end, [1] the server's */
    int in_cgroup;           /* cloned straight into F_CGROUP_DIR: no cgroup.procs to write */
    struct network *network; /* the network it joins, if any */
    uint32_t address;        /* its address there (network byte order) */
    char veth[16];           /* the network's end of its veth */
    int want_namespaces;     /* F_NAMESPACES_OUT */
    int namespaces[2];       /* then: the init's user and network namespaces, for K_CREATED */
};

static int write_proc_file(pid_t pid, const char *name, const struct field *fl, struct failure *f) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
    if (write_file(path, (const char *)fl->data, fl->len) < 0) {
        return fail(f, errno, "write %s", path);
    }
    return 0;
}

/* Runs newuidmap/newgidmap for the child: argv from Java with the pid inserted as argv[1]. */
static int run_map_command(pid_t pid, const struct field *fl, struct failure *f) {
    char *args[64];
    char pidbuf[16];
    snprintf(pidbuf, sizeof pidbuf, "%d", pid);
    if (parse_map_command(fl, pidbuf, args, 64, f) < 0) {
        return -1;
    }
    pid_t helper = fork();
    if (helper < 0) {
        return fail(f, errno, "fork %s", args[0]);
    }
    if (helper == 0) {
        int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
        }
        char *env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
        execve(args[0], args, env);
        _exit(127);
    }
    int status;
    while (waitpid(helper, &status, 0) < 0) {
        if (errno != EINTR) return fail(f, errno, "wait for %s", args[0]);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return fail(f, EPERM, "%s %s exited with status %d", args[0], pidbuf,
                    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
    return 0;
}

/* One id map: by the helper command when Java sent one, else written directly when Java sent the map. */
static int write_id_map(pid_t pid, const char *name, const struct field *cmd, const struct field *map,
                        struct failure *f) {
    if (field_present(cmd)) {
        return run_map_command(pid, cmd, f);
    }
    if (field_present(map)) {
        return write_proc_file(pid, name, map, f);
    }
    return 0;
}

/* Writes the child's id maps: until they are, it waits and holds nothing. */
static int write_id_maps(pid_t pid, const struct create_request *req, struct failure *f) {
    if (field_present(&req->setgroups) && write_proc_file(pid, "setgroups", &req->setgroups, f) < 0) return -1;
    if (write_id_map(pid, "uid_map", &req->uid_map_cmd, &req->uid_map, f) < 0) return -1;
    return write_id_map(pid, "gid_map", &req->gid_map_cmd, &req->gid_map, f);
}

/*
 * Moves a process into the cgroups of a request (its F_CGROUP_PROCS files). The paths are copied on the stack, not
 * the heap: in a parked process a heap page written would be copied, and kept by the init it clones.
 */
static int join_cgroups_of(pid_t pid, const struct msg *m, struct failure *f) {
    struct field fl;
    char pidbuf[16];
    int len = snprintf(pidbuf, sizeof pidbuf, "%d", pid);
    size_t pos = 0;
    while (msg_next(m, &pos, &fl)) {
        if (fl.tag != F_CGROUP_PROCS) continue;
        char path[PATH_MAX];
        size_t n = strnlen((const char *)fl.data, fl.len);
        if (n == 0 || n >= sizeof path)
            return fail(f, ENAMETOOLONG, "cgroup.procs path empty or too long (%u bytes)", fl.len);
        memcpy(path, fl.data, n);
        path[n] = '\0';
        if (write_file(path, pidbuf, (size_t)len) < 0) {
            return fail(f, errno, "write pid to %s", path);
        }
    }
    return 0;
}

/* Moves the child into its cgroups (cgroup.procs); the init starts no process before this is done. */
static int join_cgroups(pid_t pid, const struct create_request *req, struct failure *f) {
    return join_cgroups_of(pid, req->msg, f);
}

/* Tells Java on the sandbox socket which set-up step failed, and ends the would-be init. */
static _Noreturn void setup_failed(int sock, const struct failure *f) {
    static struct msg m;
    msg_init(&m, K_SETUP_FAILED);
    msg_put_failure(&m, f);
    if (sandbox_root_outcome.failed >= 0) {
        msg_put_u32(&m, F_ROOT_FAILED, (uint32_t)sandbox_root_outcome.failed);
    }
    msg_send(sock, &m, NULL, 0);
    _exit(125);
}

/* Waits for the server's next start-up byte. None: the server failed to prepare us (it reports why) or died. */
static char await_server(int sync_fd) {
    char go;
    ssize_t n;
    do {
        n = read(sync_fd, &go, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) {
        _exit(125);
    }
    return go;
}

/*
 * On a network: eth0 up, then the server waits (on its own time) until the bridge forwards for our veth and
 * answers PORT_UP. Reporting ready before that would let a first ARP request be dropped, and the sandbox's first
 * connection would wait a whole second for the retry.
 */
static void join_network(const struct create_request *req, int sync_fd) {
    struct failure f = { 0 };
    if (sandbox_network_up(req->msg, &f) < 0) setup_failed(req->sock, &f);
    if (write(sync_fd, "e", 1) != 1) _exit(125);
    if (await_server(sync_fd) != PORT_UP) {
        fail(&f, ETIMEDOUT, "bridge port of the sandbox's veth did not come up");
        setup_failed(req->sock, &f);
    }
}

/*
 * Joins another sandbox's user and network namespaces, then creates the rest. With a new pid namespace
 * the init is a further child (our sibling, by CLONE_PARENT, so the server stays its parent); we hand its
 * pid to the server and exit. Returns in the process that goes on to become the init.
 */
static int join_namespaces(const struct create_request *req, int sync_fd, struct failure *f) {
    if (setns(req->join_fds[0], CLONE_NEWUSER) < 0) {
        return fail(f, errno, "join the user namespace of the sandbox whose network is shared");
    }
    if (setns(req->join_fds[1], CLONE_NEWNET) < 0) {
        return fail(f, errno, "join the network namespace of the sandbox whose network is shared");
    }
    close(req->join_fds[0]);
    close(req->join_fds[1]);
    unsigned long rest = (unsigned long)req->clone_flags & (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID);
    if (rest != 0 && unshare((int)rest) < 0) {
        return fail(f, errno, "unshare namespaces 0x%lx", rest);
    }
    pid_t init = getpid();
    if (rest & CLONE_NEWPID) {
        init = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, 0);
        if (init < 0) {
            return fail(f, errno, "clone the init into its pid namespace");
        }
        if (init > 0) {
            if (write(sync_fd, &init, sizeof init) != (ssize_t)sizeof init) {
                kill(init, SIGKILL);
            }
            _exit(0);
        }
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
            return fail(f, errno, "set parent-death signal");
        }
        return 0;
    }
    if (write(sync_fd, &init, sizeof init) != (ssize_t)sizeof init) {
        return fail(f, errno, "report the init pid");
    }
    return 0;
}

/* The child: wait until the parent wrote our maps, then set up and become the sandbox's init. */
static _Noreturn void child_main(const struct create_request *req, int control, int signal_fd, int sync_fd) {
    struct failure f = { 0 };
    /* Die with the server. The server is single-threaded, so this cannot fire on a thread exit; the
     * race with a server that died before this line is closed by the sync pipe's EOF below. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
        fail(&f, errno, "set parent-death signal");
        setup_failed(req->sock, &f);
    }
    close(control);
    close(signal_fd);
    close_network_sockets();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Wait until the server wrote our id maps (we were born dumpable for that, see prepare_startup). */
    await_server(sync_fd);
    /* Our maps are written: not dumpable again before we open any host path. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
        fail(&f, errno, "make sandbox init not dumpable");
        setup_failed(req->sock, &f);
    }
    if (req->join) {
        if (join_namespaces(req, sync_fd, &f) < 0) setup_failed(req->sock, &f);
        close(sync_fd);
        sync_fd = -1;
    }
    int devnull = host_devnull >= 0 ? host_devnull : open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0) {
        fail(&f, errno, "redirect init stdio to /dev/null");
        setup_failed(req->sock, &f);
    }
    close(devnull);
    if (sandbox_setup(req->msg, req->sock, &f) < 0) setup_failed(req->sock, &f);
    if (sync_fd >= 0) {
        /* The server moves us into our cgroups meanwhile; nothing may start before that is done. */
        await_server(sync_fd);
        if (req->on_network) join_network(req, sync_fd);
        close(sync_fd);
    }
    if (sandbox_enter_cgroup_namespace(req->msg, &f) < 0) setup_failed(req->sock, &f);
    init_loop(req->sock, req->msg);
}

/* The start-up handshake, and (unless joining, which writes no id maps) a dumpable server for the clone. */
static int prepare_startup(const struct create_request *req, struct creation *c, struct failure *f) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->sync) < 0) {
        return fail(f, errno, "socketpair for sandbox start-up");
    }
    /*
     * The child is born dumpable: a non-dumpable process's /proc/PID files belong to root, and an
     * unprivileged server could not write its id maps. The child holds nothing of ours and no host path
     * until the maps are written, and turns non-dumpable before it opens any. The server itself is
     * dumpable only for the clone: it holds the JVM's control socket.
     */
    if (!req->join && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) {
        return fail(f, errno, "make the sandbox init dumpable for its id maps");
    }
    return 0;
}

/*
 * clone3 with CLONE_INTO_CGROUP: the init starts life in its cgroup (v2), without the migration a write to
 * cgroup.procs costs. *pid stays -1 without a failure where the kernel lacks clone3, so the caller falls back.
 */
static int clone_into_cgroup(const struct field *dir_field, uint64_t flags, pid_t *pid, struct failure *f) {
    *pid = -1;
    char *dir AUTO_FREE = field_strdup(dir_field);
    if (dir == NULL) {
        return fail(f, ENOMEM, "copy cgroup directory");
    }
    /* Closed on return in the child too: the init keeps no descriptor of a host cgroup. */
    int cgroup_fd AUTO_CLOSE = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgroup_fd < 0) {
        return fail(f, errno, "open cgroup %s", dir);
    }
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = flags | CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = (uint64_t)cgroup_fd;
    *pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
    if (*pid < 0 && errno != ENOSYS && errno != E2BIG) {
        return fail(f, errno, "clone into cgroup %s", dir);
    }
    return 0;
}

/*
 * A raw clone: fork semantics plus the new namespaces; in a new pid namespace the child is PID 1. Joining:
 * namespaces come from setns in the child, so the clone itself creates none. Returns in both processes.
 */
static int clone_child(const struct create_request *req, struct creation *c, struct failure *f) {
    uint64_t clone_flags = req->join ? 0 : req->clone_flags;
    if (field_present(&req->cgroup_dir) && clone_into_cgroup(&req->cgroup_dir, clone_flags, &c->pid, f) < 0) {
        return -1;
    }
    c->in_cgroup = c->pid >= 0;
    int clone_errno = 0;
    if (!c->in_cgroup) {
        c->pid = (pid_t)syscall(SYS_clone, (unsigned long)clone_flags | SIGCHLD, NULL, NULL, NULL, 0);
        clone_errno = errno;
    }
    if (c->pid != 0) {
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
    if (c->pid < 0) {
        return fail(f, clone_errno, "clone with namespace flags 0x%llx", (unsigned long long)clone_flags);
    }
    return 0;
}

/*
 * The released child exited already, or hung up its end of the start-up socket (EPIPE). Left unreaped: the poll loop
 * reaps it, so its pid stays its own while K_CREATED names it.
 */
static int child_gone(pid_t pid, int write_errno) {
    siginfo_t si = { 0 };
    return write_errno == EPIPE ||
        (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid);
}

/* Joining: the child joins the cgroups first, since the init it forks inherits them; then its init's pid. */
static int release_joining_child(const struct create_request *req, struct creation *c, struct failure *f) {
    if (!c->in_cgroup && join_cgroups(c->pid, req, f) < 0) {
        return -1;
    }
    if (write(c->sync[1], "1", 1) != 1) {
        return fail(f, errno, "release sandbox init");
    }
    /* The init is the joining child's own child; if it reported no pid it failed and told Java why
     * on the sandbox socket, so Java still gets the precise step. */
    pid_t init;
    ssize_t r;
    do {
        r = read(c->sync[1], &init, sizeof init);
    } while (r < 0 && errno == EINTR);
    if (r == (ssize_t)sizeof init && init > 0 && init != c->pid) {
        waitpid(c->pid, NULL, 0); /* it exits once it cloned the init into a new pid namespace */
        c->pid = init;
    }
    return 0;
}

static long elapsed_ns(const struct timespec *since) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000000000L + (now.tv_nsec - since->tv_nsec);
}

/*
 * Waits until the network's end of the sandbox's veth is operationally up, which the init's bringing up eth0
 * causes. Until then the bridge has not enabled the port (the carrier news arrives asynchronously), an ARP request
 * is dropped, and the first connection of the sandbox would wait for ARP's retry, a whole second later.
 */
static int await_bridge_port(const struct network *net, const char *veth) {
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        int state = nl_link_operstate(net->nl, veth);
        if (state == IF_OPER_UP) {
            return 0;
        }
        if (state < 0 || elapsed_ns(&start) > PORT_UP_TIMEOUT_NS) {
            return -1;
        }
        struct timespec pause = { 0, 20000 };
        nanosleep(&pause, NULL);
    }
}

/* The byte of an address that tells it from the others of its /24 (the table of holders is indexed by it). */
static unsigned host_byte(uint32_t address) {
    return ((const uint8_t *)&address)[3];
}

/*
 * An address of a member that left may be given again only once its veth is gone, that is once its namespace was
 * torn down (about 40 ms after its last process, on the kernel's workqueue): until then that namespace would
 * still answer ARP for it. Java hands out the address that was free longest, so this rarely waits. Then the
 * address is recorded as the new veth's, named `veth` (names are never reused either).
 */
static int take_address(struct network *net, uint32_t address, char veth[16], struct failure *f) {
    uint32_t former = net->holder[host_byte(address)];
    if (former != 0) {
        char name[16];
        snprintf(name, sizeof name, "veth%u", former - 1);
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        int rc;
        while ((rc = nl_link_index(net->nl, name)) >= 0) {
            if (elapsed_ns(&start) > ADDRESS_FREE_TIMEOUT_NS) {
                return fail(f, EADDRINUSE,
                            "network %u: a former member's namespace still holds the address (another sandbox"
                            " shares it?)",
                            net->id);
            }
            struct timespec pause = { 0, 1000000 };
            nanosleep(&pause, NULL);
        }
        if (rc != -ENODEV) {
            return fail(f, -rc, "network %u: look for the veth of the address's former member", net->id);
        }
    }
    net->holder[host_byte(address)] = net->veths + 1;
    snprintf(veth, 16, "veth%u", net->veths++);
    return 0;
}

/*
 * eth0's hardware address follows from its IPv4 address (02:42 and the four bytes, as Docker does): a member that
 * reuses a former member's address also has its MAC, so the neighbour caches of the other members stay right.
 */
static void mac_of(uint32_t address, uint8_t mac[6]) {
    mac[0] = 0x02;
    mac[1] = 0x42;
    memcpy(mac + 2, &address, 4);
}

/*
 * The sandbox's eth0: one message makes a veth pair, the network's end up and a port of the bridge, the other end
 * (down) straight into the new network namespace of the child. The child's pid cannot be reused meanwhile: it is
 * our unreaped child. If anything fails later the child is killed, and its namespace takes the pair with it.
 */
static int plug_into_network(struct creation *c, struct failure *f) {
    if (take_address(c->network, c->address, c->veth, f) < 0) {
        return -1;
    }
    uint8_t mac[6];
    mac_of(c->address, mac);
    int rc = nl_veth_create(c->network->nl, c->veth, c->network->bridge, "eth0", mac, c->pid);
    if (rc < 0) {
        return fail(f, -rc, "create the veth of network %u into the sandbox", c->network->id);
    }
    return 0;
}

/* The init's byte came (eth0 is up), or its end closed: answer PORT_UP once the port forwards, else nothing. */
static void finish_pending(struct pending_port *p) {
    char byte;
    ssize_t n;
    do {
        n = read(p->sync, &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n == 1) {
        char answer = await_bridge_port(p->network, p->veth) == 0 ? PORT_UP : 'x';
        if (write(p->sync, &answer, 1) != 1) {
            /* the init is gone: it told Java why, or Java sees it die */
        }
    }
    close(p->sync);
    p->sync = -1;
}

/* Hands the server's end of the start-up socket to the poll loop; with no free slot, waits here instead. */
static void await_port_later(struct creation *c) {
    struct pending_port *p = NULL;
    for (int i = 0; i < MAX_PENDING && p == NULL; i++) {
        if (pending[i].sync < 0) p = &pending[i];
    }
    struct pending_port here;
    if (p == NULL) p = &here;
    *p = (struct pending_port){ .sync = c->sync[1], .network = c->network };
    memcpy(p->veth, c->veth, sizeof p->veth);
    c->sync[1] = -1;
    if (p == &here) finish_pending(p);
}

/* A network going away: its pending members get no answer (their inits fail their set-up). */
static void drop_pending(const struct network *net) {
    for (int i = 0; i < MAX_PENDING; i++) {
        if (pending[i].sync >= 0 && pending[i].network == net) {
            close(pending[i].sync);
            pending[i].sync = -1;
        }
    }
}

/*
 * A released init, setting up its mounts: plugged into its network and moved into its cgroups (unless it was cloned
 * in them), then the second byte. The veth (about 0.5 ms) and a v1 cgroup.procs write (an RCU grace period, about
 * 2 ms here) overlap the init's mount set-up. The init waits for the second byte before it reports ready, so nothing
 * runs in the sandbox outside its cgroups. Meanwhile the init may have failed its set-up: then it told Java why on
 * its own socket, and Java must hear that rather than the cgroup write or the second byte that its exit made fail.
 */
static int finish_child(const struct create_request *req, struct creation *c, struct failure *f) {
    /* The veth, while the init mounts (unless it failed already: then Java hears its own reason). */
    if (c->network != NULL && plug_into_network(c, f) < 0) {
        return child_gone(c->pid, 0) ? 0 : -1;
    }
    if (!c->in_cgroup && join_cgroups(c->pid, req, f) < 0) {
        return child_gone(c->pid, 0) ? 0 : -1;
    }
    if (write(c->sync[1], "2", 1) != 1) {
        int err = errno;
        return child_gone(c->pid, err) ? 0 : fail(f, err, "tell sandbox init its cgroups are joined");
    }
    if (c->network != NULL) {
        await_port_later(c);
    }
    return 0;
}

/* Releases the init, then finishes it while it mounts (see finish_child). */
static int release_child(const struct create_request *req, struct creation *c, struct failure *f) {
    if (write(c->sync[1], "1", 1) != 1) {
        return fail(f, errno, "release sandbox init");
    }
    return finish_child(req, c, f);
}

static int open_namespaces(struct creation *c, struct failure *f) {
    const char *names[2] = { "user", "net" };
    for (int i = 0; i < 2; i++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/%s", c->pid, names[i]);
        c->namespaces[i] = open(path, O_RDONLY | O_CLOEXEC);
        if (c->namespaces[i] < 0) return fail(f, errno, "open %s", path);
    }
    return 0;
}

/*
 * A cloned child waiting for its first byte: its id maps (a map helper runs as the server's child, outside the
 * sandbox's cgroups), the namespaces asked for, then its release.
 */
static int start_child(const struct create_request *req, struct creation *c, struct failure *f) {
    if (write_id_maps(c->pid, req, f) < 0) {
        return -1;
    }
    /* Before the release: once set up, the init is not dumpable, and an unprivileged caller could not open these. */
    if (c->want_namespaces && !req->join && open_namespaces(c, f) < 0) {
        return -1;
    }
    return req->join ? release_joining_child(req, c, f) : release_child(req, c, f);
}

/* The steps of one creation in the server. Returns with c->pid the sandbox init, or -1 with the failed step. */
static int create_sandbox(const struct create_request *req, int control, int signal_fd, struct creation *c,
                          struct failure *f) {
    if (prepare_startup(req, c, f) < 0 || clone_child(req, c, f) < 0) {
        return -1;
    }
    if (c->pid == 0) {
        close(c->sync[1]);
        child_main(req, control, signal_fd, c->sync[0]);
    }
    close(c->sync[0]);
    c->sync[0] = -1;
    return start_child(req, c, f);
}

/*
 * In a parked process: clones the child of `request` (the init, or joining, the child that joins the namespaces and
 * forks the init) with CLONE_PARENT, into the cgroups this process is in: the server is its parent, as for any init,
 * and, once this process is gone, writes its id maps and releases it (start_child), so that a pids limit never counts
 * this process and the map helpers together with the init. Returns its pid with *sync the start-up socket's other end,
 * or -1 with the failed step.
 */
static pid_t clone_parked_init(const struct msg *request, int sock, int *sync, struct failure *f) {
    struct create_request req;
    struct creation c = { .pid = -1, .sync = { -1, -1 } };
    if (parse_create_request(request, &req, f) < 0) return -1;
    if (prepare_startup(&req, &c, f) < 0) return -1;
    uint64_t clone_flags = req.join ? 0 : req.clone_flags;
    c.pid = (pid_t)syscall(SYS_clone, (unsigned long)clone_flags | CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, 0);
    int clone_errno = errno;
    if (c.pid == 0) {
        close(sock);
        close(c.sync[1]);
        child_main(&req, -1, -1, c.sync[0]);
    }
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    close(c.sync[0]);
    if (c.pid < 0) {
        close(c.sync[1]);
        return fail(f, clone_errno, "clone with namespace flags 0x%llx", (unsigned long long)clone_flags);
    }
    *sync = c.sync[1];
    return c.pid;
}

/*
 * A parked process: moves itself into its cgroups, then waits for the K_CREATE naming it and clones that init, or
 * for the end of its socket (unparked, or the server is gone). It holds no descriptor of the server's but its own
 * socket and stdio, and dies with the server.
 */
static _Noreturn void parked_main(const struct msg *park, int sock, pid_t server) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != server) _exit(0);
    int keep[] = { sock, host_devnull }; /* the init it makes takes the host's /dev/null as its stdio */
    close_fds_but(keep, 2);
    forget_server_tables();
    struct failure joined = { 0 };
    join_cgroups_of(getpid(), park, &joined);
    int rc;
    while ((rc = msg_recv(sock, &parked_request)) > 0 && msg_kind(&parked_request) != K_CREATE) {
        msg_close_fds(&parked_request);
    }
    if (rc <= 0) _exit(0);
    struct failure f = joined;
    int sync = -1;
    pid_t init = f.err != 0 ? -1 : clone_parked_init(&parked_request, sock, &sync, &f);
    if (init > 0) {
        msg_init(&reply, K_CREATED);
        msg_put_u32(&reply, F_PID, (uint32_t)init);
        msg_send(sock, &reply, &sync, 1);
    } else {
        msg_init(&reply, K_CREATE_FAILED);
        msg_put_failure(&reply, &f);
        msg_send(sock, &reply, NULL, 0);
    }
    _exit(0);
}

/* The parked process a K_CREATE names, taken out of the table; 0 when it names none or one that is not here. */
static int take_parked(const struct msg *request, struct parked *out) {
    struct failure ignored = { 0 };
    uint32_t id;
    if (parse_parked_id(request, &id, &ignored) < 0) return 0;
    for (int i = 0; i < MAX_PARKED; i++) {
        if (parked[i].sock >= 0 && parked[i].id == id) {
            *out = parked[i];
            parked[i].sock = -1;
            return 1;
        }
    }
    return 0;
}

/* A failure a K_CREATE_FAILED reports, into f. */
static int failure_of(const struct msg *m, struct failure *f) {
    struct field step, err;
    int has_step = msg_find(m, F_STEP, &step);
    int e = msg_find(m, F_ERRNO, &err) && err.len == 4 ? (int)field_u32(&err) : EPROTO;
    return has_step ? fail(f, e, "%.*s", (int)step.len, (const char *)step.data) : fail(f, e, "create sandbox");
}

/*
 * Has the parked process clone the init: 1 when it did (c->pid the init), -1 with the failed step, 0 when the
 * parked process is gone before it got the request (the caller clones the init itself). The parked process is reaped
 * before the init is released: until then a pids limit counts it. Then the server goes on as with a child it cloned
 * into the cgroups itself (start_child).
 */
static int create_by_parked(const struct parked *p, const struct create_request *req, struct creation *c,
                            struct failure *f) {
    const struct msg *request = req->msg;
    int sock AUTO_CLOSE = p->sock;
    if (msg_send(sock, request, request->fds, request->nfds) < 0) {
        return 0; /* it died (the poll loop reaps it) */
    }
    int rc = msg_recv(sock, &parked_request);
    waitpid(p->pid, NULL, 0); /* it exits once it answered, or has died */
    if (rc <= 0) {
        return fail(f, rc < 0 ? errno : EPIPE, "create sandbox: parked process %d ended before it answered", p->pid);
    }
    struct field pid;
    if (msg_kind(&parked_request) != K_CREATED) {
        msg_close_fds(&parked_request);
        return failure_of(&parked_request, f);
    }
    if (!msg_find(&parked_request, F_PID, &pid) || pid.len != 4 || parked_request.nfds != 1) {
        msg_close_fds(&parked_request);
        return fail(f, EPROTO, "create sandbox: parked process %d answered without the init's pid", p->pid);
    }
    c->pid = (pid_t)field_u32(&pid);
    c->sync[1] = parked_request.fds[0];
    c->in_cgroup = 1;
    return start_child(req, c, f) < 0 ? -1 : 1;
}

/* A failed creation: nothing of it survives. */
static void abandon(struct creation *c) {
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (c->pid > 0) {
        kill(c->pid, SIGKILL);
        waitpid(c->pid, NULL, 0);
    }
}

static void send_reply(int control) {
    if (msg_send(control, &reply, NULL, 0) < 0) {
        exit(0); /* the JVM is gone */
    }
}

static void handle_create(int control, int signal_fd, const struct msg *request) {
    struct failure f = { 0 };
    struct create_request req;
    struct creation c = { .pid = -1, .sync = { -1, -1 }, .namespaces = { -1, -1 } };
    struct field want = { 0 };
    c.want_namespaces = msg_find(request, F_NAMESPACES_OUT, &want) && field_u32(&want);
    int rc = parse_create_request(request, &req, &f);
    if (rc == 0 && req.on_network) {
        c.network = find_network(req.network);
        c.address = req.net_address;
        if (c.network == NULL) {
            rc = fail(&f, ENOENT, "create sandbox: network %u does not exist (removed, or made by an earlier server)",
                      req.network);
        }
    }
    struct parked p = { .sock = -1 };
    int by_parked = 0;
    int named = take_parked(request, &p);
    if (named && rc < 0) close(p.sock); /* unused: it sees its socket end and exits */
    if (rc == 0 && named) {
        by_parked = create_by_parked(&p, &req, &c, &f);
        rc = by_parked < 0 ? -1 : by_parked > 0 ? 0 : create_sandbox(&req, control, signal_fd, &c, &f);
    } else if (rc == 0) {
        rc = create_sandbox(&req, control, signal_fd, &c, &f);
    }
    if (rc < 0) {
        abandon(&c);
    }
    close_keep_errno(c.sync[0]);
    close_keep_errno(c.sync[1]);
    msg_close_fds(request); /* our copies: the init holds its own sandbox socket and namespaces */
    if (rc < 0) {
        msg_init(&reply, K_CREATE_FAILED);
        msg_put_failure(&reply, &f);
    } else {
        msg_init(&reply, K_CREATED);
        msg_put_u32(&reply, F_PID, (uint32_t)c.pid);
        msg_put_u32(&reply, F_INIT_SEQ, remember_init(c.pid));
        if (by_parked > 0) msg_put_u32(&reply, F_PARKED, p.id);
    }
    if (rc == 0 && c.namespaces[1] >= 0) {
        if (msg_send(control, &reply, c.namespaces, 2) < 0) exit(0); /* the JVM is gone */
    } else {
        send_reply(control);
    }
    close_keep_errno(c.namespaces[0]);
    close_keep_errno(c.namespaces[1]);
}

/* K_KILL_INIT, no answer: only a listed init, so the pid is still the one Java means. */
static void handle_kill_init(const struct msg *request) {
    msg_close_fds(request);
    struct field pid, seq;
    if (!msg_find(request, F_PID, &pid) || pid.len != 4 || !msg_find(request, F_INIT_SEQ, &seq) || seq.len != 4) return;
    for (size_t i = 0; i < live_count; i++) {
        if (live_inits[i].pid == (pid_t)field_u32(&pid) && live_inits[i].seq == field_u32(&seq)) {
            kill(live_inits[i].pid, SIGKILL);
            return;
        }
    }
}

/* K_PARK, no answer: forks a parked process (see parked_main); without a free slot, parks nothing. */
static void handle_park(const struct msg *request) {
    struct failure f = { 0 };
    uint32_t id;
    msg_close_fds(request);
    if (parse_park_request(request, &id, &f) < 0) return;
    struct parked *slot = NULL;
    for (int i = 0; i < MAX_PARKED; i++) {
        if (parked[i].sock >= 0 && parked[i].id == id) return;
        if (slot == NULL && parked[i].sock < 0) slot = &parked[i];
    }
    int sv[2];
    if (slot == NULL || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) return;
    pid_t server = getpid();
    pid_t pid = fork();
    if (pid == 0) parked_main(request, sv[1], server);
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        return;
    }
    *slot = (struct parked){ .sock = sv[0], .id = id, .pid = pid };
}

/* K_UNPARK, no answer: the parked process sees its socket end and exits (the poll loop reaps it). */
static void handle_unpark(const struct msg *request) {
    struct failure f = { 0 };
    uint32_t id;
    msg_close_fds(request);
    if (parse_parked_id(request, &id, &f) < 0) return;
    for (int i = 0; i < MAX_PARKED; i++) {
        if (parked[i].sock >= 0 && parked[i].id == id) {
            close(parked[i].sock);
            parked[i].sock = -1;
        }
    }
}

/* The report of a holder (or a slot's placeholder): a failure, or none with its `n` descriptors in SCM_RIGHTS. */
static int send_holder_report(int sock, const struct failure *f, const int *fds, int n) {
    struct iovec iov = { (void *)f, sizeof *f };
    char cbuf[CMSG_SPACE(2 * sizeof(int))];
    memset(cbuf, 0, sizeof cbuf);
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (n > 0) {
        m.msg_control = cbuf;
        m.msg_controllen = CMSG_SPACE((size_t)n * sizeof(int));
        struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
        memcpy(CMSG_DATA(cm), fds, (size_t)n * sizeof(int));
    }
    return sendmsg(sock, &m, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/*
 * The network's holder, in new user and network namespaces: once its maps are written it turns off IPv6
 * link-local addresses for every link made there (IFLA_AF_SPEC is refused at creation), makes the bridge and
 * hands the server a rtnetlink socket of the namespace, then exits. Nothing else ever runs there.
 */
static _Noreturn void holder_main(int sock) {
    struct failure f = { 0 };
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    char go;
    if (read(sock, &go, 1) != 1) _exit(125);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    int nl = nl_open();
    int rc = nl;
    if (nl < 0) {
        fail(&f, -rc, "open a rtnetlink socket in the network's namespace");
    } else if (write_file("/proc/sys/net/ipv6/conf/default/addr_gen_mode", "1", 1) < 0 && errno != ENOENT) {
        fail(&f, errno, "turn off IPv6 link-local addresses in the network's namespace");
    } else if ((rc = nl_bridge_create(nl, BRIDGE_NAME)) < 0) {
        fail(&f, -rc, "create the network's bridge");
    }
    send_holder_report(sock, &f, &nl, f.err == 0 ? 1 : 0);
    _exit(f.err == 0 ? 0 : 125);
}

/* Receives a holder's report: its `want` descriptors into fds (which start as -1), or its failure copied into f. */
static int receive_holder_report(int sock, int *fds, int want, struct failure *f) {
    struct failure report = { 0 };
    struct iovec iov = { &report, sizeof report };
    char cbuf[CMSG_SPACE(2 * sizeof(int))];
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
    ssize_t n;
    do {
        n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof report) {
        return fail(f, n < 0 ? errno : EPROTO, "receive the report of the network's holder");
    }
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    if (cm != NULL && cm->cmsg_type == SCM_RIGHTS) {
        size_t got = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        memcpy(fds, CMSG_DATA(cm), (got < (size_t)want ? got : (size_t)want) * sizeof(int));
        for (size_t i = (size_t)want; i < got; i++) {
            int extra;
            memcpy(&extra, CMSG_DATA(cm) + i * sizeof(int), sizeof extra);
            close(extra);
        }
    }
    if (report.err != 0 || fds[want - 1] < 0) {
        report.step[sizeof report.step - 1] = '\0';
        return fail(f, report.err != 0 ? report.err : EPROTO, "%s", report.step);
    }
    return 0;
}

/* Clones the holder, writes its maps, and takes the socket it hands back; the holder is reaped either way. */
static int make_network(const struct network_request *req, struct network *net, struct failure *f) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        return fail(f, errno, "socketpair for the network's holder");
    }
    /* Born dumpable, as a sandbox init is, so its /proc maps are ours to write (see prepare_startup). */
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    pid_t holder = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNET | SIGCHLD, NULL, NULL, NULL, 0);
    int clone_errno = errno;
    if (holder == 0) {
        /* Nothing of the server's stays open in the holder but its own end. */
        int keep = sv[1];
        if (keep > 3) sys_close_range(3, (unsigned)keep - 1, 0);
        sys_close_range((unsigned)keep + 1, ~0U, 0);
        if (keep < 3) _exit(125);
        holder_main(keep);
    }
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    close(sv[1]);
    int sock AUTO_CLOSE = sv[0];
    if (holder < 0) {
        return fail(f, clone_errno, "clone the network's holder (new user and network namespaces)");
    }
    int nl = -1;
    int rc = -1;
    if ((!field_present(&req->setgroups) || write_proc_file(holder, "setgroups", &req->setgroups, f) == 0) &&
        write_proc_file(holder, "uid_map", &req->uid_map, f) == 0 &&
        write_proc_file(holder, "gid_map", &req->gid_map, f) == 0) {
        if (write(sock, "1", 1) != 1) {
            fail(f, errno, "release the network's holder");
        } else {
            rc = receive_holder_report(sock, &nl, 1, f);
        }
    }
    if (rc < 0) kill(holder, SIGKILL);
    waitpid(holder, NULL, 0);
    if (rc < 0) {
        close_keep_errno(nl);
        return -1;
    }
    int bridge = nl_link_index(nl, BRIDGE_NAME);
    if (bridge < 0) {
        close(nl);
        return fail(f, -bridge, "find the network's bridge");
    }
    *net = (struct network){ .used = 1, .id = req->id, .nl = nl, .bridge = bridge };
    return 0;
}

/*
 * A slot's placeholder, in new user and network namespaces (the member-to-be's): once its maps are written and the
 * server made its veth, it brings lo and eth0 up with the member's address, hands the server its two namespaces
 * and exits. A sandbox that claims the slot joins them: it is then on the network without a veth, an address or
 * a wait for its bridge port on its own start.
 */
static _Noreturn void placeholder_main(int sock, uint32_t addr, uint8_t prefix) {
    struct failure f = { 0 };
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    char go;
    if (read(sock, &go, 1) != 1) _exit(125);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    int ns[2] = { -1, -1 };
    if (loopback_up(&f) == 0 && eth0_up(addr, prefix, &f) == 0) {
        ns[0] = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
        ns[1] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (ns[0] < 0 || ns[1] < 0) fail(&f, errno, "open the namespaces of a network slot");
    }
    send_holder_report(sock, &f, ns, f.err == 0 ? 2 : 0);
    _exit(f.err == 0 ? 0 : 125);
}

/*
 * A slot: the placeholder cloned with the member's id maps, its veth made into it (as a member's, with the
 * address's MAC), and, once it has eth0 up, the wait for the bridge port. ns[] gets its user and network
 * namespaces; the placeholder is reaped either way, and a failed slot's namespaces go with it.
 */
static int make_slot(struct network *net, const struct network_request *req, const uint32_t address[2], int ns[2],
                     struct failure *f) {
    char veth[16];
    if (take_address(net, address[0], veth, f) < 0) {
        return -1;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        return fail(f, errno, "socketpair for a network slot");
    }
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0); /* for its maps, as for a sandbox init (see prepare_startup) */
    pid_t holder = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNET | SIGCHLD, NULL, NULL, NULL, 0);
    int clone_errno = errno;
    if (holder == 0) {
        int keep = sv[1];
        if (keep > 3) sys_close_range(3, (unsigned)keep - 1, 0);
        sys_close_range((unsigned)keep + 1, ~0U, 0);
        if (keep < 3) _exit(125);
        placeholder_main(keep, address[0], (uint8_t)address[1]);
    }
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    close(sv[1]);
    int sock AUTO_CLOSE = sv[0];
    if (holder < 0) {
        return fail(f, clone_errno, "clone a network slot (new user and network namespaces)");
    }
    int rc = -1;
    uint8_t mac[6];
    mac_of(address[0], mac);
    if ((!field_present(&req->setgroups) || write_proc_file(holder, "setgroups", &req->setgroups, f) == 0) &&
        write_proc_file(holder, "uid_map", &req->uid_map, f) == 0 &&
        write_proc_file(holder, "gid_map", &req->gid_map, f) == 0) {
        int nl_rc = nl_veth_create(net->nl, veth, net->bridge, "eth0", mac, holder);
        if (nl_rc < 0) {
            fail(f, -nl_rc, "create the veth of network %u into a slot", net->id);
        } else if (write(sock, "1", 1) != 1) {
            fail(f, errno, "release a network slot's placeholder");
        } else {
            rc = receive_holder_report(sock, ns, 2, f);
        }
    }
    if (rc < 0) kill(holder, SIGKILL);
    waitpid(holder, NULL, 0);
    if (rc == 0 && await_bridge_port(net, veth) < 0) {
        rc = fail(f, ETIMEDOUT, "bridge port of a network slot's veth did not come up");
    }
    if (rc < 0) {
        close_keep_errno(ns[0]);
        close_keep_errno(ns[1]);
        ns[0] = ns[1] = -1;
    }
    return rc;
}

static void handle_network_slot(int control, const struct msg *request) {
    struct failure f = { 0 };
    struct network_request req;
    uint32_t address[2];
    int ns[2] = { -1, -1 };
    struct network *net = NULL;
    int rc = parse_slot_request(request, &req, address, &f);
    if (rc == 0 && (net = find_network(req.id)) == NULL) {
        rc = fail(&f, ENOENT, "prepare network slot: network %u does not exist (removed)", req.id);
    }
    if (rc == 0) {
        rc = make_slot(net, &req, address, ns, &f);
    }
    msg_close_fds(request);
    msg_init(&reply, rc == 0 ? K_NETWORK_SLOT_READY : K_NETWORK_FAILED);
    msg_put_u32(&reply, F_NETWORK, req.id);
    if (rc < 0) msg_put_failure(&reply, &f);
    if (msg_send(control, &reply, rc == 0 ? ns : NULL, rc == 0 ? 2 : 0) < 0) {
        exit(0); /* the JVM is gone */
    }
    close_keep_errno(ns[0]);
    close_keep_errno(ns[1]);
}

static void handle_network_create(int control, const struct msg *request) {
    struct failure f = { 0 };
    struct network_request req;
    struct network *slot = NULL;
    int rc = parse_network_request(request, &req, &f);
    if (rc == 0 && find_network(req.id) != NULL) {
        rc = fail(&f, EEXIST, "create network: network %u exists already", req.id);
    }
    for (int i = 0; rc == 0 && slot == NULL && i < MAX_NETWORKS; i++) {
        if (!networks[i].used) slot = &networks[i];
    }
    if (rc == 0 && slot == NULL) {
        rc = fail(&f, EMFILE, "create network: %d networks exist already, the most one server keeps", MAX_NETWORKS);
    }
    if (rc == 0) {
        rc = make_network(&req, slot, &f);
    }
    msg_close_fds(request);
    msg_init(&reply, rc == 0 ? K_NETWORK_CREATED : K_NETWORK_FAILED);
    msg_put_u32(&reply, F_NETWORK, req.id);
    if (rc < 0) msg_put_failure(&reply, &f);
    send_reply(control);
}

/* No answer. The namespace goes with the socket, and members still on it lose their eth0 (Java closes them first). */
static void handle_network_remove(const struct msg *request) {
    struct failure f = { 0 };
    uint32_t id;
    msg_close_fds(request);
    if (parse_network_id(request, &id, &f) < 0) return;
    struct network *net = find_network(id);
    if (net != NULL) {
        drop_pending(net);
        close(net->nl);
        *net = (struct network){ 0 };
    }
}

/*
 * Forks the keeper of a kept sandbox (see keeper.c) with the request's descriptors: not a process that dies with us,
 * and one holding nothing of ours. Returns its pid once it holds its lock and socket, or -1 with the failed step.
 */
static pid_t start_keeper(const struct msg *request, uint64_t until, struct failure *f) {
    int jvm AUTO_CLOSE = sys_pidfd_open(getppid());
    if (jvm < 0) return fail(f, errno, "keep sandbox: open a pidfd of the JVM");
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        return fail(f, errno, "keep sandbox: socketpair for the keeper");
    }
    pid_t pid = fork();
    if (pid == 0) {
        keeper_main(request, jvm, until, sv[1]);
    }
    close(sv[1]);
    int sock AUTO_CLOSE = sv[0];
    if (pid < 0) return fail(f, errno, "keep sandbox: fork the keeper");
    struct failure report = { 0 };
    ssize_t n;
    do {
        n = read(sock, &report, sizeof report);
    } while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof report || report.err != 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        report.step[sizeof report.step - 1] = '\0';
        return n == (ssize_t)sizeof report ? fail(f, report.err, "%s", report.step)
                                           : fail(f, n < 0 ? errno : EPROTO, "keep sandbox: the keeper did not start");
    }
    return pid; /* reaped by the poll loop when it exits while we run */
}

static void handle_keep(int control, const struct msg *request) {
    struct failure f = { 0 };
    struct field until;
    pid_t keeper = -1;
    if (request->nfds < 2) {
        fail(&f, EINVAL, "keep sandbox: expected the init's socket and the lock file, got %d descriptors",
             request->nfds);
    } else {
        keeper = start_keeper(
            request, msg_find(request, F_KEEP_UNTIL, &until) && until.len == 8 ? wire_get_u64(until.data) : 0, &f);
    }
    msg_close_fds(request); /* the keeper has its own copies */
    msg_init(&reply, K_KEEP);
    if (keeper > 0) {
        msg_put_u32(&reply, F_PID, (uint32_t)keeper);
    } else {
        msg_put_failure(&reply, &f);
    }
    send_reply(control);
}

int server_loop(int control) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
        perror("sandbox-init: block SIGCHLD");
        return 125;
    }
    signal(SIGPIPE, SIG_IGN);
    struct failure prep = { 0 };
    if (exec_prepare(&prep) < 0) {
        fprintf(stderr, "sandbox-init: %s: %s\n", prep.step, strerror(prep.err));
        return 125;
    }
    int signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signal_fd < 0) {
        perror("sandbox-init: signalfd");
        return 125;
    }
    host_devnull = open("/dev/null", O_RDWR | O_CLOEXEC); /* -1: each init opens its own instead */
    static struct msg request;
    msg_init(&reply, K_HELLO);
    msg_put_u32(&reply, F_VERSION, PROTOCOL_VERSION);
    if (msg_send(control, &reply, NULL, 0) < 0) {
        return 0;
    }
    for (int i = 0; i < MAX_PENDING; i++) pending[i].sync = -1;
    for (int i = 0; i < MAX_PARKED; i++) parked[i].sock = -1;
    for (;;) {
        struct pollfd pfds[2 + MAX_PENDING] = {
            { .fd = control, .events = POLLIN },
            { .fd = signal_fd, .events = POLLIN },
        };
        for (int i = 0; i < MAX_PENDING; i++) {
            pfds[2 + i] = (struct pollfd){ .fd = pending[i].sync, .events = POLLIN }; /* -1: ignored */
        }
        if (poll(pfds, 2 + MAX_PENDING, -1) < 0) {
            if (errno == EINTR) continue;
            perror("sandbox-init: poll");
            return 125;
        }
        for (int i = 0; i < MAX_PENDING; i++) {
            if (pending[i].sync >= 0 && (pfds[2 + i].revents & (POLLIN | POLLHUP | POLLERR))) {
                finish_pending(&pending[i]);
            }
        }
        if (pfds[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(signal_fd, &si, sizeof si) == sizeof si) {
            }
            pid_t gone;
            while ((gone = waitpid(-1, NULL, WNOHANG)) > 0) {
                forget_init(gone);
            }
        }
        if (pfds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            int rc = msg_recv(control, &request);
            if (rc <= 0) {
                /* The JVM closed us or died: our sandboxes die with us (parent-death signal) and with
                 * their own control sockets. */
                return 0;
            }
            switch (msg_kind(&request)) {
            case K_CREATE: handle_create(control, signal_fd, &request); break;
            case K_NETWORK_CREATE: handle_network_create(control, &request); break;
            case K_NETWORK_REMOVE: handle_network_remove(&request); break;
            case K_NETWORK_SLOT: handle_network_slot(control, &request); break;
            case K_PARK: handle_park(&request); break;
            case K_UNPARK: handle_unpark(&request); break;
            case K_KEEP: handle_keep(control, &request); break;
            case K_KILL_INIT: handle_kill_init(&request); break;
            default: msg_close_fds(&request); break;
            }
        }
    }
}
