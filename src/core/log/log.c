/* The logfmt logger (STYLE R25). One write(2) per line so lines from one process never interleave.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hc_buf.h"
#include "hc_log.h"
#include "hc_time.h"

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

/* Appends a value, quoted when it is empty or holds a space, quote, '=' or a control byte. */
static void log_append_value(hc_buf_t *b, const char *v)
{
    if (!v)
        v = "";
    bool quote = *v == '\0';
    for (const unsigned char *p = (const unsigned char *)v; *p && !quote; p++)
        quote = *p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f;
    if (!quote) {
        hc_buf_append_str(b, v);
        return;
    }
    hc_buf_append_byte(b, '"');
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        switch (*p) {
        case '"':
            hc_buf_append(b, "\\\"", 2);
            break;
        case '\\':
            hc_buf_append(b, "\\\\", 2);
            break;
        case '\n':
            hc_buf_append(b, "\\n", 2);
            break;
        case '\r':
            hc_buf_append(b, "\\r", 2);
            break;
        case '\t':
            hc_buf_append(b, "\\t", 2);
            break;
        default:
            if (*p < ' ' || *p == 0x7f)
                hc_buf_appendf(b, "\\x%02x", *p);
            else
                hc_buf_append_byte(b, (char)*p);
        }
    }
    hc_buf_append_byte(b, '"');
}

static void log_emit(hc_buf_t *b)
{
    if (b->overflow) {
        /* Keep what fits; a truncated line is better than none. */
        b->overflow = false;
        hc_buf_append(b, " truncated=1", 12);
    }
    hc_buf_append_byte(b, '\n');
    const char *p = b->data;
    size_t left = b->len;
    while (left > 0) {
        ssize_t n = write(log_fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        p += n;
        left -= (size_t)n;
    }
}

static void log_begin(hc_buf_t *b, hc_log_level_t level)
{
    char ts[32];
    hc_time_format_rfc3339(hc_wall_ms(), ts, sizeof(ts));
    hc_buf_appendf(b, "ts=%s lvl=%s comp=%s msg=", ts, hc_log_level_name(level), log_comp);
}

void hc_log_vwrite(hc_log_level_t level, const char *msg, va_list kv)
{
    hc_buf_t b;
    hc_buf_init(&b, 16 * 1024);
    log_begin(&b, level);
    if (!msg)
        msg = "";
    /* The message is always quoted so a reader can split the line on spaces safely. */
    hc_buf_t tmp;
    hc_buf_init(&tmp, 16 * 1024);
    log_append_value(&tmp, msg);
    if (tmp.len > 0 && tmp.data[0] != '"')
        hc_buf_appendf(&b, "\"%s\"", tmp.data);
    else
        hc_buf_append(&b, tmp.data, tmp.len);
    hc_buf_release(&tmp);
    for (;;) {
        const char *key = va_arg(kv, const char *);
        if (!key)
            break;
        const char *value = va_arg(kv, const char *);
        hc_buf_append_byte(&b, ' ');
        hc_buf_append_str(&b, key);
        hc_buf_append_byte(&b, '=');
        log_append_value(&b, value);
    }
    log_emit(&b);
    hc_buf_release(&b);
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
    /* Rebuild the pair list with err=... in front. */
    hc_buf_t b;
    hc_buf_init(&b, 16 * 1024);
    log_begin(&b, HC_LOG_ERROR);
    hc_buf_append_byte(&b, '"');
    hc_buf_append_str(&b, msg ? msg : "");
    hc_buf_append_byte(&b, '"');
    hc_buf_append_str(&b, " err=");
    log_append_value(&b, strerror(code < 0 ? -code : code));
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *key = va_arg(ap, const char *);
        if (!key)
            break;
        const char *value = va_arg(ap, const char *);
        hc_buf_append_byte(&b, ' ');
        hc_buf_append_str(&b, key);
        hc_buf_append_byte(&b, '=');
        log_append_value(&b, value);
    }
    va_end(ap);
    log_emit(&b);
    hc_buf_release(&b);
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
