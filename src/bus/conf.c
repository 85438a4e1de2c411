/*
 * conf.c - nats-server's configuration file, the simple part of its format: `key: value`,
 * `key = value` or `key value`, entries separated by newlines or commas, `#` and `//` comments,
 * quoted or bare values, nested `name { ... }` blocks (authorization, tls). Sizes take
 * K/KB/M/MB/G/GB suffixes (powers of 1024), durations are seconds or strings like "500ms", "10s",
 * "2m", "1h". Every error names the file and the line.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bus_limits.h"
#include "server.h"

#define CONF_MAX_FILE (1024 * 1024)
#define CONF_MAX_DEPTH 4

typedef struct cp_s {
    const char *p, *end, *path;
    int line;
    hc_err_t *err;
    bus_opts_t *o;
} cp_t;

static int fail(cp_t *c, int line, const char *fmt, ...) HC_PRINTF(3, 4);
static int fail(cp_t *c, int line, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return hc_err_set(c->err, -EINVAL, "%s:%d: %s", c->path, line, msg);
}

static void skip_blank(cp_t *c, bool newlines)
{
    while (c->p < c->end) {
        char ch = *c->p;
        if (ch == ' ' || ch == '\t' || ch == '\r') {
            c->p++;
        } else if (ch == '\n' || ch == ',' || ch == ';') {
            if (!newlines)
                return;
            if (ch == '\n')
                c->line++;
            c->p++;
        } else if (ch == '#' || (ch == '/' && c->p + 1 < c->end && c->p[1] == '/')) {
            while (c->p < c->end && *c->p != '\n')
                c->p++;
        } else {
            return;
        }
    }
}

static bool parse_size(const char *v, uint64_t *ret)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v || v[0] == '-')
        return false;
    uint64_t mul = 1;
    if (*end) {
        char s[4] = {0};
        size_t l = strlen(end);
        if (l > 2)
            return false;
        for (size_t i = 0; i < l; i++)
            s[i] = (char)toupper((unsigned char)end[i]);
        if (!strcmp(s, "K") || !strcmp(s, "KB"))
            mul = 1024;
        else if (!strcmp(s, "M") || !strcmp(s, "MB"))
            mul = 1024 * 1024;
        else if (!strcmp(s, "G") || !strcmp(s, "GB"))
            mul = 1024ULL * 1024 * 1024;
        else if (!strcmp(s, "B"))
            mul = 1;
        else
            return false;
    }
    if (n > UINT64_MAX / mul)
        return false;
    *ret = n * mul;
    return true;
}

static bool parse_duration_ms(const char *v, uint64_t *ret)
{
    char *end;
    errno = 0;
    double n = strtod(v, &end);
    if (errno || end == v || n < 0 || n > 1e9)
        return false;
    double mul = 1000; /* a bare number is seconds */
    if (*end) {
        if (!strcmp(end, "ms"))
            mul = 1;
        else if (!strcmp(end, "s"))
            mul = 1000;
        else if (!strcmp(end, "m"))
            mul = 60000;
        else if (!strcmp(end, "h"))
            mul = 3600000;
        else
            return false;
    }
    *ret = (uint64_t)(n * mul);
    return true;
}

static bool parse_bool(const char *v, bool *ret)
{
    if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on")) {
        *ret = true;
        return true;
    }
    if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off")) {
        *ret = false;
        return true;
    }
    return false;
}

static void set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = hc_strdup(v);
}

/* host:port or just a port. */
static bool parse_hostport(const char *v, char **host, int *port)
{
    const char *colon = strrchr(v, ':');
    uint64_t p;
    const char *ps = colon ? colon + 1 : v;
    if (hc_parse_u64(ps, strlen(ps), 65535, &p) < 0)
        return false;
    if (colon) {
        free(*host);
        *host = hc_strndup(v, (size_t)(colon - v));
    }
    *port = (int)p;
    return true;
}

static int apply(cp_t *c, const char *block, const char *key, const char *v, int line)
{
    bus_opts_t *o = c->o;
    uint64_t n;
    bool b;

#define SIZE(field)                                                                                \
    do {                                                                                           \
        if (!parse_size(v, &n))                                                                    \
            return fail(c, line, "%s: `%s` is not a size", key, v);                                \
        o->field = n;                                                                              \
        return 0;                                                                                  \
    } while (0)
#define DUR(field)                                                                                 \
    do {                                                                                           \
        if (!parse_duration_ms(v, &n))                                                             \
            return fail(c, line, "%s: `%s` is not a duration", key, v);                            \
        o->field = n;                                                                              \
        return 0;                                                                                  \
    } while (0)

    if (!strcmp(block, "")) {
        if (!strcmp(key, "port")) {
            if (hc_parse_u64(v, strlen(v), 65535, &n) < 0)
                return fail(c, line, "port: `%s` is out of range 0..65535%s", v, "");
            o->port = (int)n;
            return 0;
        }
        if (!strcmp(key, "host") || !strcmp(key, "net")) {
            set_str(&o->host, v);
            return 0;
        }
        if (!strcmp(key, "listen")) {
            if (!parse_hostport(v, &o->host, &o->port))
                return fail(c, line, "listen: `%s` is not host:port%s", v, "");
            return 0;
        }
        if (!strcmp(key, "http") || !strcmp(key, "monitor_port") || !strcmp(key, "http_port")) {
            if (!parse_hostport(v, &o->http_host, &o->http_port))
                return fail(c, line, "%s: `%s` is not a port or host:port", key, v);
            return 0;
        }
        if (!strcmp(key, "max_payload"))
            SIZE(max_payload);
        if (!strcmp(key, "max_pending"))
            SIZE(max_pending);
        if (!strcmp(key, "max_control_line"))
            SIZE(max_control_line);
        if (!strcmp(key, "max_connections") || !strcmp(key, "max_conn"))
            SIZE(max_connections);
        if (!strcmp(key, "ping_max"))
            SIZE(ping_max);
        if (!strcmp(key, "ping_interval"))
            DUR(ping_interval_ms);
        if (!strcmp(key, "write_deadline"))
            DUR(write_deadline_ms);
        if (!strcmp(key, "lame_duck_duration"))
            DUR(lame_duck_ms);
        if (!strcmp(key, "debug") || !strcmp(key, "trace")) {
            if (!parse_bool(v, &b))
                return fail(c, line, "%s: `%s` is not a boolean", key, v);
            if (key[0] == 'd')
                o->debug = b;
            else
                o->trace = b;
            return 0;
        }
        if (!strcmp(key, "logfile") || !strcmp(key, "log_file")) {
            set_str(&o->log_file, v);
            return 0;
        }
        if (!strcmp(key, "server_name") || !strcmp(key, "pid_file"))
            return 0; /* accepted, not used */
    } else if (!strcmp(block, "authorization")) {
        if (!strcmp(key, "user") || !strcmp(key, "username")) {
            set_str(&o->user, v);
            return 0;
        }
        if (!strcmp(key, "password") || !strcmp(key, "pass")) {
            set_str(&o->pass, v);
            return 0;
        }
        if (!strcmp(key, "token")) {
            set_str(&o->token, v);
            return 0;
        }
        if (!strcmp(key, "timeout"))
            DUR(auth_timeout_ms);
    } else if (!strcmp(block, "tls")) {
        if (!strcmp(key, "cert_file")) {
            set_str(&o->tls_cert, v);
            o->tls = true;
            return 0;
        }
        if (!strcmp(key, "key_file")) {
            set_str(&o->tls_key, v);
            o->tls = true;
            return 0;
        }
        if (!strcmp(key, "timeout"))
            return 0;
    }
#undef SIZE
#undef DUR
    return fail(c, line, "unknown key `%s`%s", key, block[0] ? " in this block" : "");
}

static int parse_block(cp_t *c, const char *block, int depth);

static int parse_entry(cp_t *c, const char *block, int depth)
{
    char key[64], val[1024];
    size_t kl = 0, vl = 0;
    int line = c->line;

    while (c->p < c->end && (isalnum((unsigned char)*c->p) || *c->p == '_' || *c->p == '-' ||
                             *c->p == '.' || *c->p == '$')) {
        if (kl + 1 >= sizeof(key))
            return fail(c, line, "key too long%s%s", "", "");
        key[kl++] = *c->p++;
    }
    key[kl] = '\0';
    if (kl == 0)
        return fail(c, line, "expected a key, found `%.1s`%s", c->p, "");
    skip_blank(c, false);
    if (c->p < c->end && (*c->p == ':' || *c->p == '=')) {
        c->p++;
        skip_blank(c, false);
    }
    if (c->p < c->end && *c->p == '{') {
        c->p++;
        if (depth >= CONF_MAX_DEPTH)
            return fail(c, line, "`%s`: blocks nested too deep%s", key, "");
        if (block[0] || (strcmp(key, "authorization") && strcmp(key, "tls")))
            return fail(c, line, "unknown block `%s`%s", key, "");
        return parse_block(c, key, depth + 1);
    }
    if (c->p < c->end && *c->p == '[')
        return fail(c, line, "`%s`: arrays are not supported%s", key, "");
    if (c->p < c->end && (*c->p == '"' || *c->p == '\'')) {
        char q = *c->p++;
        while (c->p < c->end && *c->p != q && *c->p != '\n') {
            if (vl + 1 >= sizeof(val))
                return fail(c, line, "`%s`: value too long%s", key, "");
            val[vl++] = *c->p++;
        }
        if (c->p >= c->end || *c->p != q)
            return fail(c, line, "`%s`: unterminated string%s", key, "");
        c->p++;
    } else {
        while (c->p < c->end && *c->p != '\n' && *c->p != ',' && *c->p != ';' && *c->p != '}' &&
               *c->p != '#') {
            if (vl + 1 >= sizeof(val))
                return fail(c, line, "`%s`: value too long%s", key, "");
            val[vl++] = *c->p++;
        }
        while (vl > 0 && (val[vl - 1] == ' ' || val[vl - 1] == '\t' || val[vl - 1] == '\r'))
            vl--;
    }
    val[vl] = '\0';
    if (vl == 0)
        return fail(c, line, "`%s`: missing value%s", key, "");
    return apply(c, block, key, val, line);
}

static int parse_block(cp_t *c, const char *block, int depth)
{
    int r;
    int open_line = c->line;
    for (;;) {
        skip_blank(c, true);
        if (c->p >= c->end) {
            if (block[0])
                return fail(c, open_line, "block `%s` is not closed%s", block, "");
            return 0;
        }
        if (*c->p == '}') {
            if (!block[0])
                return fail(c, c->line, "unexpected `}`%s%s", "", "");
            c->p++;
            return 0;
        }
        r = parse_entry(c, block, depth);
        if (r < 0)
            return r;
    }
}

int bus_conf_load(bus_opts_t *o, const char *path, hc_err_t *err)
{
    FILE *f = fopen(path, "re");
    char *text = NULL;
    int r;

    if (!f)
        return hc_err_set(err, -errno, "open config `%s`", path);
    text = hc_malloc(CONF_MAX_FILE + 1);
    size_t n = fread(text, 1, CONF_MAX_FILE + 1, f);
    fclose(f);
    if (n > CONF_MAX_FILE) {
        r = hc_err_set(err, -EFBIG, "config `%s` is larger than %d bytes", path, CONF_MAX_FILE);
        goto out;
    }
    cp_t c = {.p = text, .end = text + n, .path = path, .line = 1, .err = err, .o = o};
    r = parse_block(&c, "", 0);
out:
    free(text);
    return r;
}
