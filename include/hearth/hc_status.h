/*
 * hc_status.h - the status server every daemon runs on its status port (cf-v1.md §10.1):
 *   GET /healthz -> 200 "ok\n"
 *   GET /varz    -> 200 JSON: type, index, uuid, host, credentials, start (RFC 3339), uptime
 *                   ("<d>d:<h>h:<m>m:<s>s"), mem (RSS in KiB), cpu (percent), num_cores, config
 *                   (sanitised), plus whatever the daemon's varz callback adds.
 * Both sit behind HTTP basic auth with the configured user/password, or random ones when unset;
 * anything else gets 401 with a WWW-Authenticate challenge.
 *
 * hc_status_component_json() builds the object the bus glue publishes on
 * vcap.component.announce and in replies to vcap.component.discover. Loop thread only.
 */
#ifndef HEARTH_CORE_STATUS_H
#define HEARTH_CORE_STATUS_H

#include <jansson.h>
#include <uv.h>

#include "hc_base.h"
#include "hc_http_server.h"

typedef struct hc_status_s hc_status_t;

typedef struct hc_status_conf_s {
    const char *type;      /* component type: "DEA", "Router", "CloudController"... */
    int index;             /* instance index (uuid is "<index>-<32 hex>") */
    const char *host;      /* address to bind, NULL: "127.0.0.1" */
    const char *advertise; /* address announced in "host", NULL: same as host */
    int port;              /* 0: any free port */
    const char *user;      /* NULL or "": random */
    const char *password;  /* NULL or "": random */
    const json_t *config;  /* optional, copied; secrets removed before it is shown in /varz */
} hc_status_conf_t;

/* Adds the daemon's own fields to a /varz object about to be sent (borrowed). */
typedef void (*hc_status_varz_fn)(json_t *varz, void *data);
typedef void (*hc_status_closed_fn)(hc_status_t *st, void *data);

/*
 * Starts the status server. conf is copied. Returns 0 and *ret_st, or a negative errno with err
 * set (address in use...).
 */
int hc_status_new(uv_loop_t *loop, const hc_status_conf_t *conf, hc_status_varz_fn varz_fn,
                  void *varz_data, hc_status_t **ret_st, hc_err_t *err);
int hc_status_port(const hc_status_t *st);
/* Borrowed strings, valid until hc_status_free. */
const char *hc_status_uuid(const hc_status_t *st);
const char *hc_status_user(const hc_status_t *st);
const char *hc_status_password(const hc_status_t *st);
/*
 * The component object: {"type","index","uuid","host":"ip:port","credentials":[user,pass],
 * "start","uptime"}. Returns a new reference.
 */
json_t *hc_status_component_json(hc_status_t *st);
/* The whole /varz object (component fields, metrics, daemon fields). Returns a new reference. */
json_t *hc_status_varz_json(hc_status_t *st);
/* Closes the HTTP server; `done` is called when it is closed, then hc_status_free may be called. */
void hc_status_close(hc_status_t *st, hc_status_closed_fn done, void *data);
/* Frees a closed status server. Accepts NULL. */
void hc_status_free(hc_status_t *st);

/* Removes, at any depth, the keys that carry secrets (mbus, keys, password, pass, token...). */
void hc_status_sanitize_config(json_t *config);
/* Formats seconds as "<d>d:<h>h:<m>m:<s>s" into buf. */
void hc_status_format_uptime(uint64_t seconds, char *buf, size_t size);

#endif
