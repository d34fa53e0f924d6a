#define _GNU_SOURCE
#include "rootcopy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Two descriptors per level: deeper trees than this fail instead of running out of descriptors. */
#define MAX_DEPTH 200

static int remove_at(int dir, const char *name, int depth, struct failure *f);

/*
 * Each entry of `fd`; `fn` gets the entry's name. The stream is a duplicate, so `fd` stays usable. Returns -2 when `fn`
 * failed (it recorded why), -1 with errno when reading the directory did.
 */
static int for_each_entry(int fd, int (*fn)(int, const char *, void *), void *arg) {
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) {
        return -1;
    }
    DIR *d = fdopendir(copy);
    if (d == NULL) {
        close(copy);
        return -1;
    }
    rewinddir(d); /* the duplicate shares the offset, which an earlier pass left at the end */
    int rc = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        if (fn(fd, e->d_name, arg) < 0) {
            rc = -2;
            break;
        }
        errno = 0;
    }
    if (rc == 0 && errno != 0) {
        rc = -1;
    }
    int saved = errno;
    closedir(d);
    errno = saved;
    return rc;
}

struct walk {
    int depth;
    int link;
    int dst;     /* copy_entry's destination directory, beside the source that is walked */
    int removed; /* remove_entry's count in this pass */
    struct failure *f;
};

static int remove_entry(int dir, const char *name, void *arg) {
    struct walk *w = arg;
    if (remove_at(dir, name, w->depth, w->f) < 0) return -1;
    w->removed++;
    return 0;
}

static int remove_at(int dir, const char *name, int depth, struct failure *f) {
    if (unlinkat(dir, name, 0) == 0 || errno == ENOENT) {
        return 0;
    }
    if (errno != EISDIR) {
        return fail(f, errno, "copy image layers: remove %s", name);
    }
    if (depth > MAX_DEPTH) {
        return fail(f, ELOOP, "copy image layers: more than %d directories deep at %s", MAX_DEPTH, name);
    }
    int sub AUTO_CLOSE = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    /* Removing entries while reading may hide others from readdir: read again until a pass finds nothing. */
    for (;;) {
        struct walk w = { .depth = depth + 1, .f = f };
        int rc = sub < 0 ? -1 : for_each_entry(sub, remove_entry, &w);
        if (rc < 0) {
            return rc == -2 ? -1 : fail(f, errno, "copy image layers: empty %s", name);
        }
        if (unlinkat(dir, name, AT_REMOVEDIR) == 0) {
            return 0;
        }
        if (errno != ENOTEMPTY || w.removed == 0) {
            return fail(f, errno, "copy image layers: remove directory %s", name);
        }
    }
}

/* Owner (ids the namespace does not map stay the creator's), mode and times of `st` on dst/name. */
static int set_meta(int dst, const char *name, const struct stat *st, struct failure *f) {
    if (fchownat(dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EINVAL && errno != EPERM) {
        return fail(f, errno, "copy image layers: chown %s", name);
    }
    if (!S_ISLNK(st->st_mode) && fchmodat(dst, name, st->st_mode & 07777, 0) < 0) {
        return fail(f, errno, "copy image layers: chmod %s", name);
    }
    struct timespec times[2] = { st->st_atim, st->st_mtim };
    if (utimensat(dst, name, times, AT_SYMLINK_NOFOLLOW) < 0) {
        return fail(f, errno, "copy image layers: set the times of %s", name);
    }
    return 0;
}

static int copy_bytes(int in, int out, off_t size) {
    while (size > 0) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)size, 0);
        if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
            break; /* not between these file systems: plain reads and writes below */
        }
        if (n <= 0) {
            return (int)n; /* an error, or the file shrank */
        }
        size -= n;
    }
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0) {
                return -1;
            }
            done += w;
        }
    }
    return (int)n;
}

static int copy_file(int src, int dst, const char *name, const struct stat *st, int link, struct failure *f) {
    if (link && linkat(src, name, dst, name, 0) == 0) {
        return 0;
    }
    int in AUTO_CLOSE = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0) {
        return fail(f, errno, "copy image layers: open %s", name);
    }
    int out AUTO_CLOSE = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0 || copy_bytes(in, out, st->st_size) < 0) {
        return fail(f, errno, "copy image layers: copy %s", name);
    }
    return set_meta(dst, name, st, f);
}

static int copy_tree(int src, int dst, int depth, int link, struct failure *f);

static int copy_entry(int src, const char *name, void *arg) {
    struct walk *w = arg;
    struct failure *f = w->f;
    int dst = w->dst;
    struct stat st;
    if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        return fail(f, errno, "copy image layers: stat %s", name);
    }
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
        return remove_at(dst, name, w->depth, f); /* a whiteout */
    }
    struct stat existing;
    int exists = fstatat(dst, name, &existing, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && !(S_ISDIR(st.st_mode) && S_ISDIR(existing.st_mode))) {
        if (remove_at(dst, name, w->depth, f) < 0) {
            return -1;
        }
        exists = 0;
    }
    if (S_ISDIR(st.st_mode)) {
        if (!exists && mkdirat(dst, name, 0700) < 0) {
            return fail(f, errno, "copy image layers: mkdir %s", name);
        }
        int from AUTO_CLOSE = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int to AUTO_CLOSE = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (from < 0 || to < 0) {
            return fail(f, errno, "copy image layers: open directory %s", name);
        }
        char opaque = 0;
        if (exists && fgetxattr(from, "user.overlay.opaque", &opaque, 1) == 1 && opaque == 'y') {
            struct walk empty = { .depth = w->depth + 1, .f = f };
            int rc = for_each_entry(to, remove_entry, &empty);
            if (rc < 0) {
                return rc == -2 ? -1 : fail(f, errno, "copy image layers: empty opaque directory %s", name);
            }
        }
        if (copy_tree(from, to, w->depth + 1, w->link, f) < 0) {
            return -1;
        }
        return set_meta(dst, name, &st, f);
    }
    if (S_ISREG(st.st_mode)) {
        return copy_file(src, dst, name, &st, w->link, f);
    }
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(src, name, target, sizeof target - 1);
        if (n < 0) {
            return fail(f, errno, "copy image layers: read link %s", name);
        }
        target[n] = '\0';
        if (symlinkat(target, dst, name) < 0) {
            return fail(f, errno, "copy image layers: symlink %s", name);
        }
        return set_meta(dst, name, &st, f);
    }
    if (mknodat(dst, name, st.st_mode & (S_IFMT | 0777), st.st_rdev) < 0) {
        if (errno == EPERM && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) {
            return 0; /* devices cannot be made in a user namespace; the sandbox's /dev has its own */
        }
        return fail(f, errno, "copy image layers: mknod %s", name);
    }
    return set_meta(dst, name, &st, f);
}

static int copy_tree(int src, int dst, int depth, int link, struct failure *f) {
    if (depth > MAX_DEPTH) {
        return fail(f, ELOOP, "copy image layers: more than %d directories deep", MAX_DEPTH);
    }
    struct walk w = { .depth = depth, .link = link, .dst = dst, .f = f };
    int rc = for_each_entry(src, copy_entry, &w);
    if (rc < 0) {
        return rc == -2 ? -1 : fail(f, errno, "copy image layers: read a directory");
    }
    return 0;
}

int copy_layers(const int *layers, int count, int dst, int link, struct failure *f) {
    for (int i = count - 1; i >= 0; i--) {
        int dir AUTO_CLOSE = openat(layers[i], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0) {
            return fail(f, errno, "copy image layers: open layer %d", i);
        }
        if (copy_tree(dir, dst, 0, link, f) < 0) {
            return -1;
        }
    }
    return 0;
}
