/* A tiny test harness: CHECK records a failed condition, RUN runs one test and counts it passed or failed. */
#ifndef SANDBOX_TEST_CHECK_H
#define SANDBOX_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

static int checks_failed_in_test;

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                                   \
            checks_failed_in_test++;                                                                                   \
        }                                                                                                              \
    } while (0)

/* A named test of a suite run by run_tests. */
struct named_test {
    const char *name;
    void (*fn)(void);
};

/* Runs each test, prints "FAILED name" for each failed one and "SUITE: N passed, M failed"; 1 if any failed. */
static inline int run_tests(const char *suite, const struct named_test *tests, size_t n) {
    int passed = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        checks_failed_in_test = 0;
        tests[i].fn();
        if (checks_failed_in_test) {
            fprintf(stderr, "FAILED %s\n", tests[i].name);
            failed++;
        } else {
            passed++;
        }
    }
    printf("%s: %d passed, %d failed\n", suite, passed, failed);
    return failed ? 1 : 0;
}

/*
 * A message whose bytes past m->len are poisoned under AddressSanitizer, so a parser that reads beyond the
 * received length is caught although the buffer itself is bigger. msg_seal poisons, msg_unseal before reuse.
 */
static inline void msg_seal(struct msg *m) {
    ASAN_UNPOISON_MEMORY_REGION(m->buf, sizeof m->buf);
    ASAN_POISON_MEMORY_REGION(m->buf + m->len, sizeof m->buf - m->len);
}

static inline void msg_unseal(struct msg *m) {
    ASAN_UNPOISON_MEMORY_REGION(m->buf, sizeof m->buf);
}

#endif
