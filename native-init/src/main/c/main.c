/*
 * sandbox-init: the small native half of Sandboxed.
 *
 * Started once per JVM as `sandbox-init server` with a SOCK_SEQPACKET control socket on fd 3. It re-executes
 * itself from a sealed memfd, then creates sandboxes on request. Each sandbox's PID 1 is a fork of this
 * process that talks to Java directly over its own socket. All policy comes from Java (protocol.h).
 *
 * Every mode names itself `sandbox-init` (/proc/PID/comm, `ps`, `pgrep -x`): exec'd from the memfd the kernel
 * would name it after the memfd (`memfd:sandbox-i`), and from the cached file after that file
 * (`sandbox-init-0123...`). The sealed server runs with the command line `sandbox-init` alone, which its
 * forks, the sandboxes' inits, keep (inside a sandbox PID 1 shows as `sandbox-init`, not as a server).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guard.h"
#include "owners.h"
#include "protocol.h"
#include "rootprobe.h"
#include "server.h"
#include "util.h"

#define CONTROL_FD 3
#define PROCESS_NAME "sandbox-init"
/* Everything the sealed copy is sealed against: what running from it guarantees. */
#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

/*
 * Runs this binary from a sealed, anonymous copy, so that nothing inside a sandbox can modify or
 * re-open for writing the executable that host-side processes run (CVE-2019-5736; runc's exeseal).
 */
static int reexec_sealed(void) {
    int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (self < 0) {
        perror("sandbox-init: open /proc/self/exe");
        return -1;
    }
    struct stat st;
    if (fstat(self, &st) < 0) {
        perror("sandbox-init: stat /proc/self/exe");
        return -1;
    }
    int mem = memfd_create(PROCESS_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (mem < 0) {
        perror("sandbox-init: memfd_create");
        return -1;
    }
    off_t left = st.st_size;
    while (left > 0) {
        ssize_t n = sendfile(mem, self, NULL, (size_t)left);
        if (n <= 0) {
            perror("sandbox-init: copy into memfd");
            return -1;
        }
        left -= n;
    }
    close(self);
    if (fcntl(mem, F_ADD_SEALS, SEALS) < 0) {
        perror("sandbox-init: seal memfd");
        return -1;
    }
    /* No arguments: the sealed copy knows itself by its seals (running_sealed), not by anything one could pass. */
    char *args[] = { PROCESS_NAME, NULL };
    fexecve(mem, args, environ);
    perror("sandbox-init: fexecve sealed copy");
    return -1;
}

/* Whether this process runs from the sealed copy: a file that takes no write, growth or shrinking. */
static int running_sealed(void) {
    int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (self < 0) return 0;
    int seals = fcntl(self, F_GET_SEALS);
    close(self);
    return seals >= 0 && (seals & SEALS) == SEALS;
}

int main(int argc, char **argv) {
    prctl(PR_SET_NAME, PROCESS_NAME, 0, 0, 0);
    int sealed = argc == 1 && running_sealed();
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("sandbox-init protocol %d\n", PROTOCOL_VERSION);
        return 0;
    }
    if (argc >= 2 && (strcmp(argv[1], "--apply-owners") == 0 || strcmp(argv[1], "--remove-tree") == 0)) {
        return owners_main(argc, argv);
    }
    if (argc >= 2 && strcmp(argv[1], "--guard") == 0) {
        return guard_main(argc, argv);
    }
    if (argc >= 2 && strcmp(argv[1], "--probe-root") == 0) {
        return root_probe_main(argc, argv);
    }
    if (!sealed && (argc < 2 || strcmp(argv[1], "server") != 0)) {
        fprintf(stderr,
                "usage: sandbox-init server   (started by the Sandboxed Java runtime, control socket on fd 3)\n"
                "       sandbox-init --apply-owners|--remove-tree DIR NEWUIDMAP ARGS... -- NEWGIDMAP ARGS...\n"
                "       sandbox-init --guard /PROGRAM ARGS...   (lifeline pipe on fd 3)\n"
                "       sandbox-init --probe-root /LAYER /FUSE-OVERLAYFS|'' /DISK-DIRECTORY|'' [MODE]\n"
                "       sandbox-init --version\n");
        return 2;
    }
    if (fcntl(CONTROL_FD, F_GETFD) < 0) {
        fprintf(stderr, "sandbox-init: no control socket on fd %d\n", CONTROL_FD);
        return 2;
    }
    /* Nothing the JVM left open may reach a sandbox. */
    if (sys_close_range(CONTROL_FD + 1, ~0U, 0) < 0) {
        perror("sandbox-init: close_range");
        return 125;
    }
    if (!sealed) {
        reexec_sealed();
        return 125;
    }
    if (fcntl(CONTROL_FD, F_SETFD, FD_CLOEXEC) < 0) {
        perror("sandbox-init: mark control socket close-on-exec");
        return 125;
    }
    /* Every signal back to its default, whatever the JVM left ignored: the sandboxes' processes inherit
     * this, so they need to reset only SIGPIPE, which the server and the inits ignore. */
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) {
            signal(sig, SIG_DFL); /* fails, harmlessly, for the signals glibc reserves */
        }
    }
    /* Not dumpable: the server holds the JVM's control socket. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    return server_loop(CONTROL_FD);
}
