/* The fuse-overlayfs daemon's confinement (fusejail.c), applied in a child that owns a user namespace of its own. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fusejail.h"

enum { SKIPPED = 10 };

static int write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f == NULL) return -1;
    int ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* Root of a user namespace of its own, ids mapped, as the daemon is: unmapped, no namespace could be made anyway. */
static int own_user_namespace(void) {
    char uid[32], gid[32];
    snprintf(uid, sizeof uid, "0 %d 1\n", (int)getuid());
    snprintf(gid, sizeof gid, "0 %d 1\n", (int)getgid());
    if (unshare(CLONE_NEWUSER) < 0) return -1;
    return write_file("/proc/self/setgroups", "deny") < 0 || write_file("/proc/self/uid_map", uid) < 0 ||
            write_file("/proc/self/gid_map", gid) < 0
        ? -1
        : 0;
}

/* Each failed expectation exits with its own code, so the parent can name it. */
static int confined_child(void) {
    if (own_user_namespace() < 0) return SKIPPED; /* the capabilities the daemon keeps must be ours to keep */
    if (fuse_daemon_confine() < 0) return 11;
    long pid = syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) _exit(0);
    if (pid > 0) {
        waitpid((pid_t)pid, NULL, 0);
        return 12; /* clone made new namespaces */
    }
    if (errno != EPERM) return 13;
    if (syscall(SYS_unshare, CLONE_NEWNS) != -1 || errno != EPERM) return 14;
    if (syscall(467, 0, 0, 0, 0, 0) != -1 || errno != ENOSYS) return 15; /* open_tree_attr (6.15) and later */
    if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS) return 16;
    if (syscall(SYS_ptrace, 0, 0, 0, 0) != -1 || errno != EPERM) return 17;
    pid_t plain = fork(); /* what libfuse and glibc still need */
    if (plain == 0) _exit(7);
    int status = 0;
    if (plain < 0 || waitpid(plain, &status, 0) != plain || !WIFEXITED(status) || WEXITSTATUS(status) != 7) return 18;
    return 0;
}

int main(void) {
    pid_t child = fork();
    if (child == 0) _exit(confined_child());
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status)) {
        fprintf(stderr, "fusejail_test: the confined child did not exit normally (status 0x%x)\n", status);
        return 1;
    }
    int code = WEXITSTATUS(status);
    if (code == SKIPPED) {
        printf("fusejail_test: SKIPPED, no user namespace for the child here\n");
        return 0;
    }
    if (code != 0) {
        fprintf(stderr, "fusejail_test: expectation %d failed (see confined_child)\n", code);
        return 1;
    }
    printf("fusejail_test: passed\n");
    return 0;
}
