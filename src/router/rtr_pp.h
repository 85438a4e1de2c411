/*
 * rtr_pp.h - the PROXY protocol header a load balancer in front of the router may put at the
 * start of a client connection (HAProxy's "PROXY protocol" spec, versions 1 and 2), so the
 * router learns the real client address (X-Forwarded-For, access log). Enabled by the
 * `enable_proxy` setting, as in gorouter; like gorouter's listener the header is optional:
 * a connection that does not start with one is taken as it is.
 *
 * A pure, incremental, allocation-free parser (STYLE R23).
 */
#ifndef HEARTH_RTR_PP_H
#define HEARTH_RTR_PP_H

#include "hc_base.h"

#define RTR_PP_V1_MAX 107      /* the longest version 1 line, CRLF included */
#define RTR_PP_V2_MAX_LEN 2048 /* version 2 address block + TLVs we accept */
#define RTR_PP_MAX (16 + RTR_PP_V2_MAX_LEN)

typedef struct rtr_pp_s {
    int version; /* 1 or 2; 0 when the connection has no PROXY header */
    bool local;  /* v2 LOCAL, v1 UNKNOWN, or an address family without IP: no address */
    int family;  /* AF_INET or AF_INET6 when !local */
    char src_ip[46], dst_ip[46];
    uint16_t src_port, dst_port;
} rtr_pp_t;

/*
 * Parses the PROXY header at the start of buf. Returns the header's length (> 0) with *out
 * filled, 0 when buf does not start with a PROXY header (out->version is 0), HC_AGAIN when
 * more bytes are needed to tell, or HC_EPROTO for a malformed or oversized header (the
 * connection must be closed, per the spec). Never reads past len.
 */
int rtr_pp_parse(const char *buf, size_t len, rtr_pp_t *out);

#endif
