/* Sandbox set-up done by the new init inside its namespaces, before it reports ready. */
#ifndef SANDBOX_SETUP_H
#define SANDBOX_SETUP_H

#include "msg.h"
#include "util.h"

/* Applies the K_CREATE description: cgroup namespace, hostname, loopback, mounts, pivot_root. */
int sandbox_setup(const struct msg *create, struct failure *f);

#endif
