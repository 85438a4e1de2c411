/*
 * hcheck.h - the HTTP health check of an instance (health_check_type "http"): one
 * `GET PATH HTTP/1.1` to 127.0.0.1:PORT with `Connection: close`, on the DEA's loop, bounded
 * in time and in the bytes it reads (DEA_HCHECK_MAX_HEAD). The status line is parsed by the
 * core HTTP parser (hc_http_parse_response); dea_hcheck_status is the pure part (fuzzed).
 */
#ifndef HEARTH_DEA_HCHECK_H
#define HEARTH_DEA_HCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define DEA_HCHECK_MAX_HEAD 4096 /* bytes of the answer read, at most */

/*
 * The status code of the response head in buf[0..len): 100..999, HC_AGAIN while the head is
 * not complete (and len < DEA_HCHECK_MAX_HEAD), HC_EPROTO when it is malformed or does not fit.
 */
int dea_hcheck_status(const char *buf, size_t len);

/*
 * The end of one check: status is the HTTP status code, or 0 with error set ("connection
 * refused", "timed out after 1000 ms", "malformed response" ...).
 */
typedef void (*dea_hcheck_fn)(void *ud, int status, const char *error);
typedef struct dea_hcheck_s dea_hcheck_t;

/*
 * Starts one check. fn runs exactly once, later on the loop, unless dea_hcheck_cancel comes
 * first. path must be valid (hc_health_path_ok); host goes into the Host field.
 */
dea_hcheck_t *dea_hcheck_start(uv_loop_t *loop, int port, const char *host, const char *path,
                               uint64_t timeout_ms, dea_hcheck_fn fn, void *ud);
/* Ends a check in flight: fn will not run. */
void dea_hcheck_cancel(dea_hcheck_t *h);

#endif
