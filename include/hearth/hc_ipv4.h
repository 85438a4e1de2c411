/*
 * hc_ipv4.h - IPv4 addresses and networks from a length-bounded piece of text, strictly:
 * a dotted quad as inet_pton(3) takes it (four decimal parts 0..255, no leading zeros, no
 * spaces), optionally followed by "/N" with N 0..32. Pure functions, any thread.
 */
#ifndef HEARTH_CORE_IPV4_H
#define HEARTH_CORE_IPV4_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

/* The dotted quad [s, s+len) into *out (network order); false on anything else. */
bool hc_ipv4_parse(const char *s, size_t len, struct in_addr *out);
/* "a.b.c.d" or "a.b.c.d/N" in [s, s+len): the address and the prefix length (32 without /N). */
bool hc_cidr4_parse(const char *s, size_t len, struct in_addr *addr, unsigned *bits);

#endif
