/*
 * cli.h - what every verb of the `hearth` CLI shares: the session (config, target, token),
 * the command table, option parsing, calls to the CC's REST API and output helpers.
 *
 * The CLI is a short-lived blocking program: it uses libcurl's easy interface, no loop.
 * Exit codes: CLI_OK (0), CLI_FAIL (1: the operation failed), CLI_USAGE (2: bad command line).
 */
#ifndef HEARTH_CLI_H
#define HEARTH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "hc_base.h"
#include "hc_buf.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

#define CLI_MAX_POS 16
#define CLI_MAX_SET 64
#define CLI_MAX_BODY ((size_t)256 * 1024 * 1024)

/* ---- options ---- */

typedef struct cli_opt_s {
    const char *name; /* long name without "--" */
    char short_name;  /* 0: none */
    bool arg;         /* takes a value */
    const char *help;
} cli_opt_t;

#define CLI_OPT_END                                                                                \
    {                                                                                              \
        NULL, 0, false, NULL                                                                       \
    }

typedef struct cli_args_s {
    const char *pos[CLI_MAX_POS];
    size_t npos;
    struct {
        int opt; /* index into the command's option table */
        const char *val;
    } set[CLI_MAX_SET];
    size_t nset;
    bool help, json;
} cli_args_t;

/*
 * Parses argv (without the verb) against opts. `--help`/`-h` and `--json` are always
 * accepted. Values come as `--name V`, `--name=V`, `-x V` or `-xV`; `--` ends options.
 * Returns 0, or -EINVAL with err saying which argument was wrong. Borrows argv.
 */
int cli_args_parse(const cli_opt_t *opts, int argc, char **argv, cli_args_t *ret, hc_err_t *err);
/* The last value given for option `name` (NULL when absent; "" for a flag that was set). */
const char *cli_args_get(const cli_opt_t *opts, const cli_args_t *a, const char *name);
bool cli_args_has(const cli_opt_t *opts, const cli_args_t *a, const char *name);

/* ---- session ---- */

typedef struct cli_s {
    char *home;   /* config directory */
    char *target; /* API URL without trailing '/', or NULL */
    char *token;  /* or NULL */
    char *email;  /* or NULL */
    bool json;    /* --json given */
    bool tty_out; /* stdout is a terminal */
    bool tty_err; /* stderr is a terminal */
    const char *verb;
    void *curl;        /* libcurl easy handle kept for keep-alive, freed by cli_release */
    json_t *info;      /* GET /info, fetched on first use (info.c), or NULL */
    bool info_fetched; /* asked already (info may still be NULL) */
} cli_t;

/* Fills cli from $HEARTH_HOME (or ~/.hearth)/config. A missing file is fine. */
int cli_config_load(cli_t *cli, hc_err_t *err);
/* Writes target, token and email atomically with mode 0600 (the directory 0700). */
int cli_config_save(const cli_t *cli, hc_err_t *err);
void cli_release(cli_t *cli);

/* ---- commands ---- */

typedef struct cli_cmd_s {
    const char *name;
    const char *args;    /* e.g. "APP [PATH]" */
    const char *summary; /* one line */
    const cli_opt_t *opts;
    int min_pos, max_pos; /* positional argument count bounds (-1: unbounded) */
    int (*run)(cli_t *cli, const cli_args_t *a);
} cli_cmd_t;

extern const cli_cmd_t *const cli_commands[];
const cli_cmd_t *cli_command_find(const char *name);
void cli_usage_print(const cli_cmd_t *cmd, FILE *f);
void cli_help_print(FILE *f);

/* ---- output ---- */

/* "hearth: VERB: message" on stderr. Returns CLI_FAIL. */
int cli_fail(cli_t *cli, const char *fmt, ...) HC_PRINTF(2, 3);
/* "  hint" line on stderr after an error. */
void cli_hint(const char *fmt, ...) HC_PRINTF(1, 2);
/* Prints a JSON value (pretty, sorted keys) on stdout. */
void cli_print_json(const json_t *v);
/* "1.5K", "12M", "3G" style sizes. */
void cli_human_size(uint64_t bytes, char *out, size_t size);
/* "2026-11-24 16:20:55" (local time) of a Unix time; "-" for 0. */
void cli_fmt_time(int64_t ts, char *out, size_t size);
/* "2d3h", "4m10s" style durations. */
void cli_fmt_duration(double seconds, char *out, size_t size);
/* Parses "256M", "1G", "512" (MB) into megabytes; -EINVAL when malformed or 0. */
int cli_parse_mb(const char *s, int64_t *ret_mb);
/* Reads a password: from env HEARTH_PASSWORD, else prompts on the terminal (no echo),
 * else one line of stdin. Returns a malloc'd string or NULL. */
char *cli_read_password(const char *prompt);
/* Asks a yes/no question on the terminal; false when stdin is not a terminal. */
bool cli_confirm(const char *question);

/* ---- tables ---- */

typedef struct cli_table_s {
    size_t ncols, nrows, cap;
    char **cells; /* nrows * ncols, row 0 = header */
} cli_table_t;

void cli_table_init(cli_table_t *t, size_t ncols, ...); /* header titles */
/* Adds a row of ncols strings (NULL prints as "-"); copies them. */
void cli_table_add(cli_table_t *t, ...);
/* Renders with columns padded to the widest cell (UTF-8 aware), two spaces apart, no
 * trailing spaces. */
void cli_table_render(const cli_table_t *t, hc_buf_t *out);
void cli_table_print(const cli_table_t *t);
void cli_table_release(cli_table_t *t);

/* ---- REST API ---- */

typedef struct cli_resp_s {
    long status;
    hc_buf_t body;
    json_t *json; /* parsed body when it is JSON, else NULL */
    int64_t size; /* the whole file's size from a Content-Range reply header, else -1 */
} cli_resp_t;

typedef struct cli_part_s {
    const char *name;
    const char *data; /* inline data, or NULL with file set */
    size_t len;
    const char *file; /* path of the content */
    const char *type; /* content type or NULL */
} cli_part_t;

/*
 * One HTTP request to the target. path is appended to the target URL. body (may be NULL) is
 * sent as JSON; parts (nparts > 0) as multipart/form-data instead. extra_header may be NULL.
 * Returns 0 when an HTTP answer came (whatever its status), or < 0 with err set.
 */
int cli_http(cli_t *cli, const char *method, const char *path, const json_t *body,
             const cli_part_t *parts, size_t nparts, const char *extra_header, bool progress,
             cli_resp_t *ret, hc_err_t *err);
void cli_resp_release(cli_resp_t *r);

/*
 * cli_http with the CLI's error policy: transport failure, or a status >= 400 prints what
 * failed (`what`), the CC's description and a hint, then returns -1. On success returns 0
 * and, when ret_json is not NULL, a new reference to the parsed body (may be NULL on 204).
 */
int cli_api(cli_t *cli, const char *what, const char *method, const char *path, const json_t *body,
            json_t **ret_json);
/* Like cli_api but the v1 error code is returned in *ret_code without printing when the
 * status is >= 400 (returns 1 then). */
int cli_api_try(cli_t *cli, const char *what, const char *method, const char *path,
                const json_t *body, json_t **ret_json, int *ret_code);
/* Fails with a hint when no target or no token is set. */
int cli_need_login(cli_t *cli);
/*
 * DELETE /COLLECTION/NAME after asking "Really delete NOUN NAME CONSEQUENCE?" on a terminal
 * (not when force), then prints "Deleted NOUN NAME". Returns CLI_OK or CLI_FAIL.
 */
int cli_delete_named(cli_t *cli, const char *collection, const char *noun, const char *name,
                     const char *consequence, bool force);
int cli_need_target(cli_t *cli);
/* Percent-encodes one path segment; malloc'd. */
char *cli_escape(const char *s);

/* ---- apps ---- */

/* GET /apps/NAME: new reference or NULL after printing the error. */
json_t *cli_app_get(cli_t *cli, const char *name);
/* PUT /apps/NAME with body (borrowed). Returns 0 or -1 after printing. */
int cli_app_put(cli_t *cli, const char *name, const json_t *body, const char *what);
/* Waits until the app's instances run (or staging fails), printing the staging log as it
 * grows. timeout_s bounds the wait. Returns 0 or -1 after printing. */
int cli_app_wait_started(cli_t *cli, const char *name, int timeout_s);
/* Sets state STARTED or STOPPED (PUT /apps/NAME). Returns 0 or -1 after printing. */
int cli_app_set_state(cli_t *cli, const char *name, const char *state);
/* Starts the app and waits for it unless --no-wait style callers pass wait = false. */
int cli_app_start(cli_t *cli, const char *name, bool wait, int timeout_s);
/* The default domain for routes: /info's domain, else the target host minus its first
 * label, else "localhost". */
void cli_default_domain(cli_t *cli, char *out, size_t size);

/* ---- /info (info.c) ---- */

/* /info's router_port (1..65535), or 0 when the CC does not say. */
int cli_router_port(cli_t *cli);
/* Copies /info's domain into out; false when the CC does not say. */
bool cli_info_domain(cli_t *cli, char *out, size_t size);
/* "http://HOST.DOMAIN[:PORT][/path]" for a route (port omitted when unknown or 80); malloc'd. */
char *cli_app_url(cli_t *cli, const char *uri);
/* The app's routes as URLs, ", "-separated, truncated to fit out. */
void cli_app_urls(cli_t *cli, const json_t *uris, char *out, size_t size);

#endif
