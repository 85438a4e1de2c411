/*
 * deliver.c - the hot path: one PUB/HPUB to every matching subscription. The payload is copied
 * exactly once into each receiving client's output buffer, next to its MSG/HMSG line; nothing is
 * allocated per message (the match result comes from the sublist cache).
 */
#include <string.h>

#include "bus_limits.h"
#include "server.h"

#define BUS_STALL_HIGH_MAX (8u * 1024 * 1024)

typedef struct msgctx_s {
    const bus_op_t *op;
    char size[24], hdr[24], total[24], body[24]; /* decimal strings */
    size_t size_len, hdr_len, total_len, body_len;
} msgctx_t;

static size_t u64_to_str(uint64_t v, char *out)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

#define PUT(p, s, n)                                                                               \
    do {                                                                                           \
        memcpy((p), (s), (n));                                                                     \
        (p) += (n);                                                                                \
    } while (0)

/* Appends one MSG or HMSG for sub to its client; false when that client got cut off. */
static bool write_msg(bus_client_t *dst, const bus_sub_t *sub, const msgctx_t *m)
{
    const bus_op_t *op = m->op;
    bool hmsg = op->kind == BUS_OP_HPUB && dst->headers;
    size_t skip = (op->kind == BUS_OP_HPUB && !dst->headers) ? op->hdr_len : 0;
    size_t body = op->size - skip;
    size_t need =
        5 + op->subject.len + 1 + sub->sid.len + 1 + (op->reply.len ? op->reply.len + 1 : 0) +
        (hmsg ? m->hdr_len + 1 + m->total_len : (skip ? m->body_len : m->size_len)) + 2 + body + 2;
    char *p = bus_client_reserve(dst, need);
    if (!p)
        return false;
    if (hmsg)
        PUT(p, "HMSG ", 5);
    else
        PUT(p, "MSG ", 4);
    PUT(p, op->subject.p, op->subject.len);
    *p++ = ' ';
    PUT(p, sub->sid.p, sub->sid.len);
    *p++ = ' ';
    if (op->reply.len) {
        PUT(p, op->reply.p, op->reply.len);
        *p++ = ' ';
    }
    if (hmsg) {
        PUT(p, m->hdr, m->hdr_len);
        *p++ = ' ';
        PUT(p, m->total, m->total_len);
    } else if (skip) {
        PUT(p, m->body, m->body_len);
    } else {
        PUT(p, m->size, m->size_len);
    }
    *p++ = '\r';
    *p++ = '\n';
    PUT(p, op->payload + skip, body);
    *p++ = '\r';
    *p++ = '\n';
    /* "MSG " is one byte shorter than "HMSG ": give the unused byte back. */
    dst->out_len -= (size_t)((dst->out + dst->out_len) - p);
    dst->out_msgs++;
    dst->out_bytes += body;
    dst->srv->out_bytes += body;
    return true;
}

static void stall(bus_client_t *producer, bus_client_t *consumer)
{
    if (producer->stall_on || producer->closing || producer == consumer)
        return;
    producer->stall_on = consumer;
    producer->stall_prev = NULL;
    producer->stall_next = consumer->stalled_head;
    if (consumer->stalled_head)
        consumer->stalled_head->stall_prev = producer;
    consumer->stalled_head = producer;
    if (producer->reading) {
        uv_read_stop((uv_stream_t *)&producer->tcp);
        producer->reading = false;
    }
}

static void delivered(bus_server_t *s, bus_client_t *c, bus_sub_t *sub, size_t high)
{
    bus_client_t *dst = sub->client;
    s->out_msgs++;
    if (HC_UNLIKELY(bus_client_pending(dst) > high))
        stall(c, dst);
    if (HC_UNLIKELY(sub->max != 0) && ++sub->nmsgs >= sub->max) {
        bus_hmap_del(&dst->subs, sub->sid.p, sub->sid.len);
        bus_sublist_remove(s->sl, sub);
        bus_server_sub_dead(s, sub);
    } else if (sub->max == 0) {
        sub->nmsgs++;
    }
}

static void no_responders(bus_client_t *c, const bus_op_t *op)
{
    bus_server_t *s = c->srv;
    bus_result_t *r = bus_sublist_match(s->sl, op->reply.p, op->reply.len);
    for (uint32_t i = 0; i < r->npsubs; i++) {
        bus_sub_t *sub = r->psubs[i];
        if (sub->client != c)
            continue;
        static const char tail[] = " 16 16\r\nNATS/1.0 503\r\n\r\n\r\n";
        size_t need = 5 + op->reply.len + 1 + sub->sid.len + sizeof(tail) - 1;
        char *p = bus_client_reserve(c, need);
        if (p) {
            PUT(p, "HMSG ", 5);
            PUT(p, op->reply.p, op->reply.len);
            *p++ = ' ';
            PUT(p, sub->sid.p, sub->sid.len);
            PUT(p, tail, sizeof(tail) - 1);
        }
        break;
    }
    bus_result_unref(r);
}

void bus_deliver(bus_client_t *c, const bus_op_t *op)
{
    bus_server_t *s = c->srv;
    size_t high = HC_MIN(s->opts.max_pending / 2, (uint64_t)BUS_STALL_HIGH_MAX);
    msgctx_t m;

    c->in_msgs++;
    c->in_bytes += op->size;
    s->in_msgs++;
    s->in_bytes += op->size;
    if (c->pedantic && !bus_subject_literal(op->subject.p, op->subject.len))
        bus_client_queue(c, "-ERR 'Invalid Publish Subject'\r\n", 32);
    /* nats-server acknowledges before it delivers (verbose mode). */
    if (c->verbose)
        bus_client_queue(c, "+OK\r\n", 5);
    m.op = op;
    m.size_len = u64_to_str(op->size, m.size);
    if (op->kind == BUS_OP_HPUB) {
        m.hdr_len = u64_to_str(op->hdr_len, m.hdr);
        m.total_len = u64_to_str(op->size, m.total);
        m.body_len = u64_to_str(op->size - op->hdr_len, m.body);
    } else {
        m.hdr_len = m.total_len = m.body_len = 0;
    }
    bus_result_t *r = c->last_result;
    uint64_t gen = bus_sublist_gen(s->sl);
    if (r && c->last_gen == gen && r->subject_len == op->subject.len &&
        memcmp(r->subject, op->subject.p, op->subject.len) == 0) {
        r->refs++;
    } else {
        r = bus_sublist_match(s->sl, op->subject.p, op->subject.len);
        bus_result_unref(c->last_result);
        r->refs++;
        c->last_result = r;
        c->last_gen = gen;
    }
    for (uint32_t i = 0; i < r->npsubs; i++) {
        bus_sub_t *sub = r->psubs[i];
        bus_client_t *dst = sub->client;
        if (HC_UNLIKELY(!sub->_in || dst->closing))
            continue;
        if (dst == c && !c->echo)
            continue;
        if (write_msg(dst, sub, &m))
            delivered(s, c, sub, high);
    }
    for (uint32_t g = 0; g < r->nqgroups; g++) {
        bus_qresult_t *q = &r->qgroups[g];
        uint32_t start = (uint32_t)(bus_server_rand(s) % q->n);
        for (uint32_t k = 0; k < q->n; k++) {
            bus_sub_t *sub = q->subs[(start + k) % q->n];
            bus_client_t *dst = sub->client;
            if (!sub->_in || dst->closing || (dst == c && !c->echo))
                continue;
            if (write_msg(dst, sub, &m)) {
                delivered(s, c, sub, high);
                break;
            }
        }
    }
    if (r->npsubs + r->nqgroups == 0 && op->reply.len && c->no_responders)
        no_responders(c, op);
    bus_result_unref(r);
}
