/*
 * Parsers of the K_CREATE request and of the structured fields (layouts in protocol.h). They read the wire
 * bytes field by field at the documented offsets and check every length, so the layout of a C struct never
 * defines the wire format. No syscalls and no global state: the unit and fuzz tests run them directly.
 */
#ifndef SANDBOX_PARSE_H
#define SANDBOX_PARSE_H

#include <stdint.h>
#include <sys/types.h>

#include "msg.h"
#include "util.h"

/* K_CREATE, as the server needs it. An absent field has data == NULL (field_present). */
struct create_request {
    const struct msg *msg; /* the whole request: repeated F_CGROUP_PROCS, and the init's own set-up */
    int join;              /* F_JOIN: setns into another sandbox's user and network namespaces */
    uint64_t clone_flags;  /* F_CLONE_FLAGS */
    int sock;              /* fds[0]: the sandbox's control socket */
    int join_fds[2];       /* fds[1] and fds[2] when joining (user, network namespace), else -1 */
    int on_network;        /* F_NETWORK present: the sandbox gets a veth of that network as eth0 */
    uint32_t network;      /* F_NETWORK */
    uint32_t net_address;  /* F_NET_ADDRESS's address (network byte order), with F_NETWORK */
    struct field setgroups, uid_map, gid_map, uid_map_cmd, gid_map_cmd, cgroup_dir;
};

/* Checks the descriptors and reads the fields of a K_CREATE message; the first of a repeated field counts. */
int parse_create_request(const struct msg *m, struct create_request *req, struct failure *f);

/* K_NETWORK_CREATE: the network's id and the id maps of its holder (strings point into the message). */
struct network_request {
    uint32_t id;
    struct field setgroups, uid_map, gid_map;
};

/* Reads a K_NETWORK_CREATE (no descriptors; F_NETWORK, F_UID_MAP and F_GID_MAP required). */
int parse_network_request(const struct msg *m, struct network_request *req, struct failure *f);

/*
 * Reads a K_NETWORK_SLOT: as a K_NETWORK_CREATE (the maps are the member's), plus F_NET_ADDRESS into `address`
 * (whose first field is the address in network byte order, the second the prefix).
 */
int parse_slot_request(const struct msg *m, struct network_request *req, uint32_t address[2], struct failure *f);
/* The F_PARKED of a K_UNPARK or K_CREATE. */
int parse_parked_id(const struct msg *m, uint32_t *id, struct failure *f);

/* K_PARK: no descriptors, F_PARKED and at least one F_CGROUP_PROCS. */
int parse_park_request(const struct msg *m, uint32_t *id, struct failure *f);

/* The F_NETWORK of a K_NETWORK_REMOVE. */
int parse_network_id(const struct msg *m, uint32_t *id, struct failure *f);

/*
 * F_UID_MAP_CMD / F_GID_MAP_CMD: the NUL-separated argv with `pid` inserted as argv[1], into `args` (at most
 * `max` slots, NULL-terminated). The strings point into the field.
 */
int parse_map_command(const struct field *fl, char *pid, char *args[], int max, struct failure *f);

/* One F_MOUNT_OP, decoded. The strings point into the message buffer, which outlives the set-up. */
struct mount_op {
    uint32_t op;         /* OP_* */
    uint32_t flags;      /* OPF_* */
    uint64_t mountflags; /* MS_* */
    const char *src;
    const char *dst;
    const char *fstype;
    const char *data; /* NULL when empty */
};

/* Decodes one F_MOUNT_OP field; `index` only names it in the failure. */
int parse_mount_op(const struct field *fl, int index, struct mount_op *op, struct failure *f);

/* Decodes every F_MOUNT_OP of a message in order, at most `max` of them. */
int parse_mount_ops(const struct msg *m, struct mount_op *ops, int max, int *count, struct failure *f);

/*
 * F_ROOT_OVERLAY: the layer directories, topmost first, into `layers` (at most `max`; pointers into the field).
 * Each must be an absolute path without ':' or ',' (overlayfs's option separators) and the field must end with a NUL.
 */
int parse_root_overlay(const struct field *fl, const char *layers[], int max, int *count, struct failure *f);

/* F_ROOT_MODE: how an image root is assembled; `helper` points into the field (empty unless ROOT_MODE_FUSE). */
struct root_mode {
    uint32_t mode;
    uint32_t flags;
    const char *helper;
};
int parse_root_mode(const struct field *fl, struct root_mode *r, struct failure *f);

/* F_ROOT_UPPER: the writable layer's tmpfs size (0: no limit) or host directory (`dir` non-empty). */
struct root_upper {
    uint64_t size;
    const char *dir;
};
int parse_root_upper(const struct field *fl, struct root_upper *u, struct failure *f);

/* F_NET_ADDRESS, decoded. */
struct net_address {
    uint32_t addr; /* network byte order, as in struct in_addr */
    uint8_t prefix;
};

/* Decodes F_NET_ADDRESS: exactly NET_ADDRESS_LEN bytes, a prefix of 8 to 30, not the subnet's first or last address. */
int parse_net_address(const struct field *fl, struct net_address *a, struct failure *f);

/* F_CAPS, decoded. */
struct caps {
    uint64_t bounding;
    uint64_t effective; /* also the permitted set */
};

int parse_caps(const struct field *fl, struct caps *caps, struct failure *f);

/* One F_RLIMIT, decoded. */
struct rlimit_setting {
    uint32_t resource;
    uint64_t soft;
    uint64_t hard;
};

int parse_rlimit(const struct field *fl, struct rlimit_setting *r, struct failure *f);

/* F_GROUPS: at most `max` gids into `groups`; *count is how many (0 for an empty field). */
int parse_groups(const struct field *fl, gid_t *groups, int max, int *count, struct failure *f);

/*
 * The arguments and environment of a K_EXEC (F_ARG, F_ENV), as execve takes them: tables sized to what they
 * hold, each NULL-terminated, of heap copies of the strings. Free with exec_strings_free.
 */
struct exec_strings {
    char **argv;
    char **envp;
    size_t argc;
    size_t envc;
};

/*
 * Gathers the F_ARG and F_ENV fields of message `m`, then those of the bytes of its argument memfd (`memfd`,
 * `memfd_len`; NULL and 0 without one), which must hold whole F_ARG and F_ENV fields and nothing else
 * (protocol.h, F_ARGV_MEMFD). Fails without a command. `*s` is set even on failure: free it either way.
 */
int parse_exec_strings(const struct msg *m, const unsigned char *memfd, size_t memfd_len, struct exec_strings *s,
                       struct failure *f);

void exec_strings_free(struct exec_strings *s);

/* K_PUBLISH, decoded: forward traffic of the host socket `fd` to 127.0.0.1:port inside. */
struct publish_request {
    uint32_t port;      /* F_PORT, 1..65535 */
    uint32_t transport; /* F_TRANSPORT: TRANSPORT_TCP or TRANSPORT_UDP */
    int fd;             /* fds[0] */
    int bypass;         /* F_BYPASS */
    int twin;           /* fds[1] with F_BYPASS, else -1 */
};

/* Checks the one descriptor (two with F_BYPASS) and the fields of a K_PUBLISH message. */
int parse_publish(const struct msg *m, struct publish_request *p, struct failure *f);

/* K_HOST_SOCKET, decoded: the socket (fds[0]) for request `id`, or fd -1 and the errno Java's connect failed with. */
struct host_socket_answer {
    uint32_t id;  /* F_REQUEST_ID */
    int fd;       /* fds[0], or -1 */
    uint32_t err; /* F_ERRNO when there is no fd (ECONNREFUSED if Java sent none) */
};

int parse_host_socket(const struct msg *m, struct host_socket_answer *a, struct failure *f);

/* An exposed host port: F_EXPOSE_PORT (TRANSPORT_TCP) or F_EXPOSE_UDP_PORT (TRANSPORT_UDP). */
struct expose_port {
    uint16_t port;
    uint16_t transport;
};

/* The F_EXPOSE_PORT and F_EXPOSE_UDP_PORT fields of a K_CREATE in order: at most `max`, each 1..65535. */
int parse_expose_ports(const struct msg *m, struct expose_port *ports, int max, int *count, struct failure *f);

/* Writes one F_DENIAL value (DENIAL_LEN bytes) into `out`. */
void encode_denial(unsigned char out[DENIAL_LEN], uint32_t arch, uint32_t nr, uint64_t count);

/* One F_HOOK: pointers into the field's data, argv and envp NULL-terminated for execve. */
struct hook {
    uint32_t stage;
    uint32_t timeout_ms;
    const char *path;
    const char *argv[HOOK_MAX_ARGS + 1];
    const char *envp[HOOK_MAX_ENV + 1];
};

/* Parses one F_HOOK; -1 with the step in `f` for a malformed one (counts, missing strings, a relative path). */
int parse_hook(const struct field *fl, struct hook *h, struct failure *f);

#endif
