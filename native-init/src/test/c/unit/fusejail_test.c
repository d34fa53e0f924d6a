/*
 * The fuse-overlayfs daemon's confinement (fusejail.c), applied in a child that owns a user namespace of its own: its
 * root of its own, then its capabilities and seccomp filter.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
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

/* What the root may hold: the served directories' parent, the loader's entries, /usr, /etc (ld.so.cache), /proc. */
static int only_expected_entries(void) {
    static const char *const allowed[] = { ".",   "..",    "tmp",   "usr",    "etc", "proc",
                                           "lib", "lib32", "lib64", "libx32", "bin", "sbin" };
    DIR *d = opendir("/");
    if (d == NULL) return 0;
    int ok = 1;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        int found = 0;
        for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
            found |= strcmp(e->d_name, allowed[i]) == 0;
        }
        if (!found) {
            fprintf(stderr, "fusejail_test: unexpected /%s in the daemon's root\n", e->d_name);
            ok = 0;
        }
    }
    closedir(d);
    return ok;
}

/* The daemon's root, from a served tree under /tmp: `base` (writable) holding lower/layer-file and the jail. */
static int rooted(const char *base) {
    char lower[PATH_MAX], file[PATH_MAX], jail[PATH_MAX], exe[PATH_MAX], upper[PATH_MAX];
    snprintf(lower, sizeof lower, "%s/lower", base);
    snprintf(file, sizeof file, "%s/lower/layer-file", base);
    snprintf(upper, sizeof upper, "%s/upper-file", base);
    snprintf(jail, sizeof jail, "%s/jail", base);
    int fd = -1;
    if (mkdir(lower, 0755) < 0 || (fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)) < 0) return 20;
    close(fd);
    const char *step = "";
    if (fuse_daemon_enter_root(jail, base, lower, "/usr/bin/env", exe, &step) < 0) {
        fprintf(stderr, "fusejail_test: %s: %s\n", step, strerror(errno));
        return 21;
    }
    struct stat st;
    struct statvfs vfs;
    if (strcmp(exe, "/usr/bin/env") != 0 || stat(exe, &st) < 0) return 22;
    if (!only_expected_entries()) return 23;
    if (stat("/etc/passwd", &st) == 0 || stat("/home", &st) == 0 || stat("/dev", &st) == 0) return 24;
    if (stat(file, &st) < 0 || open(file, O_WRONLY | O_CLOEXEC) >= 0 || errno != EROFS) return 25; /* layers: read */
    if ((fd = open(upper, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)) < 0) return 26;                   /* upper: write */
    close(fd);
    if (mkdir("/new", 0755) == 0 || errno != EROFS) return 27; /* the root itself: read-only */
    if (mkdir("/usr/new", 0755) == 0 || errno != EROFS) return 28;
    if (statvfs("/proc", &vfs) < 0 || !(vfs.f_flag & ST_RDONLY) || stat("/proc/sys/kernel/overflowuid", &st) < 0) {
        return 29;
    }
    if (stat("/proc/keys", &st) == 0 && !S_ISCHR(st.st_mode)) return 31; /* masked with the null device */
    if (stat("/proc/sys/kernel/overflowuid", &st) < 0) return 32;
    return 0;
}

/* Each failed expectation exits with its own code, so the parent can name it. */
static int confined_child(const char *base) {
    if (own_user_namespace() < 0) return SKIPPED; /* the capabilities the daemon keeps must be ours to keep */
    int rc = rooted(base);
    if (rc != 0) return rc;
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
    if (mount("none", "/tmp", "tmpfs", 0, NULL) != -1 || errno != EPERM) return 19; /* the init mounts for it */
    if (umount2("/proc", MNT_DETACH) != -1 || errno != EPERM) return 30;
    pid_t plain = fork(); /* what libfuse and glibc still need */
    if (plain == 0) _exit(7);
    int status = 0;
    if (plain < 0 || waitpid(plain, &status, 0) != plain || !WIFEXITED(status) || WEXITSTATUS(status) != 7) return 18;
    return 0;
}

static void remove_tree(const char *base) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/lower/layer-file", base);
    unlink(path);
    snprintf(path, sizeof path, "%s/upper-file", base);
    unlink(path);
    snprintf(path, sizeof path, "%s/lower", base);
    rmdir(path);
    snprintf(path, sizeof path, "%s/jail", base);
    rmdir(path);
    rmdir(base);
}

int main(void) {
    char base[] = "/tmp/fusejail-test-XXXXXX";
    if (mkdtemp(base) == NULL) {
        perror("fusejail_test: mkdtemp");
        return 1;
    }
    pid_t child = fork();
    if (child == 0) _exit(confined_child(base));
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status)) {
        fprintf(stderr, "fusejail_test: the confined child did not exit normally (status 0x%x)\n", status);
        return 1;
    }
    remove_tree(base);
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
