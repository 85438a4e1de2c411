/*
 * test_bus_conformance.c - raw-socket conformance of hearth-bus, every line type and every -ERR
 * of spec/bus.md §5, with the exact bytes nats-server 2.9.10 sends. Each test runs against
 * hearth-bus AND Debian's nats-server with the same assertions, so a difference is our bug.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_bus_common.h"

typedef struct tcase_s {
    const char *name;
    const char *in;
    size_t in_len; /* 0: strlen(in) */
    const char *out;
    int closes;
    /* What nats-server may also answer when the case arrives byte by byte (its own quirk). */
    const char *peer_split_out;
} tcase_t;

#define C_(v) "CONNECT {\"verbose\":" v "}\r\n"
#define Q "CONNECT {\"verbose\":false}\r\n"
#define QH "CONNECT {\"verbose\":false,\"headers\":true}\r\n"

static const tcase_t basic_cases[] = {
    {"connect quiet + ping", Q "PING\r\n", 0, "PONG\r\n", 0},
    {"connect defaults verbose", "CONNECT {}\r\nPING\r\n", 0, "+OK\r\nPONG\r\n", 0},
    {"telnet style pub/sub", "SUB foo 1\r\nPUB foo 5\r\nhello\r\nPING\r\n", 0,
     "+OK\r\n+OK\r\nMSG foo 1 5\r\nhello\r\nPONG\r\n", 0},
    {"lowercase ops, libnats spacing", "sub foo  1\r\nUNSUB 1 \r\nPING\r\n", 0,
     "+OK\r\n+OK\r\nPONG\r\n", 0},
    {"tabs as separators", Q "SUB\tfoo\t1\r\nPUB\tfoo\t1\r\na\r\nPING\r\n", 0,
     "MSG foo 1 1\r\na\r\nPONG\r\n", 0},
    {"bare LF line ends", Q "SUB foo 1\nPUB foo 1\na\r\nPING\n", 0, "MSG foo 1 1\r\na\r\nPONG\r\n",
     0},
    {"ping with trailing bytes", "PINGxyz\r\n", 0, "PONG\r\n", 0},
    {"pong, +OK and INFO from a client are ignored", "PONG\r\n+OK\r\nINFO {}\r\nPING\r\n", 0,
     "PONG\r\n", 0},
    {"reply subject", Q "SUB foo 1\r\nPUB foo bar 2\r\nhi\r\nPING\r\n", 0,
     "MSG foo 1 bar 2\r\nhi\r\nPONG\r\n", 0},
    {"empty payload", Q "SUB foo 1\r\nPUB foo 0\r\n\r\nPING\r\n", 0, "MSG foo 1 0\r\n\r\nPONG\r\n",
     0},
    {"wildcard *", Q "SUB a.* 1\r\nPUB a.b 1\r\nx\r\nPUB a.b.c 1\r\ny\r\nPUB a 1\r\nz\r\nPING\r\n",
     0, "MSG a.b 1 1\r\nx\r\nPONG\r\n", 0},
    {"wildcard >", Q "SUB a.> 2\r\nPUB a.b 1\r\nx\r\nPUB a.b.c 1\r\ny\r\nPUB a 1\r\nz\r\nPING\r\n",
     0, "MSG a.b 2 1\r\nx\r\nMSG a.b.c 2 1\r\ny\r\nPONG\r\n", 0},
    {"wildcard > alone", Q "SUB > 3\r\nPUB a.b 1\r\nx\r\nPUB a 1\r\nz\r\nPING\r\n", 0,
     "MSG a.b 3 1\r\nx\r\nMSG a 3 1\r\nz\r\nPONG\r\n", 0},
    {"wildcard in the middle", Q "SUB a.*.c 4\r\nPUB a.b.c 1\r\nx\r\nPUB a.b.d 1\r\ny\r\nPING\r\n",
     0, "MSG a.b.c 4 1\r\nx\r\nPONG\r\n", 0},
    {"partial wildcard is literal",
     Q "SUB foo* 1\r\nPUB fooX 1\r\na\r\nPUB foo* 1\r\nb\r\nPING\r\n", 0,
     "MSG foo* 1 1\r\nb\r\nPONG\r\n", 0},
    {"duplicate sid is one subscription", Q "SUB foo 1\r\nSUB foo 1\r\nPUB foo 1\r\na\r\nPING\r\n",
     0, "MSG foo 1 1\r\na\r\nPONG\r\n", 0},
    {"unsub max after already received",
     Q "SUB foo 1\r\nPUB foo 1\r\na\r\nPUB foo 1\r\na\r\nUNSUB 1 1\r\nPUB foo 1\r\na\r\nPING\r\n",
     0, "MSG foo 1 1\r\na\r\nMSG foo 1 1\r\na\r\nPONG\r\n", 0},
    {"unsub max",
     Q "SUB foo 1\r\nUNSUB 1 2\r\nPUB foo 1\r\na\r\nPUB foo 1\r\nb\r\nPUB foo 1\r\nc\r\nPING\r\n",
     0, "MSG foo 1 1\r\na\r\nMSG foo 1 1\r\nb\r\nPONG\r\n", 0},
    {"echo false",
     "CONNECT {\"verbose\":false,\"echo\":false}\r\nSUB foo 1\r\nPUB foo 1\r\na\r\nPING\r\n", 0,
     "PONG\r\n", 0},
    {"verbose acks every op but ping",
     C_("true") "SUB foo 1\r\nPUB foo 1\r\na\r\nUNSUB 1\r\nUNSUB 99\r\nPING\r\n", 0,
     "+OK\r\n+OK\r\n+OK\r\nMSG foo 1 1\r\na\r\n+OK\r\n+OK\r\nPONG\r\n", 0},
    {"headers delivered as HMSG",
     QH "SUB foo 1\r\nHPUB foo 22 33\r\nNATS/1.0\r\nBar: Baz\r\n\r\nHello NATS!\r\nPING\r\n", 0,
     "HMSG foo 1 22 33\r\nNATS/1.0\r\nBar: Baz\r\n\r\nHello NATS!\r\nPONG\r\n", 0},
    {"HPUB with reply", QH "SUB foo 1\r\nHPUB foo r 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPING\r\n", 0,
     "HMSG foo 1 r 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPONG\r\n", 0},
    {"no responders 503",
     "CONNECT {\"verbose\":false,\"headers\":true,\"no_responders\":true}\r\nSUB _INBOX.x.* "
     "7\r\nPUB "
     "nobody _INBOX.x.1 0\r\n\r\nPING\r\n",
     0, "HMSG _INBOX.x.1 7 16 16\r\nNATS/1.0 503\r\n\r\n\r\nPONG\r\n", 0},
    {"invalid subjects keep the connection",
     Q "SUB foo. 1\r\nSUB foo..bar 2\r\nSUB foo.>.bar 3\r\nPING\r\n", 0,
     "-ERR 'Invalid Subject'\r\n-ERR 'Invalid Subject'\r\n-ERR 'Invalid Subject'\r\nPONG\r\n", 0},
    {"pedantic wildcard publish",
     C_("true,\"pedantic\":true") "SUB foo.* 1\r\nPUB foo.* 2\r\nhi\r\nPING\r\n", 0,
     "+OK\r\n+OK\r\n-ERR 'Invalid Publish Subject'\r\n+OK\r\nMSG foo.* 1 2\r\nhi\r\nPONG\r\n", 0,
     /* nats-server checks the subject again when the payload comes in another read */
     "+OK\r\n+OK\r\n-ERR 'Invalid Publish Subject'\r\n-ERR 'Invalid Publish Subject'\r\n+OK\r\n"
     "MSG foo.* 1 2\r\nhi\r\nPONG\r\n"},
    {"non-pedantic wildcard publish",
     C_("false,\"pedantic\":false") "SUB foo.* 1\r\nPUB foo.* 2\r\nhi\r\nPING\r\n", 0,
     "MSG foo.* 1 2\r\nhi\r\nPONG\r\n", 0},
    /* errors that close */
    {"unknown op", "FOO\r\n", 0, "-ERR 'Unknown Protocol Operation'\r\n", 1},
    {"typo PUBS", Q "PUBS foo 1\r\n", 0, "-ERR 'Unknown Protocol Operation'\r\n", 1},
    {"typo SUBZZZ", Q "SUBZZZ foo 1\r\n", 0, "-ERR 'Unknown Protocol Operation'\r\n", 1},
    {"empty line", "\r\n", 0, "-ERR 'Unknown Protocol Operation'\r\n", 1},
    {"MSG from a client", "MSG foo 1 1\r\na\r\n", 0, "-ERR 'Unknown Protocol Operation'\r\n", 1},
    {"payload longer than announced", Q "PUB foo 3\r\nabcde\r\n", 0,
     "-ERR 'Unknown Protocol Operation'\r\n", 1},
    {"max payload", Q "PUB foo 2000000\r\n", 0, "-ERR 'Maximum Payload Violation'\r\n", 1},
    {"max payload 9 digits", Q "PUB foo 999999999\r\n", 0, "-ERR 'Maximum Payload Violation'\r\n",
     1},
    {"HPUB max payload", QH "HPUB foo 10 2000000\r\n", 0, "-ERR 'Maximum Payload Violation'\r\n",
     1},
    {"size too long closes silently", Q "PUB foo 9999999999\r\n", 0, "", 1},
    {"PUB without size", Q "PUB foo\r\n", 0, "", 1},
    {"PUB with 4 args", Q "PUB a b c 1\r\nx\r\n", 0, "", 1},
    {"SUB with 4 args", Q "SUB a b c d\r\n", 0, "", 1},
    {"SUB without args", Q "SUB\r\n", 0, "-ERR 'Unknown Protocol Operation'\r\n", 1},
    {"HPUB without headers", Q "HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n", 0, "", 1},
    {"HPUB header bigger than total", QH "HPUB foo 14 12\r\n", 0, "", 1},
    {"client -ERR", "-ERR 'x'\r\n", 0, "", 1},
    {"bad CONNECT json", "CONNECT garbage\r\nPING\r\n", 0, "", 1},
    {"trailing bytes after CONNECT json", "CONNECT {\"verbose\":false} x\r\nPING\r\n", 0, "", 1},
    {"bad CONNECT types", "CONNECT {\"verbose\":\"yes\"}\r\nPING\r\n", 0, "", 1},
    {"invalid client protocol", "CONNECT {\"verbose\":false,\"protocol\":2}\r\n", 0,
     "-ERR 'invalid client protocol'\r\n", 1},
    {"no responders without headers", "CONNECT {\"verbose\":false,\"no_responders\":true}\r\n", 0,
     "-ERR 'no responders requires headers support'\r\n", 1},
};

static const tcase_t auth_user_cases[] = {
    {"op before CONNECT", "PING\r\n", 0, "-ERR 'Authorization Violation'\r\n", 1},
    {"sub before CONNECT", "SUB foo 99999999999\r\n", 0, "-ERR 'Authorization Violation'\r\n", 1},
    {"no credentials", Q "PING\r\n", 0, "-ERR 'Authorization Violation'\r\n", 1},
    {"good credentials", "CONNECT {\"verbose\":false,\"user\":\"u1\",\"pass\":\"p1\"}\r\nPING\r\n",
     0, "PONG\r\n", 0},
    {"bad password", "CONNECT {\"verbose\":false,\"user\":\"u1\",\"pass\":\"nope\"}\r\nPING\r\n", 0,
     "-ERR 'Authorization Violation'\r\n", 1},
};

static const tcase_t auth_token_cases[] = {
    {"good token", "CONNECT {\"verbose\":false,\"auth_token\":\"s3cret\"}\r\nPING\r\n", 0,
     "PONG\r\n", 0},
    {"bad token", "CONNECT {\"verbose\":false,\"auth_token\":\"x\"}\r\nPING\r\n", 0,
     "-ERR 'Authorization Violation'\r\n", 1},
    {"user instead of token", "CONNECT {\"verbose\":false,\"user\":\"s3cret\"}\r\nPING\r\n", 0,
     "-ERR 'Authorization Violation'\r\n", 1},
};

/* Runs one case: connect, send, read until PONG (open cases) or until closed. */
static void run_case(const tb_srv_t *s, const tcase_t *c, int byte_by_byte)
{
    char buf[65536];
    int closed = 0;
    int fd = tb_connect(s->port, NULL, 0);
    assert_true(fd >= 0);
    size_t len = c->in_len ? c->in_len : strlen(c->in);
    if (byte_by_byte) {
        for (size_t i = 0; i < len; i++)
            if (tb_send(fd, c->in + i, 1) < 0)
                break;
    } else {
        tb_send(fd, c->in, len);
    }
    size_t n = tb_read(fd, buf, sizeof(buf), c->closes ? 3000 : 2000, c->closes ? NULL : "PONG\r\n",
                       &closed);
    bool peer_alt = byte_by_byte && s->kind == TB_NATS && c->peer_split_out &&
                    n == strlen(c->peer_split_out) && memcmp(buf, c->peer_split_out, n) == 0;
    if (!peer_alt && (n != strlen(c->out) || memcmp(buf, c->out, n) != 0 || closed != c->closes)) {
        print_error("%s: case '%s'%s:\n  want %s[%s]\n  got  %s[%s]\n", tb_name(s->kind), c->name,
                    byte_by_byte ? " (byte by byte)" : "", c->closes ? "closed " : "", c->out,
                    closed ? "closed " : "", buf);
        close(fd);
        fail();
    }
    close(fd);
}

static void run_cases(tb_kind_t kind, const char *const *extra, const tcase_t *cases, size_t n,
                      int split)
{
    tb_srv_t s;
    assert_int_equal(tb_srv_start(&s, kind, NULL, extra), 0);
    for (size_t i = 0; i < n; i++) {
        run_case(&s, &cases[i], 0);
        if (split)
            run_case(&s, &cases[i], 1);
    }
    tb_srv_stop(&s);
}

static void test_info(void **state)
{
    tb_kind_t kind = *(tb_kind_t *)*state;
    tb_srv_t s;
    char info[4096];
    assert_int_equal(tb_srv_start(&s, kind, NULL, NULL), 0);
    int fd = tb_connect(s.port, info, sizeof(info));
    assert_true(fd >= 0);
    assert_memory_equal(info, "INFO {", 6);
    assert_non_null(strstr(info, "} \r\n"));
    static const char *const fields[] = {"\"server_id\":\"N",          "\"server_name\":",
                                         "\"version\":\"2.9.10\"",     "\"proto\":1",
                                         "\"host\":\"127.0.0.1\"",     "\"headers\":true",
                                         "\"max_payload\":1048576",    "\"client_id\":",
                                         "\"client_ip\":\"127.0.0.1\""};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (!strstr(info, fields[i]))
            print_error("%s: INFO lacks %s: %s\n", tb_name(kind), fields[i], info);
        assert_non_null(strstr(info, fields[i]));
    }
    assert_null(strstr(info, "auth_required"));
    close(fd);
    tb_srv_stop(&s);
    const char *const auth[] = {"--auth", "t", NULL};
    assert_int_equal(tb_srv_start(&s, kind, NULL, auth), 0);
    fd = tb_connect(s.port, info, sizeof(info));
    assert_non_null(strstr(info, "\"auth_required\":true"));
    close(fd);
    tb_srv_stop(&s);
}

static void test_basic(void **state)
{
    run_cases(*(tb_kind_t *)*state, NULL, basic_cases, sizeof(basic_cases) / sizeof(basic_cases[0]),
              0);
}

/* Every case again with the session sent one byte at a time (split at every offset). */
static void test_byte_by_byte(void **state)
{
    run_cases(*(tb_kind_t *)*state, NULL, basic_cases, sizeof(basic_cases) / sizeof(basic_cases[0]),
              1);
}

static void test_auth_user(void **state)
{
    const char *const extra[] = {"--user", "u1", "--pass", "p1", NULL};
    run_cases(*(tb_kind_t *)*state, extra, auth_user_cases,
              sizeof(auth_user_cases) / sizeof(auth_user_cases[0]), 0);
}

static void test_auth_token(void **state)
{
    const char *const extra[] = {"--auth", "s3cret", NULL};
    run_cases(*(tb_kind_t *)*state, extra, auth_token_cases,
              sizeof(auth_token_cases) / sizeof(auth_token_cases[0]), 0);
}

static void test_auth_timeout(void **state)
{
    tb_kind_t kind = *(tb_kind_t *)*state;
    tb_srv_t s;
    char buf[1024];
    int closed;
    const char *const extra[] = {"--auth", "s3cret", NULL};
    assert_int_equal(tb_srv_start(&s, kind, NULL, extra), 0);
    int fd = tb_connect(s.port, NULL, 0);
    tb_read(fd, buf, sizeof(buf), 6000, NULL, &closed);
    assert_string_equal(buf, "-ERR 'Authentication Timeout'\r\n");
    assert_int_equal(closed, 1);
    close(fd);
    tb_srv_stop(&s);
}

static void test_control_line(void **state)
{
    tb_kind_t kind = *(tb_kind_t *)*state;
    tb_srv_t s;
    char buf[1024];
    int closed;
    static char line[6000];
    assert_int_equal(tb_srv_start(&s, kind, NULL, NULL), 0);
    /* A subject longer than max_control_line (4096) in one write. */
    int fd = tb_connect(s.port, NULL, 0);
    memcpy(line, "SUB ", 4);
    memset(line + 4, 'a', 5000);
    memcpy(line + 5004, " 1\r\n", 4);
    tb_send(fd, Q, strlen(Q));
    tb_send(fd, line, 5008);
    tb_read(fd, buf, sizeof(buf), 3000, NULL, &closed);
    assert_string_equal(buf, "-ERR 'maximum control line exceeded'\r\n");
    assert_int_equal(closed, 1);
    close(fd);
    /* Just under the limit is fine. */
    fd = tb_connect(s.port, NULL, 0);
    memset(line + 4, 'b', 4080);
    memcpy(line + 4084, " 1\r\nPING\r\n", 10);
    tb_send(fd, Q, strlen(Q));
    tb_send(fd, line, 4094);
    tb_read(fd, buf, sizeof(buf), 3000, "PONG\r\n", &closed);
    assert_string_equal(buf, "PONG\r\n");
    close(fd);
    tb_srv_stop(&s);
}

static void test_queue_group(void **state)
{
    tb_kind_t kind = *(tb_kind_t *)*state;
    tb_srv_t s;
    static char buf[65536];
    int closed;
    assert_int_equal(tb_srv_start(&s, kind, NULL, NULL), 0);
    /* Two members on other connections and one plain subscriber: exactly one member per message. */
    int m1 = tb_connect(s.port, NULL, 0), m2 = tb_connect(s.port, NULL, 0);
    int pub = tb_connect(s.port, NULL, 0);
    tb_sends(m1, Q "SUB foo q 1\r\nPING\r\n");
    tb_sends(m2, Q "SUB foo q 1\r\nPING\r\n");
    tb_read(m1, buf, sizeof(buf), 2000, "PONG\r\n", &closed);
    tb_read(m2, buf, sizeof(buf), 2000, "PONG\r\n", &closed);
    tb_sends(pub, Q "SUB foo 9\r\n");
    for (int i = 0; i < 100; i++)
        tb_sends(pub, "PUB foo 1\r\nx\r\n");
    tb_sends(pub, "PING\r\n");
    tb_read(pub, buf, sizeof(buf), 3000, "PONG\r\n", &closed);
    int plain = 0;
    for (char *p = buf; (p = strstr(p, "MSG foo 9 1")); p++)
        plain++;
    assert_int_equal(plain, 100);
    int got[2] = {0, 0};
    int fds[2] = {m1, m2};
    for (int k = 0; k < 2; k++) {
        tb_sends(fds[k], "PING\r\n");
        size_t n = tb_read(fds[k], buf, sizeof(buf), 3000, "PONG\r\n", &closed);
        (void)n;
        for (char *p = buf; (p = strstr(p, "MSG foo 1 1")); p++)
            got[k]++;
    }
    assert_int_equal(got[0] + got[1], 100);
    /* nats-server's own test wants each of 2 members to get >= 35 of 100. */
    assert_true(got[0] >= 25 && got[1] >= 25);
    close(m1);
    close(m2);
    close(pub);
    tb_srv_stop(&s);
}

/* A subscriber without header support gets a plain MSG with the header block stripped. */
static void test_headers_stripped(void **state)
{
    tb_kind_t kind = *(tb_kind_t *)*state;
    tb_srv_t s;
    char buf[4096];
    int closed;
    assert_int_equal(tb_srv_start(&s, kind, NULL, NULL), 0);
    int old = tb_connect(s.port, NULL, 0), neu = tb_connect(s.port, NULL, 0);
    tb_sends(old, Q "SUB foo 1\r\nPING\r\n");
    tb_read(old, buf, sizeof(buf), 2000, "PONG\r\n", &closed);
    tb_sends(neu, QH "HPUB foo 22 33\r\nNATS/1.0\r\nBar: Baz\r\n\r\nHello NATS!\r\nPING\r\n");
    tb_read(neu, buf, sizeof(buf), 2000, "PONG\r\n", &closed);
    tb_sends(old, "PING\r\n");
    tb_read(old, buf, sizeof(buf), 2000, "PONG\r\n", &closed);
    assert_string_equal(buf, "MSG foo 1 11\r\nHello NATS!\r\nPONG\r\n");
    close(old);
    close(neu);
    tb_srv_stop(&s);
}

static void test_stale_connection(void **state)
{
    tb_kind_t kind = *(tb_kind_t *)*state;
    tb_srv_t s;
    char buf[1024];
    int closed;
    assert_int_equal(tb_srv_start(&s, kind, "ping_interval: \"1s\"\nping_max: 2\n", NULL), 0);
    int fd = tb_connect(s.port, NULL, 0);
    tb_sends(fd, Q);
    tb_read(fd, buf, sizeof(buf), 8000, NULL, &closed);
    assert_string_equal(buf, "PING\r\nPING\r\n-ERR 'Stale Connection'\r\n");
    assert_int_equal(closed, 1);
    close(fd);
    /* A client that answers stays connected. */
    fd = tb_connect(s.port, NULL, 0);
    tb_sends(fd, Q);
    for (int i = 0; i < 3; i++) {
        tb_read(fd, buf, sizeof(buf), 3000, "PING\r\n", &closed);
        assert_int_equal(closed, 0);
        assert_string_equal(buf, "PING\r\n");
        tb_sends(fd, "PONG\r\n");
    }
    close(fd);
    tb_srv_stop(&s);
}

static long json_num(const char *json, const char *key)
{
    char k[64];
    snprintf(k, sizeof(k), "\"%s\":", key);
    const char *p = json ? strstr(json, k) : NULL;
    if (!p)
        return -1;
    p += strlen(k);
    while (*p == ' ')
        p++;
    return strtol(p, NULL, 10);
}

/* Polls /connz until the server counts n open connections (at most 10 s); returns the count. */
static long wait_conns(const tb_srv_t *s, long n)
{
    long got = -1;
    for (uint64_t end = tb_now_ms() + 10000; tb_now_ms() < end; tb_sleep_ms(50)) {
        char *connz = tb_http_get(s->http_port, "/connz");
        got = json_num(connz, "num_connections");
        free(connz);
        if (got == n)
            break;
    }
    return got;
}

/* Polls GET path until its body holds needle (at most 10 s); returns that body or NULL. */
static char *wait_body(const tb_srv_t *s, const char *path, const char *needle)
{
    for (uint64_t end = tb_now_ms() + 10000; tb_now_ms() < end; tb_sleep_ms(50)) {
        char *body = tb_http_get(s->http_port, path);
        if (body && strstr(body, needle))
            return body;
        free(body);
    }
    return NULL;
}

static void test_max_connections(void **state)
{
    tb_kind_t kind = *(tb_kind_t *)*state;
    tb_srv_t s;
    char buf[4096];
    int closed;
    assert_int_equal(tb_srv_start(&s, kind, "max_connections: 1\n", NULL), 0);
    assert_int_equal(wait_conns(&s, 0), 0); /* the start-up probe connection is gone */
    int a = tb_connect(s.port, NULL, 0);
    tb_sends(a, Q "PING\r\n");
    tb_read(a, buf, sizeof(buf), 2000, "PONG\r\n", &closed);
    assert_string_equal(buf, "PONG\r\n");
    int b = tb_dial(s.port);
    tb_read(b, buf, sizeof(buf), 3000, NULL, &closed);
    assert_memory_equal(buf, "INFO {", 6);
    assert_non_null(strstr(buf, "} \r\n-ERR 'maximum connections exceeded'\r\n"));
    assert_int_equal(closed, 1);
    close(b);
    close(a);
    tb_srv_stop(&s);
}

/*
 * A subscriber that never reads is cut off (no -ERR, spec §5/§6); the publisher and other
 * clients keep working, and /varz counts one slow consumer.
 */
static void test_slow_consumer(void **state)
{
    tb_kind_t kind = *(tb_kind_t *)*state;
    tb_srv_t s;
    static char buf[1 << 16];
    int closed;
    assert_int_equal(tb_srv_start(&s, kind,
                                  "max_pending: 1MB\nmax_payload: 65536\nwrite_deadline: \"1s\"\n",
                                  NULL),
                     0);
    int sub = tb_connect(s.port, NULL, 0);
    int rcv = 1024;
    setsockopt(sub, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
    tb_sends(sub, Q "SUB big 1\r\nPING\r\n");
    tb_read(sub, buf, 64, 2000, "PONG\r\n", &closed);
    int pub = tb_connect(s.port, NULL, 0);
    struct timeval tv = {30, 0};
    setsockopt(pub, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    tb_sends(pub, Q);
    static char msg[16384 + 64];
    int hl = snprintf(msg, sizeof(msg), "PUB big 16384\r\n");
    memset(msg + hl, 'x', 16384);
    memcpy(msg + hl + 16384, "\r\n", 2);
    size_t ml = (size_t)hl + 16384 + 2;
    for (int i = 0; i < 3000; i++)
        if (tb_send(pub, msg, ml) < 0)
            break;
    tb_sends(pub, "PING\r\n");
    size_t n = 0;
    uint64_t end = tb_now_ms() + 30000;
    buf[0] = '\0';
    while (!strstr(buf, "PONG\r\n") && tb_now_ms() < end) {
        n = tb_read(pub, buf, sizeof(buf), 1000, "PONG\r\n", &closed);
        if (closed)
            break;
    }
    assert_int_equal(closed, 0);
    assert_non_null(strstr(buf, "PONG\r\n"));
    (void)n;
    /* The server counts a slow consumer (checked before we read anything from it). */
    long slow = 0;
    end = tb_now_ms() + 30000;
    while (slow < 1 && tb_now_ms() < end) {
        char *varz = tb_http_get(s.http_port, "/varz");
        slow = json_num(varz, "slow_consumers");
        free(varz);
        if (slow < 1)
            tb_sleep_ms(200);
    }
    assert_true(slow >= 1);
    char *connz = wait_body(&s, "/connz?state=closed", "Slow Consumer");
    assert_non_null(connz);
    free(connz);
    /* Only the publisher is left connected, and it still works. */
    assert_int_equal(wait_conns(&s, 1), 1);
    tb_sends(pub, "PING\r\n");
    tb_read(pub, buf, sizeof(buf), 3000, "PONG\r\n", &closed);
    assert_non_null(strstr(buf, "PONG\r\n"));
    close(sub);
    close(pub);
    tb_srv_stop(&s);
}

static void test_monitoring(void **state)
{
    tb_kind_t kind = *(tb_kind_t *)*state;
    tb_srv_t s;
    char buf[4096];
    int closed;
    assert_int_equal(tb_srv_start(&s, kind, NULL, NULL), 0);
    assert_int_equal(wait_conns(&s, 0), 0); /* the start-up probe connection is gone */
    int fd = tb_connect(s.port, NULL, 0);
    tb_sends(fd, "CONNECT {\"verbose\":false,\"name\":\"mon-test\"}\r\nSUB foo 1\r\nSUB bar q 2\r\n"
                 "PUB foo 3\r\nabc\r\nPING\r\n");
    tb_read(fd, buf, sizeof(buf), 2000, "PONG\r\n", &closed);
    char *varz = tb_http_get(s.http_port, "/varz");
    assert_non_null(varz);
    assert_int_equal(json_num(varz, "connections"), 1);
    assert_true(json_num(varz, "in_msgs") >= 1);
    assert_true(json_num(varz, "out_msgs") >= 1);
    assert_true(json_num(varz, "in_bytes") >= 3);
    assert_true(json_num(varz, "mem") > 0);
    assert_int_equal(json_num(varz, "max_payload"), 1048576);
    assert_int_equal(json_num(varz, "max_control_line"), 4096);
    assert_non_null(strstr(varz, "\"server_id\""));
    assert_non_null(strstr(varz, "\"cpu\""));
    free(varz);
    char *connz = tb_http_get(s.http_port, "/connz?subs=1");
    assert_non_null(connz);
    assert_int_equal(json_num(connz, "num_connections"), 1);
    assert_non_null(strstr(connz, "\"mon-test\""));
    assert_int_equal(json_num(connz, "subscriptions"), 2);
    assert_non_null(strstr(connz, "\"subscriptions_list\""));
    free(connz);
    char *subsz = tb_http_get(s.http_port, "/subsz");
    assert_non_null(subsz);
    assert_true(json_num(subsz, "num_subscriptions") >= 2);
    assert_non_null(strstr(subsz, "\"cache_hit_rate\""));
    free(subsz);
    char *health = tb_http_get(s.http_port, "/healthz");
    assert_non_null(health);
    assert_non_null(strstr(health, "\"status\""));
    assert_non_null(strstr(health, "\"ok\""));
    free(health);
    close(fd);
    /* The closed connection shows up with its reason. */
    fd = tb_connect(s.port, NULL, 0);
    tb_sends(fd, "FOO\r\n");
    tb_read(fd, buf, sizeof(buf), 2000, NULL, &closed);
    close(fd);
    connz = wait_body(&s, "/connz?state=closed", "\"Protocol Violation\"");
    assert_non_null(connz);
    free(connz);
    tb_srv_stop(&s);
}

int main(void)
{
    static tb_kind_t kinds[2] = {TB_HEARTH, TB_NATS};
    const char *only = getenv("TB_ONLY"); /* debugging: run one server's half */
    if (only && !strcmp(only, "nats"))
        kinds[0] = TB_NATS;
    if (only && !strcmp(only, "hearth"))
        kinds[1] = TB_HEARTH;
    if (!tb_nats_server()) {
        fprintf(stderr, "nats-server not installed: comparison impossible\n");
        return 1;
    }
#define BOTH(fn)                                                                                   \
    cmocka_unit_test_prestate_setup_teardown(fn, NULL, tb_teardown, &kinds[0]),                    \
        cmocka_unit_test_prestate_setup_teardown(fn, NULL, tb_teardown, &kinds[1])
    const struct CMUnitTest tests[] = {
        BOTH(test_info),
        BOTH(test_basic),
        BOTH(test_byte_by_byte),
        BOTH(test_auth_user),
        BOTH(test_auth_token),
        BOTH(test_auth_timeout),
        BOTH(test_control_line),
        BOTH(test_queue_group),
        BOTH(test_headers_stripped),
        BOTH(test_stale_connection),
        BOTH(test_max_connections),
        BOTH(test_slow_consumer),
        BOTH(test_monitoring),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
