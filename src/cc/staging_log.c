/*
 * Staging logs per app. A short list in recency order (most recently written first): the
 * store holds at most CC_MAX_STAGING_LOGS entries, so a linear lookup is cheap next to the
 * JSON parse of each message, and eviction takes the tail.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cc.h"
#include "hc_json.h"
#include "staging_log.h"

typedef struct slog_s {
    struct slog_s *prev, *next;
    char guid[CC_MAX_GUID + 1];
    char task_id[CC_MAX_GUID + 1];
    uint64_t next_seq;
    bool truncated; /* bytes were dropped at the size limit */
    char *text;     /* NUL-terminated, len bytes; NULL while empty */
    size_t len;
} slog_t;

struct cc_slogs_s {
    slog_t *head, *tail;
    size_t count, bytes;
};

cc_slogs_t *cc_slogs_new(void)
{
    return hc_calloc(1, sizeof(cc_slogs_t));
}

static void unlink_log(cc_slogs_t *s, slog_t *l)
{
    if (l->prev)
        l->prev->next = l->next;
    else
        s->head = l->next;
    if (l->next)
        l->next->prev = l->prev;
    else
        s->tail = l->prev;
    l->prev = l->next = NULL;
}

static void push_front(cc_slogs_t *s, slog_t *l)
{
    l->next = s->head;
    l->prev = NULL;
    if (s->head)
        s->head->prev = l;
    s->head = l;
    if (!s->tail)
        s->tail = l;
}

static void drop_log(cc_slogs_t *s, slog_t *l)
{
    unlink_log(s, l);
    s->count--;
    s->bytes -= l->len;
    free(l->text);
    free(l);
}

void cc_slogs_free(cc_slogs_t *s)
{
    if (!s)
        return;
    while (s->head)
        drop_log(s, s->head);
    free(s);
}

static slog_t *find(cc_slogs_t *s, const char *guid)
{
    for (slog_t *l = s->head; l; l = l->next)
        if (strcmp(l->guid, guid) == 0)
            return l;
    return NULL;
}

/* Moves l to the front (most recently written). */
static void touch(cc_slogs_t *s, slog_t *l)
{
    if (s->head == l)
        return;
    unlink_log(s, l);
    push_front(s, l);
}

/* Forgets the least recently written logs until the bounds hold; keep stays. */
static void evict(cc_slogs_t *s, const slog_t *keep)
{
    while ((s->count > CC_MAX_STAGING_LOGS || s->bytes > CC_MAX_STAGING_LOG_TOTAL) && s->tail &&
           s->tail != keep)
        drop_log(s, s->tail);
}

/* The log of guid, created empty when missing, moved to the front. NULL for a bad guid. */
static slog_t *get_or_add(cc_slogs_t *s, const char *guid)
{
    if (strlen(guid) > CC_MAX_GUID)
        return NULL;
    slog_t *l = find(s, guid);
    if (l) {
        touch(s, l);
        return l;
    }
    l = hc_calloc(1, sizeof(*l));
    snprintf(l->guid, sizeof(l->guid), "%s", guid);
    push_front(s, l);
    s->count++;
    evict(s, l);
    return l;
}

/* The longest prefix of [p, p+len) of at most max bytes that does not split a UTF-8 sequence. */
static size_t utf8_cut(const char *p, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    /* Step back over continuation bytes (10xxxxxx) so the cut lands before a lead byte. */
    for (int i = 0; i < 3 && n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80; i++)
        n--;
    return n;
}

static void append(cc_slogs_t *s, slog_t *l, const char *p, size_t n)
{
    static const char mark[] = CC_STAGING_LOG_TRUNCATED;
    const size_t room_max = CC_MAX_STAGING_LOG - (sizeof(mark) - 1);
    if (l->truncated || n == 0)
        return;
    size_t room = l->len < room_max ? room_max - l->len : 0;
    size_t take = utf8_cut(p, n, room);
    bool cut = take < n;
    size_t add = take + (cut ? sizeof(mark) - 1 : 0);
    l->text = hc_realloc(l->text, l->len + add + 1);
    memcpy(l->text + l->len, p, take);
    if (cut) {
        memcpy(l->text + l->len + take, mark, sizeof(mark) - 1);
        l->truncated = true;
    }
    l->len += add;
    l->text[l->len] = '\0';
    s->bytes += add;
}

/* Empties l's text. */
static void clear(cc_slogs_t *s, slog_t *l)
{
    s->bytes -= l->len;
    free(l->text);
    l->text = NULL;
    l->len = 0;
    l->truncated = false;
}

void cc_slogs_begin(cc_slogs_t *s, const char *guid, const char *task_id)
{
    slog_t *l = get_or_add(s, guid);
    if (!l)
        return;
    clear(s, l);
    snprintf(l->task_id, sizeof(l->task_id), "%s", task_id);
    l->next_seq = 0;
}

cc_slog_result_t cc_slogs_msg(cc_slogs_t *s, const char *guid, const char *task_id,
                              const char *data, size_t len)
{
    json_t *o = NULL, *v;
    hc_err_t err;
    cc_slog_result_t res = CC_SLOG_BAD;
    const char *tid;
    int64_t seq;

    if (hc_json_parse_obj(data, len, CC_MAX_STAGING_LOG_MSG, &o, &err) < 0 ||
        hc_json_get_str(o, "task_id", &tid, &err) < 0 ||
        hc_json_get_int_range(o, "seq", 0, INT64_MAX, &seq, &err) < 0)
        goto out;
    if (strcmp(tid, task_id) != 0)
        goto out;
    slog_t *l = find(s, guid);
    if (!l || strcmp(l->task_id, task_id) != 0) {
        res = CC_SLOG_DROPPED; /* a newer task owns the log now, or it was forgotten */
        goto out;
    }
    v = json_object_get(o, "done");
    if (json_is_true(v)) {
        res = CC_SLOG_DONE;
        goto out;
    }
    v = json_object_get(o, "data");
    if (!json_is_string(v))
        goto out;
    if ((uint64_t)seq != l->next_seq) {
        res = CC_SLOG_DROPPED;
        goto out;
    }
    l->next_seq++;
    touch(s, l);
    append(s, l, json_string_value(v), json_string_length(v));
    evict(s, l);
    res = CC_SLOG_APPENDED;
out:
    json_decref(o);
    return res;
}

void cc_slogs_set(cc_slogs_t *s, const char *guid, const char *task_id, const char *text,
                  size_t len)
{
    slog_t *l = find(s, guid);
    if (l && task_id && l->task_id[0] && strcmp(l->task_id, task_id) != 0)
        return;
    l = get_or_add(s, guid);
    if (!l)
        return;
    clear(s, l);
    append(s, l, text, len);
    evict(s, l);
}

const char *cc_slogs_get(cc_slogs_t *s, const char *guid, size_t *ret_len)
{
    slog_t *l = find(s, guid);
    if (!l)
        return NULL;
    *ret_len = l->len;
    return l->text ? l->text : "";
}

size_t cc_slogs_count(const cc_slogs_t *s)
{
    return s->count;
}

size_t cc_slogs_bytes(const cc_slogs_t *s)
{
    return s->bytes;
}
