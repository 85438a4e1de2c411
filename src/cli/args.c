/* Command-line options of one verb: long and short forms, values, `--`, --help, --json. */
#include <string.h>

#include "cli.h"

static int find_long(const cli_opt_t *opts, const char *name, size_t len)
{
    for (int i = 0; opts && opts[i].name; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return i;
    return -1;
}

static int find_short(const cli_opt_t *opts, char c)
{
    for (int i = 0; opts && opts[i].name; i++)
        if (opts[i].short_name == c)
            return i;
    return -1;
}

static int record(cli_args_t *a, int opt, const char *val, hc_err_t *err)
{
    if (a->nset >= CLI_MAX_SET)
        return hc_err_set(err, -EINVAL, "too many options");
    a->set[a->nset].opt = opt;
    a->set[a->nset].val = val;
    a->nset++;
    return 0;
}

static int add_pos(cli_args_t *a, const char *s, hc_err_t *err)
{
    if (a->npos >= CLI_MAX_POS)
        return hc_err_set(err, -EINVAL, "too many arguments");
    a->pos[a->npos++] = s;
    return 0;
}

static int parse_long(const cli_opt_t *opts, int argc, char **argv, int *i, cli_args_t *a,
                      hc_err_t *err)
{
    const char *s = argv[*i] + 2;
    const char *eq = strchr(s, '=');
    size_t len = eq ? (size_t)(eq - s) : strlen(s);
    int o = find_long(opts, s, len);
    if (o < 0) {
        if (len == 4 && strncmp(s, "help", 4) == 0 && !eq) {
            a->help = true;
            return 0;
        }
        if (len == 4 && strncmp(s, "json", 4) == 0 && !eq) {
            a->json = true;
            return 0;
        }
        return hc_err_set(err, -EINVAL, "unknown option `--%.*s`", (int)len, s);
    }
    if (!opts[o].arg) {
        if (eq)
            return hc_err_set(err, -EINVAL, "option `--%s` takes no value", opts[o].name);
        return record(a, o, "", err);
    }
    if (eq)
        return record(a, o, eq + 1, err);
    if (*i + 1 >= argc)
        return hc_err_set(err, -EINVAL, "option `--%s` needs a value", opts[o].name);
    return record(a, o, argv[++*i], err);
}

static int parse_short(const cli_opt_t *opts, int argc, char **argv, int *i, cli_args_t *a,
                       hc_err_t *err)
{
    const char *s = argv[*i] + 1;
    for (; *s; s++) {
        if (*s == 'h') {
            int o = find_short(opts, 'h');
            if (o < 0) {
                a->help = true;
                continue;
            }
        }
        int o = find_short(opts, *s);
        if (o < 0)
            return hc_err_set(err, -EINVAL, "unknown option `-%c`", *s);
        if (!opts[o].arg) {
            if (record(a, o, "", err) < 0)
                return -EINVAL;
            continue;
        }
        if (s[1])
            return record(a, o, s + 1, err);
        if (*i + 1 >= argc)
            return hc_err_set(err, -EINVAL, "option `-%c` needs a value", *s);
        return record(a, o, argv[++*i], err);
    }
    return 0;
}

int cli_args_parse(const cli_opt_t *opts, int argc, char **argv, cli_args_t *ret, hc_err_t *err)
{
    cli_args_t a;
    memset(&a, 0, sizeof(a));
    bool only_pos = false;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        int r;
        if (only_pos || s[0] != '-' || s[1] == '\0')
            r = add_pos(&a, s, err);
        else if (strcmp(s, "--") == 0) {
            only_pos = true;
            continue;
        } else if (s[1] == '-')
            r = parse_long(opts, argc, argv, &i, &a, err);
        else
            r = parse_short(opts, argc, argv, &i, &a, err);
        if (r < 0)
            return r;
    }
    *ret = a;
    return 0;
}

static int opt_index(const cli_opt_t *opts, const char *name)
{
    return find_long(opts, name, strlen(name));
}

const char *cli_args_get(const cli_opt_t *opts, const cli_args_t *a, const char *name)
{
    int o = opt_index(opts, name);
    const char *v = NULL;
    for (size_t i = 0; o >= 0 && i < a->nset; i++)
        if (a->set[i].opt == o)
            v = a->set[i].val;
    return v;
}

bool cli_args_has(const cli_opt_t *opts, const cli_args_t *a, const char *name)
{
    return cli_args_get(opts, a, name) != NULL;
}
