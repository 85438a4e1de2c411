/* IPv4 addresses and networks from text: see hc_ipv4.h. */
#include "hc_ipv4.h"

#include <arpa/inet.h>
#include <string.h>

#include "hc_base.h"

bool hc_ipv4_parse(const char *s, size_t len, struct in_addr *out)
{
    char buf[INET_ADDRSTRLEN];
    if (!s || len == 0 || len >= sizeof(buf) || memchr(s, '\0', len))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return inet_pton(AF_INET, buf, out) == 1;
}

bool hc_cidr4_parse(const char *s, size_t len, struct in_addr *addr, unsigned *bits)
{
    const char *slash = s ? memchr(s, '/', len) : NULL;
    size_t alen = slash ? (size_t)(slash - s) : len;
    uint64_t v = 32;
    if (!hc_ipv4_parse(s, alen, addr))
        return false;
    if (slash && hc_parse_u64(slash + 1, len - alen - 1, 32, &v) < 0)
        return false;
    *bits = (unsigned)v;
    return true;
}
