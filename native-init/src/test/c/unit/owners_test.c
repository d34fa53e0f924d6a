/*
 * Unit tests of the layer owner applier and tree remover (owners.c) on a temporary directory: hostile manifest
 * paths are refused, links are never followed, modes survive chown. Owners other than the caller's are tried only
 * as root. Prints one line per failed check and finally "N passed, M failed".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "owners.h"

static char top[] = "/tmp/owners-test-XXXXXX";
static char layer[64], outside[64];
static int layerfd;

static void put(const char *dir, const char *name, const char *text, mode_t mode) {
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    CHECK(chmod(p, mode) == 0);
}

static mode_t mode_of(const char *dir, const char *name) {
    char p[256];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    CHECK(lstat(p, &st) == 0);
    return st.st_mode & 07777;
}

static int apply(const char *text, struct failure *f) {
    struct owner_record r;
    if (owners_parse(text, &r, f) < 0) return -1;
    return owners_apply_one(layerfd, &r, f);
}

static void test_parse_accepts_a_record(void) {
    struct owner_record r;
    struct failure f = { 0 };
    CHECK(owners_parse("999 50 4755 usr/bin/su", &r, &f) == 0);
    CHECK(r.uid == 999 && r.gid == 50 && r.mode == 04755 && strcmp(r.path, "usr/bin/su") == 0);
    CHECK(owners_parse("0 0 0 a b c", &r, &f) == 0 && strcmp(r.path, "a b c") == 0);
}

static void test_parse_refuses_bad_records(void) {
    const char *bad[] = { "999 999 644 ../etc/passwd",
                          "999 999 644 /etc/passwd",
                          "999 999 644 a/../../b",
                          "999 999 644 a//b",
                          "999 999 644 ./a",
                          "999 999 644 a/.",
                          "999 999 644 a/",
                          "999 999 644 ",
                          "999 999 644",
                          "x 999 644 a",
                          "999 -1 644 a",
                          "999 999 17777 a",
                          "999 999 9 a",
                          "4294967295 0 644 a",
                          "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct owner_record r;
        struct failure f = { 0 };
        if (owners_parse(bad[i], &r, &f) == 0) fprintf(stderr, "accepted: '%s'\n", bad[i]);
        CHECK(f.err == EINVAL);
    }
}

static void test_owner_and_mode_are_applied(void) {
    char rec[128];
    struct failure f = { 0 };
    put(layer, "data/file", "x", 0644);
    CHECK(chmod(layer, 0755) == 0);
    /* chown clears setuid and setgid: the applier sets the mode again */
    snprintf(rec, sizeof rec, "%u %u 6755 data/file", getuid(), getgid());
    CHECK(apply(rec, &f) == 0);
    CHECK(mode_of(layer, "data/file") == 06755);
    if (geteuid() == 0) {
        CHECK(apply("999 998 4750 data/file", &f) == 0);
        struct stat st;
        CHECK(fstatat(layerfd, "data/file", &st, AT_SYMLINK_NOFOLLOW) == 0);
        CHECK(st.st_uid == 999 && st.st_gid == 998 && (st.st_mode & 07777) == 04750);
        CHECK(apply("999 999 700 data", &f) == 0);
        CHECK(fstatat(layerfd, "data", &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_uid == 999 &&
              (st.st_mode & 0777) == 0700);
    }
}

static void test_a_link_gets_the_owner_never_its_target(void) {
    char rec[128];
    struct failure f = { 0 };
    put(outside, "secret", "s", 0600);
    char target[128];
    snprintf(target, sizeof target, "%s/secret", outside);
    CHECK(symlinkat(target, layerfd, "link") == 0);
    snprintf(rec, sizeof rec, "%u %u 777 link", getuid(), getgid());
    CHECK(apply(rec, &f) == 0);
    CHECK(mode_of(outside, "secret") == 0600);
    if (geteuid() == 0) {
        CHECK(apply("999 999 777 link", &f) == 0);
        struct stat st;
        CHECK(fstatat(layerfd, "link", &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_uid == 999);
        CHECK(stat(target, &st) == 0 && st.st_uid == 0 && (st.st_mode & 07777) == 0600);
    }
}

static void test_no_parent_is_followed_through_a_link(void) {
    char rec[128];
    struct failure f = { 0 };
    CHECK(symlinkat(outside, layerfd, "out") == 0);
    snprintf(rec, sizeof rec, "%u %u 777 out/secret", getuid(), getgid());
    CHECK(apply(rec, &f) < 0 && f.err == ELOOP);
    CHECK(mode_of(outside, "secret") == 0600);
    CHECK(symlinkat("..", layerfd, "up") == 0);
    snprintf(rec, sizeof rec, "%u %u 777 up/x", getuid(), getgid());
    CHECK(apply(rec, &f) < 0 && f.err == ELOOP);
    snprintf(rec, sizeof rec, "%u %u 777 missing/x", getuid(), getgid());
    CHECK(apply(rec, &f) < 0 && f.err == ENOENT);
}

static void test_stream_of_records(void) {
    int p[2];
    struct failure f = { 0 };
    char recs[256];
    int n = snprintf(recs, sizeof recs, "%u %u 600 data/file%c%u %u 711 data%c", getuid(), getgid(), 0, getuid(),
                     getgid(), 0);
    CHECK(pipe(p) == 0 && write(p[1], recs, (size_t)n) == n);
    close(p[1]);
    CHECK(owners_apply_stream(layerfd, p[0], &f) == 0);
    close(p[0]);
    CHECK(mode_of(layer, "data/file") == 0600 && mode_of(layer, "data") == 0711);
    CHECK(chmod(layer, 0755) == 0 && fchmodat(layerfd, "data", 0755, 0) == 0);

    CHECK(pipe(p) == 0 && write(p[1], "0 0 644 data/file", 17) == 17); /* no NUL at the end */
    close(p[1]);
    CHECK(owners_apply_stream(layerfd, p[0], &f) < 0 && f.err == EINVAL);
    close(p[0]);
    CHECK(pipe(p) == 0 && write(p[1], "0 0 644 ../x\0", 13) == 13);
    close(p[1]);
    CHECK(owners_apply_stream(layerfd, p[0], &f) < 0 && f.err == EINVAL);
    close(p[0]);
}

static void test_remove_tree_never_follows_links(void) {
    struct failure f = { 0 };
    CHECK(mkdirat(layerfd, "data/deep", 0755) == 0 && mkdirat(layerfd, "data/deep/er", 0755) == 0);
    put(layer, "data/deep/er/f", "x", 0);
    if (geteuid() == 0) {
        CHECK(fchmodat(layerfd, "data/deep", 0500, 0) == 0); /* read-only: root still removes it */
    }
    int top_fd = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC);
    CHECK(owners_remove_tree(top_fd, "layer/x", &f) < 0 && f.err == EINVAL);
    CHECK(owners_remove_tree(top_fd, "..", &f) < 0 && f.err == EINVAL);
    CHECK(owners_remove_tree(top_fd, "layer", &f) == 0);
    CHECK(faccessat(top_fd, "layer", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
    CHECK(mode_of(outside, "secret") == 0600);           /* out -> outside was removed as a link, not descended */
    CHECK(owners_remove_tree(top_fd, "layer", &f) == 0); /* gone already: nothing to do */
    CHECK(owners_remove_tree(top_fd, "outside", &f) == 0);
    close(top_fd);
}

int main(void) {
    CHECK(mkdtemp(top) != NULL);
    snprintf(layer, sizeof layer, "%s/layer", top);
    snprintf(outside, sizeof outside, "%s/outside", top);
    CHECK(mkdir(layer, 0755) == 0 && mkdir(outside, 0755) == 0);
    CHECK(mkdirat(AT_FDCWD, layer, 0755) < 0); /* exists */
    char data[80];
    snprintf(data, sizeof data, "%s/data", layer);
    CHECK(mkdir(data, 0755) == 0);
    layerfd = open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    static const struct named_test tests[] = {
        { "parse_accepts_a_record", test_parse_accepts_a_record },
        { "parse_refuses_bad_records", test_parse_refuses_bad_records },
        { "owner_and_mode_are_applied", test_owner_and_mode_are_applied },
        { "a_link_gets_the_owner_never_its_target", test_a_link_gets_the_owner_never_its_target },
        { "no_parent_is_followed_through_a_link", test_no_parent_is_followed_through_a_link },
        { "stream_of_records", test_stream_of_records },
        { "remove_tree_never_follows_links", test_remove_tree_never_follows_links },
    };
    int failed = run_tests("owners", tests, sizeof tests / sizeof tests[0]);
    close(layerfd);
    rmdir(top);
    return failed;
}
