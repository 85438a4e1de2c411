/*
 * slog.c - the staging task's log: kept (bounded) for the final reply's task_log and published
 * as it grows on staging.<task_id>.log (spec/README.md contract "Live staging log"):
 * {"task_id","seq","data"} pieces of at most DEA_SLOG_PIECE bytes cut on UTF-8 boundaries,
 * then {"task_id","seq","done":true}. Bytes that are not UTF-8 (and NULs) are stored as '?',
 * so the pieces concatenate to exactly the task_log the reply carries.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dea.h"
#include "hc_json.h"
#include "hc_log.h"
#include "hc_utf8.h"

size_t dea_utf8_cut(const char *p, size_t len, size_t max)
{
    size_t i = 0;
    while (i < len) {
        size_t n = hc_utf8_seq(p + i, len - i);
        if (n == 0)
            n = 1; /* not UTF-8: a single byte (callers sanitize first) */
        if (i + n > max)
            break;
        i += n;
    }
    return i;
}

void dea_utf8_sanitize(char *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t n = hc_utf8_seq(p + i, len - i);
        if (n == 0 || p[i] == '\0') {
            p[i++] = '?';
            continue;
        }
        i += n;
    }
}

void dea_slog_init(dea_slog_t *l, dea_t *dea, size_t max)
{
    memset(l, 0, sizeof(*l));
    l->dea = dea;
    hc_buf_init(&l->buf, max);
}

void dea_slog_publish_to(dea_slog_t *l, const char *task_id)
{
    snprintf(l->task_id, sizeof(l->task_id), "%s", task_id);
    snprintf(l->subject, sizeof(l->subject), "staging.%s.log", task_id);
    l->live = hc_bus_subject_valid(l->subject, false);
}

static void publish(dea_slog_t *l, const char *key, json_t *v)
{
    dea_t *dea = l->dea;
    json_t *o = hc_json_obj();
    hc_json_set_str(o, "task_id", l->task_id);
    hc_json_set_int(o, "seq", (int64_t)l->seq++);
    hc_json_set_new(o, key, v);
    if (dea->bus && !dea->stopped)
        dea_publish(dea, l->subject, o);
    else
        json_decref(o);
}

void dea_slog_append(dea_slog_t *l, const char *p, size_t len)
{
    if (!len)
        return;
    size_t old = l->buf.len;
    hc_buf_append(&l->buf, p, len);
    if (l->buf.len == old)
        return; /* over the cap: the task_log and the published pieces both stop here */
    char *s = l->buf.data + old;
    size_t n = l->buf.len - old;
    dea_utf8_sanitize(s, n);
    if (!l->live)
        return;
    while (n) {
        size_t k = dea_utf8_cut(s, n, DEA_SLOG_PIECE);
        publish(l, "data", hc_json_strn(s, k));
        s += k;
        n -= k;
    }
}

void dea_slog_appendf(dea_slog_t *l, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    dea_slog_append(l, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void dea_slog_done(dea_slog_t *l)
{
    if (!l->live || l->done)
        return;
    l->done = true;
    publish(l, "done", json_true());
}

void dea_slog_release(dea_slog_t *l)
{
    hc_buf_release(&l->buf);
}
