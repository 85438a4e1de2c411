/* multipart/form-data parsing over an in-memory body. */
#include <string.h>
#include <strings.h>

#include "blob/multipart.h"

static bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static hc_str_t trim(hc_str_t s)
{
    while (s.len && is_ws(*s.p)) {
        s.p++;
        s.len--;
    }
    while (s.len && is_ws(s.p[s.len - 1]))
        s.len--;
    return s;
}

/*
 * Finds parameter `key` in "v; k1=a; k2="b"" (s starts after the main value). Quoted values
 * are returned without their quotes; a backslash escapes the next byte (kept in the slice).
 */
static int find_param(hc_str_t s, const char *key, hc_str_t *ret)
{
    size_t klen = strlen(key);
    size_t i = 0;
    while (i < s.len) {
        /* skip to the next ';' */
        while (i < s.len && s.p[i] != ';') {
            if (s.p[i] == '"') {
                for (i++; i < s.len && s.p[i] != '"'; i++)
                    if (s.p[i] == '\\')
                        i++;
            }
            i++;
        }
        if (i >= s.len)
            return -1;
        i++;
        while (i < s.len && is_ws(s.p[i]))
            i++;
        size_t name_start = i;
        while (i < s.len && s.p[i] != '=' && s.p[i] != ';')
            i++;
        if (i >= s.len || s.p[i] != '=')
            continue;
        hc_str_t name = trim(hc_str(s.p + name_start, i - name_start));
        i++;
        while (i < s.len && is_ws(s.p[i]))
            i++;
        size_t vstart = i, vlen;
        if (i < s.len && s.p[i] == '"') {
            vstart = ++i;
            while (i < s.len && s.p[i] != '"') {
                if (s.p[i] == '\\')
                    i++;
                i++;
            }
            if (i >= s.len)
                return -1;
            vlen = i - vstart;
            i++;
        } else {
            while (i < s.len && s.p[i] != ';' && !is_ws(s.p[i]))
                i++;
            vlen = i - vstart;
        }
        if (name.len == klen && strncasecmp(name.p, key, klen) == 0) {
            *ret = hc_str(s.p + vstart, vlen);
            return 0;
        }
    }
    return -1;
}

int cc_mp_boundary(hc_str_t ct, hc_str_t *ret_boundary)
{
    static const char type[] = "multipart/form-data";
    ct = trim(ct);
    if (ct.len < sizeof(type) - 1 || strncasecmp(ct.p, type, sizeof(type) - 1) != 0)
        return HC_EPROTO;
    hc_str_t rest = hc_str(ct.p + sizeof(type) - 1, ct.len - (sizeof(type) - 1));
    if (rest.len && rest.p[0] != ';' && !is_ws(rest.p[0]))
        return HC_EPROTO;
    hc_str_t b;
    if (find_param(rest, "boundary", &b) < 0 || b.len == 0 || b.len > CC_MP_MAX_BOUNDARY)
        return HC_EPROTO;
    for (size_t i = 0; i < b.len; i++)
        if (b.p[i] == '\\' || b.p[i] == '\r' || b.p[i] == '\n')
            return HC_EPROTO;
    *ret_boundary = b;
    return 0;
}

/* Parses one part's head [p, p+len) (CRLF-separated header lines). */
static int parse_head(const char *p, size_t len, cc_mp_part_t *part)
{
    bool have_cd = false;
    const char *end = p + len;
    while (p < end) {
        const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!eol)
            eol = end;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (!colon)
            return HC_EPROTO;
        hc_str_t name = trim(hc_str(p, (size_t)(colon - p)));
        hc_str_t value = trim(hc_str(colon + 1, (size_t)(eol - colon - 1)));
        if (hc_str_eq_nocase(name, HC_STR_LIT("Content-Disposition"))) {
            static const char fd[] = "form-data";
            if (value.len < sizeof(fd) - 1 || strncasecmp(value.p, fd, sizeof(fd) - 1) != 0)
                return HC_EPROTO;
            hc_str_t rest = hc_str(value.p + sizeof(fd) - 1, value.len - (sizeof(fd) - 1));
            if (find_param(rest, "name", &part->name) < 0)
                return HC_EPROTO;
            find_param(rest, "filename", &part->filename);
            have_cd = true;
        } else if (hc_str_eq_nocase(name, HC_STR_LIT("Content-Type"))) {
            part->content_type = value;
        }
        p = eol + 2;
    }
    return have_cd ? 0 : HC_EPROTO;
}

int cc_mp_parse(const char *body, size_t len, hc_str_t boundary, cc_mp_part_t *parts,
                size_t *num_parts)
{
    char delim[CC_MP_MAX_BOUNDARY + 4];
    size_t cap = *num_parts, n = 0;

    if (boundary.len == 0 || boundary.len > CC_MP_MAX_BOUNDARY)
        return HC_EPROTO;
    /* "\r\n--" + boundary; the first delimiter may start the body without the CRLF. */
    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, boundary.p, boundary.len);
    size_t dlen = boundary.len + 4;
    const char *end = body + len, *p;
    if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0) {
        p = body + dlen - 2;
    } else {
        const char *d = memmem(body, len, delim, dlen);
        if (!d)
            return HC_EPROTO;
        p = d + dlen;
    }
    for (;;) {
        /* After a delimiter: "--" closes, else optional whitespace and CRLF. */
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            break;
        while (p < end && is_ws(*p))
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return HC_EPROTO;
        p += 2;
        size_t avail = (size_t)(end - p);
        const char *head_end;
        if (avail >= 2 && p[0] == '\r' && p[1] == '\n') {
            head_end = p; /* no headers at all */
        } else {
            head_end = memmem(p, HC_MIN(avail, (size_t)CC_MP_MAX_PART_HEAD + 4), "\r\n\r\n", 4);
            if (!head_end)
                return HC_EPROTO;
        }
        if (n == cap)
            return HC_ETOOBIG;
        cc_mp_part_t *part = &parts[n];
        memset(part, 0, sizeof(*part));
        if (head_end == p)
            return HC_EPROTO; /* form-data parts need Content-Disposition */
        int r = parse_head(p, (size_t)(head_end - p), part);
        if (r < 0)
            return r;
        const char *data = head_end + 4;
        const char *d = memmem(data, (size_t)(end - data), delim, dlen);
        if (!d)
            return HC_EPROTO;
        part->data = hc_str(data, (size_t)(d - data));
        n++;
        p = d + dlen;
    }
    *num_parts = n;
    return 0;
}

const cc_mp_part_t *cc_mp_find(const cc_mp_part_t *parts, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (hc_str_eq(parts[i].name, hc_str_c(name)))
            return &parts[i];
    return NULL;
}
