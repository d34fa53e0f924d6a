/*
 * What the init's handlers of seccomp notifications share (bind in bypass.c, connect in sockcall.c): recognising the
 * call, reading the caller's memory and /proc entries, taking its descriptors, answering. They use raw syscalls
 * only (no errno, no stdio, no malloc), so a child that shares the init's memory (clone with CLONE_VM, sockcall.c)
 * may call them while the init runs on.
 */
#ifndef SANDBOX_NOTIFCALL_H
#define SANDBOX_NOTIFCALL_H

#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#if defined(__x86_64__)
#include <linux/audit.h>
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#include <linux/audit.h>
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

/* A call's number in the compat ABI the filter judges: i386's on x86_64, arm's on aarch64. */
#if defined(__x86_64__)
#define NOTIF_COMPAT(i386, arm) (i386)
#elif defined(__aarch64__)
#define NOTIF_COMPAT(i386, arm) (arm)
#else
#define NOTIF_COMPAT(i386, arm) (-1)
#endif

/*
 * A syscall without errno: its result, or -errno. glibc's syscall() sets errno, which lives in the thread's TLS: a
 * CLONE_VM child inherits the init's TLS pointer, so its errno would be the init's.
 */
long notif_sys(long nr, long a, long b, long c, long d, long e, long f);

/* The call `native` of the native ABI, or `compat` of the compat ABI (i386 on x86_64, arm on aarch64, never x32). */
int notif_is_call(const struct seccomp_notif *req, long native, int compat);

/* Answers notification `id` of `listener` with -errno `error`, or lets the kernel do the call (`cont`). */
void notif_answer(int listener, uint64_t id, int error, int cont);

/* Whether notification `id` still waits: then the thread it names is the caller, not a recycled id. */
int notif_valid(int listener, uint64_t id);

/* "/proc/ID/LEAF" into buf (at least 48 bytes); LEAF at most 24 characters. */
void notif_proc_path(char *buf, long id, const char *leaf);

/* /proc/TID/status into buf, NUL-terminated; its length, or -1. */
long notif_status(pid_t tid, char *buf, size_t size);

/*
 * Up to `max` numbers (base 10 or 16) after "\nNAME:" of a status text; how many, or -1 when the line is missing or
 * holds more than max.
 */
int notif_status_numbers(const char *status, const char *name, int base, uint64_t *out, int max);

/* The thread group of a thread (pidfd_open takes a process), from /proc/TID/status; -1 if unknown. */
pid_t notif_thread_group(pid_t tid);

/* A pidfd of the caller's process (its thread group, into *tgid unless NULL), or -errno (ESRCH: not found). */
int notif_pidfd(pid_t tid, pid_t *tgid);

/* Descriptor fd of the process behind pidfd, as a descriptor of ours (pidfd_getfd), or -errno (EBADF: not open). */
int notif_getfd(int pidfd, int fd);

/* Copies len bytes of the caller's memory at addr (process_vm_readv); 0, or -1 unless all of it could be read. */
int notif_read_memory(pid_t tid, uint64_t addr, void *buf, size_t len);

#endif
