/*
 * Unit tests of the helpers the seccomp notification handlers share (notifcall.c), on this process itself: the
 * status parser (whose numbers decide whose credentials a connect runs with), paths, raw syscalls that leave errno
 * alone, reading memory and taking descriptors. Prints one line per failed check and finally "N passed, M failed".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "notifcall.h"

static const char STATUS[] = "Name:\tpython3\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nPid:\t4243\n"
                             "Uid:\t1000\t1001\t1002\t1003\nGid:\t20\t21\t22\t23\nGroups:\t20 27 44 \n"
                             "CapEff:\t000001ffffffffff\nCapBnd:\t0000000000000000\n";

static void test_status_numbers(void) {
    uint64_t v[4] = { 0 };
    CHECK(notif_status_numbers(STATUS, "Uid", 10, v, 4) == 4);
    CHECK(v[0] == 1000 && v[1] == 1001 && v[2] == 1002 && v[3] == 1003);
    CHECK(notif_status_numbers(STATUS, "Gid", 10, v, 4) == 4 && v[1] == 21 && v[3] == 23);
    CHECK(notif_status_numbers(STATUS, "Groups", 10, v, 4) == 3 && v[0] == 20 && v[1] == 27 && v[2] == 44);
    CHECK(notif_status_numbers(STATUS, "CapEff", 16, v, 1) == 1 && v[0] == 0x1ffffffffffULL);
    CHECK(notif_status_numbers(STATUS, "Tgid", 10, v, 1) == 1 && v[0] == 4242);
}

static void test_status_numbers_refuse_what_does_not_fit(void) {
    uint64_t v[4];
    CHECK(notif_status_numbers(STATUS, "Groups", 10, v, 2) == -1);  /* more groups than room: refused, not cut */
    CHECK(notif_status_numbers(STATUS, "Seccomp", 10, v, 1) == -1); /* missing */
    CHECK(notif_status_numbers(STATUS, "Name", 10, v, 1) == -1);    /* first line: no newline before it */
    CHECK(notif_status_numbers(STATUS, "Ui", 10, v, 4) == -1);      /* a name is matched whole */
    CHECK(notif_status_numbers("x\nGroups:\t\nCapEff:\t0\n", "Groups", 10, v, 4) == 0);
}

static void test_proc_path(void) {
    char buf[48];
    notif_proc_path(buf, 1234, "status");
    CHECK(strcmp(buf, "/proc/1234/status") == 0);
    notif_proc_path(buf, 0, "cwd");
    CHECK(strcmp(buf, "/proc/0/cwd") == 0);
    notif_proc_path(buf, 4194304, "root");
    CHECK(strcmp(buf, "/proc/4194304/root") == 0);
}

static void test_raw_syscall_leaves_errno(void) {
    errno = 12345;
    CHECK(notif_sys(SYS_close, -1, 0, 0, 0, 0, 0) == -EBADF);
    CHECK(notif_sys(SYS_getpid, 0, 0, 0, 0, 0, 0) == getpid());
    CHECK(errno == 12345);
}

static void test_own_status_and_thread_group(void) {
    char buf[4096];
    CHECK(notif_status(getpid(), buf, sizeof buf) > 0);
    uint64_t uid[4];
    CHECK(notif_status_numbers(buf, "Uid", 10, uid, 4) == 4 && uid[1] == geteuid());
    CHECK(notif_thread_group((pid_t)syscall(SYS_gettid)) == getpid());
    CHECK(notif_thread_group(-1) == -1);
}

static void test_memory_and_descriptors_of_a_process(void) {
    char secret[] = "caller's address", copy[sizeof secret] = { 0 };
    CHECK(notif_read_memory(getpid(), (uint64_t)(uintptr_t)secret, copy, sizeof secret) == 0);
    CHECK(memcmp(secret, copy, sizeof secret) == 0);
    CHECK(notif_read_memory(getpid(), 8, copy, sizeof copy) == -1); /* unmapped: refused, nothing partial */
    pid_t tgid = 0;
    int pidfd = notif_pidfd(getpid(), &tgid);
    CHECK(pidfd >= 0 && tgid == getpid());
    int fd = open("/", O_PATH | O_CLOEXEC), taken = notif_getfd(pidfd, fd);
    struct stat a, b;
    CHECK(taken >= 0 && taken != fd && fstat(fd, &a) == 0 && fstat(taken, &b) == 0 && a.st_ino == b.st_ino);
    CHECK(notif_getfd(pidfd, -1) == -EBADF && notif_getfd(-1, fd) == -EBADF);
    CHECK(notif_getfd(pidfd, 1000000) == -EBADF);   /* not open in the caller: what the kernel says */
    CHECK(notif_pidfd(0x7ffffff0, NULL) == -ESRCH); /* no such thread */
    close(taken);
    close(fd);
    close(pidfd);
}

static void test_is_call(void) {
    struct seccomp_notif req;
    memset(&req, 0, sizeof req);
#ifdef NATIVE_ARCH
    req.data.arch = NATIVE_ARCH;
    req.data.nr = SYS_connect;
    CHECK(notif_is_call(&req, SYS_connect, NOTIF_COMPAT(362, 283)));
    CHECK(!notif_is_call(&req, SYS_bind, NOTIF_COMPAT(361, 282)));
    req.data.nr = NOTIF_COMPAT(362, 283);
    CHECK(!notif_is_call(&req, SYS_connect, NOTIF_COMPAT(362, 283))); /* the compat number in the native ABI */
#endif
}

int main(void) {
    static const struct named_test tests[] = {
        { "status_numbers", test_status_numbers },
        { "status_numbers_refuse_what_does_not_fit", test_status_numbers_refuse_what_does_not_fit },
        { "proc_path", test_proc_path },
        { "raw_syscall_leaves_errno", test_raw_syscall_leaves_errno },
        { "own_status_and_thread_group", test_own_status_and_thread_group },
        { "memory_and_descriptors_of_a_process", test_memory_and_descriptors_of_a_process },
        { "is_call", test_is_call },
    };
    return run_tests("notifcall", tests, sizeof tests / sizeof tests[0]);
}
