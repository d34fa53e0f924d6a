/*
 * Randomized test of the message and field parsers: random messages, and valid ones mutated (bytes flipped,
 * lengths changed, cut short), fed to every parser. Built with ASan and UBSan, with the bytes past the
 * message's length poisoned, so any read beyond what was received, or undefined behaviour, aborts the run.
 * Checks that parsers either succeed with values inside the field or fail with a step and an errno.
 *
 *   fuzz_test SEED|time [ITERATIONS [SECONDS]]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <time.h>

#include "check.h"
#include "parse.h"

static uint64_t rng_state;

static uint64_t next_random(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static uint32_t below(uint32_t n) {
    return (uint32_t)(next_random() % n);
}

static const uint32_t TAGS[] = {
    F_KIND,    F_STEP,        F_ERRNO,       F_PID,          F_CLONE_FLAGS, F_SETGROUPS,   F_UID_MAP,
    F_GID_MAP, F_UID_MAP_CMD, F_GID_MAP_CMD, F_CGROUP_PROCS, F_CGROUP_DIR,  F_JOIN,        F_MOUNT_OP,
    F_CAPS,    F_RLIMIT,      F_GROUPS,      F_DENIAL,       F_ARG,         F_ENV,         F_ARGV_MEMFD,
    F_PORT,    F_TRANSPORT,   F_REQUEST_ID,  F_EXPOSE_PORT,  F_NETWORK,     F_NET_ADDRESS, F_HOOK,
    99
};

/* A field of plausible length for its tag: exact, one off, or random. */
static uint32_t field_len(uint32_t tag) {
    uint32_t exact;
    switch (tag) {
    case F_CAPS: exact = CAPS_LEN; break;
    case F_RLIMIT: exact = RLIMIT_LEN; break;
    case F_DENIAL: exact = DENIAL_LEN; break;
    case F_CLONE_FLAGS: exact = 8; break;
    case F_PORT:
    case F_TRANSPORT:
    case F_REQUEST_ID:
    case F_EXPOSE_PORT: exact = 4; break;
    case F_NET_ADDRESS: exact = NET_ADDRESS_LEN; break;
    case F_MOUNT_OP: exact = MOUNT_OP_STRINGS + 4 + below(40); break;
    case F_HOOK: exact = HOOK_STRINGS + 2 + below(40); break;
    default: exact = 4 * below(6); break;
    }
    switch (below(4)) {
    case 0: return exact + 1;
    case 1: return exact > 0 ? exact - 1 : 0;
    case 2: return below(300);
    default: return exact;
    }
}

/* Random content biased towards NULs and small numbers, so strings and counts end in interesting places. */
static void fill(unsigned char *p, uint32_t len) {
    for (uint32_t i = 0; i < len; i++) {
        uint32_t r = below(8);
        p[i] = r < 3 ? 0 : r < 5 ? (unsigned char)('a' + below(26)) : (unsigned char)next_random();
    }
}

static void build_valid(struct msg *m) {
    msg_unseal(m);
    static const uint32_t KINDS[] = { K_CREATE, K_EXEC, K_PUBLISH, K_HOST_SOCKET, K_NETWORK_CREATE };
    msg_init(m, KINDS[below(5)]);
    int fields = (int)below(24);
    static unsigned char data[1024];
    for (int i = 0; i < fields; i++) {
        uint32_t tag = TAGS[below(sizeof TAGS / sizeof TAGS[0])];
        uint32_t len = field_len(tag);
        fill(data, len);
        if ((tag == F_MOUNT_OP || tag == F_HOOK) && len > 0 && below(2)) data[len - 1] = 0;
        if (tag == F_HOOK && len >= HOOK_STRINGS && below(2)) { /* a plausible header, so the strings get parsed */
            wire_put_u32(data + HOOK_STAGE, HOOK_STAGE_CREATE_CONTAINER + below(2));
            wire_put_u32(data + HOOK_TIMEOUT_MS, below(3));
            wire_put_u32(data + HOOK_ARGC, below(5));
            wire_put_u32(data + HOOK_ENVC, below(5));
            data[HOOK_STRINGS] = '/';
        }
        if (msg_put(m, tag, data, len) < 0) break;
    }
    m->nfds = (int)below(4);
    for (int i = 0; i < m->nfds; i++) m->fds[i] = 100 + i;
}

static void mutate(struct msg *m) {
    int n = (int)below(4);
    for (int i = 0; i < n && m->len > 0; i++) {
        size_t at = below((uint32_t)m->len);
        switch (below(4)) {
        case 0: m->buf[at] = (unsigned char)next_random(); break;
        case 1: /* a length word, if this lands on one: anything up to huge */
            if (at + 4 <= m->len) wire_put_u32(m->buf + at, (uint32_t)next_random() >> below(32));
            break;
        case 2: m->len = at; break; /* cut short */
        default: m->buf[at] ^= (unsigned char)(1u << below(8)); break;
        }
    }
}

static void random_bytes(struct msg *m) {
    msg_unseal(m);
    m->len = below(512);
    fill(m->buf, (uint32_t)m->len);
    m->nfds = (int)below(4);
}

static int inside(const struct field *fl, const char *s) {
    const char *begin = (const char *)fl->data;
    return s >= begin && s < begin + fl->len && memchr(s, '\0', (size_t)(begin + fl->len - s)) != NULL;
}

static void expect_failure_reported(int rc, const struct failure *f) {
    if (rc < 0) CHECK(f->err != 0 && f->step[0] != '\0');
}

/* The strings of a parsed K_EXEC: NULL-terminated tables, sized within what the fields could hold. */
static void check_exec_strings(int rc, const struct exec_strings *s, const struct failure *f, size_t bytes) {
    expect_failure_reported(rc, f);
    if (rc == 0) {
        CHECK(s->argc >= 1 && s->argc <= bytes / 8 && s->envc <= bytes / 8);
        CHECK(s->argv[s->argc] == NULL && s->envp[s->envc] == NULL);
        for (size_t i = 0; i < s->argc; i++) CHECK(s->argv[i] != NULL);
        for (size_t i = 0; i < s->envc; i++) CHECK(s->envp[i] != NULL);
    }
}

/*
 * The content of an argument memfd (F_ARGV_MEMFD): valid F_ARG and F_ENV fields, sometimes another tag, then
 * mutated like a message, in a heap buffer of exactly its length so a read past it aborts the run.
 */
static void exercise_argv_memfd(const struct msg *m) {
    static struct msg content;
    msg_unseal(&content);
    content.len = 0;
    int fields = (int)below(12);
    static unsigned char data[512];
    for (int i = 0; i < fields; i++) {
        uint32_t tag = below(16) == 0 ? TAGS[below(sizeof TAGS / sizeof TAGS[0])] : below(2) ? F_ARG : F_ENV;
        uint32_t len = below(4) == 0 ? below(sizeof data) : below(16);
        fill(data, len);
        if (msg_put(&content, tag, data, len) < 0) break;
    }
    if (below(2)) mutate(&content);
    unsigned char *exact = malloc(content.len > 0 ? content.len : 1);
    if (exact == NULL) return;
    memcpy(exact, content.buf, content.len);
    struct exec_strings s;
    struct failure f = { 0 };
    int rc = parse_exec_strings(m, exact, content.len, &s, &f);
    check_exec_strings(rc, &s, &f, m->len + content.len);
    exec_strings_free(&s);
    free(exact);
}

/* The port forwarding parsers: values in range or a reported failure, and descriptors only from the message. */
static void exercise_forwarding(const struct msg *m) {
    struct failure f = { 0 };
    struct publish_request p;
    int rc = parse_publish(m, &p, &f);
    expect_failure_reported(rc, &f);
    if (rc == 0) {
        CHECK(p.port >= 1 && p.port <= 65535 && p.fd == m->fds[0] && m->nfds == 1);
        CHECK(p.transport == TRANSPORT_TCP || p.transport == TRANSPORT_UDP);
    }
    struct failure g = { 0 };
    struct host_socket_answer a;
    rc = parse_host_socket(m, &a, &g);
    expect_failure_reported(rc, &g);
    if (rc == 0) CHECK(a.fd >= 0 ? a.fd == m->fds[0] : (a.err > 0 && a.err <= 4095));
    struct failure h = { 0 };
    uint16_t ports[FORWARD_MAX_MAPPINGS];
    int count = -1;
    int max = below(2) ? FORWARD_MAX_MAPPINGS : (int)below(3);
    rc = parse_expose_ports(m, ports, max, &count, &h);
    expect_failure_reported(rc, &h);
    if (rc == 0) {
        CHECK(count >= 0 && count <= max);
        for (int i = 0; i < count; i++) CHECK(ports[i] != 0);
    }
}

/* Every parser over one message. */
static void exercise(const struct msg *m) {
    size_t pos = 0, last = 0;
    struct field fl;
    while (msg_next(m, &pos, &fl)) {
        CHECK(pos > last && pos <= m->len);
        CHECK(fl.data + fl.len == m->buf + pos);
        last = pos;
        struct failure f = { 0 };
        char *s = field_strdup(&fl);
        CHECK(s != NULL && strlen(s) <= fl.len);
        free(s);
        (void)field_u32(&fl);
        (void)field_u64(&fl, below(16));
        int rc = 0;
        switch (fl.tag) {
        case F_MOUNT_OP: {
            struct mount_op op;
            rc = parse_mount_op(&fl, 0, &op, &f);
            if (rc == 0) {
                CHECK(inside(&fl, op.src) && inside(&fl, op.dst) && inside(&fl, op.fstype));
                CHECK(op.data == NULL || inside(&fl, op.data));
            }
            break;
        }
        case F_HOOK: {
            static struct hook h;
            rc = parse_hook(&fl, &h, &f);
            if (rc == 0) {
                CHECK(inside(&fl, h.path) && h.path[0] == '/' && h.timeout_ms > 0);
                int argc = 0;
                while (argc <= HOOK_MAX_ARGS && h.argv[argc] != NULL) CHECK(inside(&fl, h.argv[argc++]));
                CHECK(argc >= 1 && argc <= HOOK_MAX_ARGS);
                int envc = 0;
                while (envc <= HOOK_MAX_ENV && h.envp[envc] != NULL) CHECK(inside(&fl, h.envp[envc++]));
                CHECK(envc <= HOOK_MAX_ENV);
            }
            break;
        }
        case F_CAPS: {
            struct caps c;
            rc = parse_caps(&fl, &c, &f);
            CHECK((rc == 0) == (fl.len == CAPS_LEN));
            break;
        }
        case F_RLIMIT: {
            struct rlimit_setting r;
            rc = parse_rlimit(&fl, &r, &f);
            CHECK((rc == 0) == (fl.len == RLIMIT_LEN));
            break;
        }
        case F_GROUPS: {
            gid_t groups[64];
            int n = -1;
            rc = parse_groups(&fl, groups, 64, &n, &f);
            if (rc == 0) CHECK(n >= 0 && n <= 64 && (uint32_t)n * 4 == fl.len);
            break;
        }
        case F_NET_ADDRESS: {
            struct net_address a;
            rc = parse_net_address(&fl, &a, &f);
            if (rc == 0) CHECK(fl.len == NET_ADDRESS_LEN && a.prefix >= 8 && a.prefix <= 30);
            break;
        }
        case F_UID_MAP_CMD:
        case F_GID_MAP_CMD: {
            char pid[] = "1";
            char *args[64];
            rc = parse_map_command(&fl, pid, args, 64, &f);
            if (rc == 0) {
                int argc = 0;
                while (argc < 64 && args[argc] != NULL) argc++;
                CHECK(argc >= 2 && argc < 64 && args[1] == pid);
            }
            break;
        }
        default: break;
        }
        expect_failure_reported(rc, &f);
    }
    CHECK(pos <= m->len);
    struct failure f = { 0 };
    struct create_request req;
    int rc = parse_create_request(m, &req, &f);
    expect_failure_reported(rc, &f);
    if (rc == 0) CHECK(req.sock == m->fds[0] && req.msg == m);
    struct network_request net;
    struct failure n = { 0 };
    rc = parse_network_request(m, &net, &n);
    expect_failure_reported(rc, &n);
    if (rc == 0) CHECK(m->nfds == 0 && field_present(&net.uid_map) && field_present(&net.gid_map));
    uint32_t slot_address[2] = { 0, 0 };
    struct failure s2 = { 0 };
    rc = parse_slot_request(m, &net, slot_address, &s2);
    expect_failure_reported(rc, &s2);
    if (rc == 0) CHECK(m->nfds == 0 && slot_address[1] >= 8 && slot_address[1] <= 30);
    static struct mount_op ops[512];
    int count = -1;
    uint32_t max = below(2) ? 512 : below(4);
    struct failure g = { 0 };
    rc = parse_mount_ops(m, ops, (int)max, &count, &g);
    expect_failure_reported(rc, &g);
    if (rc == 0) CHECK(count >= 0 && (uint32_t)count <= max);
    struct exec_strings s;
    struct failure h = { 0 };
    rc = parse_exec_strings(m, NULL, 0, &s, &h);
    check_exec_strings(rc, &s, &h, m->len);
    exec_strings_free(&s);
    exercise_argv_memfd(m);
    exercise_forwarding(m);
    (void)msg_kind(m);
}

/* Values encoded at the documented offsets come back unchanged. */
static void round_trip(void) {
    unsigned char b[RLIMIT_LEN];
    uint32_t resource = (uint32_t)next_random();
    uint64_t soft = next_random(), hard = next_random();
    wire_put_u32(b + RLIMIT_RESOURCE, resource);
    wire_put_u64(b + RLIMIT_SOFT, soft);
    wire_put_u64(b + RLIMIT_HARD, hard);
    struct field fl = { .tag = F_RLIMIT, .len = RLIMIT_LEN, .data = b };
    struct rlimit_setting r;
    struct failure f = { 0 };
    CHECK(parse_rlimit(&fl, &r, &f) == 0 && r.resource == resource && r.soft == soft && r.hard == hard);
    unsigned char d[DENIAL_LEN];
    uint32_t arch = (uint32_t)next_random(), nr = (uint32_t)next_random();
    encode_denial(d, arch, nr, soft);
    CHECK(wire_get_u32(d + DENIAL_ARCH) == arch && wire_get_u32(d + DENIAL_NR) == nr);
    CHECK(wire_get_u64(d + DENIAL_COUNT) == soft);
}

int main(int argc, char **argv) {
    uint64_t seed = 20240601;
    if (argc > 1) {
        seed = strcmp(argv[1], "time") == 0 ? (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32)
                                            : strtoull(argv[1], NULL, 0);
    }
    long iterations = argc > 2 ? atol(argv[2]) : 200000;
    double seconds = argc > 3 ? atof(argv[3]) : 15;
    rng_state = seed != 0 ? seed : 1;
    struct msg *m = malloc(sizeof *m);
    if (m == NULL) return 2;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long i;
    double elapsed = 0;
    for (i = 0; i < iterations && checks_failed_in_test == 0; i++) {
        switch (below(3)) {
        case 0: random_bytes(m); break;
        case 1: build_valid(m); break;
        default:
            build_valid(m);
            mutate(m);
            break;
        }
        msg_seal(m);
        exercise(m);
        round_trip();
        if ((i & 1023) == 0) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            elapsed = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
            if (elapsed > seconds) break;
        }
    }
    msg_unseal(m);
    free(m);
    clock_gettime(CLOCK_MONOTONIC, &now);
    elapsed = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
    printf("fuzz seed %llu: %ld iterations in %.1f s, %ld failed\n", (unsigned long long)seed, i, elapsed,
           (long)checks_failed_in_test);
    return checks_failed_in_test == 0 ? 0 : 1;
}
