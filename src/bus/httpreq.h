/*
 * httpreq.h - the monitoring port's tiny HTTP request reader: enough of RFC 9112 for
 * `GET /path?query HTTP/1.x` heads from curl, browsers and scrapers. Pure and allocation-free.
 */
#ifndef HEARTH_BUS_HTTPREQ_H
#define HEARTH_BUS_HTTPREQ_H

#include "hc_buf.h"

/*
 * Looks at a request head in [buf, buf+len). Returns 0 with *ret_path and *ret_query (slices of
 * buf; query empty when absent) for a complete GET head, HC_AGAIN while the blank line ending
 * the head has not arrived, or the HTTP status to answer with: 400 (malformed) or 405 (not GET).
 */
int bus_http_parse(const char *buf, size_t len, hc_str_t *ret_path, hc_str_t *ret_query);

/* Finds key in a query string (a=1&b=2); returns false when absent. *ret is a slice of q. */
bool bus_http_query_get(hc_str_t q, const char *key, hc_str_t *ret);

#endif
