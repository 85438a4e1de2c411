/* Ignore rules of an app folder (see ignore.h). */
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "hc_fs.h"
#include "push/ignore.h"

static const char *const builtin[] = {
    ".git/", ".hg/", ".svn/", "_darcs/", ".DS_Store", "/.cfignore", "/.hearthignore",
};

static void add_rule(cli_ignore_t *ig, const char *line, size_t len)
{
    while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
        len--;
    if (len == 0 || line[0] == '#')
        return;
    cli_ignore_rule_t r = {0};
    if (line[0] == '!') {
        r.neg = true;
        line++;
        len--;
    }
    if (len && line[len - 1] == '/') {
        r.dir_only = true;
        len--;
    }
    if (len && line[0] == '/') {
        r.anchored = true;
        line++;
        len--;
    }
    if (len == 0)
        return;
    r.pat = hc_strndup(line, len);
    if (strchr(r.pat, '/') && strncmp(r.pat, "**/", 3) != 0)
        r.anchored = true;
    if (ig->n == ig->cap) {
        ig->cap = ig->cap ? ig->cap * 2 : 16;
        ig->rules = hc_reallocarray(ig->rules, ig->cap, sizeof(*ig->rules));
    }
    ig->rules[ig->n++] = r;
}

void cli_ignore_init(cli_ignore_t *ig)
{
    memset(ig, 0, sizeof(*ig));
    for (size_t i = 0; i < HC_ARRAY_SIZE(builtin); i++)
        add_rule(ig, builtin[i], strlen(builtin[i]));
}

void cli_ignore_add_text(cli_ignore_t *ig, const char *text, size_t len)
{
    const char *end = text + len;
    while (text < end) {
        const char *nl = memchr(text, '\n', (size_t)(end - text));
        size_t n = nl ? (size_t)(nl - text) : (size_t)(end - text);
        add_rule(ig, text, n);
        text += n + (nl ? 1 : 0);
    }
}

int cli_ignore_load(cli_ignore_t *ig, const char *dir, hc_err_t *err)
{
    static const char *const names[] = {".cfignore", ".hearthignore"};
    for (size_t i = 0; i < HC_ARRAY_SIZE(names); i++) {
        hc_autofree char *path = hc_asprintf("%s/%s", dir, names[i]);
        char *data = NULL;
        size_t len = 0;
        int r = hc_read_file(AT_FDCWD, path, 1024 * 1024, &data, &len, err);
        if (r == -ENOENT)
            continue;
        if (r < 0)
            return r;
        cli_ignore_add_text(ig, data, len);
        free(data);
    }
    return 0;
}

/* Matches pat against rel or any of its trailing component suffixes ("**" prefix). */
static bool match_any_depth(const char *pat, const char *rel, int flags)
{
    const char *p = rel;
    for (;;) {
        if (fnmatch(pat, p, flags) == 0)
            return true;
        p = strchr(p, '/');
        if (!p)
            return false;
        p++;
    }
}

static bool rule_match(const cli_ignore_rule_t *r, const char *rel, bool is_dir)
{
    if (r->dir_only && !is_dir)
        return false;
    const char *pat = r->pat;
    size_t plen = strlen(pat);
    /* A trailing slash-star-star matches everything below the directory. */
    if (plen >= 3 && strcmp(pat + plen - 3, "/**") == 0) {
        hc_autofree char *head = hc_strndup(pat, plen - 3);
        size_t hl = strlen(head);
        if (strncmp(rel, head, hl) == 0 && rel[hl] == '/')
            return true;
        return fnmatch(head, rel, FNM_PATHNAME) == 0 && is_dir;
    }
    if (strncmp(pat, "**/", 3) == 0)
        return match_any_depth(pat + 3, rel, FNM_PATHNAME);
    if (r->anchored)
        return fnmatch(pat, rel, FNM_PATHNAME) == 0;
    const char *base = strrchr(rel, '/');
    return fnmatch(pat, base ? base + 1 : rel, 0) == 0;
}

bool cli_ignore_match(const cli_ignore_t *ig, const char *rel, bool is_dir)
{
    bool ignored = false;
    for (size_t i = 0; i < ig->n; i++)
        if (rule_match(&ig->rules[i], rel, is_dir))
            ignored = !ig->rules[i].neg;
    return ignored;
}

void cli_ignore_release(cli_ignore_t *ig)
{
    for (size_t i = 0; i < ig->n; i++)
        free(ig->rules[i].pat);
    free(ig->rules);
    memset(ig, 0, sizeof(*ig));
}
