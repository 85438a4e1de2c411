/*
 * Unit tests for the HM decision engine (src/hm/engine.c) and the leader lease
 * (src/hm/lease.c): pure functions over desired/actual snapshots with injected time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "lease.h"

#define HB 1000 /* heartbeat interval in these tests */
#define V1 "sha-1"
#define V2 "sha-2"

static hm_policy_t policy(void)
{
    hm_policy_t p;
    hm_policy_defaults(&p);
    p.heartbeat_ms = HB;
    p.desired_max_age_ms = 5000;
    p.restart_timeout_ms = 2000;
    p.backoff_base_ms = 100;
    p.backoff_max_ms = 3200;
    p.giveup_crashes = 12;
    p.crash_reset_ms = 60000;
    return p;
}

static hm_app_t app(const char *id, const char *version, int64_t n, bool started)
{
    hm_app_t a = {.instances = n, .started = started, .staged = true, .updated_at = 42};
    snprintf(a.id, sizeof(a.id), "%s", id);
    snprintf(a.version, sizeof(a.version), "%s", version);
    return a;
}

static void hb(hm_engine_t *e, const char *a, const char *v, const char *inst, int64_t idx,
               hm_istate_t st, uint64_t now)
{
    hm_hb_t h = {
        .app = a, .version = v, .instance = inst, .dea = "dea-1", .index = idx, .state = st};
    hm_engine_heard(e, now);
    assert_int_equal(hm_engine_heartbeat(e, &h, now), 0);
}

static void crash(hm_engine_t *e, const char *a, const char *v, const char *inst, int64_t idx,
                  uint64_t now)
{
    hm_exit_t x = {.app = a, .version = v, .instance = inst, .index = idx, .reason = "CRASHED"};
    assert_int_equal(hm_engine_exited(e, &x, now), 0);
}

/* An engine at time 10000, connected since 0, with one desired app "a" (V1, n instances). */
static void setup_engine(hm_engine_t *e, int64_t n)
{
    hm_policy_t p = policy();
    hm_engine_init(e, &p);
    hm_engine_bus(e, true, 1);
    hm_app_t a = app("a", V1, n, true);
    hm_engine_set_desired(e, &a, 1, 10000);
}

static size_t count(const hm_decisions_t *d, hm_op_t op)
{
    size_t n = 0;
    for (size_t i = 0; i < d->len; i++)
        n += d->v[i].op == op;
    return n;
}

static void test_backoff_schedule(void **state)
{
    (void)state;
    hm_policy_t p;
    hm_policy_defaults(&p);
    assert_int_equal(hm_backoff_delay_ms(&p, 1), 0);
    assert_int_equal(hm_backoff_delay_ms(&p, 2), 0);
    assert_int_equal(hm_backoff_delay_ms(&p, 3), 0);
    assert_int_equal(hm_backoff_delay_ms(&p, 4), 30000);
    assert_int_equal(hm_backoff_delay_ms(&p, 5), 60000);
    assert_int_equal(hm_backoff_delay_ms(&p, 8), 480000);
    assert_int_equal(hm_backoff_delay_ms(&p, 9), 960000);
    assert_int_equal(hm_backoff_delay_ms(&p, 10), 960000);
    assert_int_equal(hm_backoff_delay_ms(&p, 199), 960000);
    assert_true(hm_backoff_delay_ms(&p, 200) == UINT64_MAX);
}

static void test_missing_index_started_once(void **state)
{
    (void)state;
    hm_engine_t e;
    hm_decisions_t d = {0};
    setup_engine(&e, 2);
    hb(&e, "a", V1, "i0", 0, HM_I_RUNNING, 9000);
    assert_int_equal(hm_engine_analyze(&e, 10100, &d), HM_FRESH);
    assert_int_equal(d.len, 1);
    assert_int_equal(d.v[0].op, HM_OP_START);
    assert_string_equal(d.v[0].app, "a");
    assert_string_equal(d.v[0].version, V1);
    assert_int_equal(d.v[0].index, 1);
    assert_int_equal(d.v[0].last_updated, 42);
    assert_false(d.v[0].flapping);
    /* Not repeated within restart_timeout, repeated after it while still missing. */
    d.len = 0;
    hb(&e, "a", V1, "i0", 0, HM_I_RUNNING, 11000);
    hm_app_t a = app("a", V1, 2, true);
    hm_engine_set_desired(&e, &a, 1, 11000);
    hm_engine_analyze(&e, 11000, &d);
    assert_int_equal(d.len, 0);
    hb(&e, "a", V1, "i0", 0, HM_I_RUNNING, 12100);
    hm_engine_set_desired(&e, &a, 1, 12100);
    hm_engine_analyze(&e, 12200, &d);
    assert_int_equal(count(&d, HM_OP_START), 1);
    hm_decisions_release(&d);
    hm_engine_release(&e);
}

static void test_new_app_left_to_the_cc(void **state)
{
    (void)state;
    hm_engine_t e;
    hm_decisions_t d = {0};
    setup_engine(&e, 0);
    hm_app_t apps[2] = {app("a", V1, 0, true), app("b", V1, 1, true)};
    hm_engine_set_desired(&e, apps, 2, 11000); /* b appears: the CC is starting it */
    hm_engine_analyze(&e, 11000, &d);
    hm_engine_set_desired(&e, apps, 2, 12999);
    hm_engine_analyze(&e, 12999, &d);
    assert_int_equal(d.len, 0);
    hm_engine_set_desired(&e, apps, 2, 13000);
    hm_engine_analyze(&e, 13000, &d);
    assert_int_equal(count(&d, HM_OP_START), 1);
    assert_string_equal(d.v[0].app, "b");
    /* A crash inside the grace is restarted at once. */
    apps[1] = app("b", V2, 1, true);
    hm_engine_set_desired(&e, apps, 2, 14000);
    hb(&e, "b", V2, "b0", 0, HM_I_RUNNING, 14000);
    crash(&e, "b", V2, "b0", 0, 14100);
    d.len = 0;
    hm_engine_analyze(&e, 14100, &d);
    assert_int_equal(count(&d, HM_OP_START), 1);
    hm_decisions_release(&d);
    hm_engine_release(&e);
}

/* The HM starts while the CC is starting an app (its first snapshot marks it recent): no
 * START that would duplicate the CC's until restart_timeout has passed. */
static void test_first_snapshot_recent_app_left_to_the_cc(void **state)
{
    (void)state;
    hm_engine_t e;
    hm_decisions_t d = {0};
    hm_policy_t p = policy();
    hm_engine_init(&e, &p);
    hm_engine_bus(&e, true, 1);
    hm_app_t apps[2] = {app("a", V1, 1, true), app("b", V1, 1, true)};
    apps[1].recent = true;
    hm_engine_set_desired(&e, apps, 2, 10000);
    hm_engine_analyze(&e, 10000, &d);
    /* a is long known: its missing index is started; b is left to the CC. */
    assert_int_equal(count(&d, HM_OP_START), 1);
    assert_string_equal(d.v[0].app, "a");
    d.len = 0;
    hm_engine_set_desired(&e, apps, 2, 11999);
    hm_engine_analyze(&e, 11999, &d);
    assert_int_equal(count(&d, HM_OP_START), 0);
    hb(&e, "a", V1, "a0", 0, HM_I_RUNNING, 12000); /* a's START was obeyed */
    hm_engine_set_desired(&e, apps, 2, 12000);
    hm_engine_analyze(&e, 12000, &d);
    assert_int_equal(count(&d, HM_OP_START), 1);
    assert_string_equal(d.v[0].app, "b");
    hm_decisions_release(&d);
    hm_engine_release(&e);
}

/* Scaled up (same version, new updated_at): the CC starts the new indices itself. */
static void test_scale_up_left_to_the_cc(void **state)
{
    (void)state;
    hm_engine_t e;
    hm_decisions_t d = {0};
    setup_engine(&e, 1);
    hb(&e, "a", V1, "i0", 0, HM_I_RUNNING, 10000);
    hm_engine_analyze(&e, 10000, &d);
    assert_int_equal(d.len, 0);
    hm_app_t a = app("a", V1, 3, true);
    a.updated_at = 43;
    hm_engine_set_desired(&e, &a, 1, 10500);
    hb(&e, "a", V1, "i0", 0, HM_I_RUNNING, 10500);
    hm_engine_analyze(&e, 10500, &d);
    assert_int_equal(d.len, 0);
    hb(&e, "a", V1, "i0", 0, HM_I_RUNNING, 12400);
    hm_engine_set_desired(&e, &a, 1, 12400);
    hm_engine_analyze(&e, 12400, &d);
    assert_int_equal(d.len, 0);
    /* Still missing after restart_timeout: started by the HM. */
    hm_engine_set_desired(&e, &a, 1, 12500);
    hm_engine_analyze(&e, 12500, &d);
    assert_int_equal(count(&d, HM_OP_START), 2);
    hm_decisions_release(&d);
    hm_engine_release(&e);
}

static void test_stopped_and_unstaged_apps_not_started(void **state)
{
    (void)state;
    hm_engine_t e;
    hm_decisions_t d = {0};
    hm_policy_t p = policy();
    hm_engine_init(&e, &p);
    hm_engine_bus(&e, true, 1);
    hm_app_t apps[2] = {app("s", V1, 1, false), app("u", V1, 1, true)};
    apps[1].staged = false;
    hm_engine_set_desired(&e, apps, 2, 10000);
    hm_engine_analyze(&e, 10000, &d);
    assert_int_equal(d.len, 0);
    hm_engine_release(&e);
}

/* A rollout: a running old version keeps its index while the new version is only starting
 * there (or missing), is stopped once the new one runs, and at the latest after rollout_ms. */
static void test_rollout_keeps_old_until_new_runs(void **state)
{
    (void)state;
    hm_engine_t e;
    hm_decisions_t d = {0};
    hm_policy_t p = policy();
    p.rollout_ms = 30000;
    hm_engine_init(&e, &p);
    hm_engine_bus(&e, true, 1);
    hm_app_t a = app("a", V1, 2, true);
    hm_engine_set_desired(&e, &a, 1, 10000); /* V1 known */
    hb(&e, "a", V1, "old0", 0, HM_I_RUNNING, 10000);
    hb(&e, "a", V1, "old1", 1, HM_I_RUNNING, 10000);
    a = app("a", V2, 2, true); /* a push: V2 is desired from now on */
    hm_engine_set_desired(&e, &a, 1, 11000);
    hb(&e, "a", V2, "new0", 0, HM_I_STARTING, 11500);
    hb(&e, "a", V1, "old0", 0, HM_I_RUNNING, 12000);
    hb(&e, "a", V1, "old1", 1, HM_I_RUNNING, 12000);
    hm_engine_analyze(&e, 12000, &d);
    assert_int_equal(count(&d, HM_OP_STOP), 0); /* index 0 starting, index 1 missing */
    d.len = 0;
    hb(&e, "a", V2, "new0", 0, HM_I_RUNNING, 13000);
    hb(&e, "a", V1, "old0", 0, HM_I_RUNNING, 13000);
    hb(&e, "a", V1, "old1", 1, HM_I_RUNNING, 13000);
    hm_engine_analyze(&e, 13000, &d);
    assert_int_equal(count(&d, HM_OP_STOP), 1);
    for (size_t i = 0; i < d.len; i++)
        if (d.v[i].op == HM_OP_STOP)
            assert_string_equal(d.v[i].instance, "old0");
    d.len = 0;
    /* Index 1 never gets a running V2: its old instance goes when rollout_ms has passed. */
    for (uint64_t t = 14000; t < 11000 + 30000; t += 1000) {
        hm_engine_set_desired(&e, &a, 1, t); /* the same V2: its first sighting is kept */
        hb(&e, "a", V2, "new0", 0, HM_I_RUNNING, t);
        hb(&e, "a", V1, "old1", 1, HM_I_RUNNING, t);
        hm_engine_analyze(&e, t, &d);
        for (size_t i = 0; i < d.len; i++)
            assert_false(d.v[i].op == HM_OP_STOP && strcmp(d.v[i].instance, "old1") == 0);
        d.len = 0;
    }
    hm_engine_set_desired(&e, &a, 1, 41500);
    hb(&e, "a", V2, "new0", 0, HM_I_RUNNING, 41500);
    hb(&e, "a", V1, "old1", 1, HM_I_RUNNING, 41500);
    hm_engine_analyze(&e, 41500, &d);
    bool stopped = false;
    for (size_t i = 0; i < d.len; i++)
        stopped |= d.v[i].op == HM_OP_STOP && strcmp(d.v[i].instance, "old1") == 0;
    assert_true(stopped);
    hm_decisions_release(&d);
    hm_engine_release(&e);
}

static void test_extra_old_duplicate_unknown_stopped(void **state)
{
    (void)state;
    hm_engine_t e;
    hm_decisions_t d = {0};
    hm_policy_t p = policy();
    hm_engine_init(&e, &p);
    hm_engine_bus(&e, true, 1);
    hb(&e, "a", V1, "keep0", 0, HM_I_RUNNING, 5000);
    hb(&e, "a", V1, "dup0", 0, HM_I_RUNNING, 6000);   /* duplicate, heard later */
    hb(&e, "a", V1, "extra2", 2, HM_I_RUNNING, 5000); /* index >= instances */
    hb(&e, "a", V2, "old1", 1, HM_I_RUNNING, 5000);   /* old version, the new one runs */
    hb(&e, "a", V1, "keep1", 1, HM_I_RUNNING, 5000);
    hb(&e, "gone", V1, "orphan", 0, HM_I_RUNNING, 5000); /* app deleted */
    hb(&e, "s", V1, "stopped0", 0, HM_I_RUNNING, 5000);  /* app stopped */
    hm_app_t apps[2] = {app("a", V1, 2, true), app("s", V1, 1, false)};
    hm_engine_set_desired(&e, apps, 2, 7000);
    hb(&e, "a", V1, "new0", 0, HM_I_STARTING, 7500); /* heard after the snapshot: spared */
    assert_int_equal(hm_engine_analyze(&e, 8000, &d), HM_FRESH);
    assert_int_equal(count(&d, HM_OP_START), 0);
    assert_int_equal(count(&d, HM_OP_STOP), 5);
    const char *want[] = {"dup0", "extra2", "old1", "orphan", "stopped0"};
    for (size_t w = 0; w < 5; w++) {
        bool found = false;
        for (size_t i = 0; i < d.len; i++)
            found |= strcmp(d.v[i].instance, want[w]) == 0;
        assert_true(found);
    }
    /* Not repeated within restart_timeout. */
    d.len = 0;
    hm_engine_analyze(&e, 8000, &d);
    assert_int_equal(d.len, 0);
    hm_decisions_release(&d);
    hm_engine_release(&e);
}

static void test_crash_policy_backoff_flapping_giveup(void **state)
{
    (void)state;
    hm_engine_t e;
    hm_decisions_t d = {0};
    setup_engine(&e, 1);
    uint64_t now = 10000;
    char id[32];
    /* Crashes 1..3: START at once. Then 100, 200, 400, ..., capped at 3200, give up at 12. */
    const uint64_t delays[] = {0, 0, 0, 100, 200, 400, 800, 1600, 3200, 3200, 3200};
    for (uint32_t c = 1; c <= 11; c++) {
        snprintf(id, sizeof(id), "i%u", c);
        hm_app_t a = app("a", V1, 1, true);
        hm_engine_set_desired(&e, &a, 1, now);
        hb(&e, "a", V1, id, 0, HM_I_RUNNING, now);
        now += 10;
        crash(&e, "a", V1, id, 0, now);
        const hm_index_t *r = hm_engine_index(&e, "a", 0);
        assert_non_null(r);
        assert_int_equal(r->crashes, c);
        assert_int_equal(hm_index_flapping(&e, r), c > 3);
        d.len = 0;
        if (delays[c - 1] > 0) {
            hm_engine_analyze(&e, now + delays[c - 1] - 1, &d);
            assert_int_equal(d.len, 0); /* still waiting */
        }
        hm_engine_analyze(&e, now + delays[c - 1], &d);
        assert_int_equal(d.len, 1);
        assert_int_equal(d.v[0].op, HM_OP_START);
        assert_int_equal(d.v[0].flapping, c > 3);
        now += delays[c - 1];
    }
    hm_app_t a = app("a", V1, 1, true);
    hm_engine_set_desired(&e, &a, 1, now);
    hb(&e, "a", V1, "i12", 0, HM_I_RUNNING, now);
    crash(&e, "a", V1, "i12", 0, now + 1);
    const hm_index_t *r = hm_engine_index(&e, "a", 0);
    assert_true(r->gave_up);
    assert_true(hm_index_flapping(&e, r));
    d.len = 0;
    hm_engine_analyze(&e, now + 4000, &d);
    assert_int_equal(d.len, 0);
    /* A new version (the user pushed or restarted) starts clean. */
    a = app("a", V2, 1, true);
    hm_engine_set_desired(&e, &a, 1, now + 4000);
    hm_engine_analyze(&e, now + 4000, &d);
    assert_int_equal(d.len, 0); /* the CC starts a changed app itself */
    hm_engine_set_desired(&e, &a, 1, now + 6000);
    hm_engine_analyze(&e, now + 6000, &d);
    assert_int_equal(d.len, 1);
    assert_string_equal(d.v[0].version, V2);
    assert_false(d.v[0].flapping);
    hm_decisions_release(&d);
    hm_engine_release(&e);
}

static void test_crash_count_resets_after_healthy_run(void **state)
{
    (void)state;
    hm_engine_t e;
    hm_decisions_t d = {0};
    setup_engine(&e, 1);
    for (int c = 0; c < 5; c++) {
        hb(&e, "a", V1, "x", 0, HM_I_RUNNING, 10000);
        crash(&e, "a", V1, "x", 0, 10000);
    }
    assert_int_equal(hm_engine_index(&e, "a", 0)->crashes, 5);
    /* Runs healthy for crash_reset (60 s): count back to 0. */
    for (uint64_t t = 10000; t <= 71000; t += 1000) {
        hm_app_t a = app("a", V1, 1, true);
        hm_engine_set_desired(&e, &a, 1, t);
        hb(&e, "a", V1, "y", 0, HM_I_RUNNING, t);
        hm_engine_analyze(&e, t, &d);
    }
    assert_int_equal(count(&d, HM_OP_STOP), 0);
    assert_int_equal(hm_engine_index(&e, "a", 0)->crashes, 0);
    crash(&e, "a", V1, "y", 0, 71500);
    d.len = 0;
    hm_engine_analyze(&e, 71500, &d);
    assert_int_equal(count(&d, HM_OP_START), 1); /* first crash again: at once */
    assert_false(d.v[0].flapping);
    hm_decisions_release(&d);
    hm_engine_release(&e);
}

static void test_stopped_and_old_version_exits_not_counted(void **state)
{
    (void)state;
    hm_engine_t e;
    setup_engine(&e, 1);
    hm_exit_t x = {.app = "a", .version = V1, .instance = "i", .index = 0, .reason = "STOPPED"};
    assert_int_equal(hm_engine_exited(&e, &x, 10000), 0);
    assert_null(hm_engine_index(&e, "a", 0));
    crash(&e, "a", V2, "i", 0, 10000);
    assert_null(hm_engine_index(&e, "a", 0));
    crash(&e, "a", V1, "j", 5, 10000); /* out of range */
    assert_null(hm_engine_index(&e, "a", 5));
    assert_int_equal(e.num_crashed, 2); /* still listed as crashed instances */
    x.app = "";
    assert_int_equal(hm_engine_exited(&e, &x, 10000), -EINVAL);
    hm_engine_release(&e);
}

static void test_freshness_guard(void **state)
{
    (void)state;
    hm_engine_t e;
    hm_decisions_t d = {0};
    hm_policy_t p = policy();
    hm_engine_init(&e, &p);
    hm_app_t a = app("a", V1, 1, true);
    /* Never connected, or no desired state: nothing. */
    assert_int_equal(hm_engine_analyze(&e, 10000, &d), HM_STALE_BUS);
    hm_engine_bus(&e, true, 10000);
    assert_int_equal(hm_engine_analyze(&e, 10500, &d), HM_STALE_BUS); /* < 1 interval */
    assert_int_equal(hm_engine_analyze(&e, 11000, &d), HM_STALE_DESIRED);
    hm_engine_set_desired(&e, &a, 1, 11000);
    hb(&e, "a", V1, "i0", 0, HM_I_RUNNING, 11000);
    assert_int_equal(hm_engine_analyze(&e, 11000, &d), HM_FRESH);
    assert_int_equal(d.len, 0);
    /* Bus outage of a minute: nothing expires, nothing decided. */
    hm_engine_bus(&e, false, 12000);
    assert_int_equal(hm_engine_analyze(&e, 40000, &d), HM_STALE_BUS);
    hm_engine_set_desired(&e, &a, 1, 70000);
    assert_int_equal(hm_engine_analyze(&e, 70000, &d), HM_STALE_BUS);
    assert_int_equal(e.num_insts, 1);
    /* Back: the instance is not expired until 3 intervals after the reconnection. */
    hm_engine_bus(&e, true, 72000);
    hm_engine_set_desired(&e, &a, 1, 73500);
    assert_int_equal(hm_engine_analyze(&e, 73500, &d), HM_FRESH);
    assert_int_equal(d.len, 0);
    assert_int_equal(e.num_insts, 1);
    hb(&e, "a", V1, "i0", 0, HM_I_RUNNING, 74000);
    /* CC outage: the snapshot ages out and the instance vanishes: still nothing. */
    assert_int_equal(hm_engine_analyze(&e, 80000, &d), HM_STALE_DESIRED);
    assert_int_equal(e.num_insts, 0);
    assert_int_equal(d.len, 0);
    /* CC back: the lost instance is restarted. */
    hm_engine_set_desired(&e, &a, 1, 80000);
    assert_int_equal(hm_engine_analyze(&e, 80000, &d), HM_FRESH);
    assert_int_equal(count(&d, HM_OP_START), 1);
    hm_decisions_release(&d);
    hm_engine_release(&e);
}

static void test_ttl_expiry_starts_elsewhere(void **state)
{
    (void)state;
    hm_engine_t e;
    hm_decisions_t d = {0};
    setup_engine(&e, 1);
    hb(&e, "a", V1, "i0", 0, HM_I_RUNNING, 9000);
    hm_engine_analyze(&e, 11000, &d);
    assert_int_equal(d.len, 0);
    hm_app_t a = app("a", V1, 1, true);
    hm_engine_set_desired(&e, &a, 1, 12001);
    hm_engine_analyze(&e, 12001, &d); /* 3 intervals after 9000: gone (its DEA died) */
    assert_int_equal(count(&d, HM_OP_START), 1);
    assert_int_equal(hm_engine_running(&e, "a", NULL), 0);
    hm_decisions_release(&d);
    hm_engine_release(&e);
}

static void test_heartbeat_states_and_running_count(void **state)
{
    (void)state;
    hm_engine_t e;
    setup_engine(&e, 3);
    hb(&e, "a", V1, "i0", 0, HM_I_RUNNING, 9000);
    hb(&e, "a", V1, "i1", 1, HM_I_STARTING, 9000);
    hb(&e, "a", V2, "o2", 2, HM_I_RUNNING, 9000);
    assert_int_equal(hm_engine_running(&e, "a", NULL), 1);
    assert_int_equal(hm_engine_running(&e, "a", V2), 1);
    hb(&e, "a", V1, "i1", 1, HM_I_RUNNING, 9500);
    assert_int_equal(hm_engine_running(&e, "a", V1), 2);
    hb(&e, "a", V1, "i1", 1, HM_I_CRASHED, 9600); /* crashed in a heartbeat: gone */
    assert_int_equal(hm_engine_running(&e, "a", V1), 1);
    assert_int_equal(e.num_crashed, 1);
    hm_hb_t bad = {
        .app = "a", .version = V1, .instance = "z", .dea = "d", .index = -1, .state = HM_I_RUNNING};
    assert_int_equal(hm_engine_heartbeat(&e, &bad, 9700), -EINVAL);
    hm_engine_release(&e);
}

static void test_lease_lowest_live_id_leads(void **state)
{
    (void)state;
    hm_lease_t a, b;
    hm_lease_init(&a, "aaa", 3000, 0);
    hm_lease_init(&b, "bbb", 3000, 0);
    for (uint64_t t = 0; t <= 3000; t += 1000) {
        hm_lease_observe(&a, "aaa", t);
        hm_lease_observe(&a, "bbb", t);
        hm_lease_observe(&b, "aaa", t);
        hm_lease_observe(&b, "bbb", t);
    }
    assert_true(hm_lease_is_leader(&a, 3000));
    assert_false(hm_lease_is_leader(&b, 3000));
    /* Not before listening for a whole ttl. */
    hm_lease_t c;
    hm_lease_init(&c, "000", 3000, 3000);
    hm_lease_observe(&c, "000", 3000);
    assert_false(hm_lease_is_leader(&c, 3000));
    /* a goes silent: b leads once a's claim is older than ttl. */
    for (uint64_t t = 4000; t <= 6000; t += 1000)
        hm_lease_observe(&b, "bbb", t);
    assert_false(hm_lease_is_leader(&b, 6000));
    hm_lease_observe(&b, "bbb", 6001);
    assert_true(hm_lease_is_leader(&b, 6001));
    /* After a reconnection b listens for a ttl again before leading. */
    hm_lease_listen(&b, 6001);
    hm_lease_observe(&b, "bbb", 6500);
    assert_false(hm_lease_is_leader(&b, 6500));
    hm_lease_observe(&b, "bbb", 9001);
    assert_true(hm_lease_is_leader(&b, 9001));
    /* b cut off from the bus (does not hear itself): not leader either. */
    assert_false(hm_lease_is_leader(&b, 12100));
    assert_null(hm_lease_leader(&b, 12100));
    assert_int_equal(hm_lease_observe(&b, "", 12100), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_schedule),
        cmocka_unit_test(test_missing_index_started_once),
        cmocka_unit_test(test_new_app_left_to_the_cc),
        cmocka_unit_test(test_stopped_and_unstaged_apps_not_started),
        cmocka_unit_test(test_extra_old_duplicate_unknown_stopped),
        cmocka_unit_test(test_rollout_keeps_old_until_new_runs),
        cmocka_unit_test(test_crash_policy_backoff_flapping_giveup),
        cmocka_unit_test(test_crash_count_resets_after_healthy_run),
        cmocka_unit_test(test_stopped_and_old_version_exits_not_counted),
        cmocka_unit_test(test_freshness_guard),
        cmocka_unit_test(test_first_snapshot_recent_app_left_to_the_cc),
        cmocka_unit_test(test_scale_up_left_to_the_cc),
        cmocka_unit_test(test_ttl_expiry_starts_elsewhere),
        cmocka_unit_test(test_heartbeat_states_and_running_count),
        cmocka_unit_test(test_lease_lowest_live_id_leads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
