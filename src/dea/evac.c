/*
 * Evacuation (SIGTERM, and SIGUSR2 as in v1; SIGINT stops the DEA and leaves its apps running):
 * advertise no room once and then stop advertising, announce every live instance as DEA_EVACUATION
 * so the HM starts replacements elsewhere, keep serving for evacuation_delay (evacuated instances
 * are no longer heartbeated), then remove the routes, stop the instances evacuation_drain later and
 * exit.
 */
#include <signal.h>

#include "dea.h"
#include "hc_log.h"

static void on_exit_timer(uv_timer_t *t)
{
    dea_t *dea = t->data;
    uv_close((uv_handle_t *)t, NULL);
    hc_daemon_stop(dea->d);
}

static void on_drain_timer(uv_timer_t *t)
{
    dea_t *dea = t->data;
    dea_inst_t *in = dea->insts, *next;
    for (; in; in = next) {
        next = in->next;
        dea_inst_stop(in, "DEA_SHUTDOWN");
    }
    /* Let the stops reach warden before the loop closes. */
    uv_timer_start(t, on_exit_timer, 2000, 0);
}

/*
 * The delay is over: the routes go first, and the instances keep running for
 * evacuation_drain so that what the routers already sent them is answered (killed mid-answer,
 * a request would fail: the router can only retry one that got no response byte yet).
 */
static void on_evac_timer(uv_timer_t *t)
{
    dea_t *dea = t->data;
    dea->draining = true; /* no re-registration (periodic, router.start) from now on */
    for (dea_inst_t *in = dea->insts; in; in = in->next)
        dea_inst_unregister(in);
    uv_timer_start(t, on_drain_timer, dea->conf->evacuation_drain_ms, 0);
}

void dea_evacuate(dea_t *dea)
{
    if (dea->evacuating || dea->d->stopping)
        return;
    dea->evacuating = true;
    dea->stopping = true; /* no more advertising nor new starts */
    hc_log_info("evacuating: instances announced as DEA_EVACUATION");
    /*
     * One last advertisement with no room, before the exits: the CC still trusts the previous
     * one for a while and would place the replacements the HM asks for right back here.
     */
    dea_publish(dea, "dea.advertise", dea_advertise_msg(dea));
    for (dea_inst_t *in = dea->insts; in; in = in->next) {
        if (in->state != DEA_STARTING && in->state != DEA_RUNNING)
            continue;
        in->evacuated = true;
        in->exit_reason = "DEA_EVACUATION";
        dea_publish(dea, "droplet.exited", dea_exited_msg(in, (double)uv_now(dea->loop) / 1e3));
        in->exit_reason = NULL;
        in->notified = true;
    }
    uv_timer_init(dea->loop, &dea->evac_timer);
    dea->evac_timer.data = dea;
    uv_timer_start(&dea->evac_timer, on_evac_timer, dea->conf->evacuation_delay_ms, 0);
}

void dea_term(hc_daemon_t *d)
{
    dea_evacuate(d->data);
}

static void on_usr2(uv_signal_t *sig, int signum)
{
    (void)signum;
    dea_evacuate(sig->data);
}

int dea_evac_start(dea_t *dea)
{
    uv_signal_init(dea->loop, &dea->usr2);
    dea->usr2.data = dea;
    return uv_signal_start(&dea->usr2, on_usr2, SIGUSR2);
}

void dea_evac_stop(dea_t *dea)
{
    if (!uv_is_closing((uv_handle_t *)&dea->usr2))
        uv_close((uv_handle_t *)&dea->usr2, NULL);
}
