/*
 * The YAML loader: walks libyaml's event stream (no document tree is built) and applies each
 * key it meets to the option table. Working on events keeps memory bounded by the file size,
 * lets us stop at the first error, and makes aliases trivial to refuse: an alias is an event
 * we reject, so a "billion laughs" file is never expanded.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "conf_int.h"

typedef struct loader_s {
    yaml_parser_t parser;
    const hc_conf_opt_t *opts;
    void *conf;
    const char *name;
    bool *seen; /* per option: already set by this file */
    hc_err_t *err;
} loader_t;

/* Sets err to "NAME:LINE: fmt" and returns -EINVAL. mark lines are 0-based. */
static int HC_PRINTF(3, 4) ld_error(loader_t *ld, const yaml_mark_t *mark, const char *fmt, ...)
{
    char msg[sizeof(ld->err->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return hc_err_set(ld->err, -EINVAL, "%s:%zu: %s", ld->name, mark->line + 1, msg);
}

/* Reads the next event; parser errors and aliases become errors. The caller deletes ev. */
static int ld_next(loader_t *ld, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&ld->parser, ev)) {
        const char *problem = ld->parser.problem ? ld->parser.problem : "malformed YAML";
        if (ld->parser.context)
            return ld_error(ld, &ld->parser.problem_mark, "invalid YAML: %s %s", problem,
                            ld->parser.context);
        return ld_error(ld, &ld->parser.problem_mark, "invalid YAML: %s", problem);
    }
    if (ev->type == YAML_ALIAS_EVENT) {
        int r = ld_error(ld, &ev->start_mark, "YAML aliases are not supported");
        yaml_event_delete(ev);
        return r;
    }
    return 0;
}

static bool scalar_is_null(const yaml_event_t *ev)
{
    if (!ev->data.scalar.plain_implicit)
        return false;
    const char *v = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    return n == 0 || (n == 1 && v[0] == '~') ||
           (n == 4 && (!memcmp(v, "null", 4) || !memcmp(v, "Null", 4) || !memcmp(v, "NULL", 4)));
}

static const char *event_kind(const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_MAPPING_START_EVENT:
        return "a mapping";
    case YAML_SEQUENCE_START_EVENT:
        return "a list";
    default:
        return "a scalar";
    }
}

/* Is path a section, i.e. the prefix of some option name followed by '.'? */
static bool is_section(const hc_conf_opt_t *opts, const char *path, size_t len)
{
    for (const hc_conf_opt_t *opt = opts; opt->name; opt++)
        if (strncmp(opt->name, path, len) == 0 && opt->name[len] == '.')
            return true;
    return false;
}

/* Reads a sequence of scalars (the start event was consumed) into a STRLIST option. */
static int ld_list(loader_t *ld, const hc_conf_opt_t *opt)
{
    char **items = hc_calloc(1, sizeof(char *));
    size_t n = 0;
    int r;
    for (;;) {
        yaml_event_t ev;
        r = ld_next(ld, &ev);
        if (r < 0)
            goto out;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (ev.type != YAML_SCALAR_EVENT) {
            r = ld_error(ld, &ev.start_mark, "%s: expected a string in the list, got %s", opt->name,
                         event_kind(&ev));
        } else if (n >= HC_CONF_MAX_LIST) {
            r = ld_error(ld, &ev.start_mark, "%s: too many items (max %d)", opt->name,
                         HC_CONF_MAX_LIST);
        } else if (ev.data.scalar.length > HC_CONF_MAX_STR) {
            r = ld_error(ld, &ev.start_mark, "%s: value is too long (%zu bytes, max %d)", opt->name,
                         ev.data.scalar.length, HC_CONF_MAX_STR);
        } else if (memchr(ev.data.scalar.value, '\0', ev.data.scalar.length)) {
            r = ld_error(ld, &ev.start_mark, "%s: value contains a NUL byte", opt->name);
        } else {
            items = hc_reallocarray(items, n + 2, sizeof(char *));
            items[n++] = hc_strndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
            items[n] = NULL;
        }
        yaml_event_delete(&ev);
        if (r < 0)
            goto out;
    }
    hc__conf_store_list(opt, ld->conf, items);
    items = NULL;
    r = 0;
out:
    for (size_t i = 0; items && items[i]; i++)
        free(items[i]);
    free(items);
    return r;
}

/* Applies the value that follows the key of option opt; key_mark is the key's position. */
static int ld_value(loader_t *ld, const hc_conf_opt_t *opt, const yaml_mark_t *key_mark)
{
    size_t idx = (size_t)(opt - ld->opts);
    if (ld->seen[idx])
        return ld_error(ld, key_mark, "%s: set twice", opt->name);
    ld->seen[idx] = true;

    yaml_event_t ev;
    int r = ld_next(ld, &ev);
    if (r < 0)
        return r;
    if (ev.type == YAML_SEQUENCE_START_EVENT && opt->type == HC_CONF_T_STRLIST) {
        yaml_event_delete(&ev);
        return ld_list(ld, opt);
    }
    if (ev.type != YAML_SCALAR_EVENT) {
        r = ld_error(ld, &ev.start_mark, "%s: expected %s, got %s", opt->name,
                     hc__conf_type_article(opt), event_kind(&ev));
    } else {
        hc_err_t verr;
        hc_err_clear(&verr);
        r = hc__conf_store_scalar(opt, ld->conf, (const char *)ev.data.scalar.value,
                                  ev.data.scalar.length, scalar_is_null(&ev), &verr);
        if (r < 0)
            r = ld_error(ld, &ev.start_mark, "%s: %s", opt->name, verr.msg);
    }
    yaml_event_delete(&ev);
    return r;
}

/* Reads mapping entries until its end (the start event was consumed). */
static int ld_mapping(loader_t *ld, const char *prefix, size_t depth)
{
    for (;;) {
        yaml_event_t key;
        int r = ld_next(ld, &key);
        if (r < 0)
            return r;
        if (key.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&key);
            return 0;
        }
        if (key.type != YAML_SCALAR_EVENT) {
            r = ld_error(ld, &key.start_mark, "keys must be plain strings, got %s",
                         event_kind(&key));
            yaml_event_delete(&key);
            return r;
        }
        const char *k = (const char *)key.data.scalar.value;
        size_t klen = key.data.scalar.length;
        yaml_mark_t mark = key.start_mark;
        char path[HC_CONF_MAX_KEY];
        size_t plen = strlen(prefix);
        hc_buf_t shown;
        hc_buf_init(&shown, 512);
        if (plen > 0)
            hc_buf_appendf(&shown, "%s.", prefix);
        r = 0;
        if (klen == 0 || memchr(k, '\0', klen) || plen + 1 + klen >= sizeof(path)) {
            hc__conf_quote(&shown, k, klen);
            r = ld_error(ld, &mark, "%s: unknown key", shown.data);
        } else {
            snprintf(path, sizeof(path), "%s%s%.*s", prefix, plen ? "." : "", (int)klen, k);
            /* Quote the key in messages only if it holds bytes a terminal would act on. */
            bool plain = true;
            for (size_t i = 0; i < klen; i++)
                plain &= (unsigned char)k[i] >= 0x20 && (unsigned char)k[i] < 0x7f;
            if (plain)
                hc_buf_append(&shown, k, klen);
            else
                hc__conf_quote(&shown, k, klen);
        }
        yaml_event_delete(&key);
        if (r < 0)
            goto next;

        const hc_conf_opt_t *opt = hc_conf_find(ld->opts, path);
        if (opt) {
            r = ld_value(ld, opt, &mark);
        } else if (is_section(ld->opts, path, strlen(path))) {
            yaml_event_t ev;
            r = ld_next(ld, &ev);
            if (r < 0)
                goto next;
            if (ev.type == YAML_MAPPING_START_EVENT) {
                if (depth + 1 > HC_CONF_MAX_DEPTH)
                    r = ld_error(ld, &ev.start_mark, "%s: nested too deep (max %d levels)",
                                 shown.data, HC_CONF_MAX_DEPTH);
                else
                    r = ld_mapping(ld, path, depth + 1);
            } else if (ev.type != YAML_SCALAR_EVENT || !scalar_is_null(&ev)) {
                r = ld_error(ld, &ev.start_mark, "%s: expected a mapping, got %s", shown.data,
                             event_kind(&ev));
            }
            yaml_event_delete(&ev);
        } else {
            r = ld_error(ld, &mark, "%s: unknown key", shown.data);
        }
    next:
        hc_buf_release(&shown);
        if (r < 0)
            return r;
    }
}

static int ld_stream(loader_t *ld)
{
    yaml_event_t ev;
    int r = ld_next(ld, &ev);
    if (r < 0)
        return r;
    hc_assert(ev.type == YAML_STREAM_START_EVENT);
    yaml_event_delete(&ev);

    r = ld_next(ld, &ev);
    if (r < 0)
        return r;
    if (ev.type == YAML_STREAM_END_EVENT) { /* an empty file: all defaults */
        yaml_event_delete(&ev);
        return 0;
    }
    yaml_event_delete(&ev); /* DOCUMENT-START */

    r = ld_next(ld, &ev);
    if (r < 0)
        return r;
    if (ev.type == YAML_MAPPING_START_EVENT)
        r = ld_mapping(ld, "", 1);
    else if (ev.type != YAML_SCALAR_EVENT || !scalar_is_null(&ev))
        r = ld_error(ld, &ev.start_mark, "expected a mapping of keys at the top, got %s",
                     event_kind(&ev));
    yaml_event_delete(&ev);
    if (r < 0)
        return r;

    r = ld_next(ld, &ev); /* DOCUMENT-END */
    if (r < 0)
        return r;
    yaml_event_delete(&ev);
    r = ld_next(ld, &ev);
    if (r < 0)
        return r;
    if (ev.type != YAML_STREAM_END_EVENT)
        r = ld_error(ld, &ev.start_mark, "only one YAML document is allowed");
    yaml_event_delete(&ev);
    return r;
}

int hc_conf_load_buf(const hc_conf_opt_t *opts, void *conf, const char *name, const char *buf,
                     size_t len, hc_err_t *err)
{
    if (len > HC_CONF_MAX_FILE)
        return hc_err_set(err, -EINVAL, "%s: too large (%zu bytes, max %zu)", name, len,
                          HC_CONF_MAX_FILE);
    size_t n_opts = 0;
    while (opts[n_opts].name)
        n_opts++;
    loader_t ld = {
        .opts = opts,
        .conf = conf,
        .name = name,
        .seen = hc_calloc(n_opts + 1, sizeof(bool)),
        .err = err,
    };
    if (!yaml_parser_initialize(&ld.parser)) {
        free(ld.seen);
        return hc_err_set(err, -ENOMEM, "%s", name);
    }
    yaml_parser_set_input_string(&ld.parser, (const unsigned char *)buf, len);
    int r = ld_stream(&ld);
    yaml_parser_delete(&ld.parser);
    free(ld.seen);
    return r;
}

int hc_conf_load_file(const hc_conf_opt_t *opts, void *conf, const char *path, hc_err_t *err)
{
    char *buf = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    int r;
    if (fd < 0)
        return hc_err_set(err, -errno, "%s", path);
    struct stat st;
    if (fstat(fd, &st) < 0) {
        r = hc_err_set(err, -errno, "%s", path);
        goto out;
    }
    /* A FIFO or device could block or never end; a config is a regular file. */
    if (!S_ISREG(st.st_mode)) {
        r = hc_err_set(err, -EINVAL, "%s: not a regular file", path);
        goto out;
    }
    if ((uint64_t)st.st_size > HC_CONF_MAX_FILE) {
        r = hc_err_set(err, -EINVAL, "%s: too large (%jd bytes, max %zu)", path,
                       (intmax_t)st.st_size, HC_CONF_MAX_FILE);
        goto out;
    }
    /* Read up to one byte past the limit, in case the file grew after fstat. */
    size_t cap = (size_t)st.st_size + 1, len = 0;
    buf = hc_malloc(cap);
    for (;;) {
        if (len == cap) {
            if (cap > HC_CONF_MAX_FILE) {
                r = hc_err_set(err, -EINVAL, "%s: too large (max %zu bytes)", path,
                               HC_CONF_MAX_FILE);
                goto out;
            }
            cap = HC_MIN(cap * 2, HC_CONF_MAX_FILE + 1);
            buf = hc_realloc(buf, cap);
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = hc_err_set(err, -errno, "%s", path);
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    r = hc_conf_load_buf(opts, conf, path, buf, len, err);
out:
    free(buf);
    close(fd);
    return r;
}
