#define _GNU_SOURCE
#include "netlink.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A request: the header and its attributes in one buffer (a union, so writes past the header stay in bounds). */
struct nlreq {
    union {
        struct nlmsghdr n;
        char raw[1024];
    };
};

/* Appends an attribute; the requests here are small and fixed, far below the buffer's size. */
static struct rtattr *nl_attr(struct nlmsghdr *n, unsigned short type, const void *data, size_t len) {
    struct rtattr *rta = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));
    /* n is the header of a struct nlreq: its raw buffer is what is written. */
    rta->rta_type = type;
    rta->rta_len = (unsigned short)RTA_LENGTH(len);
    if (len > 0) memcpy(RTA_DATA(rta), data, len);
    n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rta->rta_len);
    return rta;
}

static struct rtattr *nl_nest(struct nlmsghdr *n, unsigned short type) {
    return nl_attr(n, type, NULL, 0);
}

static void nl_end(struct nlmsghdr *n, struct rtattr *nest) {
    nest->rta_len = (unsigned short)((char *)n + n->nlmsg_len - (char *)nest);
}

static void nl_str(struct nlmsghdr *n, unsigned short type, const char *s) {
    nl_attr(n, type, s, strlen(s) + 1);
}

static void nl_u32(struct nlmsghdr *n, unsigned short type, uint32_t v) {
    nl_attr(n, type, &v, 4);
}

int nl_open(void) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    return fd < 0 ? -errno : fd;
}

/* What a link answer carried. */
struct link_answer {
    int index;
    int operstate;
};

static uint32_t nl_seq;

/*
 * Sends one request and reads until its ack; a link in the answer (GET) fills `out`.
 *
 * Always sendto() with an explicit kernel address, never send(): with an explicit destination the kernel marks
 * the message NETLINK_SKB_DST, and __netlink_ns_capable() then checks only the sender's capabilities, not also
 * those of whoever opened the socket (commit 2d7a85f4b06e, the CVE-2014-0181 fix). The server sends on sockets
 * a network's holder opened inside the network's namespace; the capabilities that count are the server's own,
 * over the network's user namespace and over each sandbox's (it created them all).
 */
static int nl_talk(int fd, struct nlmsghdr *n, struct link_answer *out) {
    n->nlmsg_seq = ++nl_seq;
    n->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    if (sendto(fd, n, n->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
        return -errno;
    }
    char buf[8192] __attribute__((aligned(4)));
    for (;;) {
        ssize_t len = recv(fd, buf, sizeof buf, 0);
        if (len < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_seq != n->nlmsg_seq) continue; /* a late answer to an earlier request */
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);
                return e->error;
            }
            if (h->nlmsg_type == RTM_NEWLINK && out != NULL) {
                const struct ifinfomsg *ifi = NLMSG_DATA(h);
                out->index = ifi->ifi_index;
                int alen = (int)IFLA_PAYLOAD(h);
                for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
                    if (a->rta_type == IFLA_OPERSTATE) out->operstate = *(const uint8_t *)RTA_DATA(a);
                }
            }
        }
    }
}

static void link_request(struct nlreq *r, uint16_t type, uint16_t flags, int index) {
    memset(r, 0, sizeof *r);
    r->n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
    r->n.nlmsg_type = type;
    r->n.nlmsg_flags = flags;
    struct ifinfomsg *ifi = NLMSG_DATA(&r->n);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = index;
}

int nl_link_index(int fd, const char *name) {
    struct nlreq r;
    link_request(&r, RTM_GETLINK, 0, 0);
    nl_str(&r.n, IFLA_IFNAME, name);
    struct link_answer a = { 0, -1 };
    int rc = nl_talk(fd, &r.n, &a);
    return rc < 0 ? rc : a.index > 0 ? a.index : -ENODEV;
}

int nl_link_operstate(int fd, const char *name) {
    struct nlreq r;
    link_request(&r, RTM_GETLINK, 0, 0);
    nl_str(&r.n, IFLA_IFNAME, name);
    struct link_answer a = { 0, -1 };
    int rc = nl_talk(fd, &r.n, &a);
    return rc < 0 ? rc : a.operstate;
}

int nl_link_up(int fd, int index) {
    struct nlreq r;
    link_request(&r, RTM_NEWLINK, 0, index);
    struct ifinfomsg *ifi = NLMSG_DATA(&r.n);
    ifi->ifi_flags = ifi->ifi_change = IFF_UP;
    return nl_talk(fd, &r.n, NULL);
}

int nl_link_no_ipv6_ll(int fd, int index) {
    struct nlreq r;
    link_request(&r, RTM_NEWLINK, 0, index);
    struct rtattr *af = nl_nest(&r.n, IFLA_AF_SPEC);
    struct rtattr *in6 = nl_nest(&r.n, AF_INET6);
    uint8_t mode = IN6_ADDR_GEN_MODE_NONE;
    nl_attr(&r.n, IFLA_INET6_ADDR_GEN_MODE, &mode, 1);
    nl_end(&r.n, in6);
    nl_end(&r.n, af);
    return nl_talk(fd, &r.n, NULL);
}

int nl_bridge_create(int fd, const char *name) {
    struct nlreq r;
    link_request(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
    struct ifinfomsg *ifi = NLMSG_DATA(&r.n);
    ifi->ifi_flags = ifi->ifi_change = IFF_UP;
    nl_str(&r.n, IFLA_IFNAME, name);
    struct rtattr *info = nl_nest(&r.n, IFLA_LINKINFO);
    nl_str(&r.n, IFLA_INFO_KIND, "bridge");
    nl_end(&r.n, info);
    return nl_talk(fd, &r.n, NULL);
}

int nl_veth_create(int fd, const char *name, int master, const char *peer, const uint8_t peer_mac[6], pid_t peer_pid) {
    struct nlreq r;
    link_request(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
    struct ifinfomsg *ifi = NLMSG_DATA(&r.n);
    ifi->ifi_flags = ifi->ifi_change = IFF_UP;
    nl_str(&r.n, IFLA_IFNAME, name);
    nl_u32(&r.n, IFLA_MASTER, (uint32_t)master);
    struct rtattr *info = nl_nest(&r.n, IFLA_LINKINFO);
    nl_str(&r.n, IFLA_INFO_KIND, "veth");
    struct rtattr *data = nl_nest(&r.n, IFLA_INFO_DATA);
    struct rtattr *pe = nl_nest(&r.n, VETH_INFO_PEER);
    /* The peer is created down: up in this message fails with ENOTCONN (veth_open runs on the peer before the
     * pair is linked). The init brings it up after turning off its IPv6 link-local address. */
    struct ifinfomsg peer_ifi = { .ifi_family = AF_UNSPEC };
    memcpy((char *)&r.n + r.n.nlmsg_len, &peer_ifi, sizeof peer_ifi);
    r.n.nlmsg_len += NLMSG_ALIGN(sizeof peer_ifi);
    nl_str(&r.n, IFLA_IFNAME, peer);
    nl_attr(&r.n, IFLA_ADDRESS, peer_mac, 6);
    nl_u32(&r.n, IFLA_NET_NS_PID, (uint32_t)peer_pid);
    nl_end(&r.n, pe);
    nl_end(&r.n, data);
    nl_end(&r.n, info);
    return nl_talk(fd, &r.n, NULL);
}

int nl_addr_add(int fd, int index, uint32_t addr, uint8_t prefix) {
    struct nlreq r;
    memset(&r, 0, sizeof r);
    r.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
    r.n.nlmsg_type = RTM_NEWADDR;
    r.n.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
    struct ifaddrmsg *ifa = NLMSG_DATA(&r.n);
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = prefix;
    ifa->ifa_index = (unsigned)index;
    nl_attr(&r.n, IFA_LOCAL, &addr, 4);
    nl_attr(&r.n, IFA_ADDRESS, &addr, 4);
    return nl_talk(fd, &r.n, NULL);
}
