/*
 * Event-loop adapter: libnats does its socket reads and writes when the loop says the
 * socket is ready (natsConnection_ProcessReadEvent/ProcessWriteEvent), instead of in a
 * read thread of its own.
 *
 * We do not use the adapter shipped in <nats/adapters/libuv.h>: it refuses the first
 * attach when it comes from a libnats thread (NATS_ILLEGAL_STATE), which is exactly what
 * happens when the bus was down at start and the reconnect thread connects later. Ours
 * records the wanted state from any thread and lets the loop converge to it: the latest
 * state wins, so nothing is queued per event and nothing is allocated off the loop.
 */
#include <string.h>

#include "bus_internal.h"

static void poll_free_cb(uv_handle_t *h)
{
    free(h);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    hc__bus_io_t *io = h->data;
    natsConnection *nc = io->cur_nc;
    if (!nc || io->cur_detached)
        return;
    /* On an error, a read makes libnats notice the broken socket and reconnect. */
    if (status < 0 || (events & (UV_READABLE | UV_DISCONNECT)))
        natsConnection_ProcessReadEvent(nc);
    if (status == 0 && (events & UV_WRITABLE))
        natsConnection_ProcessWriteEvent(nc);
}

static void close_poll(hc__bus_io_t *io)
{
    if (!io->poll)
        return;
    uv_close((uv_handle_t *)io->poll, poll_free_cb);
    io->poll = NULL;
    io->cur_events = 0;
}

void hc__bus_io_init(hc__bus_io_t *io, hc_bus_t *bus)
{
    memset(io, 0, sizeof(*io));
    io->bus = bus;
    io->fd = -1;
    hc_assert(uv_mutex_init(&io->mu) == 0);
}

void hc__bus_io_release(hc__bus_io_t *io)
{
    close_poll(io);
    uv_mutex_destroy(&io->mu);
}

void hc__bus_io_apply(hc__bus_io_t *io)
{
    uv_mutex_lock(&io->mu);
    natsConnection *nc = io->nc;
    int fd = io->fd;
    unsigned gen = io->gen;
    bool detached = io->detached;
    int events = (io->want_read ? UV_READABLE : 0) | (io->want_write ? UV_WRITABLE : 0);
    uv_mutex_unlock(&io->mu);

    io->cur_nc = nc;
    io->cur_detached = detached;
    if (detached || gen == 0) {
        close_poll(io);
        return;
    }
    if (gen != io->cur_gen || !io->poll) {
        /* A new socket: the old one is already closed by libnats, so start afresh. */
        close_poll(io);
        io->cur_gen = gen;
        uv_poll_t *p = hc_calloc(1, sizeof(*p));
        if (uv_poll_init_socket(io->bus->loop, p, fd) != 0) {
            /* Only a bad fd fails here; the missed PONGs make libnats reconnect. This
             * may run inside a libnats callback, so we must not call back into it. */
            free(p);
            return;
        }
        p->data = io;
        io->poll = p;
        io->cur_events = -1;
    }
    if (events == io->cur_events)
        return;
    io->cur_events = events;
    if (events)
        uv_poll_start(io->poll, events, on_poll);
    else
        uv_poll_stop(io->poll);
}

/* Wakes the loop, or applies at once when already on it. */
static natsStatus io_kick(hc__bus_io_t *io)
{
    if (hc__bus_on_loop_thread(io->bus))
        hc__bus_io_apply(io);
    else if (uv_async_send(&io->bus->async) != 0)
        return NATS_ERR;
    return NATS_OK;
}

natsStatus hc__bus_io_attach(void **user_data, void *loop, natsConnection *nc, natsSock fd)
{
    hc__bus_io_t *io = loop;
    uv_mutex_lock(&io->mu);
    io->nc = nc;
    io->fd = fd;
    io->gen++;
    if (io->gen == 0)
        io->gen = 1;
    io->want_read = true;
    io->want_write = false;
    io->detached = false;
    uv_mutex_unlock(&io->mu);
    *user_data = io;
    return io_kick(io);
}

natsStatus hc__bus_io_read(void *user_data, bool add)
{
    hc__bus_io_t *io = user_data;
    uv_mutex_lock(&io->mu);
    io->want_read = add;
    uv_mutex_unlock(&io->mu);
    return io_kick(io);
}

natsStatus hc__bus_io_write(void *user_data, bool add)
{
    hc__bus_io_t *io = user_data;
    uv_mutex_lock(&io->mu);
    io->want_write = add;
    uv_mutex_unlock(&io->mu);
    return io_kick(io);
}

natsStatus hc__bus_io_detach(void *user_data)
{
    hc__bus_io_t *io = user_data;
    uv_mutex_lock(&io->mu);
    io->detached = true;
    uv_mutex_unlock(&io->mu);
    return io_kick(io);
}
