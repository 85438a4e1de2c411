/*
 * Tests for src/bus/proto.c: every op, every error, and a whole session split at every byte
 * offset, with each piece placed right before a PROT_NONE guard page (STYLE R28).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"
#include "hc_buf.h"
#include "proto.h"

static const char *kind_name(bus_op_kind_t k)
{
    static const char *const names[] = {"NONE", "CONNECT", "PUB",  "HPUB", "SUB", "UNSUB",
                                        "PING", "PONG",    "INFO", "OK",   "ERR"};
    return names[k];
}

/* Appends a canonical text form of op to out. */
static void describe(hc_buf_t *out, const bus_op_t *op)
{
    hc_buf_appendf(out, "%s", kind_name(op->kind));
    switch (op->kind) {
    case BUS_OP_PUB:
    case BUS_OP_HPUB:
        hc_buf_appendf(out, " s=%.*s r=%.*s h=%zu n=%zu p=%.*s", (int)op->subject.len,
                       op->subject.p, (int)op->reply.len, op->reply.p, op->hdr_len, op->size,
                       (int)op->size, op->payload);
        break;
    case BUS_OP_SUB:
        hc_buf_appendf(out, " s=%.*s q=%.*s i=%.*s", (int)op->subject.len, op->subject.p,
                       (int)op->queue.len, op->queue.p, (int)op->sid.len, op->sid.p);
        break;
    case BUS_OP_UNSUB:
        hc_buf_appendf(out, " i=%.*s m=%lld", (int)op->sid.len, op->sid.p, (long long)op->max);
        break;
    case BUS_OP_CONNECT:
    case BUS_OP_INFO:
    case BUS_OP_ERR:
        hc_buf_appendf(out, " a=%.*s", (int)op->arg.len, op->arg.p);
        break;
    default:
        break;
    }
    hc_buf_append_str(out, "\n");
}

/* Parses the pieces in order (each guarded); returns the last parse result (0 or error). */
static int parse_pieces(bus_parser_t *p, const char *const *pieces, const size_t *lens, size_t n,
                        hc_buf_t *out)
{
    for (size_t k = 0; k < n; k++) {
        const char *buf = hc_test_guard(pieces[k], lens[k]);
        size_t pos = 0;
        bus_op_t op;
        while (pos < lens[k]) {
            int r = bus_parse(p, buf, lens[k], &pos, &op);
            if (r < 0) {
                print_message("piece %zu (len %zu) failed %d at %zu\n", k, lens[k], r, pos);
                return r;
            }
            if (r == 0)
                break;
            describe(out, &op);
        }
        assert_int_equal(pos, lens[k]);
    }
    return 0;
}

static int parse_all(const char *in, size_t len, bool headers, hc_buf_t *out)
{
    bus_parser_t p;
    bus_parser_init(&p, 4096, 1024 * 1024);
    p.headers = headers;
    const char *pieces[1] = {in};
    size_t lens[1] = {len};
    int r = parse_pieces(&p, pieces, lens, 1, out);
    bus_parser_release(&p);
    return r;
}

static const char session[] = "CONNECT {\"verbose\":false,\"headers\":true}\r\n"
                              "PING\r\n"
                              "pong\r\n"
                              "SUB foo.* 1\r\n"
                              "SUB  bar  q  2\r\n"
                              "sub\tbaz\t3\n"
                              "PUB foo.a 5\r\nhello\r\n"
                              "PUB foo.b _INBOX.x.1 0\r\n\r\n"
                              "pub foo.c\t\t3\r\na\r\n\r\n"
                              "HPUB foo.d 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
                              "HPUB foo.e rep 22 33\r\nNATS/1.0\r\nBar: Baz\r\n\r\nHello NATS!\r\n"
                              "UNSUB 1\r\n"
                              "UNSUB 2 5 \r\n"
                              "UNSUB 3 x\r\n"
                              "+OK\r\n"
                              "INFO {\"a\":1}\r\n"
                              "-ERR 'oops'\r\n"
                              "PINGjunk\r\n";

static const char expected[] =
    "CONNECT a={\"verbose\":false,\"headers\":true}\n"
    "PING\n"
    "PONG\n"
    "SUB s=foo.* q= i=1\n"
    "SUB s=bar q=q i=2\n"
    "SUB s=baz q= i=3\n"
    "PUB s=foo.a r= h=0 n=5 p=hello\n"
    "PUB s=foo.b r=_INBOX.x.1 h=0 n=0 p=\n"
    "PUB s=foo.c r= h=0 n=3 p=a\r\n\n"
    "HPUB s=foo.d r= h=12 n=14 p=NATS/1.0\r\n\r\nhi\n"
    "HPUB s=foo.e r=rep h=22 n=33 p=NATS/1.0\r\nBar: Baz\r\n\r\nHello NATS!\n"
    "UNSUB i=1 m=-1\n"
    "UNSUB i=2 m=5\n"
    "UNSUB i=3 m=0\n"
    "OK\n"
    "INFO a={\"a\":1}\n"
    "ERR a='oops'\n"
    "PING\n";

static void test_every_op(void **state)
{
    hc_buf_t out;
    hc_buf_init(&out, 0);
    assert_int_equal(parse_all(session, sizeof(session) - 1, true, &out), 0);
    assert_string_equal(out.data, expected);
    hc_buf_release(&out);
    hc_test_guard_free_all();
}

/* The same session split in two at every offset, and in three at many. */
static void test_split_at_every_offset(void **state)
{
    size_t n = sizeof(session) - 1;
    for (size_t k = 0; k <= n; k++) {
        hc_buf_t out;
        hc_buf_init(&out, 0);
        bus_parser_t p;
        bus_parser_init(&p, 4096, 1024 * 1024);
        p.headers = true;
        const char *pieces[2] = {session, session + k};
        size_t lens[2] = {k, n - k};
        assert_int_equal(parse_pieces(&p, pieces, lens, 2, &out), 0);
        if (strcmp(out.data, expected) != 0)
            fail_msg("split at %zu:\n%s", k, out.data);
        bus_parser_release(&p);
        hc_buf_release(&out);
        hc_test_guard_free_all();
    }
    for (size_t k = 0; k + 7 <= n; k += 3) {
        hc_buf_t out;
        hc_buf_init(&out, 0);
        bus_parser_t p;
        bus_parser_init(&p, 4096, 1024 * 1024);
        p.headers = true;
        const char *pieces[3] = {session, session + k, session + k + 7};
        size_t lens[3] = {k, 7, n - k - 7};
        assert_int_equal(parse_pieces(&p, pieces, lens, 3, &out), 0);
        assert_string_equal(out.data, expected);
        bus_parser_release(&p);
        hc_buf_release(&out);
        hc_test_guard_free_all();
    }
}

static void test_byte_by_byte(void **state)
{
    size_t n = sizeof(session) - 1;
    hc_buf_t out;
    hc_buf_init(&out, 0);
    bus_parser_t p;
    bus_parser_init(&p, 4096, 1024 * 1024);
    p.headers = true;
    for (size_t k = 0; k < n; k++) {
        const char *pieces[1] = {session + k};
        size_t lens[1] = {1};
        assert_int_equal(parse_pieces(&p, pieces, lens, 1, &out), 0);
    }
    assert_string_equal(out.data, expected);
    bus_parser_release(&p);
    hc_buf_release(&out);
    hc_test_guard_free_all();
}

typedef struct err_case_s {
    const char *in;
    int want;
    bool headers;
} err_case_t;

static void test_errors(void **state)
{
    static const err_case_t cases[] = {
        {"FOO\r\n", BUS_PERR_UNKNOWN_OP, false},
        {"\r\n", BUS_PERR_UNKNOWN_OP, false},
        {"PUBS foo 1\r\n", BUS_PERR_UNKNOWN_OP, false},
        {"SUBZZZ foo 1\r\n", BUS_PERR_UNKNOWN_OP, false},
        {"MSG foo 1 1\r\na\r\n", BUS_PERR_UNKNOWN_OP, false},
        {"PUB foo 3\r\nabcde\r\n", BUS_PERR_UNKNOWN_OP, false},
        {"PUB foo 2000000\r\n", BUS_PERR_MAX_PAYLOAD, false},
        {"HPUB foo 1 2000000\r\n", BUS_PERR_MAX_PAYLOAD, true},
        {"PUB foo 9999999999\r\n", BUS_PERR_ARGS, false},
        {"PUB foo\r\n", BUS_PERR_ARGS, false},
        {"PUB foo x\r\n", BUS_PERR_ARGS, false},
        {"PUB a b c 1\r\n", BUS_PERR_ARGS, false},
        {"SUB a b c d\r\n", BUS_PERR_ARGS, false},
        {"SUB a\r\n", BUS_PERR_ARGS, false},
        {"UNSUB\r\n", BUS_PERR_UNKNOWN_OP, false},
        {"UNSUB 1 2 3\r\n", BUS_PERR_ARGS, false},
        {"HPUB foo 2 4\r\nab\r\n", BUS_PERR_NO_HEADERS, false},
        {"HPUB foo 5 4\r\n", BUS_PERR_ARGS, true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hc_buf_t out;
        hc_buf_init(&out, 0);
        int r = parse_all(cases[i].in, strlen(cases[i].in), cases[i].headers, &out);
        if (r != cases[i].want)
            fail_msg("'%s': got %d want %d", cases[i].in, r, cases[i].want);
        hc_buf_release(&out);
    }
    hc_test_guard_free_all();
}

static void test_max_control_line(void **state)
{
    static char line[6000];
    hc_buf_t out;
    hc_buf_init(&out, 0);
    memcpy(line, "SUB ", 4);
    memset(line + 4, 'a', 5000);
    memcpy(line + 5004, " 1\r\n", 4);
    assert_int_equal(parse_all(line, 5008, false, &out), BUS_PERR_MAX_CONTROL);
    /* No line end at all: stopped once past the limit, not buffered forever. */
    assert_int_equal(parse_all(line, 5002, false, &out), BUS_PERR_MAX_CONTROL);
    /* Split: the limit holds across reads too. */
    bus_parser_t p;
    bus_parser_init(&p, 4096, 1024);
    size_t pos = 0;
    bus_op_t op;
    assert_int_equal(bus_parse(&p, hc_test_guard(line, 3000), 3000, &pos, &op), 0);
    pos = 0;
    assert_int_equal(bus_parse(&p, hc_test_guard(line + 3000, 2008), 2008, &pos, &op),
                     BUS_PERR_MAX_CONTROL);
    bus_parser_release(&p);
    /* Exactly at the limit is fine. */
    memset(line + 4, 'b', 4090);
    memcpy(line + 4094, " 1\r\n", 4); /* args = 4090 + 2 = 4092 bytes */
    assert_int_equal(parse_all(line, 4098, false, &out), 0);
    hc_buf_release(&out);
    hc_test_guard_free_all();
}

static void test_need_connect(void **state)
{
    bus_parser_t p;
    bus_parser_init(&p, 4096, 1024);
    p.need_connect = true;
    size_t pos = 0;
    bus_op_t op;
    const char *in = hc_test_guard_str("PING\r\n");
    assert_int_equal(bus_parse(&p, in, 6, &pos, &op), BUS_PERR_AUTH);
    pos = 0;
    in = hc_test_guard_str("CONNECT {}\r\n");
    assert_int_equal(bus_parse(&p, in, 12, &pos, &op), 1);
    assert_int_equal(op.kind, BUS_OP_CONNECT);
    bus_parser_release(&p);
    hc_test_guard_free_all();
}

static void test_parse_size(void **state)
{
    assert_int_equal(bus_parse_size("0", 1), 0);
    assert_int_equal(bus_parse_size("123", 3), 123);
    assert_int_equal(bus_parse_size("999999999", 9), 999999999);
    assert_int_equal(bus_parse_size("1000000000", 10), -1);
    assert_int_equal(bus_parse_size("", 0), -1);
    assert_int_equal(bus_parse_size("1a", 2), -1);
    assert_int_equal(bus_parse_size("-1", 2), -1);
}

/* A payload split across reads is reassembled (copied once) and framed correctly. */
static void test_large_payload_split(void **state)
{
    size_t size = 300000;
    char head[64];
    int hl = snprintf(head, sizeof(head), "PUB big r %zu\r\n", size);
    size_t total = (size_t)hl + size + 2;
    char *in = malloc(total);
    memcpy(in, head, (size_t)hl);
    for (size_t i = 0; i < size; i++)
        in[hl + i] = (char)('a' + i % 26);
    memcpy(in + hl + size, "\r\n", 2);
    bus_parser_t p;
    bus_parser_init(&p, 4096, 1024 * 1024);
    bus_op_t op;
    int got = 0;
    for (size_t off = 0; off < total; off += 65536) {
        size_t n = total - off < 65536 ? total - off : 65536;
        const char *buf = hc_test_guard(in + off, n);
        size_t pos = 0;
        while (pos < n) {
            int r = bus_parse(&p, buf, n, &pos, &op);
            assert_true(r >= 0);
            if (r == 0)
                break;
            got++;
            assert_int_equal(op.size, size);
            assert_memory_equal(op.payload, in + hl, size);
            assert_int_equal(op.subject.len, 3);
            assert_memory_equal(op.subject.p, "big", 3);
            assert_memory_equal(op.reply.p, "r", 1);
        }
    }
    assert_int_equal(got, 1);
    bus_parser_release(&p);
    free(in);
    hc_test_guard_free_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_op),         cmocka_unit_test(test_split_at_every_offset),
        cmocka_unit_test(test_byte_by_byte),     cmocka_unit_test(test_errors),
        cmocka_unit_test(test_max_control_line), cmocka_unit_test(test_need_connect),
        cmocka_unit_test(test_parse_size),       cmocka_unit_test(test_large_payload_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
