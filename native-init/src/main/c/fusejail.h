/* Confinement of the fuse-overlayfs daemon that serves an image root (ROOT_MODE_FUSE). */
#ifndef SANDBOX_FUSEJAIL_H
#define SANDBOX_FUSEJAIL_H

/*
 * In the daemon's child, right before it execs fuse-overlayfs: no_new_privs, only the capabilities fuse-overlayfs uses
 * (FUSE_DAEMON_CAPS) in every set and the bounding set, and a seccomp filter refusing what a file system daemon never
 * needs (FUSE_DAEMON_DENIED). 0, or -1 with errno.
 */
int fuse_daemon_confine(void);

/*
 * In the daemon's child, before fuse_daemon_confine: a mount namespace of its own whose root, a tmpfs mounted on the
 * empty directory `jail` and read-only once filled, holds only what it serves, at the same paths: the directory
 * `writable` (the writable layer's upper and work directories, which must share a mount) and `layers` (read-only, with
 * their submounts), then /usr, the root's lib and bin entries and /etc/ld.so.cache
 * read-only for the loader, the helper when it lives outside /usr, and a read-only /proc, masked as the sandbox's. Nothing else of the host
 * (its /home, /etc, /tmp, /dev, /sys) is reachable from it, nor through /proc/PID/root. `exe` (PATH_MAX bytes)
 * receives the helper's real path, to exec; 0, or -1 with errno and the step that failed in *step.
 */
int fuse_daemon_enter_root(const char *jail, const char *writable, const char *layers, const char *helper, char *exe,
                           const char **step);

#endif
