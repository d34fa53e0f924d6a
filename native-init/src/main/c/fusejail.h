/* Confinement of the fuse-overlayfs daemon that serves an image root (ROOT_MODE_FUSE). */
#ifndef SANDBOX_FUSEJAIL_H
#define SANDBOX_FUSEJAIL_H

/*
 * In the daemon's child, right before it execs fuse-overlayfs: no_new_privs, only the capabilities fuse-overlayfs uses
 * (FUSE_DAEMON_CAPS) in every set and the bounding set, and a seccomp filter refusing what a file system daemon never
 * needs (FUSE_DAEMON_DENIED). 0, or -1 with errno.
 */
int fuse_daemon_confine(void);

#endif
