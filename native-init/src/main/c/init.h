/* PID 1 of a sandbox: starts processes on request, reaps, forwards signals, reports exits. */
#ifndef SANDBOX_INIT_H
#define SANDBOX_INIT_H

#include "msg.h"

/*
 * Runs until the main process exits, Java asks for shutdown, or Java goes away. Never returns. `create` is the
 * K_CREATE request, for the set-up the init does itself before it reports ready (F_EXPOSE_PORT).
 */
void init_loop(int control, const struct msg *create) __attribute__((noreturn));

#endif
