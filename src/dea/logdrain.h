/*
 * logdrain.h - an instance's syslog drains: the bound user-provided services whose
 * syslog_drain_url is "syslog://HOST:PORT" get every line the app writes, as RFC 5424
 * messages over TCP with octet-counting framing (RFC 6587), the way Cloud Foundry drains do
 * ("syslog-tls://HOST:PORT": the same over TLS, RFC 5425, see logdrain_tls.h):
 *   LEN <14>1 2026-11-25T01:02:03.456789Z APPNAME APPGUID [APP/INDEX] - - the line
 * (<14> user.info for stdout, <11> user.err for stderr). Each drain keeps a bounded queue
 * (lines beyond it are dropped and counted), resolves its host off the loop, reconnects with
 * a growing delay (also after a failed TLS handshake or verification), and is refused when
 * its address is the host's loopback or link-local (cloud metadata) unless
 * log_drains.allow_loopback is set. Loop thread.
 */
#ifndef HEARTH_DEA_LOGDRAIN_H
#define HEARTH_DEA_LOGDRAIN_H

#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

#include "dea.h"
#include "hc_buf.h"

#define DEA_LOGDRAIN_MAX 8             /* drains per instance */
#define DEA_LOGDRAIN_MAX_LINE 8192     /* a longer line is sent in pieces */
#define DEA_LOGDRAIN_MAX_QUEUED 262144 /* bytes waiting for one drain */

typedef struct dea_logdrains_s dea_logdrains_t;

/* The drains the instance's services name (NULL when none). */
dea_logdrains_t *dea_logdrains_new(dea_t *dea, const dea_inst_t *in);
/* Output of the app (is_err: stderr); complete lines go to every drain. NULL d: nothing. */
void dea_logdrains_write(dea_logdrains_t *d, bool is_err, const char *data, size_t len);
/* Sends what is queued (for at most a few seconds), then closes. Accepts NULL. */
void dea_logdrains_close(dea_logdrains_t *d);

/*
 * "syslog://HOST:PORT" or "syslog-tls://HOST:PORT" (HOST a name, an IPv4 address or [IPv6])
 * -> host, port, *ret_tls (true for syslog-tls); else -EINVAL and nothing written.
 */
int dea_logdrain_parse_url(const char *url, char *host, size_t host_size, int *port, bool *ret_tls);
/* Appends one framed message to out. */
void dea_logdrain_frame(hc_buf_t *out, bool is_err, const struct timespec *ts, const char *hostname,
                        const char *app, const char *procid, const char *msg, size_t len);
/* True when a drain may not connect to sa (loopback, link-local, unspecified). */
bool dea_logdrain_addr_refused(const struct sockaddr *sa, bool allow_loopback);

#endif
