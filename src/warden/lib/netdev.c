/* netdev.c - veth pair, addresses and routes without running `ip` (see wdn_netdev.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <net/route.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wdn_netdev.h"

typedef struct nl_msg_s {
    struct nlmsghdr h;
    struct ifinfomsg i;
    char attrs[512];
} nl_msg_t;

static struct rtattr *nl_add(nl_msg_t *m, unsigned short type, const void *data, size_t len)
{
    size_t off = NLMSG_ALIGN(m->h.nlmsg_len);
    size_t need = RTA_LENGTH(len);
    if (off + RTA_ALIGN(need) > sizeof(*m))
        return NULL;
    struct rtattr *a = (struct rtattr *)((char *)m + off);
    a->rta_type = type;
    a->rta_len = (unsigned short)need;
    if (data && len)
        memcpy(RTA_DATA(a), data, len);
    else if (len)
        memset(RTA_DATA(a), 0, len);
    m->h.nlmsg_len = (uint32_t)(off + RTA_ALIGN(need));
    return a;
}

static void nl_end(nl_msg_t *m, struct rtattr *nest)
{
    nest->rta_len = (unsigned short)((char *)m + m->h.nlmsg_len - (char *)nest);
}

static void nl_init(nl_msg_t *m, uint16_t type, uint16_t flags)
{
    memset(m, 0, sizeof(*m));
    m->h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
    m->h.nlmsg_type = type;
    m->h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
    m->h.nlmsg_seq = 1;
    m->i.ifi_family = AF_UNSPEC;
}

/* Sends the request and returns the kernel's answer: 0 or -errno. */
static int nl_talk(int nl, nl_msg_t *m)
{
    struct sockaddr_nl k = {.nl_family = AF_NETLINK};
    ssize_t n;
    do
        n = sendto(nl, m, m->h.nlmsg_len, 0, (struct sockaddr *)&k, sizeof(k));
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    char buf[4096] __attribute__((aligned(4)));
    for (;;) {
        do
            n = recv(nl, buf, sizeof(buf), 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            return -errno;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n);
             h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_ERROR) {
                struct nlmsgerr *e = NLMSG_DATA(h);
                return e->error;
            }
        }
    }
}

int wdn_nl_open(hc_err_t *err)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return hc_err_set(err, -errno, "netlink socket");
    struct sockaddr_nl a = {.nl_family = AF_NETLINK};
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        int e = -errno;
        close(fd);
        return hc_err_set(err, e, "bind netlink socket");
    }
    return fd;
}

static int put_name(nl_msg_t *m, const char *name)
{
    return nl_add(m, IFLA_IFNAME, name, strlen(name) + 1) ? 0 : -ENOSPC;
}

int wdn_nl_veth_add(int nl, const char *host, const char *peer, int peer_netns_fd, hc_err_t *err)
{
    uint32_t nsfd = (uint32_t)peer_netns_fd;
    nl_msg_t m;
    nl_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    int r = put_name(&m, host);
    struct rtattr *info = r == 0 ? nl_add(&m, IFLA_LINKINFO, NULL, 0) : NULL;
    struct rtattr *data = NULL, *pe = NULL;
    if (info && nl_add(&m, IFLA_INFO_KIND, "veth", 4))
        data = nl_add(&m, IFLA_INFO_DATA, NULL, 0);
    if (data)
        pe = nl_add(&m, VETH_INFO_PEER, NULL, sizeof(struct ifinfomsg));
    if (!pe || put_name(&m, peer) < 0 ||
        (peer_netns_fd >= 0 && !nl_add(&m, IFLA_NET_NS_FD, &nsfd, sizeof(nsfd))))
        return hc_err_set(err, -ENOSPC, "netlink message too long");
    nl_end(&m, pe);
    nl_end(&m, data);
    nl_end(&m, info);
    r = nl_talk(nl, &m);
    return r < 0 ? hc_err_set(err, r, "create veth `%s`", host) : 0;
}

int wdn_nl_link_del(int nl, const char *name, hc_err_t *err)
{
    nl_msg_t m;
    nl_init(&m, RTM_DELLINK, 0);
    if (put_name(&m, name) < 0)
        return hc_err_set(err, -ENOSPC, "netlink message too long");
    int r = nl_talk(nl, &m);
    if (r == -ENODEV)
        return 0;
    return r < 0 ? hc_err_set(err, r, "delete link `%s`", name) : 0;
}

int wdn_nl_link_to_ns(int nl, const char *name, int netns_fd, hc_err_t *err)
{
    nl_msg_t m;
    nl_init(&m, RTM_NEWLINK, 0);
    uint32_t fd = (uint32_t)netns_fd;
    if (put_name(&m, name) < 0 || !nl_add(&m, IFLA_NET_NS_FD, &fd, sizeof(fd)))
        return hc_err_set(err, -ENOSPC, "netlink message too long");
    int r = nl_talk(nl, &m);
    return r < 0 ? hc_err_set(err, r, "move `%s` into the container", name) : 0;
}

static int if_ioctl(unsigned long req, struct ifreq *ifr)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -errno;
    int r = ioctl(s, req, ifr) < 0 ? -errno : 0;
    close(s);
    return r;
}

static int if_name(struct ifreq *ifr, const char *name)
{
    memset(ifr, 0, sizeof(*ifr));
    size_t n = strlen(name);
    if (n >= IFNAMSIZ)
        return -ENAMETOOLONG;
    memcpy(ifr->ifr_name, name, n);
    return 0;
}

int wdn_if_rename(const char *from, const char *to, hc_err_t *err)
{
    struct ifreq ifr;
    int r = if_name(&ifr, from);
    if (r == 0 && strlen(to) >= IFNAMSIZ)
        r = -ENAMETOOLONG;
    if (r == 0) {
        memcpy(ifr.ifr_newname, to, strlen(to));
        r = if_ioctl(SIOCSIFNAME, &ifr);
    }
    return r < 0 ? hc_err_set(err, r, "rename `%s` to `%s`", from, to) : 0;
}

static void set_in(struct sockaddr *sa, in_addr_t a)
{
    struct sockaddr_in *in = (struct sockaddr_in *)sa;
    memset(in, 0, sizeof(*in));
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = a;
}

int wdn_if_addr_up(const char *name, const char *addr, unsigned prefix, hc_err_t *err)
{
    struct ifreq ifr;
    struct in_addr a;
    if (inet_pton(AF_INET, addr, &a) != 1 || prefix > 32)
        return hc_err_set(err, -EINVAL, "bad address `%s`", addr);
    int r = if_name(&ifr, name);
    if (r == 0) {
        set_in(&ifr.ifr_addr, a.s_addr);
        r = if_ioctl(SIOCSIFADDR, &ifr);
    }
    if (r == 0) {
        set_in(&ifr.ifr_netmask, prefix ? htonl(~0u << (32 - prefix)) : 0);
        r = if_ioctl(SIOCSIFNETMASK, &ifr);
    }
    if (r == 0)
        r = if_ioctl(SIOCGIFFLAGS, &ifr);
    if (r == 0) {
        ifr.ifr_flags |= IFF_UP;
        r = if_ioctl(SIOCSIFFLAGS, &ifr);
    }
    return r < 0 ? hc_err_set(err, r, "configure `%s`", name) : 0;
}

int wdn_route_default(const char *gw, hc_err_t *err)
{
    struct rtentry rt;
    struct in_addr a;
    if (inet_pton(AF_INET, gw, &a) != 1)
        return hc_err_set(err, -EINVAL, "bad gateway `%s`", gw);
    memset(&rt, 0, sizeof(rt));
    set_in(&rt.rt_dst, 0);
    set_in(&rt.rt_genmask, 0);
    set_in(&rt.rt_gateway, a.s_addr);
    rt.rt_flags = RTF_UP | RTF_GATEWAY;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return hc_err_set(err, -errno, "socket");
    int r = ioctl(s, SIOCADDRT, &rt) < 0 ? -errno : 0;
    close(s);
    return r < 0 ? hc_err_set(err, r, "default route via %s", gw) : 0;
}
