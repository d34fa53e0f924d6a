#define _GNU_SOURCE
#include "owners.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Deeper trees than a tar name of PATH_MAX can make are refused rather than recursed into. */
#define MAX_DEPTH 4096
#define MAX_RECORD (PATH_MAX + 64)

/* A decimal or octal number that fills the whole text and fits in 32 bits. */
static int parse_u32(const char *text, int base, unsigned long *out) {
    if (*text < '0' || *text > '9') return -1;
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, base);
    if (errno != 0 || *end != '\0' || v > 0xFFFFFFFEul) return -1;
    *out = v;
    return 0;
}

/* Relative, no empty, "." or ".." component: a name that stays beneath the directory it is resolved in. */
static int path_stays_beneath(const char *path) {
    size_t len = strlen(path);
    if (len == 0 || len >= PATH_MAX || path[0] == '/') return 0;
    const char *p = path;
    while (1) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) return 0;
        if (!slash) return 1;
        p = slash + 1;
    }
}

int owners_parse(const char *text, struct owner_record *r, struct failure *f) {
    char fields[3][16];
    const char *p = text;
    for (int i = 0; i < 3; i++) {
        const char *space = strchr(p, ' ');
        if (space == NULL || (size_t)(space - p) >= sizeof fields[i]) {
            return fail(f, EINVAL, "owner record '%.200s': expected UID GID MODE PATH", text);
        }
        memcpy(fields[i], p, (size_t)(space - p));
        fields[i][space - p] = '\0';
        p = space + 1;
    }
    unsigned long uid, gid, mode;
    if (parse_u32(fields[0], 10, &uid) < 0 || parse_u32(fields[1], 10, &gid) < 0 ||
        parse_u32(fields[2], 8, &mode) < 0 || mode > 07777) {
        return fail(f, EINVAL, "owner record '%.200s': bad uid, gid or mode", text);
    }
    if (!path_stays_beneath(p)) {
        return fail(f, EINVAL, "owner record path '%.200s': not a relative path without '.' and '..'", p);
    }
    r->uid = (uid_t)uid;
    r->gid = (gid_t)gid;
    r->mode = (mode_t)mode;
    r->path = p;
    return 0;
}

/* The directory `dir` beneath rootfd, no link followed on the way (ELOOP when one is there), as an O_PATH fd. */
static int open_parent(int rootfd, const char *dir) {
    struct open_how how = {
        .flags = (unsigned long long)(O_PATH | O_DIRECTORY | O_CLOEXEC),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
    };
    return (int)syscall(SYS_openat2, rootfd, dir, &how, sizeof how);
}

int owners_apply_one(int rootfd, const struct owner_record *r, struct failure *f) {
    const char *path = r->path;
    if (!path_stays_beneath(path)) {
        return fail(f, EINVAL, "owner record path '%.200s': not a relative path without '.' and '..'", path);
    }
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    int parent AUTO_CLOSE = -1;
    if (slash) {
        char dir[PATH_MAX];
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
        parent = open_parent(rootfd, dir);
        if (parent < 0) return fail(f, errno, "open the directory of '%.200s' beneath the layer", path);
    }
    int at = slash ? parent : rootfd;
    struct stat st;
    if (fstatat(at, base, &st, AT_SYMLINK_NOFOLLOW) < 0) return fail(f, errno, "stat '%.200s'", path);
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISFIFO(st.st_mode)) {
        /* A link (or a special file) gets the owner itself; it has no mode that chown could have cleared. */
        if (fchownat(at, base, r->uid, r->gid, AT_SYMLINK_NOFOLLOW) < 0) return fail(f, errno, "chown '%.200s'", path);
        return 0;
    }
    /* Through one descriptor, so the mode goes on the very file that got the owner. */
    int fd AUTO_CLOSE = openat(at, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return fail(f, errno, "open '%.200s'", path);
    struct stat now;
    if (fstat(fd, &now) < 0) return fail(f, errno, "stat '%.200s'", path);
    if (now.st_ino != st.st_ino || now.st_dev != st.st_dev) return fail(f, ESTALE, "'%.200s' changed meanwhile", path);
    if (fchown(fd, r->uid, r->gid) < 0) return fail(f, errno, "chown '%.200s'", path);
    if (fchmod(fd, r->mode) < 0) return fail(f, errno, "chmod '%.200s'", path);
    return 0;
}

int owners_apply_stream(int rootfd, int in_fd, struct failure *f) {
    static char buf[MAX_RECORD * 2];
    size_t have = 0;
    while (1) {
        ssize_t n = read(in_fd, buf + have, sizeof buf - have);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(f, errno, "read the owner manifest");
        have += (size_t)n;
        size_t start = 0;
        char *nul;
        while ((nul = memchr(buf + start, '\0', have - start)) != NULL) {
            struct owner_record r;
            if (owners_parse(buf + start, &r, f) < 0 || owners_apply_one(rootfd, &r, f) < 0) return -1;
            start = (size_t)(nul - buf) + 1;
        }
        memmove(buf, buf + start, have - start);
        have -= start;
        if (n == 0) {
            if (have > 0) return fail(f, EINVAL, "owner manifest: the last record has no NUL");
            return 0;
        }
        if (have == sizeof buf) return fail(f, E2BIG, "owner manifest: a record longer than %d bytes", MAX_RECORD);
    }
}

static int remove_at(int parentfd, const char *name, int depth, struct failure *f) {
    struct stat st;
    if (fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) return 0;
        return fail(f, errno, "stat '%.200s'", name);
    }
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(parentfd, name, 0) < 0 && errno != ENOENT) return fail(f, errno, "remove '%.200s'", name);
        return 0;
    }
    if (depth >= MAX_DEPTH) return fail(f, ELOOP, "remove '%.200s': more than %d levels deep", name, MAX_DEPTH);
    int fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return fail(f, errno, "open directory '%.200s'", name);
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close_keep_errno(fd);
        return fail(f, errno, "read directory '%.200s'", name);
    }
    /* Removing entries while reading may hide others from readdir: read again until a pass finds nothing. */
    int removed;
    do {
        removed = 0;
        rewinddir(d);
        struct dirent *e;
        errno = 0;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            if (remove_at(dirfd(d), e->d_name, depth + 1, f) < 0) {
                closedir(d);
                return -1;
            }
            removed++;
            errno = 0;
        }
        if (errno != 0) {
            int err = errno;
            closedir(d);
            return fail(f, err, "read directory '%.200s'", name);
        }
    } while (removed > 0);
    closedir(d);
    if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
        return fail(f, errno, "remove directory '%.200s'", name);
    }
    return 0;
}

int owners_remove_tree(int parentfd, const char *name, struct failure *f) {
    if (strchr(name, '/') != NULL || !path_stays_beneath(name)) {
        return fail(f, EINVAL, "remove '%.200s': not a single name", name);
    }
    return remove_at(parentfd, name, 0, f);
}

/* Runs a newuidmap/newgidmap argv with the child's pid inserted as argv[1]. */
static int run_map(char **cmd, int count, pid_t child, struct failure *f) {
    char *args[32];
    char pidbuf[16];
    if (count < 1 || count > 30) return fail(f, EINVAL, "an id map command of %d words", count);
    snprintf(pidbuf, sizeof pidbuf, "%d", child);
    args[0] = cmd[0];
    args[1] = pidbuf;
    for (int i = 1; i < count; i++) args[i + 1] = cmd[i];
    args[count + 1] = NULL;
    pid_t helper = fork();
    if (helper < 0) return fail(f, errno, "fork %s", cmd[0]);
    if (helper == 0) {
        int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull >= 0) dup2(devnull, 0);
        char *env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
        execve(args[0], args, env);
        _exit(127);
    }
    int status;
    while (waitpid(helper, &status, 0) < 0) {
        if (errno != EINTR) return fail(f, errno, "wait for %s", cmd[0]);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return fail(f, EPERM, "%s %s exited with status %d", cmd[0], pidbuf,
                    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
    return 0;
}

static int report(const struct failure *f) {
    fprintf(stderr, "sandbox-init: %s: %s\n", f->step, strerror(f->err));
    return 1;
}

/* The child: a new user namespace, then (once the parent has written its maps) the work. */
static _Noreturn void child_main(int apply, int fd, const char *name, int to_parent, int from_parent) {
    struct failure f = { 0 };
    char go = 0;
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (unshare(CLONE_NEWUSER) < 0) {
        fail(&f, errno, "unshare a user namespace");
        _exit(report(&f));
    }
    if (write(to_parent, "u", 1) != 1 || read(from_parent, &go, 1) != 1) _exit(125); /* the parent reports */
    int rc = apply ? owners_apply_stream(fd, 0, &f) : owners_remove_tree(fd, name, &f);
    _exit(rc < 0 ? report(&f) : 0);
}

int owners_main(int argc, char **argv) {
    struct failure f = { 0 };
    int apply = strcmp(argv[1], "--apply-owners") == 0;
    int sep = -1;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) sep = i;
    }
    if (argc < 6 || sep < 4 || sep == argc - 1) {
        fprintf(stderr,
                "usage: sandbox-init --apply-owners|--remove-tree DIR NEWUIDMAP ARGS... -- NEWGIDMAP ARGS...\n"
                "       (started by the Sandboxed Java runtime; --apply-owners reads its manifest on stdin)\n");
        return 2;
    }
    if (sys_close_range(3, ~0U, 0) < 0) return report(&(struct failure){ .err = errno, .step = "close_range" });
    /* One descriptor per level while removing: as many as the hard limit allows. */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }
    const char *dir = argv[2];
    const char *name = NULL;
    int fd AUTO_CLOSE = -1;
    if (apply) {
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    } else {
        /* The tree's parent, resolved here as the caller (a path the runtime chose); the tree never followed. */
        char parent[PATH_MAX];
        const char *slash = strrchr(dir, '/');
        if (slash == NULL || slash[1] == '\0' || (size_t)(slash - dir) >= sizeof parent) {
            fprintf(stderr, "sandbox-init: --remove-tree needs an absolute path to a directory: %s\n", dir);
            return 2;
        }
        memcpy(parent, dir, (size_t)(slash - dir));
        parent[slash - dir] = '\0';
        name = slash + 1;
        fd = open(parent[0] ? parent : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
    if (fd < 0) return report(&(struct failure){ .err = errno, .step = "open the directory" });
    int up[2], down[2];
    if (pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0) {
        return report(&(struct failure){ .err = errno, .step = "pipe" });
    }
    pid_t child = fork();
    if (child < 0) return report(&(struct failure){ .err = errno, .step = "fork" });
    if (child == 0) {
        close(up[0]);
        close(down[1]);
        child_main(apply, fd, name, up[1], down[0]);
    }
    close(up[1]);
    close(down[0]);
    char ready;
    int ok = read(up[0], &ready, 1) == 1;
    if (ok && (run_map(argv + 3, sep - 3, child, &f) < 0 || run_map(argv + sep + 1, argc - sep - 1, child, &f) < 0)) {
        report(&f);
        ok = 0;
    }
    if (ok && write(down[1], "g", 1) != 1) ok = 0;
    close(down[1]); /* without the go byte the child exits */
    int status;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) return report(&(struct failure){ .err = errno, .step = "wait for the child" });
    }
    if (!ok) return 1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
