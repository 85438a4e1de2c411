/* Multi-reply bus requests. */
#include <stdio.h>
#include <string.h>

#include "bus/bus.h"
#include "bus/gather.h"
#include "hc_json.h"
#include "hc_uuid.h"

typedef struct gather_s {
    cc_ctx_t *cc;
    hc_bus_sub_t *sub;
    uv_timer_t timer;
    json_t *replies;
    size_t expected;
    cc_gather_cb cb;
    void *ud;
    bool done;
    struct gather_s *next; /* in cc->gathers */
} gather_t;

static void gather_closed(uv_handle_t *h)
{
    gather_t *g = HC_CONTAINER_OF((uv_timer_t *)h, gather_t, timer);
    json_decref(g->replies);
    free(g);
}

static void gather_finish(gather_t *g)
{
    if (g->done)
        return;
    g->done = true;
    for (gather_t **pp = (gather_t **)&g->cc->gathers; *pp; pp = &(*pp)->next)
        if (*pp == g) {
            *pp = g->next;
            break;
        }
    hc_bus_unsubscribe(g->sub);
    g->sub = NULL;
    uv_timer_stop(&g->timer);
    g->cb(g->cc, 0, g->replies, g->ud);
    uv_close((uv_handle_t *)&g->timer, gather_closed);
}

static void on_timeout(uv_timer_t *t)
{
    gather_finish(HC_CONTAINER_OF(t, gather_t, timer));
}

static void on_reply(hc_bus_sub_t *sub, const hc_bus_msg_t *msg, void *ud)
{
    gather_t *g = ud;
    json_t *v = NULL;
    hc_err_t err;
    (void)sub;
    if (g->done)
        return;
    if (json_array_size(g->replies) < CC_GATHER_MAX_REPLIES &&
        hc_json_parse_obj(msg->data, msg->len, 1 << 20, &v, &err) == 0)
        json_array_append_new(g->replies, v);
    if (json_array_size(g->replies) >= g->expected)
        gather_finish(g);
}

void cc_gather(cc_ctx_t *cc, const char *subject, const json_t *msg, size_t expected,
               uint64_t timeout_ms, cc_gather_cb cb, void *ud)
{
    hc_bus_t *bus = cc_bus_handle(cc);
    char inbox[64], hex[25];
    json_t *empty = hc_json_arr();
    if (!bus) {
        cb(cc, -ENOTCONN, empty, ud);
        json_decref(empty);
        return;
    }
    json_decref(empty);
    gather_t *g = hc_calloc(1, sizeof(*g));
    g->cc = cc;
    g->replies = hc_json_arr();
    g->expected = expected ? expected : 1;
    g->cb = cb;
    g->ud = ud;
    uv_timer_init(cc->loop, &g->timer);
    g->next = cc->gathers;
    cc->gathers = g;
    hc_random_hex(hex, 12);
    snprintf(inbox, sizeof(inbox), "_INBOX.cc.%s", hex);
    hc_autofree char *data = json_dumps(msg, JSON_COMPACT);
    if (hc_bus_subscribe(bus, inbox, NULL, on_reply, g, &g->sub) < 0 ||
        hc_bus_publish_reply(bus, subject, inbox, data, strlen(data)) < 0) {
        gather_finish(g);
        return;
    }
    uv_timer_start(&g->timer, on_timeout, timeout_ms, 0);
}

void cc_gather_cancel_all(cc_ctx_t *cc)
{
    while (cc->gathers)
        gather_finish(cc->gathers);
}
