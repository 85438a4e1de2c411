/* resolv.c - resolv.conf reading for containers (see hc_resolv.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "hc_buf.h"
#include "hc_fs.h"
#include "hc_ipv4.h"
#include "hc_resolv.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* The next line of [p, end) without its newline in line/n; returns where the next starts. */
static const char *next_line(const char *p, const char *end, const char **line, size_t *n)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    *line = p;
    *n = (size_t)((nl ? nl : end) - p);
    return nl ? nl + 1 : end;
}

/* The first word of the line and the rest after it (blanks trimmed on both sides). */
static void split_word(const char *s, size_t n, const char **w, size_t *wn, const char **rest,
                       size_t *rn)
{
    size_t i = 0;
    while (i < n && is_blank(s[i]))
        i++;
    size_t b = i;
    while (i < n && !is_blank(s[i]))
        i++;
    *w = s + b;
    *wn = i - b;
    while (i < n && is_blank(s[i]))
        i++;
    size_t e = n;
    while (e > i && is_blank(s[e - 1]))
        e--;
    *rest = s + i;
    *rn = e - i;
}

static bool word_is(const char *w, size_t n, const char *lit)
{
    return n == strlen(lit) && memcmp(w, lit, n) == 0;
}

/* A strict dotted quad from [s, s+n), normalised into out; false otherwise. */
static bool parse_ipv4(const char *s, size_t n, char out[16])
{
    struct in_addr a;
    return hc_ipv4_parse(s, n, &a) && inet_ntop(AF_INET, &a, out, 16) != NULL;
}

/* The nameserver's address when the line is an IPv4 `nameserver` line. */
static bool ns_line(const char *line, size_t n, char out[16])
{
    const char *w, *rest;
    size_t wn, rn;
    split_word(line, n, &w, &wn, &rest, &rn);
    if (!word_is(w, wn, "nameserver"))
        return false;
    /* only the first word after the keyword counts */
    size_t an = 0;
    while (an < rn && !is_blank(rest[an]))
        an++;
    return parse_ipv4(rest, an, out);
}

static bool has_ns(const hc_resolv_t *r, const char *ip)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->ns[i], ip) == 0)
            return true;
    return false;
}

static void add_ns(hc_resolv_t *r, const char *ip)
{
    if (r->n < HC_RESOLV_MAX_NS && strlen(ip) < sizeof(r->ns[0]) && !has_ns(r, ip))
        snprintf(r->ns[r->n++], sizeof(r->ns[0]), "%s", ip);
}

size_t hc_resolv_parse(const char *text, size_t len, hc_resolv_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!text)
        return 0;
    const char *p = text, *end = text + len, *line;
    size_t n;
    while (p < end) {
        p = next_line(p, end, &line, &n);
        char ip[16];
        if (ns_line(line, n, ip))
            add_ns(out, ip);
    }
    return out->n;
}

int hc_resolv_read(const char *path, hc_resolv_t *out, hc_err_t *err)
{
    char *text = NULL;
    size_t len = 0;
    memset(out, 0, sizeof(*out));
    int r = hc_read_file(AT_FDCWD, path, HC_RESOLV_MAX_TEXT, &text, &len, err);
    if (r < 0)
        return r;
    size_t n = hc_resolv_parse(text, len, out);
    free(text);
    return (int)n;
}

bool hc_resolv_is_loopback(const char *ip)
{
    struct in_addr a;
    return ip && inet_pton(AF_INET, ip, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

char *hc_resolv_for_container(const char *text, size_t len, const char *gw)
{
    hc_resolv_t r, out = {.n = 0};
    hc_resolv_parse(text, len, &r);
    for (size_t i = 0; i < r.n; i++)
        add_ns(&out, hc_resolv_is_loopback(r.ns[i]) ? gw : r.ns[i]);
    hc_buf_t b;
    hc_buf_init(&b, HC_RESOLV_MAX_TEXT + 256);
    hc_buf_appendf(&b, "# written by hearth-warden from the host's resolv.conf\n");
    for (size_t i = 0; i < out.n; i++)
        hc_buf_appendf(&b, "nameserver %s\n", out.ns[i]);
    const char *p = text ? text : "", *end = p + (text ? len : 0), *line;
    size_t n;
    while (p < end) {
        p = next_line(p, end, &line, &n);
        const char *w, *rest;
        size_t wn, rn;
        split_word(line, n, &w, &wn, &rest, &rn);
        if ((word_is(w, wn, "search") || word_is(w, wn, "domain") || word_is(w, wn, "options")) &&
            rn > 0 && !memchr(rest, '\0', rn))
            hc_buf_appendf(&b, "%.*s %.*s\n", (int)wn, w, (int)rn, rest);
    }
    return hc_buf_detach(&b, NULL);
}
