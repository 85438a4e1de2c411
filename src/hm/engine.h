/*
 * The HM decision engine: desired state (the CC's apps), actual state (instances heard in
 * dea.heartbeat and droplet.exited), per-index crash records, and the rules that turn the
 * difference into START and STOP decisions. Pure: no I/O, no clock; every call takes `now`
 * (monotonic milliseconds) so tests drive time.
 *
 * Rules (hm_engine_analyze), for a STARTED and staged app of the desired state:
 *   - an index in 0..instances-1 with no STARTING/RUNNING instance of the live version is
 *     missing -> START, unless its crash record holds it back (backoff, given up), a START
 *     for it was sent less than restart_timeout ago, or the version was first seen less than
 *     restart_timeout ago (the CC starts a new or changed app itself: no duplicate start;
 *     "changed" is a new version or a new updated_at, e.g. a scale-up; in the first snapshot
 *     an app counts as changed when the caller marked it recent);
 *   - an instance of an unknown or stopped app, of an old version, of an index >= instances,
 *     or a second instance of an index (duplicate: the oldest RUNNING one is kept) -> STOP,
 *     repeated at most every restart_timeout while it is still heard.
 * Instances first heard after the desired snapshot was taken are never stopped (the CC may
 * have changed the app since). Crash policy (hm_engine_exited, reason CRASHED): the first
 * `immediate_restarts` crashes of an index restart at once; then backoff_base, doubling, up
 * to backoff_max; after `giveup_crashes` crashes the index is given up. An index with more
 * than immediate_restarts crashes is FLAPPING. The count resets when the index has run for
 * crash_reset since its last crash, and when the app's version changes.
 *
 * Freshness guard: hm_engine_analyze decides nothing unless the desired state is fresh (a
 * full snapshot begun less than desired_max_age ago) and the actual state is fresh (bus
 * connected without a break for at least one heartbeat interval, so every live DEA has
 * heartbeated since). Instances expire 3 heartbeat intervals after they were last heard,
 * counted from the (re)connection when that is later, and never while disconnected, so a
 * bus outage expires nothing and a CC outage decides nothing.
 */
#ifndef HEARTH_HM_ENGINE_H
#define HEARTH_HM_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "hc_base.h"

#define HM_ID_MAX 64       /* app guid, instance id, DEA id (bytes, without NUL) */
#define HM_VERSION_MAX 128 /* "<sha1>-<run count>" */
#define HM_MAX_APPS 100000
#define HM_MAX_INSTANCES 200000
#define HM_MAX_INDEX 10000   /* indices are 0..HM_MAX_INDEX-1 */
#define HM_MAX_CRASHED 10000 /* crashed instances remembered for healthmanager.status */

typedef struct hm_policy_s {
    uint64_t heartbeat_ms;       /* DEA heartbeat interval; instances expire after 3 of them */
    uint64_t desired_max_age_ms; /* a desired snapshot older than this is stale */
    uint64_t restart_timeout_ms; /* minimum gap between two STARTs / two STOPs of one target */
    uint32_t immediate_restarts; /* crashes restarted at once (3) */
    uint64_t backoff_base_ms;    /* first delayed restart (30 s) */
    uint64_t backoff_max_ms;     /* cap of the doubling (960 s) */
    uint32_t giveup_crashes;     /* no restart after this many crashes (200) */
    uint64_t crash_reset_ms;     /* running this long after the last crash resets the count */
    uint64_t crashed_keep_ms;    /* crashed instances kept for healthmanager.status */
    uint64_t rollout_ms; /* a running old version keeps its index this long after a new version
                            appears, until the new one runs there (the CC's cut-over) */
} hm_policy_t;

/* Default policy (the figures above; heartbeat 10 s). */
void hm_policy_defaults(hm_policy_t *p);
/* Delay before the restart that follows crash number `crashes` (1-based); UINT64_MAX when the
 * index is given up. */
uint64_t hm_backoff_delay_ms(const hm_policy_t *p, uint32_t crashes);

typedef enum hm_istate_e {
    HM_I_STARTING = 1,
    HM_I_RUNNING,
    HM_I_CRASHED,
    HM_I_OTHER, /* STOPPED, DELETED...: not an instance that counts */
} hm_istate_t;

hm_istate_t hm_istate_parse(const char *s);

/* One app of the desired state. */
typedef struct hm_app_s {
    char id[HM_ID_MAX + 1];
    char version[HM_VERSION_MAX + 1];
    int64_t instances;
    int64_t updated_at; /* the CC's updated_at, echoed as last_updated */
    bool started;       /* state == STARTED */
    bool staged;        /* has a package that did not fail staging: it can run */
    bool recent;        /* caller-set: updated_at is less than restart_timeout ago (wall) */
    uint64_t seen;      /* engine-set: when this version and updated_at were first seen */
} hm_app_t;

/* One instance heard from a DEA (a heartbeat entry). */
typedef struct hm_hb_s {
    const char *app, *version, *instance, *dea;
    int64_t index;
    hm_istate_t state;
} hm_hb_t;

/* One droplet.exited message. */
typedef struct hm_exit_s {
    const char *app, *version, *instance;
    int64_t index;
    const char *reason; /* CRASHED, STOPPED, DEA_SHUTDOWN, DEA_EVACUATION */
} hm_exit_t;

typedef struct hm_inst_s {
    char app[HM_ID_MAX + 1];
    char version[HM_VERSION_MAX + 1];
    char id[HM_ID_MAX + 1];
    char dea[HM_ID_MAX + 1];
    int64_t index;
    hm_istate_t state;
    uint64_t first_seen, last_seen, last_stop;
} hm_inst_t;

typedef struct hm_index_s {
    char app[HM_ID_MAX + 1];
    char version[HM_VERSION_MAX + 1]; /* the version the crashes belong to */
    int64_t index;
    uint32_t crashes;
    bool gave_up;
    bool lost; /* an instance exited (crash, DEA gone): start without the new-version grace */
    uint64_t last_crash, next_start, last_start, flapping_since;
} hm_index_t;

typedef struct hm_crashed_s {
    char app[HM_ID_MAX + 1];
    char id[HM_ID_MAX + 1];
    int64_t index;
    uint64_t at;
} hm_crashed_t;

typedef enum hm_op_e { HM_OP_START = 1, HM_OP_STOP } hm_op_t;

typedef struct hm_decision_s {
    hm_op_t op;
    char app[HM_ID_MAX + 1];
    char version[HM_VERSION_MAX + 1]; /* START: the live version */
    char instance[HM_ID_MAX + 1];     /* STOP */
    int64_t index;
    int64_t last_updated;
    bool flapping; /* START of an index in backoff */
} hm_decision_t;

typedef struct hm_decisions_s {
    hm_decision_t *v;
    size_t len, cap;
} hm_decisions_t;

void hm_decisions_release(hm_decisions_t *d);

/* Why analyze decided nothing. */
typedef enum hm_fresh_e {
    HM_FRESH = 0,
    HM_STALE_DESIRED = 1,
    HM_STALE_BUS = 2,
} hm_fresh_t;

typedef struct hm_engine_s {
    hm_policy_t policy;
    hm_app_t *apps; /* sorted by id */
    size_t num_apps;
    uint64_t desired_at; /* when the current snapshot's fetch began; 0: none yet */
    hm_inst_t *insts;    /* sorted by (app, index, id) */
    size_t num_insts, cap_insts;
    hm_index_t *idx; /* sorted by (app, index) */
    size_t num_idx, cap_idx;
    hm_crashed_t *crashed; /* ring, oldest first */
    size_t num_crashed, cap_crashed;
    bool connected;
    uint64_t connected_since;
    uint64_t last_heartbeat; /* since the connection; 0: none */
} hm_engine_t;

void hm_engine_init(hm_engine_t *e, const hm_policy_t *p);
void hm_engine_release(hm_engine_t *e);

/* Replaces the desired state with apps[0..n) (copied), fetched starting at `fetched_at`. */
void hm_engine_set_desired(hm_engine_t *e, const hm_app_t *apps, size_t n, uint64_t fetched_at);
const hm_app_t *hm_engine_app(const hm_engine_t *e, const char *id);

/* Bus state changes. */
void hm_engine_bus(hm_engine_t *e, bool connected, uint64_t now);

/* A dea.heartbeat message arrived (entries follow through hm_engine_heartbeat). */
void hm_engine_heard(hm_engine_t *e, uint64_t now);
/* One heartbeat entry; returns 0 or -EINVAL (bad field) / -ENOSPC (table full). */
int hm_engine_heartbeat(hm_engine_t *e, const hm_hb_t *hb, uint64_t now);
/* A droplet.exited; returns 0 or -EINVAL. */
int hm_engine_exited(hm_engine_t *e, const hm_exit_t *ex, uint64_t now);

hm_fresh_t hm_engine_fresh(const hm_engine_t *e, uint64_t now);

/* Forgets instances unheard for 3 heartbeat intervals and old crashed instances. */
void hm_engine_expire(hm_engine_t *e, uint64_t now);

/* hm_engine_expire, then (when fresh) appends decisions to out
 * and records them as sent. Returns the freshness verdict. */
hm_fresh_t hm_engine_analyze(hm_engine_t *e, uint64_t now, hm_decisions_t *out);

/* Queries. */
const hm_index_t *hm_engine_index(const hm_engine_t *e, const char *app, int64_t index);
/* Instances of app in state RUNNING, of `version` (NULL: the live version, or any when the app
 * is unknown). */
size_t hm_engine_running(const hm_engine_t *e, const char *app, const char *version);
bool hm_index_flapping(const hm_engine_t *e, const hm_index_t *r);

#endif
