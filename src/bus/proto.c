/*
 * proto.c - the NATS client protocol parser. See proto.h for the contract.
 *
 * States: START reads the first letter of an op, KW matches the rest of its name (ASCII
 * case-insensitive), SPC1 wants the one mandatory blank after PUB/HPUB/SUB/UNSUB/-ERR, SPC skips
 * further blanks, ARG collects the arguments up to LF, EOL skips to LF (PING, PONG, +OK: like
 * nats-server 2.9.10, which ignores anything between the name and the LF), PAYLOAD reads the
 * announced bytes and the CRLF after them.
 */
#include <string.h>

#include "bus_limits.h"
#include "proto.h"

enum {
    ST_START = 0,
    ST_P,
    ST_KW,
    ST_SPC1,
    ST_SPC,
    ST_ARG,
    ST_EOL,
    ST_PAYLOAD,
};

/* The keyword being matched lives in the parser as a pointer to one of these. */
static const char kw_connect[] = "CONNECT", kw_pub[] = "PUB", kw_hpub[] = "HPUB", kw_sub[] = "SUB",
                  kw_unsub[] = "UNSUB", kw_ping[] = "PING", kw_pong[] = "PONG", kw_info[] = "INFO",
                  kw_ok[] = "+OK", kw_err[] = "-ERR";

typedef struct kw_s {
    const char *name;
    bus_op_kind_t kind;
} kw_t;

static const kw_t kws[] = {
    {kw_connect, BUS_OP_CONNECT}, {kw_pub, BUS_OP_PUB},     {kw_hpub, BUS_OP_HPUB},
    {kw_sub, BUS_OP_SUB},         {kw_unsub, BUS_OP_UNSUB}, {kw_ping, BUS_OP_PING},
    {kw_pong, BUS_OP_PONG},       {kw_info, BUS_OP_INFO},   {kw_ok, BUS_OP_OK},
    {kw_err, BUS_OP_ERR},
};

/* The parser's private state beyond the public struct fields, packed into `state`. */
#define KW_SHIFT 8
#define KW_IDX(st) (((st) >> KW_SHIFT) & 0xff)
#define KW_POS(st) ((st) >> (2 * KW_SHIFT))
#define ST_BASE(st) ((st)&0xff)
#define MAKE_ST(base, idx, pos) ((base) | ((idx) << KW_SHIFT) | ((pos) << (2 * KW_SHIFT)))

void bus_parser_init(bus_parser_t *p, size_t max_control_line, size_t max_payload)
{
    memset(p, 0, sizeof(*p));
    p->max_control_line = max_control_line;
    p->max_payload = max_payload;
}

void bus_parser_release(bus_parser_t *p)
{
    free(p->arg_buf);
    free(p->msg_buf);
    p->arg_buf = NULL;
    p->msg_buf = NULL;
}

int64_t bus_parse_size(const char *s, size_t len)
{
    int64_t n = 0;

    if (len == 0 || len > 9)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        n = n * 10 + (s[i] - '0');
    }
    return n;
}

static inline bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static inline char upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
}

/* Splits [s, s+len) on blanks into at most max slices; returns the count, max + 1 if more. */
static size_t split_args(const char *s, size_t len, bool crlf_blank, hc_str_t *out, size_t max)
{
    size_t n = 0, i = 0;

    while (i < len) {
        while (i < len &&
               (s[i] == ' ' || s[i] == '\t' || (crlf_blank && (s[i] == '\r' || s[i] == '\n'))))
            i++;
        if (i == len)
            break;
        size_t start = i;
        while (i < len &&
               !(s[i] == ' ' || s[i] == '\t' || (crlf_blank && (s[i] == '\r' || s[i] == '\n'))))
            i++;
        if (n == max)
            return max + 1;
        out[n++] = hc_str(s + start, i - start);
    }
    return n;
}

/* Fills op from a complete control line; returns 0 or a bus_perr_t. */
static int parse_line(bus_parser_t *p, bus_op_kind_t kind, const char *s, size_t len, bus_op_t *op)
{
    hc_str_t a[4];
    size_t n;
    int64_t size, hdr;

    op->kind = kind;
    op->max = -1;
    op->reply = op->queue = op->sid = op->arg = HC_STR_NULL;
    op->hdr_len = op->size = 0;
    op->payload = NULL;
    op->subject = HC_STR_NULL;
    switch (kind) {
    case BUS_OP_PUB: {
        /* Hot path: scan from the end for the size, then subject [reply]; no generic split. */
        size_t e = len;
        while (e > 0 && is_blank(s[e - 1]))
            e--;
        size_t k = e;
        while (k > 0 && !is_blank(s[k - 1]))
            k--;
        size_t m = k;
        while (m > 0 && is_blank(s[m - 1]))
            m--;
        if (m == 0 || k == e)
            return BUS_PERR_ARGS;
        size_t b = 0;
        while (b < m && !is_blank(s[b]))
            b++;
        op->subject = hc_str(s, b);
        if (b < m) {
            size_t r = b;
            while (r < m && is_blank(s[r]))
                r++;
            for (size_t j = r; j < m; j++)
                if (is_blank(s[j]))
                    return BUS_PERR_ARGS;
            op->reply = hc_str(s + r, m - r);
        }
        size = bus_parse_size(s + k, e - k);
        if (size < 0)
            return BUS_PERR_ARGS;
        if ((uint64_t)size > p->max_payload)
            return BUS_PERR_MAX_PAYLOAD;
        op->size = (size_t)size;
        return 0;
    }
    case BUS_OP_HPUB:
        if (!p->headers)
            return BUS_PERR_NO_HEADERS;
        n = split_args(s, len, false, a, 4);
        if (n < 3 || n > 4)
            return BUS_PERR_ARGS;
        op->subject = a[0];
        if (n == 4)
            op->reply = a[1];
        hdr = bus_parse_size(a[n - 2].p, a[n - 2].len);
        size = bus_parse_size(a[n - 1].p, a[n - 1].len);
        if (hdr < 0 || size < 0 || hdr > size)
            return BUS_PERR_ARGS;
        if ((uint64_t)size > p->max_payload)
            return BUS_PERR_MAX_PAYLOAD;
        op->hdr_len = (size_t)hdr;
        op->size = (size_t)size;
        return 0;
    case BUS_OP_SUB:
        n = split_args(s, len, true, a, 3);
        if (n < 2 || n > 3)
            return BUS_PERR_ARGS;
        op->subject = a[0];
        if (n == 3)
            op->queue = a[1];
        op->sid = a[n - 1];
        return 0;
    case BUS_OP_UNSUB:
        n = split_args(s, len, true, a, 2);
        if (n < 1 || n > 2)
            return BUS_PERR_ARGS;
        op->sid = a[0];
        if (n == 2) {
            size = bus_parse_size(a[1].p, a[1].len);
            op->max = size < 0 ? 0 : size;
        }
        return 0;
    default:
        op->arg = hc_str(s, len);
        return 0;
    }
}

/* Keeps the arguments of the current line in arg_buf; false when over the control line limit. */
static bool save_args(bus_parser_t *p, const char *s, size_t len)
{
    if (p->arg_len + len > p->max_control_line + 1)
        return false;
    if (!p->arg_buf)
        p->arg_buf = hc_malloc(p->max_control_line + 2);
    memcpy(p->arg_buf + p->arg_len, s, len);
    p->arg_len += len;
    return true;
}

/* The parsed PUB/HPUB's slices must outlive this read: move them into arg_buf. */
static void save_pub_line(bus_parser_t *p, const char *line, size_t len)
{
    if (!p->arg_saved) {
        if (!p->arg_buf)
            p->arg_buf = hc_malloc(p->max_control_line + 2);
        memmove(p->arg_buf, line, len);
        p->arg_saved = true;
    }
    /* line is arg_buf itself when saved before; either way keep exactly the parsed line. */
    p->arg_len = len;
    /* Re-slice onto the copy; it parsed once already, so it parses again. */
    bool hdrs = p->headers;
    p->headers = true;
    int r = parse_line(p, p->pub.kind, p->arg_buf, p->arg_len, &p->pub);
    hc_assert(r == 0);
    p->headers = hdrs;
}

int bus_parse(bus_parser_t *p, const char *buf, size_t len, size_t *pos, bus_op_t *op)
{
    size_t i = *pos;
    int st = p->state;
    int r;

    while (i < len) {
        char c = buf[i];

        switch (ST_BASE(st)) {
        case ST_START: {
            /* Fast path for the common "PUB " (any case). */
            if (HC_LIKELY(len - i >= 4) && !p->need_connect) {
                uint32_t w;
                memcpy(&w, buf + i, 4);
                if ((w | 0x00202020u) == ('p' | 'u' << 8 | 'b' << 16 | (uint32_t)' ' << 24)) {
                    i += 4;
                    if (i < len && !is_blank(buf[i])) {
                        /* straight to the arguments, skipping the blank-eating state */
                        st = MAKE_ST(ST_ARG, 1, 0);
                        p->arg_len = 0;
                        p->arg_saved = false;
                        p->arg_start = buf + i;
                    } else {
                        st = MAKE_ST(ST_SPC, 1, 0);
                    }
                    continue;
                }
            }
            char u = upper(c);
            int idx = -1;
            if (p->need_connect && u != 'C') {
                r = BUS_PERR_AUTH;
                goto fail;
            }
            switch (u) {
            case 'P':
                st = ST_P;
                i++;
                continue;
            case 'H':
                idx = 2;
                break;
            case 'S':
                idx = 3;
                break;
            case 'U':
                idx = 4;
                break;
            case 'C':
                idx = 0;
                break;
            case 'I':
                idx = 7;
                break;
            case '+':
                idx = 8;
                break;
            case '-':
                idx = 9;
                break;
            default:
                r = BUS_PERR_UNKNOWN_OP;
                goto fail;
            }
            st = MAKE_ST(ST_KW, idx, 1);
            i++;
            continue;
        }
        case ST_P: {
            char u = upper(c);
            int idx = u == 'U' ? 1 : u == 'I' ? 5 : u == 'O' ? 6 : -1;
            if (idx < 0) {
                r = BUS_PERR_UNKNOWN_OP;
                goto fail;
            }
            st = MAKE_ST(ST_KW, idx, 2);
            i++;
            continue;
        }
        case ST_KW: {
            int idx = KW_IDX(st), kpos = KW_POS(st);
            const kw_t *k = &kws[idx];
            if (upper(c) != k->name[kpos]) {
                r = BUS_PERR_UNKNOWN_OP;
                goto fail;
            }
            i++;
            kpos++;
            if (k->name[kpos] != '\0') {
                st = MAKE_ST(ST_KW, idx, kpos);
                continue;
            }
            switch (k->kind) {
            case BUS_OP_PING:
            case BUS_OP_PONG:
            case BUS_OP_OK:
                st = MAKE_ST(ST_EOL, idx, 0);
                break;
            case BUS_OP_CONNECT:
            case BUS_OP_INFO:
                st = MAKE_ST(ST_SPC, idx, 0);
                break;
            default:
                st = MAKE_ST(ST_SPC1, idx, 0);
                break;
            }
            continue;
        }
        case ST_SPC1:
            if (c != ' ' && c != '\t') {
                r = BUS_PERR_UNKNOWN_OP;
                goto fail;
            }
            st = MAKE_ST(ST_SPC, KW_IDX(st), 0);
            i++;
            continue;
        case ST_SPC:
            if (c == ' ' || c == '\t') {
                i++;
                continue;
            }
            st = MAKE_ST(ST_ARG, KW_IDX(st), 0);
            p->arg_len = 0;
            p->arg_saved = false;
            p->arg_start = buf + i;
            continue;
        case ST_ARG: {
            const char *start = p->arg_saved ? buf + i : p->arg_start;
            const char *nl = memchr(buf + i, '\n', len - i);
            if (!nl) {
                /* Split line: keep what we have, bounded by the control line limit. */
                if (!save_args(p, start, (size_t)(buf + len - start))) {
                    r = BUS_PERR_MAX_CONTROL;
                    goto fail;
                }
                p->arg_saved = true;
                i = len;
                continue;
            }
            const char *line;
            size_t llen;
            if (p->arg_saved) {
                if (!save_args(p, buf + i, (size_t)(nl - (buf + i)))) {
                    r = BUS_PERR_MAX_CONTROL;
                    goto fail;
                }
                line = p->arg_buf;
                llen = p->arg_len;
            } else {
                line = p->arg_start;
                llen = (size_t)(nl - line);
            }
            if (llen > 0 && line[llen - 1] == '\r')
                llen--;
            if (llen > p->max_control_line) {
                r = BUS_PERR_MAX_CONTROL;
                goto fail;
            }
            i = (size_t)(nl - buf) + 1;
            bus_op_kind_t kind = kws[KW_IDX(st)].kind;
            r = parse_line(p, kind, line, llen, op);
            if (r < 0)
                goto fail;
            if (kind == BUS_OP_PUB || kind == BUS_OP_HPUB) {
                p->pub = *op;
                p->need = op->size + 2;
                p->msg_len = 0;
                st = ST_PAYLOAD;
                /* Fast path: the whole payload is in this read, no copy. */
                if (len - i >= p->need) {
                    if (buf[i + op->size] != '\r' || buf[i + op->size + 1] != '\n') {
                        r = BUS_PERR_UNKNOWN_OP;
                        goto fail;
                    }
                    op->payload = buf + i;
                    i += p->need;
                    st = ST_START;
                    goto done;
                }
                save_pub_line(p, line, llen);
                continue;
            }
            st = ST_START;
            goto done;
        }
        case ST_EOL: {
            const char *nl = memchr(buf + i, '\n', len - i);
            if (!nl) {
                i = len;
                continue;
            }
            i = (size_t)(nl - buf) + 1;
            memset(op, 0, sizeof(*op));
            op->kind = kws[KW_IDX(st)].kind;
            op->max = -1;
            st = ST_START;
            goto done;
        }
        case ST_PAYLOAD: {
            size_t have = len - i;
            size_t take = have < p->need ? have : p->need;
            if (p->msg_len == 0 && take == p->need) {
                /* Nothing buffered yet and all of it is here: use it in place. */
                *op = p->pub;
                if (buf[i + op->size] != '\r' || buf[i + op->size + 1] != '\n') {
                    r = BUS_PERR_UNKNOWN_OP;
                    goto fail;
                }
                op->payload = buf + i;
                i += take;
                st = ST_START;
                goto done;
            }
            size_t total = p->pub.size + 2;
            if (p->msg_cap < total) {
                p->msg_buf = hc_realloc(p->msg_buf, total);
                p->msg_cap = total;
            }
            memcpy(p->msg_buf + p->msg_len, buf + i, take);
            p->msg_len += take;
            p->need -= take;
            i += take;
            if (p->need > 0)
                continue;
            *op = p->pub;
            if (p->msg_buf[op->size] != '\r' || p->msg_buf[op->size + 1] != '\n') {
                r = BUS_PERR_UNKNOWN_OP;
                goto fail;
            }
            op->payload = p->msg_buf;
            p->msg_len = 0;
            st = ST_START;
            goto done;
        }
        default:
            r = BUS_PERR_UNKNOWN_OP;
            goto fail;
        }
    }
    /* Out of bytes: a keyword split across reads needs no copy, arguments were saved above. */
    p->state = st;
    *pos = i;
    return 0;
done:
    p->state = st;
    *pos = i;
    return 1;
fail:
    p->state = ST_START;
    *pos = i;
    return r;
}
