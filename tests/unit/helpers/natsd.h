/*
 * natsd.h - start a NATS-protocol server for a test and stop it again (STYLE R29).
 *
 * By default the server is Debian's nats-server, started as
 *   nats-server -a 127.0.0.1 -p PORT [extra args...]
 * With HEARTH_TEST_BUS=/path/to/binary in the environment (e.g. build/bin/hearth-bus), that
 * binary is started instead with "-a 127.0.0.1 -p PORT" (hearth-bus takes nats-server's
 * flags), or with the space-separated template in HEARTH_TEST_BUS_ARGS where "{port}" and
 * "{dir}" are replaced (e.g. "-c {dir}/bus.yml --port {port}"). Extra arguments given to
 * hc_test_natsd_start follow either way.
 *
 * The server runs in its own temp dir (its stdout/stderr go to DIR/server.log), gets
 * SIGKILL if the test process dies (PR_SET_PDEATHSIG), and is only ever signalled by the
 * PID we started.
 */
#ifndef HEARTH_TEST_NATSD_H
#define HEARTH_TEST_NATSD_H

#include <stdbool.h>
#include <sys/types.h>

#define HC_TEST_NATSD_MAX_ARGS 32

typedef struct hc_test_natsd_s {
    pid_t pid;                           /* 0 when not running */
    int port;                            /* the TCP port on 127.0.0.1 */
    char dir[64];                        /* temp dir, removed by hc_test_natsd_cleanup */
    char url[64];                        /* "nats://127.0.0.1:PORT" */
    char bin[256];                       /* the binary started */
    char *extra[HC_TEST_NATSD_MAX_ARGS]; /* extra arguments, kept for restarts */
    int nextra;
} hc_test_natsd_t;

/* A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read, close). */
int hc_test_free_port(void);

/*
 * Starts the server on `port` (0: a free port) with the NULL-terminated extra arguments
 * (may be NULL) and waits until it accepts a connection and sends its INFO line (10 s at
 * most). Returns 0 or -errno (-ETIMEDOUT when it never became ready; it is then killed).
 */
int hc_test_natsd_start(hc_test_natsd_t *d, int port, const char *const *extra);
/* Stops it (SIGTERM, then SIGKILL after 5 s) and reaps it. Returns 0 or -errno. No-op
 * when not running. The port and dir are kept so hc_test_natsd_resume can restart it. */
int hc_test_natsd_stop(hc_test_natsd_t *d);
/* Starts it again on the same port with the same arguments. */
int hc_test_natsd_resume(hc_test_natsd_t *d);
/* Stops it if running and removes its temp dir and saved arguments. */
void hc_test_natsd_cleanup(hc_test_natsd_t *d);
/* True when something accepts TCP connections on 127.0.0.1:port. */
bool hc_test_port_open(int port);

#endif
