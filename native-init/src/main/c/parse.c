#define _GNU_SOURCE
#include "parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

int parse_mount_op(const struct field *fl, int index, struct mount_op *op, struct failure *f) {
    /* The header, then four strings of at least their NUL each, and the field ends with a NUL. */
    if (fl->len < MOUNT_OP_STRINGS + 4 || fl->data[fl->len - 1] != '\0') {
        return fail(f, EINVAL, "parse mount operation %d", index);
    }
    op->op = wire_get_u32(fl->data + MOUNT_OP_OP);
    op->flags = wire_get_u32(fl->data + MOUNT_OP_FLAGS);
    op->mountflags = wire_get_u64(fl->data + MOUNT_OP_MOUNTFLAGS);
    const char *s = (const char *)fl->data + MOUNT_OP_STRINGS;
    const char *end = (const char *)fl->data + fl->len;
    const char **slots[] = { &op->src, &op->dst, &op->fstype, &op->data };
    for (int i = 0; i < 4; i++) {
        if (s >= end) {
            return fail(f, EINVAL, "parse mount operation %d: missing string %d", index, i);
        }
        *slots[i] = s;
        s += strlen(s) + 1; /* bounded: the field's last byte is a NUL */
    }
    if (*op->data == '\0') op->data = NULL;
    return 0;
}

int parse_mount_ops(const struct msg *m, struct mount_op *ops, int max, int *count, struct failure *f) {
    size_t pos = 0;
    struct field fl;
    int n = 0;
    while (msg_next(m, &pos, &fl)) {
        if (fl.tag != F_MOUNT_OP) continue;
        if (n == max) {
            return fail(f, E2BIG, "parse mounts: more than %d operations", max);
        }
        if (parse_mount_op(&fl, n, &ops[n], f) < 0) {
            return -1;
        }
        n++;
    }
    *count = n;
    return 0;
}

int parse_root_overlay(const struct field *fl, const char *layers[], int max, int *count, struct failure *f) {
    if (fl->len == 0 || fl->data[fl->len - 1] != '\0') {
        return fail(f, EINVAL, "parse image layers: the field does not end with a NUL");
    }
    const char *s = (const char *)fl->data;
    const char *end = s + fl->len;
    int n = 0;
    while (s < end) {
        if (n == max) {
            return fail(f, E2BIG, "parse image layers: more than %d layers", max);
        }
        if (*s != '/' || strpbrk(s, ":,") != NULL) {
            return fail(f, EINVAL, "parse image layers: layer %d is not an absolute path without ':' or ','", n);
        }
        layers[n++] = s;
        s += strlen(s) + 1; /* bounded: the field's last byte is a NUL */
    }
    *count = n;
    return 0;
}

int parse_root_mode(const struct field *fl, struct root_mode *r, struct failure *f) {
    if (fl->len < ROOT_MODE_HELPER + 1 || fl->data[fl->len - 1] != '\0') {
        return fail(f, EINVAL, "parse image root mode: F_ROOT_MODE is %u bytes or lacks its final NUL", fl->len);
    }
    r->mode = wire_get_u32(fl->data + ROOT_MODE_MODE);
    r->flags = wire_get_u32(fl->data + ROOT_MODE_FLAGS);
    r->helper = (const char *)fl->data + ROOT_MODE_HELPER;
    if (strlen(r->helper) != fl->len - ROOT_MODE_HELPER - 1) {
        return fail(f, EINVAL, "parse image root mode: the helper path holds a NUL");
    }
    if (r->mode > ROOT_MODE_COPY || (r->flags & ~(uint32_t)(ROOT_FLAG_LINK | ROOT_FLAG_FALLBACK)) != 0) {
        return fail(f, EINVAL, "parse image root mode: unknown mode %u or flags %#x", r->mode, r->flags);
    }
    /* The helper: fuse-overlayfs's, or overlay's fallback's; an absolute path. */
    int wants = r->mode == ROOT_MODE_FUSE,
        may = wants || (r->mode == ROOT_MODE_OVERLAY && (r->flags & ROOT_FLAG_FALLBACK));
    if ((wants && *r->helper != '/') || (*r->helper && (!may || *r->helper != '/'))) {
        return fail(f, EINVAL, "parse image root mode: fuse-overlayfs needs an absolute helper path, nothing else one");
    }
    return 0;
}

int parse_root_upper(const struct field *fl, struct root_upper *u, struct failure *f) {
    if (fl->len < ROOT_UPPER_DIR + 1 || fl->data[fl->len - 1] != '\0') {
        return fail(f, EINVAL, "parse writable layer: F_ROOT_UPPER is %u bytes or lacks its final NUL", fl->len);
    }
    u->size = wire_get_u64(fl->data + ROOT_UPPER_SIZE);
    u->dir = (const char *)fl->data + ROOT_UPPER_DIR;
    if (strlen(u->dir) != fl->len - ROOT_UPPER_DIR - 1 || (*u->dir != '\0' && *u->dir != '/')) {
        return fail(f, EINVAL, "parse writable layer: the directory is not an absolute path");
    }
    return 0;
}

/* A structured field must have exactly its documented length. */
static int check_len(const struct field *fl, uint32_t expected, const char *name, struct failure *f) {
    if (fl->len != expected) {
        return fail(f, EINVAL, "parse process: %s is %u bytes, expected %u", name, fl->len, expected);
    }
    return 0;
}

int parse_net_address(const struct field *fl, struct net_address *a, struct failure *f) {
    if (fl->len != NET_ADDRESS_LEN) {
        return fail(f, EINVAL, "parse network address: F_NET_ADDRESS is %u bytes, expected %d", fl->len,
                    NET_ADDRESS_LEN);
    }
    memcpy(&a->addr, fl->data + NET_ADDRESS_ADDR, 4);
    a->prefix = fl->data[NET_ADDRESS_PREFIX];
    if (a->prefix < 8 || a->prefix > 30) {
        return fail(f, EINVAL, "parse network address: prefix /%u is not within /8 to /30", a->prefix);
    }
    uint32_t host = ntohl(a->addr) & ((1u << (32 - a->prefix)) - 1);
    if (host == 0 || host == (1u << (32 - a->prefix)) - 1) {
        return fail(f, EINVAL, "parse network address: the subnet's own or broadcast address");
    }
    return 0;
}

int parse_caps(const struct field *fl, struct caps *caps, struct failure *f) {
    if (check_len(fl, CAPS_LEN, "F_CAPS", f) < 0) {
        return -1;
    }
    caps->bounding = wire_get_u64(fl->data + CAPS_BOUNDING);
    caps->effective = wire_get_u64(fl->data + CAPS_EFFECTIVE);
    return 0;
}

int parse_rlimit(const struct field *fl, struct rlimit_setting *r, struct failure *f) {
    if (check_len(fl, RLIMIT_LEN, "F_RLIMIT", f) < 0) {
        return -1;
    }
    r->resource = wire_get_u32(fl->data + RLIMIT_RESOURCE);
    r->soft = wire_get_u64(fl->data + RLIMIT_SOFT);
    r->hard = wire_get_u64(fl->data + RLIMIT_HARD);
    return 0;
}

void encode_denial(unsigned char out[DENIAL_LEN], uint32_t arch, uint32_t nr, uint64_t count) {
    wire_put_u32(out + DENIAL_ARCH, arch);
    wire_put_u32(out + DENIAL_NR, nr);
    wire_put_u64(out + DENIAL_COUNT, count);
}

int parse_groups(const struct field *fl, gid_t *groups, int max, int *count, struct failure *f) {
    if (fl->len % 4 != 0) {
        return fail(f, EINVAL, "parse process: F_GROUPS is %u bytes, not a multiple of 4", fl->len);
    }
    if (fl->len / 4 > (uint32_t)max) {
        return fail(f, E2BIG, "parse process: more than %d groups", max);
    }
    int n = (int)(fl->len / 4);
    for (int i = 0; i < n; i++) {
        groups[i] = (gid_t)wire_get_u32(fl->data + (size_t)i * 4);
    }
    *count = n;
    return 0;
}

int parse_create_request(const struct msg *m, struct create_request *req, struct failure *f) {
    *req = (struct create_request){ .msg = m, .sock = -1, .join_fds = { -1, -1 } };
    struct field join = { 0 }, clone_flags = { 0 }, network = { 0 }, address = { 0 }, fl;
    size_t pos = 0;
    while (msg_next(m, &pos, &fl)) {
        struct field *slot = NULL;
        switch (fl.tag) {
        case F_JOIN: slot = &join; break;
        case F_CLONE_FLAGS: slot = &clone_flags; break;
        case F_SETGROUPS: slot = &req->setgroups; break;
        case F_UID_MAP: slot = &req->uid_map; break;
        case F_GID_MAP: slot = &req->gid_map; break;
        case F_UID_MAP_CMD: slot = &req->uid_map_cmd; break;
        case F_GID_MAP_CMD: slot = &req->gid_map_cmd; break;
        case F_CGROUP_DIR: slot = &req->cgroup_dir; break;
        case F_NETWORK: slot = &network; break;
        case F_NET_ADDRESS: slot = &address; break;
        default: break;
        }
        if (slot != NULL && !field_present(slot)) *slot = fl;
    }
    req->join = field_present(&join) && field_u32(&join);
    int expected_fds = req->join ? 3 : 1;
    if (m->nfds != expected_fds) {
        return fail(f, EINVAL, "create sandbox: expected %d descriptors, got %d", expected_fds, m->nfds);
    }
    if (field_present(&clone_flags) && clone_flags.len != 8) {
        return fail(f, EINVAL, "create sandbox: F_CLONE_FLAGS is %u bytes, expected 8", clone_flags.len);
    }
    req->clone_flags = field_present(&clone_flags) ? wire_get_u64(clone_flags.data) : 0;
    if (field_present(&network)) {
        if (network.len != 4) {
            return fail(f, EINVAL, "create sandbox: F_NETWORK is %u bytes, expected 4", network.len);
        }
        if (req->join) {
            return fail(f, EINVAL, "create sandbox: a sandbox that shares another's network cannot join a network");
        }
        if (!(req->clone_flags & CLONE_NEWNET)) {
            return fail(f, EINVAL, "create sandbox: joining a network needs a network namespace of its own");
        }
        struct net_address a;
        if (!field_present(&address)) {
            return fail(f, EINVAL, "create sandbox: F_NETWORK without F_NET_ADDRESS");
        }
        if (parse_net_address(&address, &a, f) < 0) {
            return -1;
        }
        req->on_network = 1;
        req->network = wire_get_u32(network.data);
        req->net_address = a.addr;
    }
    req->sock = m->fds[0];
    if (req->join) {
        req->join_fds[0] = m->fds[1];
        req->join_fds[1] = m->fds[2];
    }
    return 0;
}

int parse_network_id(const struct msg *m, uint32_t *id, struct failure *f) {
    struct field fl;
    if (!msg_find(m, F_NETWORK, &fl) || fl.len != 4) {
        return fail(f, EINVAL, "parse network request: F_NETWORK missing or not 4 bytes");
    }
    *id = wire_get_u32(fl.data);
    return 0;
}

int parse_parked_id(const struct msg *m, uint32_t *id, struct failure *f) {
    struct field fl;
    if (!msg_find(m, F_PARKED, &fl) || fl.len != 4) {
        return fail(f, EINVAL, "parse parked process: F_PARKED missing or not 4 bytes");
    }
    *id = wire_get_u32(fl.data);
    return 0;
}

int parse_park_request(const struct msg *m, uint32_t *id, struct failure *f) {
    if (m->nfds != 0) {
        return fail(f, EINVAL, "park a process: expected no descriptors, got %d", m->nfds);
    }
    struct field fl;
    if (!msg_find(m, F_CGROUP_PROCS, &fl)) {
        return fail(f, EINVAL, "park a process: no F_CGROUP_PROCS to join");
    }
    return parse_parked_id(m, id, f);
}

int parse_network_request(const struct msg *m, struct network_request *req, struct failure *f) {
    *req = (struct network_request){ 0 };
    if (m->nfds != 0) {
        return fail(f, EINVAL, "create network: expected no descriptors, got %d", m->nfds);
    }
    if (parse_network_id(m, &req->id, f) < 0) {
        return -1;
    }
    struct field fl;
    if (msg_find(m, F_SETGROUPS, &fl)) req->setgroups = fl;
    if (!msg_find(m, F_UID_MAP, &req->uid_map) || !msg_find(m, F_GID_MAP, &req->gid_map)) {
        return fail(f, EINVAL, "create network: the holder's F_UID_MAP or F_GID_MAP is missing");
    }
    return 0;
}

int parse_slot_request(const struct msg *m, struct network_request *req, uint32_t address[2], struct failure *f) {
    if (parse_network_request(m, req, f) < 0) {
        return -1;
    }
    struct field fl;
    struct net_address a;
    if (!msg_find(m, F_NET_ADDRESS, &fl)) {
        return fail(f, EINVAL, "prepare network slot: F_NET_ADDRESS missing");
    }
    if (parse_net_address(&fl, &a, f) < 0) {
        return -1;
    }
    address[0] = a.addr;
    address[1] = a.prefix;
    return 0;
}

int parse_map_command(const struct field *fl, char *pid, char *args[], int max, struct failure *f) {
    int argc = 0;
    const char *s = (const char *)fl->data;
    const char *end = s + fl->len;
    while (s < end && argc < max - 2) {
        args[argc++] = (char *)s;
        if (argc == 1) args[argc++] = pid;
        s += strnlen(s, (size_t)(end - s)) + 1;
    }
    args[argc] = NULL;
    if (argc < 2 || fl->data[fl->len - 1] != '\0') {
        return fail(f, EINVAL, "parse id map command");
    }
    return 0;
}

/*
 * Counts the F_ARG (counts[0]) and F_ENV (counts[1]) fields of a buffer of fields. `only_strings`: the buffer
 * of an argument memfd, where any other field, or bytes that do not form whole fields, are an error.
 */
static int count_strings(const unsigned char *buf, size_t len, int only_strings, size_t counts[2], struct failure *f) {
    size_t pos = 0;
    struct field fl;
    while (fields_next(buf, len, &pos, &fl)) {
        if (fl.tag == F_ARG || fl.tag == F_ENV) {
            counts[fl.tag == F_ENV]++;
        } else if (only_strings) {
            return fail(f, EINVAL, "parse argument memfd: field %u at byte %zu is neither F_ARG nor F_ENV", fl.tag,
                        pos - fl.len - 8);
        }
    }
    if (only_strings && pos != len) {
        return fail(f, EINVAL, "parse argument memfd: a truncated field at byte %zu of %zu", pos, len);
    }
    return 0;
}

/* Copies the F_ARG and F_ENV fields of a buffer into the tables, after what they hold (counted beforehand). */
static int copy_strings(const unsigned char *buf, size_t len, struct exec_strings *s, struct failure *f) {
    size_t pos = 0;
    struct field fl;
    while (fields_next(buf, len, &pos, &fl)) {
        if (fl.tag != F_ARG && fl.tag != F_ENV) continue;
        char *copy = field_strdup(&fl);
        if (copy == NULL) {
            return fail(f, ENOMEM, "copy the arguments and environment of the process");
        }
        if (fl.tag == F_ARG) {
            s->argv[s->argc++] = copy;
        } else {
            s->envp[s->envc++] = copy;
        }
    }
    return 0;
}

int parse_exec_strings(const struct msg *m, const unsigned char *memfd, size_t memfd_len, struct exec_strings *s,
                       struct failure *f) {
    *s = (struct exec_strings){ 0 };
    size_t counts[2] = { 0, 0 };
    if (count_strings(m->buf, m->len, 0, counts, f) < 0 || count_strings(memfd, memfd_len, 1, counts, f) < 0) {
        return -1;
    }
    if (counts[0] == 0) {
        return fail(f, EINVAL, "parse process: no command");
    }
    /* Bounded: every string takes at least a field header of the message or of the (size-checked) memfd. */
    s->argv = calloc(counts[0] + 1, sizeof *s->argv);
    s->envp = calloc(counts[1] + 1, sizeof *s->envp);
    if (s->argv == NULL || s->envp == NULL) {
        return fail(f, ENOMEM, "allocate the argument tables of the process (%zu arguments, %zu variables)", counts[0],
                    counts[1]);
    }
    if (copy_strings(m->buf, m->len, s, f) < 0 || copy_strings(memfd, memfd_len, s, f) < 0) {
        return -1;
    }
    return 0;
}

void exec_strings_free(struct exec_strings *s) {
    for (size_t i = 0; i < s->argc; i++) free(s->argv[i]);
    for (size_t i = 0; i < s->envc; i++) free(s->envp[i]);
    free(s->argv);
    free(s->envp);
    *s = (struct exec_strings){ 0 };
}

/* A port field: exactly 4 bytes holding 1..65535. */
static int parse_port(const struct field *fl, const char *what, uint32_t *port, struct failure *f) {
    if (fl->len != 4) {
        return fail(f, EINVAL, "%s: F_PORT is %u bytes, expected 4", what, fl->len);
    }
    *port = wire_get_u32(fl->data);
    if (*port == 0 || *port > 65535) {
        return fail(f, EINVAL, "%s: port %u is not 1..65535", what, *port);
    }
    return 0;
}

int parse_publish(const struct msg *m, struct publish_request *p, struct failure *f) {
    *p = (struct publish_request){ .fd = -1, .twin = -1 };
    struct field port, transport, bypass;
    p->bypass = msg_find(m, F_BYPASS, &bypass) && bypass.len == 4 && wire_get_u32(bypass.data) != 0;
    if (m->nfds != 1 && !(p->bypass && m->nfds == 2)) {
        return fail(f, EINVAL, "publish port: expected %s descriptor, got %d", p->bypass ? "1 or 2" : "1", m->nfds);
    }
    if (!msg_find(m, F_PORT, &port) || !msg_find(m, F_TRANSPORT, &transport)) {
        return fail(f, EINVAL, "publish port: F_PORT or F_TRANSPORT missing");
    }
    if (parse_port(&port, "publish port", &p->port, f) < 0) return -1;
    p->transport = transport.len == 4 ? wire_get_u32(transport.data) : 0;
    if (p->transport != TRANSPORT_TCP && p->transport != TRANSPORT_UDP) {
        return fail(f, EINVAL, "publish port %u: transport is not TRANSPORT_TCP or TRANSPORT_UDP", p->port);
    }
    if (p->bypass && p->transport != TRANSPORT_TCP) {
        return fail(f, EINVAL, "publish port %u: F_BYPASS is for TCP only", p->port);
    }
    p->fd = m->fds[0];
    if (m->nfds == 2) p->twin = m->fds[1];
    return 0;
}

int parse_host_socket(const struct msg *m, struct host_socket_answer *a, struct failure *f) {
    *a = (struct host_socket_answer){ .fd = -1 };
    struct field id, err;
    if (!msg_find(m, F_REQUEST_ID, &id) || id.len != 4) {
        return fail(f, EINVAL, "host socket: F_REQUEST_ID missing or not 4 bytes");
    }
    a->id = wire_get_u32(id.data);
    if (m->nfds > 1) {
        return fail(f, EINVAL, "host socket: expected at most 1 descriptor, got %d", m->nfds);
    }
    if (m->nfds == 1) {
        a->fd = m->fds[0];
        return 0;
    }
    a->err = msg_find(m, F_ERRNO, &err) && err.len == 4 ? wire_get_u32(err.data) : 0;
    if (a->err == 0 || a->err > 4095) a->err = ECONNREFUSED;
    return 0;
}

int parse_expose_ports(const struct msg *m, struct expose_port *ports, int max, int *count, struct failure *f) {
    size_t pos = 0;
    struct field fl;
    int n = 0;
    *count = 0;
    while (msg_next(m, &pos, &fl)) {
        if (fl.tag != F_EXPOSE_PORT && fl.tag != F_EXPOSE_UDP_PORT) continue;
        if (n == max) {
            return fail(f, E2BIG, "expose host ports: more than %d", max);
        }
        uint32_t port;
        if (parse_port(&fl, "expose host port", &port, f) < 0) return -1;
        ports[n++] = (struct expose_port){ .port = (uint16_t)port,
                                           .transport = fl.tag == F_EXPOSE_UDP_PORT ? TRANSPORT_UDP : TRANSPORT_TCP };
    }
    *count = n;
    return 0;
}

int parse_hook(const struct field *fl, struct hook *h, struct failure *f) {
    if (fl->len < HOOK_STRINGS + 1 || fl->data[fl->len - 1] != '\0') {
        return fail(f, EINVAL, "parse hook");
    }
    h->stage = wire_get_u32(fl->data + HOOK_STAGE);
    h->timeout_ms = wire_get_u32(fl->data + HOOK_TIMEOUT_MS);
    uint32_t argc = wire_get_u32(fl->data + HOOK_ARGC);
    uint32_t envc = wire_get_u32(fl->data + HOOK_ENVC);
    if (h->stage != HOOK_STAGE_CREATE_CONTAINER && h->stage != HOOK_STAGE_START_CONTAINER) {
        return fail(f, EINVAL, "parse hook: stage %u does not run in the sandbox", h->stage);
    }
    if (h->timeout_ms == 0 || argc == 0 || argc > HOOK_MAX_ARGS || envc > HOOK_MAX_ENV) {
        return fail(f, EINVAL, "parse hook: timeout %u ms, %u arguments, %u variables", h->timeout_ms, argc, envc);
    }
    const char *s = (const char *)fl->data + HOOK_STRINGS;
    const char *end = (const char *)fl->data + fl->len;
    uint32_t total = 1 + argc + envc;
    for (uint32_t i = 0; i < total; i++) {
        if (s >= end) {
            return fail(f, EINVAL, "parse hook: missing string %u", i);
        }
        if (i == 0) {
            h->path = s;
        } else if (i <= argc) {
            h->argv[i - 1] = s;
        } else {
            h->envp[i - 1 - argc] = s;
        }
        s += strlen(s) + 1; /* bounded: the field's last byte is a NUL */
    }
    h->argv[argc] = NULL;
    h->envp[envc] = NULL;
    if (h->path[0] != '/') {
        return fail(f, EINVAL, "parse hook: path '%s' is not absolute", h->path);
    }
    return 0;
}
