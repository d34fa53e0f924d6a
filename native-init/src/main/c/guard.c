#define _GNU_SOURCE
#include "guard.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#define LIFELINE_FD 3

static int status_of(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

static int end_child(pid_t child) {
    int status = 0;
    kill(child, SIGKILL);
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    return 0;
}

int guard_main(int argc, char **argv) {
    if (argc < 3 || argv[2][0] != '/') {
        fprintf(stderr, "usage: sandbox-init --guard /ABSOLUTE/PROGRAM ARGS...   (lifeline pipe on fd 3)\n");
        return 2;
    }
    if (fcntl(LIFELINE_FD, F_GETFD) < 0) {
        fprintf(stderr, "sandbox-init --guard: no lifeline on fd %d\n", LIFELINE_FD);
        return 2;
    }
    /* Nothing else the JVM left open may reach the program; fds 4 and 5 (namespaces to join) are for it. */
    if (sys_close_range(LIFELINE_FD + 3, ~0U, 0) < 0) {
        perror("sandbox-init --guard: close_range");
        return 125;
    }
    pid_t self = getpid();
    pid_t child = fork();
    if (child < 0) {
        perror("sandbox-init --guard: fork");
        return 125;
    }
    if (child == 0) {
        /* Checked after setting it: had the guard died in between, no signal would come. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != self) _exit(125);
        close(LIFELINE_FD);
        execv(argv[2], argv + 2);
        int err = errno;
        fprintf(stderr, "sandbox-init --guard: exec %s: %s\n", argv[2], strerror(err));
        _exit(err == ENOENT ? 127 : 126);
    }
    int pidfd = sys_pidfd_open(child);
    if (pidfd < 0) {
        perror("sandbox-init --guard: pidfd_open");
        end_child(child);
        return 125;
    }
    struct pollfd watch[2] = { { .fd = LIFELINE_FD, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
    for (;;) {
        if (poll(watch, 2, -1) < 0) {
            if (errno == EINTR) continue;
            perror("sandbox-init --guard: poll");
            end_child(child);
            return 125;
        }
        if (watch[1].revents) {
            int status = 0;
            while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
            }
            return status_of(status);
        }
        if (watch[0].revents) {
            char byte;
            ssize_t n = read(LIFELINE_FD, &byte, 1);
            if (n <= 0 && !(n < 0 && errno == EINTR)) return end_child(child);
        }
    }
}
