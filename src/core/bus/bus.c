/* The bus client's life cycle: options, connection, state callbacks, publish, shutdown. */
#include <stdio.h>
#include <string.h>

#include "bus_internal.h"

int hc__bus_status_errno(natsStatus s)
{
    switch (s) {
    case NATS_OK:
        return 0;
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBJECT:
        return -EINVAL;
    case NATS_MAX_PAYLOAD:
        return -EMSGSIZE;
    case NATS_INSUFFICIENT_BUFFER:
        return -ENOBUFS;
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
        return -ENOTCONN;
    case NATS_NO_MEMORY:
        return -ENOMEM;
    case NATS_TIMEOUT:
        return -ETIMEDOUT;
    default:
        return -EIO;
    }
}

/* libnats connection handlers: they run on libnats threads, so they only enqueue. */
static void on_nats_connected(natsConnection *nc, void *closure)
{
    hc__bus_push(closure, HC__BUS_ITEM_EVENT, NULL, HC_BUS_CONNECTED);
}

static void on_nats_disconnected(natsConnection *nc, void *closure)
{
    hc__bus_push(closure, HC__BUS_ITEM_EVENT, NULL, HC_BUS_DISCONNECTED);
}

static void on_nats_reconnected(natsConnection *nc, void *closure)
{
    hc__bus_push(closure, HC__BUS_ITEM_EVENT, NULL, HC_BUS_RECONNECTED);
}

static void on_nats_closed(natsConnection *nc, void *closure)
{
    hc__bus_push(closure, HC__BUS_ITEM_EVENT, NULL, HC_BUS_CLOSED);
}

/* Exponential backoff after each full pass over the server list, plus jitter. */
static int64_t reconnect_delay(natsConnection *nc, int attempts, void *closure)
{
    const hc_bus_t *bus = closure;
    uint64_t wait = bus->opts.reconnect_wait_ms;
    for (int i = 1; i < attempts && wait < bus->opts.reconnect_max_wait_ms; i++)
        wait *= 2;
    if (wait > bus->opts.reconnect_max_wait_ms)
        wait = bus->opts.reconnect_max_wait_ms;
    if (bus->opts.reconnect_jitter_ms)
        wait += (uint64_t)random() % (bus->opts.reconnect_jitter_ms + 1);
    return (int64_t)wait;
}

static void fill_defaults(hc_bus_opts_t *o)
{
    if (!o->reconnect_wait_ms)
        o->reconnect_wait_ms = HC_BUS_DEFAULT_RECONNECT_WAIT_MS;
    if (!o->reconnect_max_wait_ms)
        o->reconnect_max_wait_ms = HC_BUS_DEFAULT_RECONNECT_MAX_WAIT_MS;
    if (o->reconnect_max_wait_ms < o->reconnect_wait_ms)
        o->reconnect_max_wait_ms = o->reconnect_wait_ms;
    if (!o->reconnect_jitter_ms)
        o->reconnect_jitter_ms = HC_BUS_DEFAULT_RECONNECT_JITTER_MS;
    if (!o->connect_timeout_ms)
        o->connect_timeout_ms = HC_BUS_DEFAULT_CONNECT_TIMEOUT_MS;
    if (!o->ping_interval_ms)
        o->ping_interval_ms = HC_BUS_DEFAULT_PING_INTERVAL_MS;
    if (!o->reconnect_buf_bytes)
        o->reconnect_buf_bytes = HC_BUS_DEFAULT_RECONNECT_BUF_BYTES;
    if (!o->max_queued_msgs)
        o->max_queued_msgs = HC_BUS_DEFAULT_MAX_QUEUED_MSGS;
    if (!o->max_queued_bytes)
        o->max_queued_bytes = HC_BUS_DEFAULT_MAX_QUEUED_BYTES;
}

/* Splits "a, b,c" into trimmed malloc'd strings. Returns the count or -EINVAL. */
static int split_urls(const char *urls, char **out, int max)
{
    int n = 0;
    const char *p = urls;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        const char *last = end;
        while (last > p && last[-1] == ' ')
            last--;
        if (n == max) {
            for (int i = 0; i < n; i++)
                free(out[i]);
            return -EINVAL;
        }
        out[n++] = hc_strndup(p, (size_t)(last - p));
        p = end;
    }
    return n;
}

static natsStatus build_options(hc_bus_t *bus, natsOptions *no, const char **urls, int n)
{
    const hc_bus_opts_t *o = &bus->opts;
    natsStatus s = natsOptions_SetServers(no, urls, n);
    if (s == NATS_OK && o->name)
        s = natsOptions_SetName(no, o->name);
    if (s == NATS_OK && (o->user || o->password))
        s = natsOptions_SetUserInfo(no, o->user, o->password);
    if (s == NATS_OK && o->token)
        s = natsOptions_SetToken(no, o->token);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(no, -1);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(no, o->reconnect_wait_ms);
    if (s == NATS_OK)
        s = natsOptions_SetCustomReconnectDelay(no, reconnect_delay, bus);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectBufSize(no, (int)HC_MIN(o->reconnect_buf_bytes, INT32_MAX));
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(no, o->connect_timeout_ms);
    if (s == NATS_OK)
        s = natsOptions_SetPingInterval(no, o->ping_interval_ms);
    if (s == NATS_OK)
        s = natsOptions_SetMaxPingsOut(no, 2);
    if (s == NATS_OK)
        s = natsOptions_SetRetryOnFailedConnect(no, true, on_nats_connected, bus);
    if (s == NATS_OK)
        s = natsOptions_SetDisconnectedCB(no, on_nats_disconnected, bus);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(no, on_nats_reconnected, bus);
    if (s == NATS_OK)
        s = natsOptions_SetClosedCB(no, on_nats_closed, bus);
    /* Without send-asap a publish waits for libnats' flusher thread (about 1 ms per hop,
     * bench/bus_glue); with it the loop thread writes in the same tick. */
    if (s == NATS_OK)
        s = natsOptions_SetSendAsap(no, !o->batch_writes);
    /* One shared delivery pool instead of a thread per subscription. */
    if (s == NATS_OK)
        s = natsOptions_UseGlobalMessageDelivery(no, true);
    if (s == NATS_OK)
        s = natsOptions_SetEventLoop(no, &bus->io, hc__bus_io_attach, hc__bus_io_read,
                                     hc__bus_io_write, hc__bus_io_detach);
    return s;
}

static void bus_free_cb(uv_handle_t *h)
{
    hc_bus_t *bus = HC_CONTAINER_OF(h, hc_bus_t, async);
    hc__bus_io_release(&bus->io);
    pthread_mutex_destroy(&bus->qmu);
    free(bus->inbox_prefix);
    free(bus);
}

int hc_bus_new(uv_loop_t *loop, const char *urls, const hc_bus_opts_t *opts, hc_bus_t **ret_bus,
               hc_err_t *err)
{
    char *list[HC_BUS_MAX_URLS];
    natsOptions *no = NULL;
    int r;

    if (!loop || !urls)
        return hc_err_set(err, -EINVAL, "bus: no loop or server list");
    int n = split_urls(urls, list, HC_BUS_MAX_URLS);
    if (n <= 0)
        return hc_err_set(err, -EINVAL, "bus: server list `%s` is empty or has over %d entries",
                          urls, HC_BUS_MAX_URLS);

    hc_bus_t *bus = hc_calloc(1, sizeof(*bus));
    bus->loop = loop;
    bus->loop_thread = pthread_self();
    if (opts)
        bus->opts = *opts;
    fill_defaults(&bus->opts);
    hc__bus_io_init(&bus->io, bus);
    pthread_mutex_init(&bus->qmu, NULL);
    hc_assert(uv_async_init(loop, &bus->async, hc__bus_on_async) == 0);

    natsStatus s = natsOptions_Create(&no);
    if (s == NATS_OK)
        s = build_options(bus, no, (const char **)list, n);
    if (s != NATS_OK) {
        r = hc_err_set(err, -EINVAL, "bus: options for `%s`: %s", urls, natsStatus_GetText(s));
        goto fail;
    }
    s = natsConnection_Connect(&bus->nc, no);
    if (s == NATS_OK) {
        /* libnats calls the connected handler only for a connection made later. */
        hc__bus_push(bus, HC__BUS_ITEM_EVENT, NULL, HC_BUS_CONNECTED);
    } else if (s != NATS_NOT_YET_CONNECTED) {
        r = hc_err_set(err, hc__bus_status_errno(s) == -EINVAL ? -EINVAL : -EIO,
                       "bus: connect to `%s`: %s", urls, nats_GetLastError(NULL));
        bus->nc = NULL;
        goto fail;
    }
    natsOptions_Destroy(no);
    for (int i = 0; i < n; i++)
        free(list[i]);
    *ret_bus = bus;
    return 0;

fail:
    natsOptions_Destroy(no);
    for (int i = 0; i < n; i++)
        free(list[i]);
    bus->freeing = true;
    bus->async_closing = true;
    uv_close((uv_handle_t *)&bus->async, bus_free_cb);
    return r;
}

void hc__bus_maybe_finish(hc_bus_t *bus)
{
    if (!bus->freeing || bus->async_closing)
        return;
    if (bus->nc && !bus->closed_seen)
        return;
    if (bus->subs || bus->open_timers)
        return;
    pthread_mutex_lock(&bus->qmu);
    bool empty = bus->qhead == NULL;
    pthread_mutex_unlock(&bus->qmu);
    if (!empty)
        return;
    if (bus->nc) {
        natsConnection_Destroy(bus->nc);
        bus->nc = NULL;
    }
    bus->async_closing = true;
    uv_close((uv_handle_t *)&bus->async, bus_free_cb);
}

void hc_bus_free(hc_bus_t *bus)
{
    if (!bus || bus->freeing)
        return;
    bus->freeing = true;
    hc__bus_req_cancel_all(bus);
    hc_bus_component_stop(bus);
    hc__bus_sub_close_all(bus);
    if (bus->nc)
        natsConnection_Close(bus->nc);
    /* The CLOSED event and the subscriptions' completions arrive through the queue. */
    uv_async_send(&bus->async);
}

int hc_bus_lib_close(uint32_t timeout_ms)
{
    natsStatus s = nats_CloseAndWait(timeout_ms);
    return s == NATS_OK ? 0 : hc__bus_status_errno(s);
}

bool hc_bus_connected(hc_bus_t *bus)
{
    return bus->nc && natsConnection_Status(bus->nc) == NATS_CONN_STATUS_CONNECTED;
}

uint64_t hc_bus_dropped(hc_bus_t *bus)
{
    pthread_mutex_lock(&bus->qmu);
    uint64_t d = bus->dropped;
    pthread_mutex_unlock(&bus->qmu);
    return d;
}

uv_loop_t *hc_bus_loop(hc_bus_t *bus)
{
    return bus->loop;
}

int hc_bus_publish_reply(hc_bus_t *bus, const char *subject, const char *reply, const void *data,
                         size_t len)
{
    if (!hc_bus_subject_valid(subject, false) || (reply && !hc_bus_subject_valid(reply, false)) ||
        len > INT32_MAX || (len && !data))
        return -EINVAL;
    if (bus->freeing || !bus->nc)
        return -ENOTCONN;
    natsStatus s = reply ? natsConnection_PublishRequest(bus->nc, subject, reply, data, (int)len)
                         : natsConnection_Publish(bus->nc, subject, data, (int)len);
    return hc__bus_status_errno(s);
}

int hc_bus_publish(hc_bus_t *bus, const char *subject, const void *data, size_t len)
{
    return hc_bus_publish_reply(bus, subject, NULL, data, len);
}

int hc_bus_publish_json(hc_bus_t *bus, const char *subject, const json_t *json)
{
    char *text = json_dumps(json, JSON_COMPACT);
    if (!text)
        return -EINVAL;
    int r = hc_bus_publish(bus, subject, text, strlen(text));
    free(text);
    return r;
}

int hc_bus_reply(hc_bus_t *bus, const hc_bus_msg_t *msg, const void *data, size_t len)
{
    if (!msg->reply)
        return -EINVAL;
    return hc_bus_publish(bus, msg->reply, data, len);
}
