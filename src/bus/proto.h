/*
 * proto.h - the client side of the NATS protocol as a byte-driven state machine (STYLE R23).
 *
 * The parser keeps its state between reads, so an operation split across TCP segments at any
 * byte costs no re-parse. Slices in a returned operation point into the caller's buffer when
 * the whole operation sits in it (the common case, no copy), else into the parser's own
 * bounded buffers (control line <= max_control_line, payload <= max_payload + 2).
 * Op names are case-insensitive; arguments are separated by spaces or tabs; a bare LF ends a
 * line like CRLF does (nats-server 2.9.10, spec/bus.md §1).
 */
#ifndef HEARTH_BUS_PROTO_H
#define HEARTH_BUS_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hc_buf.h"

typedef enum bus_op_kind_e {
    BUS_OP_NONE = 0,
    BUS_OP_CONNECT,
    BUS_OP_PUB,
    BUS_OP_HPUB,
    BUS_OP_SUB,
    BUS_OP_UNSUB,
    BUS_OP_PING,
    BUS_OP_PONG,
    BUS_OP_INFO,
    BUS_OP_OK,
    BUS_OP_ERR,
} bus_op_kind_t;

/* Why parsing stopped; the server answers each the way nats-server does (spec/bus.md §5). */
typedef enum bus_perr_e {
    BUS_PERR_UNKNOWN_OP = -1,  /* -ERR 'Unknown Protocol Operation', close */
    BUS_PERR_MAX_CONTROL = -2, /* -ERR 'maximum control line exceeded', close */
    BUS_PERR_MAX_PAYLOAD = -3, /* -ERR 'Maximum Payload Violation', close */
    BUS_PERR_ARGS = -4,        /* bad argument count or number: close without -ERR */
    BUS_PERR_NO_HEADERS = -5,  /* HPUB from a client without headers: close without -ERR */
    BUS_PERR_AUTH = -6,        /* an op other than CONNECT first on an auth server */
} bus_perr_t;

typedef struct bus_op_s {
    bus_op_kind_t kind;
    hc_str_t subject; /* PUB, HPUB, SUB */
    hc_str_t reply;   /* PUB, HPUB: empty when absent */
    hc_str_t queue;   /* SUB: empty when absent */
    hc_str_t sid;     /* SUB, UNSUB */
    hc_str_t arg;     /* CONNECT, INFO, -ERR: the text after the op name */
    int64_t max;      /* UNSUB: max messages, -1 when absent, 0 when not a number */
    size_t hdr_len;   /* HPUB: bytes of the header block */
    size_t size;      /* PUB, HPUB: bytes of payload (headers included) */
    const char *payload;
} bus_op_t;

typedef struct bus_parser_s {
    int state;
    int drop; /* 1 when a CR preceded the LF of the line */
    size_t max_control_line;
    size_t max_payload;
    bool headers;      /* the client announced headers: HPUB allowed */
    bool need_connect; /* auth required: the next op must be CONNECT */
    /* control line arguments of an operation split across reads */
    char *arg_buf;
    size_t arg_len;
    bool arg_saved;        /* the current arguments live in arg_buf */
    const char *arg_start; /* start of the arguments in the current read */
    /* payload of a message split across reads */
    char *msg_buf;
    size_t msg_len, msg_cap;
    bus_op_t pub; /* PUB/HPUB whose payload is being read */
    size_t need;  /* payload bytes + CRLF still expected */
} bus_parser_t;

/* Sets up a parser with its limits. Never fails. */
void bus_parser_init(bus_parser_t *p, size_t max_control_line, size_t max_payload);
/* Frees the parser's buffers; the struct may be re-initialised. */
void bus_parser_release(bus_parser_t *p);

/*
 * Parses buf[*pos, len). Returns 1 with *op filled when an operation completed (its slices stay
 * valid until the next call), 0 when every byte was consumed without completing one, or a
 * bus_perr_t. *pos is advanced past what was used. Never reads outside [buf, buf + len).
 */
int bus_parse(bus_parser_t *p, const char *buf, size_t len, size_t *pos, bus_op_t *op);

/* Parses a decimal size the way nats-server does: 1..9 digits, else -1. */
int64_t bus_parse_size(const char *s, size_t len);

#endif
