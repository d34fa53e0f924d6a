/* PID 1 of a sandbox: starts processes on request, reaps, forwards signals, reports exits. */
#ifndef SANDBOX_INIT_H
#define SANDBOX_INIT_H

/* Runs until the main process exits, Java asks for shutdown, or Java goes away. Never returns. */
void init_loop(int control) __attribute__((noreturn));

#endif
