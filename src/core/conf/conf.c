/* Option tables: defaults, lookup, single values from the command line, freeing, help. */
#include <string.h>

#include "conf_int.h"
#include "hc_log.h"

const hc_conf_enum_t hc_conf_log_levels[] = {
    {"error", HC_LOG_ERROR},
    {"warn", HC_LOG_WARN},
    {"info", HC_LOG_INFO},
    {"debug", HC_LOG_DEBUG},
    {NULL, 0},
};

/* A malformed table is a bug in the daemon, found the first time it starts (STYLE R12). */
static void check_opt(const hc_conf_opt_t *opt)
{
    hc_assert(opt->name && *opt->name && strlen(opt->name) < HC_CONF_MAX_KEY);
    switch (opt->type) {
    case HC_CONF_T_INT:
        hc_assert(opt->size == 4 || opt->size == 8);
        hc_assert(opt->min <= opt->def_int && opt->def_int <= opt->max);
        hc_assert(opt->size == 8 || (opt->min >= INT32_MIN && opt->max <= INT32_MAX));
        break;
    case HC_CONF_T_UINT:
    case HC_CONF_T_MS:
    case HC_CONF_T_SIZE:
        hc_assert(opt->size == 4 || opt->size == 8);
        hc_assert(opt->umin <= opt->def_uint && opt->def_uint <= opt->umax);
        hc_assert(opt->size == 8 || opt->umax <= UINT32_MAX);
        break;
    case HC_CONF_T_BOOL:
        hc_assert(opt->size == sizeof(bool));
        break;
    case HC_CONF_T_STR:
    case HC_CONF_T_STRLIST:
        hc_assert(opt->size == sizeof(char *));
        break;
    case HC_CONF_T_ENUM:
        hc_assert(opt->size == sizeof(int) && opt->enums && opt->enums[0].name);
        break;
    case HC_CONF_T_END:
        hc_assert(!"option with type END");
    }
}

void hc_conf_defaults(const hc_conf_opt_t *opts, void *conf)
{
    hc_err_t err;
    for (const hc_conf_opt_t *opt = opts; opt->name; opt++) {
        check_opt(opt);
        void *field = hc_conf_field(opt, conf);
        switch (opt->type) {
        case HC_CONF_T_INT:
            if (opt->size == 4) {
                int32_t v = (int32_t)opt->def_int;
                memcpy(field, &v, sizeof(v));
            } else {
                memcpy(field, &opt->def_int, sizeof(int64_t));
            }
            break;
        case HC_CONF_T_UINT:
        case HC_CONF_T_MS:
        case HC_CONF_T_SIZE:
            if (opt->size == 4) {
                uint32_t v = (uint32_t)opt->def_uint;
                memcpy(field, &v, sizeof(v));
            } else {
                memcpy(field, &opt->def_uint, sizeof(uint64_t));
            }
            break;
        case HC_CONF_T_BOOL:
            *(bool *)field = opt->def_bool;
            break;
        case HC_CONF_T_STR:
            *(char **)field = opt->def_str ? hc_strdup(opt->def_str) : NULL;
            break;
        case HC_CONF_T_STRLIST:
            *(char ***)field = NULL;
            hc_assert(hc__conf_store_scalar(opt, conf, opt->def_str ? opt->def_str : "",
                                            opt->def_str ? strlen(opt->def_str) : 0, false,
                                            &err) == 0);
            break;
        case HC_CONF_T_ENUM: {
            int v = (int)opt->def_int;
            bool known = false;
            for (const hc_conf_enum_t *e = opt->enums; e->name; e++)
                known |= e->value == v;
            hc_assert(known);
            memcpy(field, &v, sizeof(v));
            break;
        }
        case HC_CONF_T_END:
            break;
        }
    }
}

const hc_conf_opt_t *hc_conf_find(const hc_conf_opt_t *opts, const char *key)
{
    for (const hc_conf_opt_t *opt = opts; opt->name; opt++)
        if (strcmp(opt->name, key) == 0)
            return opt;
    return NULL;
}

int hc_conf_opt_set(const hc_conf_opt_t *opt, void *conf, const char *value, hc_err_t *err)
{
    return hc__conf_store_scalar(opt, conf, value, strlen(value), false, err);
}

int hc_conf_set(const hc_conf_opt_t *opts, void *conf, const char *key, const char *value,
                hc_err_t *err)
{
    const hc_conf_opt_t *opt = hc_conf_find(opts, key);
    if (!opt)
        return hc_err_set(err, -EINVAL, "%s: unknown option", key);
    int r = hc_conf_opt_set(opt, conf, value, err);
    if (r < 0)
        return hc_err_wrap(err, "%s", key);
    return 0;
}

void hc_conf_free(const hc_conf_opt_t *opts, void *conf)
{
    if (!conf)
        return;
    for (const hc_conf_opt_t *opt = opts; opt->name; opt++) {
        if (opt->type == HC_CONF_T_STR) {
            char **s = hc_conf_field(opt, conf);
            free(*s);
            *s = NULL;
        } else if (opt->type == HC_CONF_T_STRLIST) {
            hc__conf_store_list(opt, conf, NULL);
        }
    }
}

size_t hc_conf_strlist_len(char *const *list)
{
    size_t n = 0;
    while (list && list[n])
        n++;
    return n;
}

void hc_conf_print_help(const hc_conf_opt_t *opts, FILE *out)
{
    fprintf(out, "%-28s %-9s %-24s %s\n", "KEY", "TYPE", "DEFAULT", "DESCRIPTION");
    for (const hc_conf_opt_t *opt = opts; opt->name; opt++) {
        /* Format the default from a scratch struct big enough for any field. */
        union {
            int64_t i;
            uint64_t u;
            bool b;
            char *s;
            char **l;
            int e;
        } scratch;
        hc_conf_opt_t local = *opt;
        local.offset = 0;
        hc_conf_defaults((hc_conf_opt_t[]){local, HC_CONF_END}, &scratch);
        hc_buf_t def, bounds;
        hc_buf_init(&def, 4096);
        hc_buf_init(&bounds, 4096);
        hc_conf_format(&local, &scratch, &def);
        hc_conf_free((hc_conf_opt_t[]){local, HC_CONF_END}, &scratch);
        hc__conf_format_bounds(opt, &bounds);
        if (def.len == 0)
            hc_buf_append_str(&def, "\"\"");
        fprintf(out, "%-28s %-9s %-24s %s%s%s%s\n", opt->name, hc__conf_type_name(opt->type),
                def.data, opt->help ? opt->help : "", bounds.len ? " [" : "", bounds.data,
                bounds.len ? "]" : "");
        hc_buf_release(&def);
        hc_buf_release(&bounds);
    }
}
