/* Sandbox set-up done by the new init inside its namespaces, before it reports ready. */
#ifndef SANDBOX_SETUP_H
#define SANDBOX_SETUP_H

#include <stdint.h>
#include <sys/types.h>

#include "msg.h"
#include "util.h"

/*
 * Applies the K_CREATE description: hostname, loopback, mounts, pivot_root. With F_HOOK_PAUSE it pauses before
 * pivot_root for the lifecycle hooks, talking to Java on `control` (see hooks.h).
 */
int sandbox_setup(const struct msg *create, int control, struct failure *f);

/* The fuse-overlayfs daemon serving the root (ROOT_MODE_FUSE), else 0: signals to the whole sandbox spare it. */
extern pid_t sandbox_fuse_daemon;

/* How the image root was assembled (F_ROOT_OVERLAY), for K_READY's F_ROOT_FELL_BACK and K_SETUP_FAILED's F_ROOT_FAILED. */
struct root_outcome {
    int fell_back;   /* F_ROOT_MODE's mode was refused: `used` assembled the root instead */
    uint32_t used;   /* ROOT_MODE_* */
    int first_errno; /* of the first refusal */
    int last_errno;  /* of the last refusal (F_ROOT_LAST_ERRNO) */
    int failed;      /* ROOT_MODE_* whose failure ended the start, else -1 */
    char why[768];   /* the refusals, "MODE refused: STEP: ERROR" joined by "; " */
};
extern struct root_outcome sandbox_root_outcome;
/* ROOT_MODE_* as the property sandboxed.image.rootfs spells them. */
extern const char *const sandbox_root_mode_names[3];

/* F_ROOT_OVERLAY's image root on STAGING, as sandbox_setup assembles it (for --probe-root, in namespaces of its own). */
int sandbox_stage_image_root(const struct msg *create, struct failure *f);

/*
 * With F_NET_ADDRESS: eth0, which the server made in our namespace meanwhile, gets the address and comes up. After
 * sandbox_setup, so the server's veth creation runs while the init mounts.
 */
int sandbox_network_up(const struct msg *create, struct failure *f);

/* eth0 (made by the server in our namespace, down) without IPv6 link-local, up, with IPv4 `addr` (network order). */
int eth0_up(uint32_t addr, uint8_t prefix, struct failure *f);

/* lo up, as F_LOOPBACK_UP asks (a network slot's placeholder does it too). */
int loopback_up(struct failure *f);

/* A new cgroup namespace when asked for; only once the init is in its cgroups, so they are its root. */
int sandbox_enter_cgroup_namespace(const struct msg *create, struct failure *f);

/*
 * The last set-up step: detaches the old root that pivot_root left stacked on the new one. Split from
 * sandbox_setup because the detach waits for an RCU grace period: the init reports ready first and does
 * this before it reads any request, so Java's next request is prepared meanwhile and nothing can run in
 * the sandbox before the old root is gone.
 */
int sandbox_detach_old_root(struct failure *f);

#endif
