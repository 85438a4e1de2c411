/*
 * hc_conf.h - declarative configuration tables (STYLE R24).
 *
 * A daemon lists its options once, in a table of hc_conf_opt_t built with the HC_CONF_*
 * macros below, each naming a field of the daemon's own config struct. The same table:
 *   - fills built-in defaults (hc_conf_defaults), so a daemon starts with no file at all;
 *   - loads a YAML file on top of them (hc_conf_load_file), reporting errors that name the
 *     file, line and key: `router.yml:12: port: 70000 is out of range 1..65535`;
 *   - takes single values from the command line (hc_conf_set: `--port 9000` sets "port");
 *   - prints `--help-config` (hc_conf_print_help).
 *
 * Keys are dotted paths: the option "nats.urls" is written in YAML as
 *     nats:
 *       urls: [nats://10.0.0.1:4222, nats://10.0.0.2:4222]
 * (or as a top-level key `nats.urls:`). Any key that is not in the table is an error, so a
 * typo never goes unnoticed; so is a key given twice, a wrong type and a value out of bounds.
 *
 * Field types, per macro:
 *   HC_CONF_INT     int or int64_t      decimal, optional sign; bounds [lo, hi]
 *   HC_CONF_UINT    unsigned, uint64_t  decimal; bounds [lo, hi]
 *   HC_CONF_BOOL    bool                true/false, yes/no, on/off (any case)
 *   HC_CONF_STR     char *              malloc'd copy (NULL when unset/null), <= HC_CONF_MAX_STR
 *   HC_CONF_MS      uint64_t (or 32)    duration in milliseconds: 250ms, 20s, 5m, 1h, 2d, or a
 *                                       bare number of milliseconds; bounds in ms
 *   HC_CONF_SIZE    uint64_t / size_t   bytes: 512, 64K, 16M, 1G, 1T (also KB/KiB...,
 *                                       powers of 1024); bounds in bytes
 *   HC_CONF_STRLIST char **             NULL-terminated malloc'd array of malloc'd strings,
 *                                       never NULL after hc_conf_defaults; YAML sequence of
 *                                       scalars or one scalar split on commas; default given
 *                                       as a comma-separated string ("" or NULL: empty)
 *   HC_CONF_ENUM    int (or an enum)    one of the names of a {name, value} table
 * The last macro argument, a string literal, is the description printed by --help-config
 * (optional). Example:
 *
 *   static const hc_conf_enum_t lb_modes[] = {{"round-robin", 0}, {"least-conn", 1}, {NULL, 0}};
 *   static const hc_conf_opt_t rtr_conf_opts[] = {
 *       HC_CONF_INT("port", rtr_conf_t, port, 8080, 1, 65535, "HTTP listen port"),
 *       HC_CONF_MS("drain_timeout", rtr_conf_t, drain_ms, 20000, 0, 600000, "drain time"),
 *       HC_CONF_STRLIST("nats.urls", rtr_conf_t, nats_urls, "nats://127.0.0.1:4222", "bus"),
 *       HC_CONF_ENUM("lb", rtr_conf_t, lb, lb_modes, 0, "load-balancing mode"),
 *       HC_CONF_END,
 *   };
 *
 * Hostile files are refused, not trusted: at most HC_CONF_MAX_FILE bytes, mapping nesting at
 * most HC_CONF_MAX_DEPTH, YAML aliases are rejected (so nothing is ever expanded), strings
 * and lists are bounded. Errors are -EINVAL with the message in err (file errors: -errno).
 * Loop thread or startup only; tables are read-only and may be shared.
 */
#ifndef HEARTH_CORE_CONF_H
#define HEARTH_CORE_CONF_H

#include <stdio.h>

#include "hc_base.h"
#include "hc_buf.h"

#define HC_CONF_MAX_FILE ((size_t)1024 * 1024) /* bytes in a config file */
#define HC_CONF_MAX_DEPTH 16                   /* nested mappings */
#define HC_CONF_MAX_STR 4096                   /* bytes in one string value */
#define HC_CONF_MAX_LIST 256                   /* items in one string list */
#define HC_CONF_MAX_KEY 256                    /* bytes in one dotted key path */

typedef enum hc_conf_type_e {
    HC_CONF_T_END = 0,
    HC_CONF_T_INT,
    HC_CONF_T_UINT,
    HC_CONF_T_BOOL,
    HC_CONF_T_STR,
    HC_CONF_T_MS,
    HC_CONF_T_SIZE,
    HC_CONF_T_STRLIST,
    HC_CONF_T_ENUM,
} hc_conf_type_t;

/* One name of an HC_CONF_ENUM option; tables end with {NULL, 0}. */
typedef struct hc_conf_enum_s {
    const char *name;
    int value;
} hc_conf_enum_t;

/* One option. Build with the HC_CONF_* macros; the fields are for libhearth. */
typedef struct hc_conf_opt_s {
    const char *name; /* dotted key, "port" or "nats.urls"; NULL ends the table */
    hc_conf_type_t type;
    size_t offset;       /* of the field in the daemon's config struct */
    size_t size;         /* sizeof the field, checked against the type */
    int64_t min, max;    /* INT bounds */
    uint64_t umin, umax; /* UINT, MS, SIZE bounds */
    int64_t def_int;     /* INT, ENUM default */
    uint64_t def_uint;   /* UINT, MS, SIZE default */
    bool def_bool;
    const char *def_str; /* STR default (may be NULL), STRLIST comma-separated default */
    const hc_conf_enum_t *enums;
    const char *help;
} hc_conf_opt_t;

#define HC__CONF_FIELD(T_, f_) .offset = offsetof(T_, f_), .size = sizeof(((T_ *)0)->f_)

#define HC_CONF_INT(n_, T_, f_, def_, lo_, hi_, ...)                                               \
    {                                                                                              \
        .name = (n_), .type = HC_CONF_T_INT, HC__CONF_FIELD(T_, f_), .def_int = (def_),            \
        .min = (lo_), .max = (hi_), .help = "" __VA_ARGS__                                         \
    }
#define HC_CONF_UINT(n_, T_, f_, def_, lo_, hi_, ...)                                              \
    {                                                                                              \
        .name = (n_), .type = HC_CONF_T_UINT, HC__CONF_FIELD(T_, f_), .def_uint = (def_),          \
        .umin = (lo_), .umax = (hi_), .help = "" __VA_ARGS__                                       \
    }
#define HC_CONF_BOOL(n_, T_, f_, def_, ...)                                                        \
    {                                                                                              \
        .name = (n_), .type = HC_CONF_T_BOOL, HC__CONF_FIELD(T_, f_), .def_bool = (def_),          \
        .help = "" __VA_ARGS__                                                                     \
    }
#define HC_CONF_STR(n_, T_, f_, def_, ...)                                                         \
    {                                                                                              \
        .name = (n_), .type = HC_CONF_T_STR, HC__CONF_FIELD(T_, f_), .def_str = (def_),            \
        .help = "" __VA_ARGS__                                                                     \
    }
#define HC_CONF_MS(n_, T_, f_, def_, lo_, hi_, ...)                                                \
    {                                                                                              \
        .name = (n_), .type = HC_CONF_T_MS, HC__CONF_FIELD(T_, f_), .def_uint = (def_),            \
        .umin = (lo_), .umax = (hi_), .help = "" __VA_ARGS__                                       \
    }
#define HC_CONF_SIZE(n_, T_, f_, def_, lo_, hi_, ...)                                              \
    {                                                                                              \
        .name = (n_), .type = HC_CONF_T_SIZE, HC__CONF_FIELD(T_, f_), .def_uint = (def_),          \
        .umin = (lo_), .umax = (hi_), .help = "" __VA_ARGS__                                       \
    }
#define HC_CONF_STRLIST(n_, T_, f_, def_, ...)                                                     \
    {                                                                                              \
        .name = (n_), .type = HC_CONF_T_STRLIST, HC__CONF_FIELD(T_, f_), .def_str = (def_),        \
        .help = "" __VA_ARGS__                                                                     \
    }
#define HC_CONF_ENUM(n_, T_, f_, enums_, def_, ...)                                                \
    {                                                                                              \
        .name = (n_), .type = HC_CONF_T_ENUM, HC__CONF_FIELD(T_, f_), .enums = (enums_),           \
        .def_int = (def_), .help = "" __VA_ARGS__                                                  \
    }
#define HC_CONF_END                                                                                \
    {                                                                                              \
        .name = NULL, .type = HC_CONF_T_END                                                        \
    }

/* The log levels as an enum table ("error", "warn", "info", "debug"), for a "log.level" key. */
extern const hc_conf_enum_t hc_conf_log_levels[];

/*
 * Sets every option's field in conf to its default. Strings and lists are malloc'd copies.
 * Overwrites the fields without freeing them: call it once on a fresh struct, and
 * hc_conf_free() when done. Aborts (hc_assert) on a malformed table: that is our bug.
 */
void hc_conf_defaults(const hc_conf_opt_t *opts, void *conf);

/*
 * Reads the YAML file at path (at most HC_CONF_MAX_FILE bytes, a regular file) and sets the
 * options it names, on top of what conf holds. Returns 0, -errno when the file cannot be read
 * ("router.yml: No such file or directory"), or -EINVAL with "FILE:LINE: KEY: problem".
 * On error conf may be partly updated (still consistent: hc_conf_free releases it).
 * Blocking file I/O: call before the loop runs.
 */
int hc_conf_load_file(const hc_conf_opt_t *opts, void *conf, const char *path, hc_err_t *err);

/* Same for YAML text in memory; name is used in messages. len > HC_CONF_MAX_FILE is refused. */
int hc_conf_load_buf(const hc_conf_opt_t *opts, void *conf, const char *name, const char *buf,
                     size_t len, hc_err_t *err);

/*
 * Sets one option from a string, as the command line does ("port", "9000"; a STRLIST value is
 * split on commas). Returns 0, or -EINVAL with "KEY: problem" ("port: 70000 is out of range
 * 1..65535", "prot: unknown option"). Borrows key and value.
 */
int hc_conf_set(const hc_conf_opt_t *opts, void *conf, const char *key, const char *value,
                hc_err_t *err);
/* Same for an option found with hc_conf_find; the message has no key prefix. */
int hc_conf_opt_set(const hc_conf_opt_t *opt, void *conf, const char *value, hc_err_t *err);

/* Returns the option named key (exact dotted name), or NULL. */
const hc_conf_opt_t *hc_conf_find(const hc_conf_opt_t *opts, const char *key);
/* Returns a pointer to the option's field inside conf. */
static inline void *hc_conf_field(const hc_conf_opt_t *opt, void *conf)
{
    return (char *)conf + opt->offset;
}

/* Frees every STR and STRLIST field of conf and sets it to NULL. conf may be NULL. */
void hc_conf_free(const hc_conf_opt_t *opts, void *conf);

/* Number of strings in a NULL-terminated list (NULL counts as empty). */
size_t hc_conf_strlist_len(char *const *list);

/*
 * Appends the option's current value in conf to out, in the syntax the loader accepts
 * (durations as "20s", sizes as "64M", lists comma-separated, NULL strings as "~").
 */
void hc_conf_format(const hc_conf_opt_t *opt, const void *conf, hc_buf_t *out);

/* Prints one line per option: name, type, default, description and bounds. */
void hc_conf_print_help(const hc_conf_opt_t *opts, FILE *out);

#endif
