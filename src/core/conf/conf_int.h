/* Private to src/core/conf/: the value parsers shared by the YAML loader and hc_conf_set. */
#ifndef HEARTH_CORE_CONF_INT_H
#define HEARTH_CORE_CONF_INT_H

#include "hc_buf.h"
#include "hc_conf.h"

/*
 * Parses a scalar (len bytes, may hold NULs, which are refused) for opt and stores it in conf.
 * is_null: the value was YAML null (~, null, empty): allowed for STR (NULL) and STRLIST
 * (empty list) only. Errors are -EINVAL with a message that has no key prefix.
 */
int hc__conf_store_scalar(const hc_conf_opt_t *opt, void *conf, const char *s, size_t len,
                          bool is_null, hc_err_t *err);
/* Replaces a STRLIST field with items[0..n) (a NULL-terminated malloc'd array it takes over). */
void hc__conf_store_list(const hc_conf_opt_t *opt, void *conf, char **items);
/* Appends s as a double-quoted, escaped string cut to 64 bytes ("..." marks the cut). */
void hc__conf_quote(hc_buf_t *b, const char *s, size_t len);
/* A short name of the type for messages: "an integer", "a duration"... */
const char *hc__conf_type_article(const hc_conf_opt_t *opt);
/* The name of the type for --help-config: "int", "duration"... */
const char *hc__conf_type_name(hc_conf_type_t type);
/* Appends the option's bounds in its own units ("1..65535", "0..10m", "a|b"), or nothing. */
void hc__conf_format_bounds(const hc_conf_opt_t *opt, hc_buf_t *out);

#endif
