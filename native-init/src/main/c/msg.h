/* Building, sending, receiving and reading protocol messages (see protocol.h). */
#ifndef SANDBOX_MSG_H
#define SANDBOX_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "protocol.h"
#include "util.h"

/* Native-order integers at any offset of a wire buffer (no alignment needed). */
static inline uint32_t wire_get_u32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint64_t wire_get_u64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void wire_put_u32(unsigned char *p, uint32_t v) {
    memcpy(p, &v, sizeof v);
}

static inline void wire_put_u64(unsigned char *p, uint64_t v) {
    memcpy(p, &v, sizeof v);
}

/* The counts come first: a small message then touches one page of the buffer, not its first and its last. */
struct msg {
    size_t len;
    int fds[MAX_FDS];
    int nfds;
    unsigned char buf[MAX_MESSAGE];
};

struct field {
    uint32_t tag;
    uint32_t len;
    const unsigned char *data;
};

/* Writing */
void msg_init(struct msg *m, uint32_t kind);
int msg_put(struct msg *m, uint32_t tag, const void *data, uint32_t len);
int msg_put_u32(struct msg *m, uint32_t tag, uint32_t value);
int msg_put_str(struct msg *m, uint32_t tag, const char *s);
/* Adds F_STEP and F_ERRNO: the failure a *_FAILED message reports. */
int msg_put_failure(struct msg *m, const struct failure *f);
int msg_send(int sock, const struct msg *m, const int *fds, int nfds);

/*
 * Messages without descriptors that wait, in order, for room in a socket's send buffer: a sender that must never
 * block (the init asking for host sockets while Java is busy) queues what does not fit. outbox_send sends at once
 * when nothing waits and the socket has room, else queues a copy; outbox_flush sends what waits until the socket is
 * full again (poll for POLLOUT while outbox_pending). Both return -1 with errno when the peer is gone or memory is
 * out, else 0.
 */
struct outbox_item;
struct outbox {
    struct outbox_item *head, *tail;
    int count;
};
int outbox_send(struct outbox *o, int sock, const struct msg *m);
int outbox_flush(struct outbox *o, int sock);
static inline int outbox_pending(const struct outbox *o) {
    return o->head != NULL;
}

/*
 * Reading. msg_recv returns 1 for a message, 0 on EOF, -1 on error (errno set). errno EMFILE: the message arrived
 * but its descriptors did not fit in our table; m holds it without descriptors (those that came are closed).
 */
int msg_recv(int sock, struct msg *m);
uint32_t msg_kind(const struct msg *m);
/* Iterates fields: start with *pos = 0; returns 1 while a field was read. */
int msg_next(const struct msg *m, size_t *pos, struct field *f);
/* The same over any buffer of fields (an argument memfd); stops at the end or before a truncated field. */
int fields_next(const unsigned char *buf, size_t len, size_t *pos, struct field *f);
int msg_find(const struct msg *m, uint32_t tag, struct field *f);
/* Closes the descriptors a received message carried. */
void msg_close_fds(const struct msg *m);
/* A field msg_next or msg_find filled in, as opposed to a zeroed one (data is never NULL then). */
static inline int field_present(const struct field *f) {
    return f->data != NULL;
}
uint32_t field_u32(const struct field *f);
uint64_t field_u64(const struct field *f, size_t offset);
/* Copies a string field into a fresh NUL-terminated heap buffer (caller frees). */
char *field_strdup(const struct field *f);

#endif
