/*
 * hearth-hm: the health manager daemon. Actual state from the bus (dea.heartbeat,
 * droplet.exited), desired state from the CC's bulk API, decisions from engine.h published
 * on cloudcontrollers.hm.requests by the one HM that holds the bus lease (lease.h).
 */
#ifndef HEARTH_HM_HM_H
#define HEARTH_HM_HM_H

#include <jansson.h>
#include <uv.h>

#include "engine.h"
#include "hc_bus.h"
#include "hc_daemon.h"
#include "hc_http_client.h"
#include "hc_status.h"
#include "lease.h"
#include "wire.h"

typedef struct hm_conf_s {
    char **nats_urls;
    int status_port;
    char *status_host;
    char *status_user;
    char *status_password;
    int log_level;
    char *log_file;
    char *id; /* lease id; NULL: random */
    char *cc_url;
    char *cc_user; /* bulk API credentials; NULL: asked on cloudcontroller.bulk.credentials */
    char *cc_password;
    uint64_t heartbeat_ms;
    uint64_t analysis_ms;
    uint64_t refresh_ms;
    uint64_t desired_max_age_ms;
    uint64_t restart_timeout_ms;
    uint64_t rollout_ms;
    uint64_t lease_ms;
    uint64_t cc_timeout_ms;
    uint64_t immediate_restarts;
    uint64_t backoff_base_ms;
    uint64_t backoff_max_ms;
    uint64_t giveup_crashes;
    uint64_t crash_reset_ms;
} hm_conf_t;

typedef struct hm_counts_s {
    uint64_t starts, stops, flapping_starts, publish_failures;
    uint64_t heartbeats, bad_heartbeats, exits, bad_exits, updates;
    uint64_t analyses, stale_desired, stale_bus, not_leader;
    uint64_t bulk_ok, bulk_failed, status_queries, health_queries;
} hm_counts_t;

typedef struct hm_s {
    hc_daemon_t *d;
    hm_conf_t *conf;
    uv_loop_t *loop;
    hm_engine_t engine;
    hm_lease_t lease;
    char id[HM_LEASE_ID_MAX + 1];
    hc_bus_t *bus;
    hc_http_client_t *http;
    hc_status_t *status;
    json_t *component;
    uv_timer_t analysis_timer, refresh_timer, lease_timer;
    int timers_open;
    hm_counts_t counts;
    hm_fresh_t last_fresh;
    bool leader;
    /* desired-state refresh */
    bool fetching, fetch_again, asking_creds;
    char *bulk_user, *bulk_password;
    uint64_t fetch_started;
    hm_apps_t fetch_apps;
    hc_http_xfer_t *xfer;
} hm_t;

extern const hc_conf_opt_t hm_conf_opts[];

int hm_start(hc_daemon_t *d, hc_err_t *err);
void hm_stop(hc_daemon_t *d);
void hm_release(hm_t *hm);

/* Desired state (desired.c). */
void hm_desired_refresh(hm_t *hm);
void hm_desired_cancel(hm_t *hm);

/* Runs one analysis now and publishes its decisions when leading (hm.c). */
void hm_analyze_now(hm_t *hm);

#endif
