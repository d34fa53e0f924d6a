/* The per-JVM server: a single-threaded process that creates sandboxes on request. */
#ifndef SANDBOX_SERVER_H
#define SANDBOX_SERVER_H

/* Serves K_CREATE requests on `control` until the JVM closes it or dies. Returns the exit code. */
int server_loop(int control);

#endif
