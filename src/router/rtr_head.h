/*
 * rtr_head.h - rewriting HTTP heads as they cross the router (pure functions over parsed
 * heads, no I/O): hop-by-hop headers removed (RFC 9110 §7.6.1), X-Forwarded-*, the
 * request id, trace context and X-CF-* headers added, the sticky-session cookie set.
 */
#ifndef HEARTH_RTR_HEAD_H
#define HEARTH_RTR_HEAD_H

#include "hc_buf.h"
#include "hc_http.h"
#include "hc_uuid.h"

typedef struct rtr_head_in_s {
    const char *client_ip; /* appended to X-Forwarded-For */
    const char *proto;     /* X-Forwarded-Proto when the client sent none: "http" / "https" */
    uint64_t start_ms;     /* wall clock, X-Request-Start */
} rtr_head_in_t;

typedef struct rtr_head_out_s {
    char request_id[HC_UUID_STR_LEN + 1]; /* kept from the client when a valid UUID */
    hc_str_t vcap_id;      /* __VCAP_ID__ cookie value (points into the request), or empty */
    hc_str_t app_instance; /* X-CF-App-Instance value (points into the request), or empty */
} rtr_head_out_t;

/*
 * Writes the request head to send upstream into out, without the final empty line: the
 * caller appends rtr_head_backend() for the chosen backend. HTTP/1.1 upstream always.
 */
void rtr_head_request(hc_buf_t *out, const hc_http_req_t *req, const rtr_head_in_t *in,
                      rtr_head_out_t *ret);
/* Appends X-CF-ApplicationID / X-CF-InstanceID / X-CF-InstanceIndex (non-empty ones) and the
 * empty line that ends the head. */
void rtr_head_backend(hc_buf_t *out, const char *app, const char *instance_id, const char *index);

typedef struct rtr_resp_in_s {
    const char *instance_id; /* for __VCAP_ID__; empty: no sticky cookie */
    const char *request_id;
    bool close;        /* tell the client the connection closes after this response */
    bool keep_alive10; /* HTTP/1.0 client that asked for keep-alive */
    bool upgrade;      /* 101 to an upgrade request: keep Upgrade, send Connection: Upgrade */
} rtr_resp_in_t;

/* Writes the response head for the client into out, empty line included. */
void rtr_head_response(hc_buf_t *out, const hc_http_resp_t *resp, const rtr_resp_in_t *in);

/* Value of cookie `name` in a Cookie header value, or an empty slice. */
hc_str_t rtr_cookie_get(hc_str_t header, hc_str_t name);
/* True for a W3C traceparent of version 00 with non-zero ids. */
bool rtr_traceparent_valid(hc_str_t v);
/*
 * Splits "APPGUID:INDEX" (X-CF-App-Instance). Returns false when malformed (the router
 * answers 400 invalid_cf_app_instance_header).
 */
bool rtr_app_instance_split(hc_str_t v, hc_str_t *app, hc_str_t *index);

#endif
