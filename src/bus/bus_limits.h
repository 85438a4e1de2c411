/*
 * limits.h - every bound of hearth-bus in one place (STYLE R19), with nats-server 2.9.10's
 * defaults (spec/bus.md §6). Each has a flag or config-file override.
 */
#ifndef HEARTH_BUS_LIMITS_H
#define HEARTH_BUS_LIMITS_H

#define BUS_DEFAULT_PORT 4222
#define BUS_DEFAULT_HTTP_PORT 8222
#define BUS_MAX_PAYLOAD (1024 * 1024)            /* announced in INFO */
#define BUS_MAX_PAYLOAD_LIMIT (64 * 1024 * 1024) /* highest max_payload we accept */
#define BUS_MAX_CONTROL_LINE 4096                /* PUB/SUB/CONNECT arguments */
#define BUS_MAX_PENDING (64 * 1024 * 1024)       /* per client outbound bytes, then slow consumer */
#define BUS_MAX_CONNECTIONS 65536
#define BUS_PING_INTERVAL_MS (2 * 60 * 1000)
#define BUS_FIRST_PING_MS 2000 /* first PING measures the RTT */
#define BUS_PING_MAX 2         /* outstanding PINGs, then stale */
#define BUS_AUTH_TIMEOUT_MS 2000
#define BUS_WRITE_DEADLINE_MS 10000
#define BUS_MAX_CLOSED_CLIENTS 10000  /* kept for /connz?state=closed */
#define BUS_IDLE_BUF_MAX (256 * 1024) /* output buffer kept by an idle client */
#define BUS_READ_BUF 65536            /* one shared read buffer per loop */
#define BUS_SUBLIST_CACHE_MAX 4096    /* cached match results */
#define BUS_LAME_DUCK_GRACE_MS 2000   /* SIGTERM: time given to flush clients */
#define BUS_MONITOR_MAX_REQUEST 8192  /* HTTP request head on the monitor port */

#endif
