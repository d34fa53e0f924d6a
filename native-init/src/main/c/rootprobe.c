#define _GNU_SOURCE
#include "rootprobe.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "msg.h"
#include "protocol.h"
#include "setup.h"

static struct msg probe;

/* The K_CREATE fields an image root of LAYER sends (see CreateMessage.imageRoot): auto (`forced` -1), or forced. */
static int describe(const char *layer, const char *helper, const char *disk, int forced) {
    static unsigned char mode[ROOT_MODE_HELPER + 4096], upper[ROOT_UPPER_DIR + 4096];
    size_t h = strlen(helper) + 1, d = strlen(disk) + 1;
    if (h > 4096 || d > 4096) {
        return -1;
    }
    wire_put_u32(mode + ROOT_MODE_MODE, forced < 0 ? ROOT_MODE_OVERLAY : (uint32_t)forced);
    wire_put_u32(mode + ROOT_MODE_FLAGS, forced < 0 ? ROOT_FLAG_FALLBACK : 0);
    memcpy(mode + ROOT_MODE_HELPER, helper, h);
    wire_put_u64(upper + ROOT_UPPER_SIZE, 0);
    memcpy(upper + ROOT_UPPER_DIR, disk, d);
    msg_init(&probe, K_CREATE);
    return msg_put(&probe, F_ROOT_OVERLAY, layer, (uint32_t)strlen(layer) + 1) < 0 ||
            msg_put(&probe, F_ROOT_MODE, mode, (uint32_t)(ROOT_MODE_HELPER + h)) < 0 ||
            msg_put(&probe, F_ROOT_UPPER, upper, (uint32_t)(ROOT_UPPER_DIR + d)) < 0
        ? -1
        : 0;
}

/* The child, pid 1 of its namespaces once its maps are written: assembles the root and says how it went. */
static int assemble(int sync) {
    char go;
    if (read(sync, &go, 1) != 1) {
        return 125;
    }
    struct failure f = { 0 };
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        fail(&f, errno, "make mounts private");
    } else if (sandbox_stage_image_root(&probe, &f) == 0) {
        struct root_outcome *o = &sandbox_root_outcome;
        printf(o->fell_back ? "%s\t%s\n" : "%s\n", sandbox_root_mode_names[o->used], o->why);
        return 0;
    }
    int failed = sandbox_root_outcome.failed;
    printf("failed\t%s\t%s: %s\n", failed >= 0 ? sandbox_root_mode_names[failed] : "setup", f.step, strerror(f.err));
    return 0;
}

static int write_proc(pid_t pid, const char *name, const char *text) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* The optional MODE argument, as sandbox_root_mode_names spell them; -1 for none, -2 for an unknown one. */
static int forced_mode(int argc, char **argv) {
    if (argc == 5) {
        return -1;
    }
    for (int m = 0; m < 3; m++) {
        if (strcmp(argv[5], sandbox_root_mode_names[m]) == 0) {
            return m;
        }
    }
    return -2;
}

int root_probe_main(int argc, char **argv) {
    int forced = argc == 5 || argc == 6 ? forced_mode(argc, argv) : -2;
    if (forced == -2 || *argv[2] != '/' || (*argv[3] && *argv[3] != '/') || (*argv[4] && *argv[4] != '/')) {
        fprintf(stderr,
                "usage: sandbox-init --probe-root /LAYER /FUSE-OVERLAYFS|'' /DISK-DIRECTORY|''"
                " [overlay|fuse-overlayfs|copy]\n");
        return 2;
    }
    if (describe(argv[2], argv[3], argv[4], forced) < 0) {
        fprintf(stderr, "sandbox-init: --probe-root: arguments too long\n");
        return 2;
    }
    int sync[2];
    if (pipe2(sync, O_CLOEXEC) < 0) {
        perror("sandbox-init: pipe");
        return 125;
    }
    fflush(stdout);
    pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid < 0) {
        perror("sandbox-init: clone a user, mount and pid namespace");
        return 125;
    }
    if (pid == 0) {
        close(sync[1]);
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        int rc = assemble(sync[0]);
        fflush(stdout);
        _exit(rc);
    }
    close(sync[0]);
    char uid_map[32], gid_map[32];
    snprintf(uid_map, sizeof uid_map, "0 %u 1", (unsigned)getuid());
    snprintf(gid_map, sizeof gid_map, "0 %u 1", (unsigned)getgid());
    if (write_proc(pid, "setgroups", "deny") < 0 || write_proc(pid, "uid_map", uid_map) < 0 ||
        write_proc(pid, "gid_map", gid_map) < 0 || write(sync[1], "g", 1) != 1) {
        perror("sandbox-init: write the probe's id maps");
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return 125;
    }
    close(sync[1]);
    int status;
    if (waitpid(pid, &status, 0) < 0) {
        perror("sandbox-init: wait for the probe");
        return 125;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 125;
}
