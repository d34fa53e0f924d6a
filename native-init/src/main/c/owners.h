/*
 * Image layer owners, rootless: `sandbox-init --apply-owners DIR UIDMAP... -- GIDMAP...` gives the files of an
 * extracted layer their owners from the image, and `sandbox-init --remove-tree DIR UIDMAP... -- GIDMAP...` removes
 * such a layer again. Both work from a child in a new user namespace whose id maps the parent writes with the given
 * newuidmap/newgidmap commands (argv, the child's pid inserted as argv[1]), so the layer's ids are the caller's
 * subordinate ids on the host. Neither ever follows a symbolic link or leaves DIR.
 */
#ifndef SANDBOX_OWNERS_H
#define SANDBOX_OWNERS_H

#include <stddef.h>
#include <sys/types.h>

#include "util.h"

/* One line of the manifest on stdin, NUL-terminated: "UID GID MODE PATH" (decimal ids, octal mode). */
struct owner_record {
    uid_t uid;
    gid_t gid;
    mode_t mode;
    const char *path; /* relative to DIR, points into the parsed text */
};

/* Parses one record (without its NUL); refuses malformed numbers and paths that could leave DIR. */
int owners_parse(const char *text, struct owner_record *r, struct failure *f);

/*
 * Gives one entry beneath rootfd its owner, then its mode again (chown clears setuid and setgid): the parent is
 * opened with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, the entry itself never followed (a link gets the owner).
 */
int owners_apply_one(int rootfd, const struct owner_record *r, struct failure *f);

/* Applies every NUL-terminated record read from in_fd until its end. */
int owners_apply_stream(int rootfd, int in_fd, struct failure *f);

/* Removes parentfd/name and everything beneath it, never following a link. A missing name is not an error. */
int owners_remove_tree(int parentfd, const char *name, struct failure *f);

/* The --apply-owners and --remove-tree modes: argv as given to main. Returns the exit status. */
int owners_main(int argc, char **argv);

#endif
