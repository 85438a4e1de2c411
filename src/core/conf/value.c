/*
 * Scalar values of configuration options: parsing text into typed fields, and formatting them
 * back. Shared by the YAML loader and hc_conf_set (the command line), so a value means the same
 * thing wherever it comes from.
 */
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "conf_int.h"

typedef struct unit_s {
    const char *suffix;
    uint64_t mult;
} unit_t;

static const unit_t duration_units[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 3600 * 1000}, {"d", 86400 * 1000}, {NULL, 0},
};

#define KIB ((uint64_t)1024)
static const unit_t size_units[] = {
    {"b", 1},
    {"k", KIB},
    {"kb", KIB},
    {"kib", KIB},
    {"m", KIB *KIB},
    {"mb", KIB *KIB},
    {"mib", KIB *KIB},
    {"g", KIB *KIB *KIB},
    {"gb", KIB *KIB *KIB},
    {"gib", KIB *KIB *KIB},
    {"t", KIB *KIB *KIB *KIB},
    {"tb", KIB *KIB *KIB *KIB},
    {"tib", KIB *KIB *KIB *KIB},
    {NULL, 0},
};

const char *hc__conf_type_name(hc_conf_type_t type)
{
    switch (type) {
    case HC_CONF_T_INT:
        return "int";
    case HC_CONF_T_UINT:
        return "uint";
    case HC_CONF_T_BOOL:
        return "bool";
    case HC_CONF_T_STR:
        return "string";
    case HC_CONF_T_MS:
        return "duration";
    case HC_CONF_T_SIZE:
        return "size";
    case HC_CONF_T_STRLIST:
        return "list";
    case HC_CONF_T_ENUM:
        return "enum";
    case HC_CONF_T_END:
        break;
    }
    return "?";
}

const char *hc__conf_type_article(const hc_conf_opt_t *opt)
{
    switch (opt->type) {
    case HC_CONF_T_INT:
        return "an integer";
    case HC_CONF_T_UINT:
        return "a non-negative integer";
    case HC_CONF_T_BOOL:
        return "true or false";
    case HC_CONF_T_STR:
        return "a string";
    case HC_CONF_T_MS:
        return "a duration like 500ms, 20s, 5m, 1h";
    case HC_CONF_T_SIZE:
        return "a size like 512, 64K, 16M, 1G";
    case HC_CONF_T_STRLIST:
        return "a list of strings";
    case HC_CONF_T_ENUM:
        return "one of the listed names";
    case HC_CONF_T_END:
        break;
    }
    return "a value";
}

void hc__conf_quote(hc_buf_t *b, const char *s, size_t len)
{
    hc_buf_append_byte(b, '"');
    size_t n = HC_MIN(len, (size_t)64);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            hc_buf_appendf(b, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            hc_buf_appendf(b, "\\x%02x", c);
        else
            hc_buf_append_byte(b, (char)c);
    }
    if (n < len)
        hc_buf_append_str(b, "...");
    hc_buf_append_byte(b, '"');
}

/* Sets err to "<prefix><quoted value><suffix>" with the value escaped; returns -EINVAL. */
static int value_error(hc_err_t *err, const char *prefix, const char *s, size_t len,
                       const char *suffix)
{
    hc_buf_t b;
    hc_buf_init(&b, 1024);
    hc_buf_append_str(&b, prefix);
    hc__conf_quote(&b, s, len);
    hc_buf_append_str(&b, suffix);
    hc_err_set(err, -EINVAL, "%s", b.data);
    hc_buf_release(&b);
    return -EINVAL;
}

static int type_error(const hc_conf_opt_t *opt, const char *s, size_t len, hc_err_t *err)
{
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "expected %s, got ", hc__conf_type_article(opt));
    return value_error(err, prefix, s, len, "");
}

/* Decimal digits with an optional sign. Returns 0, -EINVAL (not a number) or -ERANGE. */
static int parse_i64(const char *s, size_t len, int64_t *ret)
{
    bool neg = false;
    if (len > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s++;
        len--;
    }
    uint64_t u;
    int r = hc_parse_u64(s, len, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &u);
    if (r < 0)
        return r;
    *ret = neg ? (int64_t)(0 - u) : (int64_t)u;
    return 0;
}

/* Digits followed by an optional unit from the table (case-insensitive). */
static int parse_with_unit(const char *s, size_t len, const unit_t *units, uint64_t *ret)
{
    size_t digits = 0;
    while (digits < len && s[digits] >= '0' && s[digits] <= '9')
        digits++;
    uint64_t mult = 1;
    if (digits < len) {
        size_t ulen = len - digits;
        mult = 0;
        for (const unit_t *u = units; u->suffix; u++)
            if (strlen(u->suffix) == ulen && strncasecmp(u->suffix, s + digits, ulen) == 0)
                mult = u->mult;
        if (mult == 0)
            return -EINVAL;
    }
    uint64_t v;
    int r = hc_parse_u64(s, digits, UINT64_MAX, &v);
    if (r < 0)
        return r;
    if (__builtin_mul_overflow(v, mult, &v))
        return -ERANGE;
    *ret = v;
    return 0;
}

static void format_with_unit(hc_buf_t *out, uint64_t v, const unit_t *units, size_t n_units)
{
    /* The largest unit that divides the value exactly, so the text parses back to it. */
    for (size_t i = n_units; i-- > 0;) {
        if (v != 0 && units[i].mult > 1 && v % units[i].mult == 0) {
            hc_buf_appendf(out, "%" PRIu64 "%s", v / units[i].mult, units[i].suffix);
            return;
        }
    }
    hc_buf_appendf(out, "%" PRIu64 "%s", v, v != 0 && units == duration_units ? "ms" : "");
}

static void format_ms(hc_buf_t *out, uint64_t v)
{
    format_with_unit(out, v, duration_units, 5);
}

static void format_size(hc_buf_t *out, uint64_t v)
{
    /* Only the single-letter suffixes: "64M" reads better than "64mib". */
    static const unit_t short_units[] = {
        {"K", KIB}, {"M", KIB * KIB}, {"G", KIB * KIB * KIB}, {"T", KIB * KIB * KIB * KIB}};
    format_with_unit(out, v, short_units, 4);
}

static void format_uint_typed(hc_buf_t *out, hc_conf_type_t type, uint64_t v)
{
    if (type == HC_CONF_T_MS)
        format_ms(out, v);
    else if (type == HC_CONF_T_SIZE)
        format_size(out, v);
    else
        hc_buf_appendf(out, "%" PRIu64, v);
}

static int range_error_u(const hc_conf_opt_t *opt, const char *s, size_t len, hc_err_t *err)
{
    hc_buf_t b;
    hc_buf_init(&b, 1024);
    size_t n = HC_MIN(len, (size_t)64);
    for (size_t i = 0; i < n; i++)
        hc_buf_append_byte(&b, s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?');
    hc_buf_append_str(&b, " is out of range ");
    format_uint_typed(&b, opt->type, opt->umin);
    hc_buf_append_str(&b, "..");
    format_uint_typed(&b, opt->type, opt->umax);
    hc_err_set(err, -EINVAL, "%s", b.data);
    hc_buf_release(&b);
    return -EINVAL;
}

static void store_signed(void *field, size_t size, int64_t v)
{
    if (size == sizeof(int32_t)) {
        int32_t x = (int32_t)v;
        memcpy(field, &x, sizeof(x));
    } else {
        memcpy(field, &v, sizeof(v));
    }
}

static void store_unsigned(void *field, size_t size, uint64_t v)
{
    if (size == sizeof(uint32_t)) {
        uint32_t x = (uint32_t)v;
        memcpy(field, &x, sizeof(x));
    } else {
        memcpy(field, &v, sizeof(v));
    }
}

static char *dup_checked(const char *s, size_t len, hc_err_t *err)
{
    if (memchr(s, '\0', len)) {
        hc_err_set(err, -EINVAL, "value contains a NUL byte");
        return NULL;
    }
    if (len > HC_CONF_MAX_STR) {
        hc_err_set(err, -EINVAL, "value is too long (%zu bytes, max %d)", len, HC_CONF_MAX_STR);
        return NULL;
    }
    return hc_strndup(s, len);
}

void hc__conf_store_list(const hc_conf_opt_t *opt, void *conf, char **items)
{
    char ***field = hc_conf_field(opt, conf);
    if (*field) {
        for (char **p = *field; *p; p++)
            free(*p);
        free(*field);
    }
    *field = items;
}

static int store_csv(const hc_conf_opt_t *opt, void *conf, const char *s, size_t len, hc_err_t *err)
{
    char **items = hc_calloc(1, sizeof(char *));
    size_t n = 0;
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && s[end] != ',')
            end++;
        size_t a = i, z = end;
        while (a < z && (s[a] == ' ' || s[a] == '\t'))
            a++;
        while (z > a && (s[z - 1] == ' ' || s[z - 1] == '\t'))
            z--;
        if (z > a) {
            if (n >= HC_CONF_MAX_LIST) {
                hc_err_set(err, -EINVAL, "too many items (max %d)", HC_CONF_MAX_LIST);
                goto fail;
            }
            char *item = dup_checked(s + a, z - a, err);
            if (!item)
                goto fail;
            items = hc_reallocarray(items, n + 2, sizeof(char *));
            items[n++] = item;
            items[n] = NULL;
        }
        i = end + 1;
    }
    hc__conf_store_list(opt, conf, items);
    return 0;
fail:
    for (size_t k = 0; k < n; k++)
        free(items[k]);
    free(items);
    return -EINVAL;
}

static int store_enum(const hc_conf_opt_t *opt, void *conf, const char *s, size_t len,
                      hc_err_t *err)
{
    for (const hc_conf_enum_t *e = opt->enums; e->name; e++) {
        if (strlen(e->name) == len && strncasecmp(e->name, s, len) == 0) {
            memcpy(hc_conf_field(opt, conf), &e->value, sizeof(int));
            return 0;
        }
    }
    hc_buf_t b;
    hc_buf_init(&b, 1024);
    hc_buf_append_str(&b, "expected one of ");
    for (const hc_conf_enum_t *e = opt->enums; e->name; e++)
        hc_buf_appendf(&b, "%s%s", e == opt->enums ? "" : ", ", e->name);
    hc_buf_append_str(&b, ", got ");
    value_error(err, b.data, s, len, "");
    hc_buf_release(&b);
    return -EINVAL;
}

static int store_bool(const hc_conf_opt_t *opt, void *conf, const char *s, size_t len,
                      hc_err_t *err)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    bool *field = hc_conf_field(opt, conf);
    for (size_t i = 0; i < HC_ARRAY_SIZE(yes); i++) {
        if (strlen(yes[i]) == len && strncasecmp(yes[i], s, len) == 0) {
            *field = true;
            return 0;
        }
        if (strlen(no[i]) == len && strncasecmp(no[i], s, len) == 0) {
            *field = false;
            return 0;
        }
    }
    return type_error(opt, s, len, err);
}

int hc__conf_store_scalar(const hc_conf_opt_t *opt, void *conf, const char *s, size_t len,
                          bool is_null, hc_err_t *err)
{
    void *field = hc_conf_field(opt, conf);
    if (is_null && opt->type == HC_CONF_T_STR) {
        char **str = field;
        free(*str);
        *str = NULL;
        return 0;
    }
    if (is_null && opt->type == HC_CONF_T_STRLIST)
        return store_csv(opt, conf, "", 0, err);
    if (is_null)
        return hc_err_set(err, -EINVAL, "expected %s, got null", hc__conf_type_article(opt));

    switch (opt->type) {
    case HC_CONF_T_INT: {
        int64_t v;
        int r = parse_i64(s, len, &v);
        if (r == -EINVAL)
            return type_error(opt, s, len, err);
        if (r < 0 || v < opt->min || v > opt->max) {
            char bounds[64];
            snprintf(bounds, sizeof(bounds), "%" PRId64 "..%" PRId64, opt->min, opt->max);
            hc_buf_t b;
            hc_buf_init(&b, 256);
            for (size_t i = 0; i < HC_MIN(len, (size_t)64); i++)
                hc_buf_append_byte(&b, s[i]);
            hc_err_set(err, -EINVAL, "%s is out of range %s", b.data, bounds);
            hc_buf_release(&b);
            return -EINVAL;
        }
        store_signed(field, opt->size, v);
        return 0;
    }
    case HC_CONF_T_UINT:
    case HC_CONF_T_MS:
    case HC_CONF_T_SIZE: {
        uint64_t v;
        int r;
        if (opt->type == HC_CONF_T_UINT)
            r = hc_parse_u64(s, len, UINT64_MAX, &v);
        else
            r = parse_with_unit(s, len, opt->type == HC_CONF_T_MS ? duration_units : size_units,
                                &v);
        if (r == -EINVAL)
            return type_error(opt, s, len, err);
        if (r < 0 || v < opt->umin || v > opt->umax)
            return range_error_u(opt, s, len, err);
        store_unsigned(field, opt->size, v);
        return 0;
    }
    case HC_CONF_T_BOOL:
        return store_bool(opt, conf, s, len, err);
    case HC_CONF_T_STR: {
        char *copy = dup_checked(s, len, err);
        if (!copy)
            return -EINVAL;
        char **str = field;
        free(*str);
        *str = copy;
        return 0;
    }
    case HC_CONF_T_STRLIST:
        return store_csv(opt, conf, s, len, err);
    case HC_CONF_T_ENUM:
        return store_enum(opt, conf, s, len, err);
    case HC_CONF_T_END:
        break;
    }
    hc_assert(!"bad option type");
    return -EINVAL;
}

static int64_t load_signed(const void *field, size_t size)
{
    if (size == sizeof(int32_t)) {
        int32_t x;
        memcpy(&x, field, sizeof(x));
        return x;
    }
    int64_t v;
    memcpy(&v, field, sizeof(v));
    return v;
}

static uint64_t load_unsigned(const void *field, size_t size)
{
    if (size == sizeof(uint32_t)) {
        uint32_t x;
        memcpy(&x, field, sizeof(x));
        return x;
    }
    uint64_t v;
    memcpy(&v, field, sizeof(v));
    return v;
}

void hc_conf_format(const hc_conf_opt_t *opt, const void *conf, hc_buf_t *out)
{
    const void *field = (const char *)conf + opt->offset;
    switch (opt->type) {
    case HC_CONF_T_INT:
        hc_buf_appendf(out, "%" PRId64, load_signed(field, opt->size));
        break;
    case HC_CONF_T_UINT:
    case HC_CONF_T_MS:
    case HC_CONF_T_SIZE:
        format_uint_typed(out, opt->type, load_unsigned(field, opt->size));
        break;
    case HC_CONF_T_BOOL:
        hc_buf_append_str(out, *(const bool *)field ? "true" : "false");
        break;
    case HC_CONF_T_STR: {
        const char *s = *(char *const *)field;
        hc_buf_append_str(out, s ? s : "~");
        break;
    }
    case HC_CONF_T_STRLIST: {
        char *const *list = *(char **const *)field;
        for (size_t i = 0; list && list[i]; i++)
            hc_buf_appendf(out, "%s%s", i ? "," : "", list[i]);
        break;
    }
    case HC_CONF_T_ENUM: {
        int v;
        memcpy(&v, field, sizeof(v));
        for (const hc_conf_enum_t *e = opt->enums; e->name; e++) {
            if (e->value == v) {
                hc_buf_append_str(out, e->name);
                return;
            }
        }
        hc_buf_appendf(out, "%d", v);
        break;
    }
    case HC_CONF_T_END:
        break;
    }
}

void hc__conf_format_bounds(const hc_conf_opt_t *opt, hc_buf_t *out)
{
    switch (opt->type) {
    case HC_CONF_T_INT:
        hc_buf_appendf(out, "%" PRId64 "..%" PRId64, opt->min, opt->max);
        break;
    case HC_CONF_T_UINT:
    case HC_CONF_T_MS:
    case HC_CONF_T_SIZE:
        format_uint_typed(out, opt->type, opt->umin);
        hc_buf_append_str(out, "..");
        format_uint_typed(out, opt->type, opt->umax);
        break;
    case HC_CONF_T_ENUM:
        for (const hc_conf_enum_t *e = opt->enums; e->name; e++)
            hc_buf_appendf(out, "%s%s", e == opt->enums ? "" : "|", e->name);
        break;
    default:
        break;
    }
}
