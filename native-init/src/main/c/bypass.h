/*
 * Port bypass: a server in the sandbox that binds a published TCP port gets the host's listening socket in place of
 * its own, so host clients reach it over one loopback connection instead of two with the init splicing between.
 */
#ifndef SANDBOX_BYPASS_H
#define SANDBOX_BYPASS_H

#include <linux/seccomp.h>

/* A bind(2) of any ABI the filter judges (the policy's rule names the call, so every ABI's number notifies). */
int bypass_is_bind(const struct seccomp_notif *req);

/* Answers a bind(2) notification of `listener` (the filter had F_SECCOMP_BIND): bypassed, or let the kernel bind. */
void bypass_bind(int listener, const struct seccomp_notif *req);

#endif
