/*
 * ignore.h - which files of an app folder are not uploaded: built-in rules (.git, .hg, .svn,
 * _darcs, .DS_Store, the ignore files themselves) plus .cfignore and .hearthignore, read with
 * the gitignore subset: `#` comments, `!` negation (the last matching rule wins), a trailing
 * `/` for directories only, a `/` inside or in front anchors the pattern at the app root,
 * `**` as a whole leading or trailing component, shell globs elsewhere (fnmatch).
 */
#ifndef HEARTH_CLI_PUSH_IGNORE_H
#define HEARTH_CLI_PUSH_IGNORE_H

#include <stdbool.h>
#include <stddef.h>

#include "hc_base.h"

typedef struct cli_ignore_rule_s {
    char *pat;
    bool neg, dir_only, anchored;
} cli_ignore_rule_t;

typedef struct cli_ignore_s {
    cli_ignore_rule_t *rules;
    size_t n, cap;
} cli_ignore_t;

/* Starts with the built-in rules. */
void cli_ignore_init(cli_ignore_t *ig);
/* Adds the rules of an ignore file's text (borrowed). */
void cli_ignore_add_text(cli_ignore_t *ig, const char *text, size_t len);
/* Adds dir/.cfignore then dir/.hearthignore when they exist. Returns 0 or -errno. */
int cli_ignore_load(cli_ignore_t *ig, const char *dir, hc_err_t *err);
/* True when rel (a path relative to the app root, '/'-separated) is ignored. */
bool cli_ignore_match(const cli_ignore_t *ig, const char *rel, bool is_dir);
void cli_ignore_release(cli_ignore_t *ig);

#endif
