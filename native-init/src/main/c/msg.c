#define _GNU_SOURCE
#include "msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void msg_init(struct msg *m, uint32_t kind) {
    m->len = 0;
    m->nfds = 0;
    msg_put_u32(m, F_KIND, kind);
}

int msg_put(struct msg *m, uint32_t tag, const void *data, uint32_t len) {
    if (m->len + 8 + (size_t)len > sizeof m->buf) {
        errno = EMSGSIZE;
        return -1;
    }
    wire_put_u32(m->buf + m->len, tag);
    wire_put_u32(m->buf + m->len + 4, len);
    if (len > 0) {
        memcpy(m->buf + m->len + 8, data, len);
    }
    m->len += 8 + (size_t)len;
    return 0;
}

int msg_put_u32(struct msg *m, uint32_t tag, uint32_t value) {
    return msg_put(m, tag, &value, sizeof value);
}

int msg_put_str(struct msg *m, uint32_t tag, const char *s) {
    return msg_put(m, tag, s, (uint32_t)strlen(s));
}

int msg_put_failure(struct msg *m, const struct failure *f) {
    if (msg_put_str(m, F_STEP, f->step) < 0) {
        return -1;
    }
    return msg_put_u32(m, F_ERRNO, (uint32_t)f->err);
}

int msg_send(int sock, const struct msg *m, const int *fds, int nfds) {
    struct iovec iov = { .iov_base = (void *)m->buf, .iov_len = m->len };
    union {
        char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
        struct cmsghdr align;
    } control;
    struct msghdr hdr = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (nfds > 0) {
        memset(&control, 0, sizeof control);
        hdr.msg_control = control.buf;
        hdr.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&hdr);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    ssize_t n;
    do {
        n = sendmsg(sock, &hdr, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

struct outbox_item {
    struct outbox_item *next;
    size_t len;
    unsigned char buf[];
};

/* 1: sent, 0: no room, -1: failed. */
static int send_now(int sock, const unsigned char *buf, size_t len) {
    ssize_t n;
    do {
        n = send(sock, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n >= 0) return 1;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS ? 0 : -1;
}

int outbox_flush(struct outbox *o, int sock) {
    while (o->head != NULL) {
        struct outbox_item *item = o->head;
        int rc = send_now(sock, item->buf, item->len);
        if (rc <= 0) return rc;
        o->head = item->next;
        if (o->head == NULL) o->tail = NULL;
        o->count--;
        free(item);
    }
    return 0;
}

int outbox_send(struct outbox *o, int sock, const struct msg *m) {
    if (outbox_flush(o, sock) < 0) return -1;
    if (o->head == NULL) {
        int rc = send_now(sock, m->buf, m->len);
        if (rc != 0) return rc < 0 ? -1 : 0;
    }
    struct outbox_item *item = malloc(sizeof *item + m->len);
    if (item == NULL) return -1;
    item->next = NULL;
    item->len = m->len;
    memcpy(item->buf, m->buf, m->len);
    if (o->tail != NULL) {
        o->tail->next = item;
    } else {
        o->head = item;
    }
    o->tail = item;
    o->count++;
    return 0;
}

int msg_recv(int sock, struct msg *m) {
    struct iovec iov = { .iov_base = m->buf, .iov_len = sizeof m->buf };
    union {
        char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
        struct cmsghdr align;
    } control;
    struct msghdr hdr = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control.buf,
        .msg_controllen = sizeof control.buf,
    };
    ssize_t n;
    do {
        n = recvmsg(sock, &hdr, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return -1;
    }
    m->nfds = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&hdr); c != NULL; c = CMSG_NXTHDR(&hdr, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            for (int i = 0; i < count; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(c) + (size_t)i * sizeof(int), sizeof fd);
                if (m->nfds < MAX_FDS) {
                    m->fds[m->nfds++] = fd;
                } else {
                    close(fd);
                }
            }
        }
    }
    if (n == 0) {
        return 0;
    }
    if (hdr.msg_flags & MSG_TRUNC) {
        msg_close_fds(m);
        m->nfds = 0;
        errno = EMSGSIZE;
        return -1;
    }
    if (hdr.msg_flags & MSG_CTRUNC) {
        /* The message is whole but its descriptors did not fit (our table is full): keep it, without them. */
        msg_close_fds(m);
        m->nfds = 0;
        m->len = (size_t)n;
        errno = EMFILE;
        return -1;
    }
    m->len = (size_t)n;
    return 1;
}

int fields_next(const unsigned char *buf, size_t len, size_t *pos, struct field *f) {
    if (*pos > len || len - *pos < 8) {
        return 0;
    }
    f->tag = wire_get_u32(buf + *pos);
    f->len = wire_get_u32(buf + *pos + 4);
    if ((size_t)f->len > len - *pos - 8) {
        return 0; /* truncated field: stop reading rather than overrun */
    }
    f->data = buf + *pos + 8;
    *pos += 8 + (size_t)f->len;
    return 1;
}

int msg_next(const struct msg *m, size_t *pos, struct field *f) {
    return fields_next(m->buf, m->len, pos, f);
}

int msg_find(const struct msg *m, uint32_t tag, struct field *f) {
    size_t pos = 0;
    while (msg_next(m, &pos, f)) {
        if (f->tag == tag) {
            return 1;
        }
    }
    return 0;
}

void msg_close_fds(const struct msg *m) {
    for (int i = 0; i < m->nfds; i++) {
        close(m->fds[i]);
    }
}

uint32_t msg_kind(const struct msg *m) {
    struct field f;
    return msg_find(m, F_KIND, &f) ? field_u32(&f) : 0;
}

uint32_t field_u32(const struct field *f) {
    return f->len >= 4 ? wire_get_u32(f->data) : 0;
}

uint64_t field_u64(const struct field *f, size_t offset) {
    return f->len >= offset + 8 ? wire_get_u64(f->data + offset) : 0;
}

char *field_strdup(const struct field *f) {
    char *s = malloc((size_t)f->len + 1);
    if (s == NULL) {
        return NULL;
    }
    memcpy(s, f->data, f->len);
    s[f->len] = '\0';
    return s;
}
