/*
 * req.h - parsing of OSBAPI request bodies, query strings and headers. Pure functions over
 * bytes from the network: no loop, no allocation beyond what they return, fuzzed
 * (fuzz/fuzz_broker_req.c).
 */
#ifndef HEARTH_BROKER_REQ_H
#define HEARTH_BROKER_REQ_H

#include "hc_base.h"
#include "hc_buf.h"

/* PUT /v2/service_instances/:id and PUT .../service_bindings/:bid bodies. Strings owned. */
typedef struct brk_req_s {
    char *service_id, *plan_id;
    char *org, *space; /* provision: organization_guid, space_guid (required) */
    char *app_guid;    /* bind: bind_resource.app_guid or app_guid (optional) */
    char *params;      /* canonical JSON of "parameters" (sorted keys), "{}" when absent */
} brk_req_t;

/*
 * Parses a provision (bind = false) or bind (bind = true) body. Returns 0, or -EINVAL /
 * HC_ETOOBIG with a message for the client ("service_id: missing", "invalid JSON at ...").
 */
int brk_req_parse(const char *body, size_t len, bool bind, brk_req_t *out, hc_err_t *err);
void brk_req_release(brk_req_t *r);

/* An instance or binding id: 1..BRK_MAX_ID bytes of [A-Za-z0-9._-]. */
bool brk_id_valid(hc_str_t id);

/*
 * Finds key in an URL query ("a=1&b=2"), percent-decodes its value into out (NUL-terminated).
 * Returns 1 found, 0 absent, -EINVAL when the value is malformed or does not fit.
 */
int brk_query_get(hc_str_t query, const char *key, char *out, size_t size);

/* "2.14" >= min ("2.12")? False for anything that is not MAJOR.MINOR with the same major. */
bool brk_api_version_ok(hc_str_t header, const char *min);

#endif
