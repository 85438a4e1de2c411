/*
 * staging_log.h - the staging logs the CC keeps per app: filled live from the DEA's
 * `staging.<task_id>.log` messages while a task runs, replaced by the final reply's task_log
 * (contract in the project's preamble: {"task_id","seq","data"} with seq 0,1,2,... then
 * {"task_id","seq","done":true}).
 *
 * Bounds (STYLE R19): a log holds at most CC_MAX_STAGING_LOG bytes (later bytes are dropped
 * and one truncation line is added), at most CC_MAX_STAGING_LOGS logs are kept and their sum
 * stays under CC_MAX_STAGING_LOG_TOTAL (the least recently written logs are forgotten first).
 * A chunk is appended only when it belongs to the app's current task and its seq is the next
 * one expected: duplicates and chunks out of order are dropped (the final task_log repairs
 * the log). Not thread-safe: loop thread only.
 */
#ifndef HEARTH_CC_STAGING_LOG_H
#define HEARTH_CC_STAGING_LOG_H

#include "hc_base.h"

#define CC_MAX_STAGING_LOG ((size_t)1024 * 1024)            /* per app */
#define CC_MAX_STAGING_LOGS 512                             /* apps with a log kept */
#define CC_MAX_STAGING_LOG_TOTAL ((size_t)64 * 1024 * 1024) /* all logs together */
#define CC_MAX_STAGING_LOG_MSG ((size_t)64 * 1024)          /* one bus message */
#define CC_STAGING_LOG_TRUNCATED "\n[staging log truncated]\n"

typedef struct cc_slogs_s cc_slogs_t;

/* What cc_slogs_msg did with a message. */
typedef enum cc_slog_result_e {
    CC_SLOG_APPENDED = 0, /* the chunk was the next one: appended (or counted when full) */
    CC_SLOG_DONE = 1,     /* the task's last message: no more chunks will come */
    CC_SLOG_DROPPED = 2,  /* duplicate, out of order, or not the app's current task */
    CC_SLOG_BAD = 3,      /* not a valid log message */
} cc_slog_result_t;

/* A new, empty store. Free with cc_slogs_free (accepts NULL). */
cc_slogs_t *cc_slogs_new(void);
void cc_slogs_free(cc_slogs_t *s);

/*
 * A staging task starts for app guid: its log becomes empty and belongs to task_id (both
 * borrowed, copied); chunks of any earlier task are dropped from now on.
 */
void cc_slogs_begin(cc_slogs_t *s, const char *guid, const char *task_id);

/*
 * One `staging.<task_id>.log` message (data, len: the raw bus payload, borrowed) for the
 * task task_id of app guid. Never fails on bad input: returns CC_SLOG_BAD.
 */
cc_slog_result_t cc_slogs_msg(cc_slogs_t *s, const char *guid, const char *task_id,
                              const char *data, size_t len);

/*
 * The final text of a task (its reply's task_log, or an error line): replaces the log of
 * guid (text borrowed; cut to CC_MAX_STAGING_LOG at a UTF-8 boundary). When task_id is not
 * NULL and another task has begun since, the newer log is kept and this text is dropped.
 */
void cc_slogs_set(cc_slogs_t *s, const char *guid, const char *task_id, const char *text,
                  size_t len);

/*
 * The log of guid (NUL-terminated, *ret_len bytes), or NULL when there is none. Borrowed:
 * valid until the next call that changes the store.
 */
const char *cc_slogs_get(cc_slogs_t *s, const char *guid, size_t *ret_len);

/* Number of logs kept and their total size in bytes (for /varz and tests). */
size_t cc_slogs_count(const cc_slogs_t *s);
size_t cc_slogs_bytes(const cc_slogs_t *s);

#endif
