#ifndef SANDBOX_KEEPER_H
#define SANDBOX_KEEPER_H

#include <stdint.h>

/*
 * A kept sandbox's keeper (K_KEEP): holds the init's control socket and the entry's keeper lock, relays the
 * `sandboxed exec/kill/rm` of its user on @sandboxed-ops/UID/PID, drains `drains` once the JVM (`jvm`, a pidfd) is
 * gone, shuts the sandbox down at `until` (seconds since the epoch, 0: never) and exits when the init hangs up.
 * `report` gets one struct failure: err 0 once the lock and the socket are held.
 */
_Noreturn void keeper_main(int init_sock, int lock_fd, int jvm, const int *drains, int ndrains, uint64_t until,
                           int report);

#endif
