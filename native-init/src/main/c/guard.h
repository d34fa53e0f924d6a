/*
 * `sandbox-init --guard PROGRAM ARGS...`: runs PROGRAM (a user-mode network tool such as pasta or slirp4netns) so
 * that it cannot outlive the JVM. The JVM holds the write end of a pipe whose read end is this process's fd 3; when
 * that end reports hang-up (the JVM closed it, or died, even by kill -9) the guard kills PROGRAM, reaps it and
 * exits. Descriptors 4 and 5, if open, are passed on to PROGRAM (the namespaces it joins). PROGRAM also has a parent-death signal tied to the guard, which is single-threaded, so killing the guard
 * kills it too. Exits with PROGRAM's status when PROGRAM ends first (126/127 when it could not be run).
 */
#ifndef SANDBOX_GUARD_H
#define SANDBOX_GUARD_H

/* The --guard mode: argv as given to main. Returns the exit status. */
int guard_main(int argc, char **argv);

#endif
