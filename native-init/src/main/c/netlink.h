/*
 * Raw rtnetlink, just what a network needs: the bridge in the network's namespace, a veth from it into a
 * sandbox's network namespace, the wait for the bridge port, and eth0's address inside the sandbox.
 * Every call returns 0 (or an index or state) or -errno.
 */
#ifndef SANDBOX_NETLINK_H
#define SANDBOX_NETLINK_H

#include <stdint.h>
#include <sys/types.h>

/* A NETLINK_ROUTE socket of the caller's network namespace. */
int nl_open(void);

/* The index of link `name` in the socket's namespace. A GET: needs no capability. */
int nl_link_index(int fd, const char *name);

/* IFLA_OPERSTATE of link `name` (IF_OPER_UP is 6). A GET. */
int nl_link_operstate(int fd, const char *name);

/* Sets IFF_UP on a link. */
int nl_link_up(int fd, int index);

/* A bridge `name`, up, no address. */
int nl_bridge_create(int fd, const char *name);

/*
 * One RTM_NEWLINK: veth `name` in the socket's namespace, up and a port of bridge `master`, its peer `peer`
 * (down, hardware address `peer_mac`) straight in the network namespace of process `peer_pid`.
 */
int nl_veth_create(int fd, const char *name, int master, const char *peer, const uint8_t peer_mac[6], pid_t peer_pid);

/* eth0-style set-up inside a sandbox: no IPv6 link-local address, up, then the IPv4 address (network order). */
int nl_link_no_ipv6_ll(int fd, int index);
int nl_addr_add(int fd, int index, uint32_t addr, uint8_t prefix);

#endif
