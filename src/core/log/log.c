/* The logfmt logger (STYLE R25). One write(2) per line so lines from one process never interleave.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hc_buf.h"
#include "hc_log.h"
#include "hc_time.h"
#include "hc_utf8.h"

int hc_log_level = HC_LOG_INFO;

static char log_comp[32] = "hearth";
static char *log_path;
static int log_fd = STDERR_FILENO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

hc_log_level_t hc_log_level_parse(const char *s)
{
    for (size_t i = 0; i < HC_ARRAY_SIZE(level_names); i++)
        if (strcasecmp(s, level_names[i]) == 0)
            return (hc_log_level_t)i;
    if (strcasecmp(s, "warning") == 0)
        return HC_LOG_WARN;
    return HC_LOG_INVALID;
}

const char *hc_log_level_name(hc_log_level_t level)
{
    if ((int)level < 0 || (size_t)level >= HC_ARRAY_SIZE(level_names))
        return "unknown";
    return level_names[level];
}

static int log_open_fd(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    return fd < 0 ? -errno : fd;
}

int hc_log_open(const char *comp, const char *path)
{
    if (comp)
        snprintf(log_comp, sizeof(log_comp), "%s", comp);
    if (!path || strcmp(path, "-") == 0) {
        hc_log_close();
        return 0;
    }
    int fd = log_open_fd(path);
    if (fd < 0)
        return fd;
    hc_log_close();
    log_fd = fd;
    log_path = hc_strdup(path);
    return 0;
}

int hc_log_reopen(void)
{
    if (!log_path)
        return 0;
    int fd = log_open_fd(log_path);
    if (fd < 0)
        return fd;
    int old = log_fd;
    log_fd = fd;
    if (old != STDERR_FILENO)
        close(old);
    return 0;
}

void hc_log_close(void)
{
    if (log_fd != STDERR_FILENO)
        close(log_fd);
    log_fd = STDERR_FILENO;
    free(log_path);
    log_path = NULL;
}

/*
 * One line under construction. The buffer may hold LOG_LINE_MAX bytes of fields plus a small
 * tail that is only used to close a cut value and to add " truncated=1\n", so a long line is
 * cut cleanly: quotes stay balanced and the newline is always there.
 */
#define LOG_LINE_MAX (16 * 1024)
#define LOG_TAIL 32

typedef struct line_s {
    hc_buf_t b;
    bool cut;
} line_t;

static size_t line_room(const line_t *l)
{
    return l->b.len < LOG_LINE_MAX ? LOG_LINE_MAX - l->b.len : 0;
}

static void line_raw(line_t *l, const char *s, size_t n)
{
    if (l->cut)
        return;
    if (n > line_room(l)) {
        l->cut = true;
        return;
    }
    hc_buf_append(&l->b, s, n);
}

/* Is the byte sequence at p (of n bytes) safe to copy raw into a quoted value? */
static size_t safe_seq(const unsigned char *p, size_t n)
{
    if (*p < 0x80)
        return *p >= ' ' && *p != 0x7f && *p != '"' && *p != '\\' ? 1 : 0;
    size_t len = hc_utf8_seq(p, n);
    /* C1 controls (U+0080..U+009F, encoded C2 80..C2 9F) act on some terminals. */
    if (len == 2 && p[0] == 0xc2 && p[1] < 0xa0)
        return 0;
    return len;
}

/*
 * Appends a value: bare when it is non-empty printable ASCII without space, quote, '=' or
 * backslash (and fits), otherwise double-quoted with \" \\ \n \r \t and \xNN escapes for
 * control bytes and bytes that are not valid UTF-8. Nothing a peer sends can break the line.
 */
static void line_value(line_t *l, const char *v, bool force_quote)
{
    if (l->cut)
        return;
    if (!v)
        v = "";
    size_t len = strlen(v);
    bool quote = force_quote || len == 0 || len > line_room(l);
    for (size_t i = 0; i < len && !quote; i++) {
        unsigned char c = (unsigned char)v[i];
        quote = c <= ' ' || c >= 0x7f || c == '"' || c == '=' || c == '\\';
    }
    if (!quote) {
        hc_buf_append(&l->b, v, len);
        return;
    }
    if (line_room(l) < 2) {
        l->cut = true;
        return;
    }
    hc_buf_append_byte(&l->b, '"');
    const unsigned char *p = (const unsigned char *)v;
    for (size_t i = 0; i < len;) {
        char esc[8];
        const char *piece = esc;
        size_t plen, used;
        size_t n = safe_seq(p + i, len - i);
        if (n > 0) {
            piece = v + i;
            plen = used = n;
        } else {
            used = 1;
            switch (p[i]) {
            case '"':
                piece = "\\\"";
                break;
            case '\\':
                piece = "\\\\";
                break;
            case '\n':
                piece = "\\n";
                break;
            case '\r':
                piece = "\\r";
                break;
            case '\t':
                piece = "\\t";
                break;
            default:
                snprintf(esc, sizeof(esc), "\\x%02x", p[i]);
            }
            plen = strlen(piece);
        }
        /* Keep one byte of room for the closing quote. */
        if (plen + 1 > line_room(l)) {
            l->cut = true;
            break;
        }
        hc_buf_append(&l->b, piece, plen);
        i += used;
    }
    hc_buf_append_byte(&l->b, '"'); /* fits: room was kept, or the tail takes it */
}

/* Keys are ours, but a bad one must not break the line either: [A-Za-z0-9_.-] only. */
static void line_key(line_t *l, const char *key)
{
    char k[64];
    size_t n = 0;
    for (const char *p = key; *p && n < sizeof(k) - 1; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        k[n++] = ok ? c : '_';
    }
    if (n == 0)
        k[n++] = '_';
    line_raw(l, " ", 1);
    line_raw(l, k, n);
    line_raw(l, "=", 1);
}

static void log_line(hc_log_level_t level, const char *msg, const char *err_text, va_list kv)
{
    line_t l;
    hc_buf_init(&l.b, LOG_LINE_MAX + LOG_TAIL);
    l.cut = false;
    char ts[32];
    hc_time_format_rfc3339(hc_wall_ms(), ts, sizeof(ts));
    hc_buf_appendf(&l.b, "ts=%s lvl=%s comp=%s msg=", ts, hc_log_level_name(level), log_comp);
    /* The message is always quoted so a reader can split the line on spaces safely. */
    line_value(&l, msg, true);
    if (err_text) {
        line_key(&l, "err");
        line_value(&l, err_text, false);
    }
    for (;;) {
        const char *key = va_arg(kv, const char *);
        if (!key)
            break;
        const char *value = va_arg(kv, const char *);
        line_key(&l, key);
        line_value(&l, value, false);
    }
    if (l.cut)
        hc_buf_append_str(&l.b, " truncated=1");
    hc_buf_append_byte(&l.b, '\n');
    const char *p = l.b.data;
    size_t left = l.b.len;
    while (left > 0) {
        ssize_t n = write(log_fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        p += n;
        left -= (size_t)n;
    }
    hc_buf_release(&l.b);
}

void hc_log_vwrite(hc_log_level_t level, const char *msg, va_list kv)
{
    /* The macros check first to skip argument evaluation; direct calls are filtered here. */
    if ((int)level > hc_log_level)
        return;
    log_line(level, msg, NULL, kv);
}

void hc_log_write(hc_log_level_t level, const char *msg, ...)
{
    va_list ap;
    va_start(ap, msg);
    hc_log_vwrite(level, msg, ap);
    va_end(ap);
}

void hc_log_printf(hc_log_level_t level, const char *fmt, ...)
{
    if ((int)level > hc_log_level)
        return;
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    hc_log_write(level, msg, NULL);
}

int hc_log_errno(int code, const char *msg, ...)
{
    if (HC_LOG_ERROR > hc_log_level)
        return code;
    va_list ap;
    va_start(ap, msg);
    log_line(HC_LOG_ERROR, msg, strerror(code < 0 ? -code : code), ap);
    va_end(ap);
    return code;
}

void hc_log_from_signal(const char *msg)
{
    int saved = errno;
    size_t len = strlen(msg);
    (void)!write(log_fd, msg, len);
    (void)!write(log_fd, "\n", 1);
    errno = saved;
}
