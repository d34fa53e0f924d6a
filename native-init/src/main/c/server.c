#define _GNU_SOURCE
#include "server.h"
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init.h"
#include "msg.h"
#include "setup.h"
#include "util.h"

static struct msg request;
static struct msg reply;

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
    int argc = 0;
    snprintf(pidbuf, sizeof pidbuf, "%d", pid);
    const char *s = (const char *)fl->data;
    const char *end = s + fl->len;
    while (s < end && argc < 62) {
        args[argc++] = (char *)s;
        if (argc == 1) args[argc++] = pidbuf;
        s += strnlen(s, (size_t)(end - s)) + 1;
    }
    args[argc] = NULL;
    if (argc < 2 || fl->data[fl->len - 1] != '\0') {
        return fail(f, EINVAL, "parse id map command");
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

/* Writes the child's id maps: until they are, it waits and holds nothing. */
static int write_id_maps(pid_t pid, struct failure *f) {
    struct field fl;
    if (msg_find(&request, F_SETGROUPS, &fl) && write_proc_file(pid, "setgroups", &fl, f) < 0) return -1;
    if (msg_find(&request, F_UID_MAP_CMD, &fl)) {
        if (run_map_command(pid, &fl, f) < 0) return -1;
    } else if (msg_find(&request, F_UID_MAP, &fl) && write_proc_file(pid, "uid_map", &fl, f) < 0) {
        return -1;
    }
    if (msg_find(&request, F_GID_MAP_CMD, &fl)) {
        if (run_map_command(pid, &fl, f) < 0) return -1;
    } else if (msg_find(&request, F_GID_MAP, &fl) && write_proc_file(pid, "gid_map", &fl, f) < 0) {
        return -1;
    }
    return 0;
}

/* Moves the child into its cgroups (cgroup.procs); the init starts no process before this is done. */
static int join_cgroups(pid_t pid, struct failure *f) {
    struct field fl;
    char pidbuf[16];
    int len = snprintf(pidbuf, sizeof pidbuf, "%d", pid);
    size_t pos = 0;
    while (msg_next(&request, &pos, &fl)) {
        if (fl.tag != F_CGROUP_PROCS) continue;
        char *path = field_strdup(&fl);
        if (path == NULL) return fail(f, ENOMEM, "copy cgroup path");
        if (write_file(path, pidbuf, (size_t)len) < 0) {
            fail(f, errno, "write pid to %s", path);
            free(path);
            return -1;
        }
        free(path);
    }
    return 0;
}

static void report_setup_failure(int sock, const struct failure *f) {
    static struct msg m;
    msg_init(&m, K_SETUP_FAILED);
    msg_put_str(&m, F_STEP, f->step);
    msg_put_u32(&m, F_ERRNO, (uint32_t)f->err);
    msg_send(sock, &m, NULL, 0);
}

/*
 * Joins another sandbox's user and network namespaces, then creates the rest. With a new pid namespace
 * the init is a further child (our sibling, by CLONE_PARENT, so the server stays its parent); we hand its
 * pid to the server and exit. Returns in the process that goes on to become the init.
 */
static int join_namespaces(const int join_fds[2], uint64_t flags, int sync_fd, struct failure *f) {
    if (setns(join_fds[0], CLONE_NEWUSER) < 0) {
        return fail(f, errno, "join the user namespace of the sandbox whose network is shared");
    }
    if (setns(join_fds[1], CLONE_NEWNET) < 0) {
        return fail(f, errno, "join the network namespace of the sandbox whose network is shared");
    }
    close(join_fds[0]);
    close(join_fds[1]);
    unsigned long rest = (unsigned long)flags & (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID);
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
static void child_main(int control, int signal_fd, int sync_fd, int sock, const int *join_fds, uint64_t flags)
    __attribute__((noreturn));
static void child_main(int control, int signal_fd, int sync_fd, int sock, const int *join_fds, uint64_t flags) {
    struct failure f = { 0 };
    /* Die with the server. The server is single-threaded, so this cannot fire on a thread exit; the
     * race with a server that died before this line is closed by the sync pipe's EOF below. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
        fail(&f, errno, "set parent-death signal");
        report_setup_failure(sock, &f);
        _exit(125);
    }
    close(control);
    close(signal_fd);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Wait until the server wrote our id maps (we were born dumpable for that, see handle_create). */
    char go;
    ssize_t n;
    do {
        n = read(sync_fd, &go, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) {
        _exit(125); /* the server failed to prepare us (it reports why) or died */
    }
    /* Our maps are written: not dumpable again before we open any host path. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
        fail(&f, errno, "make sandbox init not dumpable");
        report_setup_failure(sock, &f);
        _exit(125);
    }
    if (join_fds != NULL) {
        if (join_namespaces(join_fds, flags, sync_fd, &f) < 0) {
            report_setup_failure(sock, &f);
            _exit(125);
        }
        close(sync_fd);
        sync_fd = -1;
    }
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0) {
        fail(&f, errno, "redirect init stdio to /dev/null");
        report_setup_failure(sock, &f);
        _exit(125);
    }
    close(devnull);
    if (sandbox_setup(&request, &f) < 0) {
        report_setup_failure(sock, &f);
        _exit(125);
    }
    if (sync_fd >= 0) {
        /* The server moves us into our cgroups meanwhile; nothing may start before that is done. */
        do {
            n = read(sync_fd, &go, 1);
        } while (n < 0 && errno == EINTR);
        if (n != 1) {
            _exit(125); /* the server failed to (it reports why) or died */
        }
        close(sync_fd);
    }
    if (sandbox_enter_cgroup_namespace(&request, &f) < 0) {
        report_setup_failure(sock, &f);
        _exit(125);
    }
    init_loop(sock);
}

/*
 * clone3 with CLONE_INTO_CGROUP: the init starts life in its cgroup (v2), without the migration a write to
 * cgroup.procs costs. Returns -1 with f->err == 0 where the kernel lacks clone3, so the caller falls back.
 */
static pid_t clone_into_cgroup(const struct field *dir_field, uint64_t flags, struct failure *f) {
    char *dir = field_strdup(dir_field);
    if (dir == NULL) {
        return fail(f, ENOMEM, "copy cgroup directory");
    }
    int cgroup_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgroup_fd < 0) {
        fail(f, errno, "open cgroup %s", dir);
        free(dir);
        return -1;
    }
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = flags | CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = (uint64_t)cgroup_fd;
    pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
    int saved = errno;
    close(cgroup_fd); /* in the child too: the init keeps no descriptor of a host cgroup */
    if (pid < 0 && saved != ENOSYS && saved != E2BIG) {
        fail(f, saved, "clone into cgroup %s", dir);
    }
    free(dir);
    return pid;
}

/* The released child exited already (reaped here), or hung up its end of the start-up socket (EPIPE). */
static int child_gone(pid_t pid, int write_errno) {
    return write_errno == EPIPE || waitpid(pid, NULL, WNOHANG) == pid;
}

static void handle_create(int control, int signal_fd) {
    struct failure f = { 0 };
    struct field fl;
    int join = msg_find(&request, F_JOIN, &fl) && field_u32(&fl);
    int expected_fds = join ? 3 : 1;
    int sock = request.nfds == expected_fds ? request.fds[0] : -1;
    pid_t pid = -1;
    int sync[2] = { -1, -1 };
    if (sock < 0) {
        fail(&f, EINVAL, "create sandbox: expected %d descriptors, got %d", expected_fds, request.nfds);
        goto failed;
    }
    uint64_t flags = msg_find(&request, F_CLONE_FLAGS, &fl) ? field_u64(&fl, 0) : 0;
    /* Start-up handshake: the server says when the child's id maps are written. */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) < 0) {
        fail(&f, errno, "socketpair for sandbox start-up");
        goto failed;
    }
    /* A raw clone: fork semantics plus the new namespaces; in a new pid namespace the child is PID 1. */
    /* Joining: namespaces come from setns in the child, so the clone itself creates none. */
    uint64_t clone_flags = join ? 0 : flags;
    int in_cgroup = 0;
    /*
     * The child is born dumpable: a non-dumpable process's /proc/PID files belong to root, and an
     * unprivileged server could not write its id maps. The child holds nothing of ours and no host path
     * until the maps are written, and turns non-dumpable before it opens any. The server itself is
     * dumpable only for the clone: it holds the JVM's control socket.
     */
    if (!join && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) { /* joining writes no id maps */
        fail(&f, errno, "make the sandbox init dumpable for its id maps");
        goto failed;
    }
    if (msg_find(&request, F_CGROUP_DIR, &fl)) {
        pid = clone_into_cgroup(&fl, clone_flags, &f);
        if (pid < 0 && f.err != 0) {
            goto failed;
        }
        in_cgroup = pid >= 0;
    }
    if (!in_cgroup) {
        pid = (pid_t)syscall(SYS_clone, (unsigned long)clone_flags | SIGCHLD, NULL, NULL, NULL, 0);
    }
    if (pid != 0) {
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
    if (pid < 0) {
        fail(&f, errno, "clone with namespace flags 0x%llx", (unsigned long long)clone_flags);
        goto failed;
    }
    if (pid == 0) {
        close(sync[1]);
        child_main(control, signal_fd, sync[0], sock, join ? &request.fds[1] : NULL, flags);
    }
    close(sync[0]);
    sync[0] = -1;
    if (write_id_maps(pid, &f) < 0) {
        goto failed;
    }
    if (join) {
        /* The joining child forks the init, which inherits its cgroups: they must be joined first. */
        if (!in_cgroup && join_cgroups(pid, &f) < 0) {
            goto failed;
        }
        if (write(sync[1], "1", 1) != 1) {
            fail(&f, errno, "release sandbox init");
            goto failed;
        }
        /* The init is the joining child's own child; if it reported no pid it failed and told Java why
         * on the sandbox socket, so Java still gets the precise step. */
        pid_t init;
        ssize_t r;
        do {
            r = read(sync[1], &init, sizeof init);
        } while (r < 0 && errno == EINTR);
        if (r == (ssize_t)sizeof init && init > 0) {
            waitpid(pid, NULL, 0);
            pid = init;
        }
        close(request.fds[1]);
        close(request.fds[2]);
    } else {
        /*
         * Released first, then moved into its cgroups: a v1 cgroup.procs write waits for an RCU grace
         * period (about 2 ms here), which now overlaps the init's mount set-up. The init waits for the
         * second byte before it reports ready, so nothing runs in the sandbox outside its cgroups.
         */
        if (write(sync[1], "1", 1) != 1) {
            fail(&f, errno, "release sandbox init");
            goto failed;
        }
        /* Meanwhile the init may have failed its set-up: then it told Java why on its own socket, and Java
         * must hear that rather than the cgroup write or the second byte that its exit made fail. */
        if (!in_cgroup && join_cgroups(pid, &f) < 0) {
            if (child_gone(pid, 0)) goto created;
            goto failed;
        }
        if (write(sync[1], "2", 1) != 1) {
            if (child_gone(pid, errno)) goto created;
            fail(&f, errno, "tell sandbox init its cgroups are joined");
            goto failed;
        }
    }
created:
    close(sync[1]);
    close(sock);
    msg_init(&reply, K_CREATED);
    msg_put_u32(&reply, F_PID, (uint32_t)pid);
    if (msg_send(control, &reply, NULL, 0) < 0) {
        exit(0);
    }
    return;

failed:
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    if (sync[0] >= 0) close(sync[0]);
    if (sync[1] >= 0) close(sync[1]);
    for (int i = 0; i < request.nfds; i++) close(request.fds[i]);
    msg_init(&reply, K_CREATE_FAILED);
    msg_put_str(&reply, F_STEP, f.step);
    msg_put_u32(&reply, F_ERRNO, (uint32_t)f.err);
    if (msg_send(control, &reply, NULL, 0) < 0) {
        exit(0);
    }
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
    msg_init(&reply, K_HELLO);
    msg_put_u32(&reply, F_VERSION, PROTOCOL_VERSION);
    if (msg_send(control, &reply, NULL, 0) < 0) {
        return 0;
    }
    for (;;) {
        struct pollfd pfds[2] = {
            { .fd = control, .events = POLLIN },
            { .fd = signal_fd, .events = POLLIN },
        };
        if (poll(pfds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            perror("sandbox-init: poll");
            return 125;
        }
        if (pfds[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(signal_fd, &si, sizeof si) == sizeof si) {
            }
            while (waitpid(-1, NULL, WNOHANG) > 0) {
            }
        }
        if (pfds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            int rc = msg_recv(control, &request);
            if (rc <= 0) {
                /* The JVM closed us or died: our sandboxes die with us (parent-death signal) and with
                 * their own control sockets. */
                return 0;
            }
            if (msg_kind(&request) == K_CREATE) {
                handle_create(control, signal_fd);
            } else {
                for (int i = 0; i < request.nfds; i++) close(request.fds[i]);
            }
        }
    }
}
