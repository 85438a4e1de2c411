/*
 * hc_log.h - one logger for every daemon (STYLE R25): logfmt lines
 *   ts=2026-11-24T10:00:00.123Z lvl=warn comp=router msg="upstream reset" app=a1b2
 * to stderr or a file, reopened on SIGHUP. Cheap when a level is off: HC_LOG checks the
 * level before evaluating its arguments.
 */
#ifndef HEARTH_CORE_LOG_H
#define HEARTH_CORE_LOG_H

#include <stdarg.h>

#include "hc_base.h"

typedef enum hc_log_level_e {
    HC_LOG_ERROR = 0,
    HC_LOG_WARN = 1,
    HC_LOG_INFO = 2,
    HC_LOG_DEBUG = 3,
    HC_LOG_INVALID = -EINVAL,
} hc_log_level_t;

/* The only mutable globals besides argv (STYLE §4.1). */
extern int hc_log_level;

/*
 * Sets the component name written as comp=NAME and the destination: path NULL (or "-") is
 * stderr, otherwise the file is opened for appending (created 0640). Returns 0 or -errno.
 */
int hc_log_open(const char *comp, const char *path);
/* Re-opens the log file (after rotation); call from the SIGHUP loop callback. Returns 0 or -errno.
 */
int hc_log_reopen(void);
/* Closes the file, if any; later lines go to stderr. */
void hc_log_close(void);
/* Parses "error", "warn", "info", "debug" (any case). Returns the level or HC_LOG_INVALID. */
hc_log_level_t hc_log_level_parse(const char *s);
const char *hc_log_level_name(hc_log_level_t level);

/*
 * Writes one line. `msg` is the human message (quoted and escaped); the variadic part is a
 * NULL-terminated list of key, value C-string pairs, values quoted when they need it, with
 * control characters escaped, so nothing a peer sent can break a line:
 *   hc_log_write(HC_LOG_WARN, "upstream reset", "app", guid, "host", host, NULL);
 */
void hc_log_write(hc_log_level_t level, const char *msg, ...) __attribute__((sentinel));
void hc_log_vwrite(hc_log_level_t level, const char *msg, va_list kv);
/* printf-style message with no extra fields. */
void hc_log_printf(hc_log_level_t level, const char *fmt, ...) HC_PRINTF(2, 3);

#define HC_LOG(lvl, ...)                                                                           \
    do {                                                                                           \
        if ((int)(lvl) <= hc_log_level)                                                            \
            hc_log_write((lvl), __VA_ARGS__, NULL);                                                \
    } while (0)
#define HC_LOGF(lvl, ...)                                                                          \
    do {                                                                                           \
        if ((int)(lvl) <= hc_log_level)                                                            \
            hc_log_printf((lvl), __VA_ARGS__);                                                     \
    } while (0)
#define hc_log_error(...) HC_LOG(HC_LOG_ERROR, __VA_ARGS__)
#define hc_log_warn(...) HC_LOG(HC_LOG_WARN, __VA_ARGS__)
#define hc_log_info(...) HC_LOG(HC_LOG_INFO, __VA_ARGS__)
#define hc_log_debug(...) HC_LOG(HC_LOG_DEBUG, __VA_ARGS__)

/*
 * Logs `msg` with the error's text as err="..." at level error and returns code, so an edge
 * can log and return in one line (STYLE R13): return hc_log_errno(r, "bind failed", NULL).
 */
int hc_log_errno(int code, const char *msg, ...) __attribute__((sentinel));

/* Async-signal-safe: writes a fixed message to the log fd with write(2) only. */
void hc_log_from_signal(const char *msg);

#endif
