#ifndef SANDBOX_KEEPER_H
#define SANDBOX_KEEPER_H

#include <stdint.h>

#include "msg.h"

/*
 * A kept sandbox's keeper (K_KEEP `request`, whose descriptors are the init's control socket, the entry's keeper lock
 * and output pipes): holds the socket, the lock and a shared lock on F_IMAGE_LOCK, relays the `sandboxed
 * exec/kill/rm` of its user on @sandboxed-ops/UID/PID with the request's profile enforced, drains the pipes (and
 * those K_KEEP_DRAINS adds) once the JVM (`jvm`, a pidfd) is gone, shuts the sandbox down at `until` (seconds since
 * the epoch, 0: never) and exits when the init hangs up. `report` gets one struct failure: err 0 once the locks and
 * the socket are held.
 */
_Noreturn void keeper_main(const struct msg *request, int jvm, uint64_t until, int report);

#endif
