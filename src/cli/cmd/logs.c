/*
 * hearth logs APP: the recent output of every instance (staging log, stdout, stderr), then a
 * live tail that continues exactly where the recent part stopped (each file is read from the
 * byte offset already printed, so no line is lost or shown twice; a file shorter than that
 * offset was rotated: the rest of NAME.1 is printed, then the new file from 0). --recent stops
 * after the first part.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "hc_json.h"
#include "logfollow.h"

#define LOGS_MAX_STREAMS 64

static const cli_opt_t opts[] = {
    {"recent", 0, false, "print the recent lines and exit"},
    {"instance", 'i', true, "only this instance index"},
    {"lines", 'n', true, "recent lines per file (default 100)"},
    CLI_OPT_END,
};

typedef struct stream_s {
    unsigned index;
    const char *file; /* logs/stdout.log ... */
    const char *tag;
    uint64_t offset; /* bytes already printed */
    size_t held;     /* bytes of an unterminated last line seen at the last poll */
    int held_polls;  /* polls that saw the same unterminated line */
} stream_t;

static volatile sig_atomic_t stop;

static void on_sigint(int sig)
{
    (void)sig;
    stop = 1;
}

/* Prints the lines of [p, p+len) with a prefix; the last partial line is held back. */
static size_t print_lines(const char *prefix, const char *p, size_t len, size_t skip_lines,
                          bool final)
{
    size_t done = 0, line = 0;
    while (done < len) {
        const char *nl = memchr(p + done, '\n', len - done);
        if (!nl)
            break;
        size_t n = (size_t)(nl - (p + done));
        if (line++ >= skip_lines)
            printf("%s %.*s\n", prefix, (int)n, p + done);
        done += n + 1;
    }
    if (final && done < len) {
        printf("%s %.*s\n", prefix, (int)(len - done), p + done);
        done = len;
    }
    return done;
}

/*
 * After a rotation: the rest of the old file, now NAME.1, from the offset already printed, so
 * the lines written just before the rotation are not lost. A missing NAME.1 is skipped.
 */
static void drain_rotated(cli_t *cli, const char *app, const stream_t *s)
{
    hc_autofree char *esc = cli_escape(app);
    hc_autofree char *path =
        hc_asprintf("/apps/%s/instances/%u/files/%s.1", esc, s->index, s->file);
    hc_autofree char *range = hc_asprintf("Range: bytes=%llu-", (unsigned long long)s->offset);
    cli_resp_t resp;
    hc_err_t err;
    if (cli_http(cli, "GET", path, NULL, NULL, 0, range, false, &resp, &err) < 0)
        return;
    uint64_t skip = 0;
    if (cli_log_follow(s->offset, resp.status, resp.body.len, resp.size, &skip) == CLI_LF_PRINT) {
        char prefix[64];
        snprintf(prefix, sizeof(prefix), "[%u %s]", s->index, s->tag);
        print_lines(prefix, resp.body.data + skip, resp.body.len - skip, 0, true);
    }
    cli_resp_release(&resp);
}

static void stream_rotated(cli_t *cli, const char *app, stream_t *s)
{
    drain_rotated(cli, app, s);
    s->offset = 0;
    s->held = 0;
    s->held_polls = 0;
}

/* Fetches the stream from its offset and prints the complete new lines. */
static int poll_stream(cli_t *cli, const char *app, stream_t *s, size_t recent, bool final)
{
    hc_autofree char *esc = cli_escape(app);
    hc_autofree char *path = hc_asprintf("/apps/%s/instances/%u/files/%s", esc, s->index, s->file);
    hc_autofree char *range = hc_asprintf("Range: bytes=%llu-", (unsigned long long)s->offset);
    cli_resp_t resp;
    hc_err_t err;
    if (cli_http(cli, "GET", path, NULL, NULL, 0, s->offset ? range : NULL, false, &resp, &err) < 0)
        return -1;
    uint64_t skip_bytes = 0;
    switch (cli_log_follow(s->offset, resp.status, resp.body.len, resp.size, &skip_bytes)) {
    case CLI_LF_NONE:
        cli_resp_release(&resp);
        return 0;
    case CLI_LF_REFETCH:
        /* Rotated to a file shorter than what was printed: follow the new one from 0. */
        cli_resp_release(&resp);
        stream_rotated(cli, app, s);
        return poll_stream(cli, app, s, recent, final);
    case CLI_LF_ROTATED_PRINT:
        stream_rotated(cli, app, s);
        break;
    case CLI_LF_PRINT:
        break;
    }
    const char *p = resp.body.data + skip_bytes;
    size_t len = resp.body.len - skip_bytes;
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "[%u %s]", s->index, s->tag);
    size_t skip = 0;
    if (recent) {
        size_t lines = 0;
        for (size_t i = 0; i < len; i++)
            lines += p[i] == '\n';
        skip = lines > recent ? lines - recent : 0;
    }
    size_t done = print_lines(prefix, p, len, skip, final);
    /* A last line that stays unterminated for two polls (a prompt, a progress line) is shown
     * as it is rather than held back for ever. */
    size_t rest = len - done;
    if (rest == 0 || rest != s->held) {
        s->held = rest;
        s->held_polls = rest ? 1 : 0;
    } else if (++s->held_polls >= 2) {
        printf("%s %.*s\n", prefix, (int)rest, p + done);
        done = len;
        s->held = 0;
        s->held_polls = 0;
    }
    s->offset += done;
    fflush(stdout);
    cli_resp_release(&resp);
    return 0;
}

static void print_staging(cli_t *cli, const char *app)
{
    hc_autofree char *esc = cli_escape(app);
    hc_autofree char *path = hc_asprintf("/apps/%s/staging_log", esc);
    cli_resp_t resp;
    hc_err_t err;
    if (cli_http(cli, "GET", path, NULL, NULL, 0, NULL, false, &resp, &err) < 0)
        return;
    if (resp.status == 200)
        print_lines("[staging]", resp.body.data, resp.body.len, 0, true);
    cli_resp_release(&resp);
}

static int run(cli_t *cli, const cli_args_t *a)
{
    const char *name = a->pos[0], *inst = cli_args_get(opts, a, "instance"),
               *nl = cli_args_get(opts, a, "lines");
    uint64_t only = 0, lines = 100;
    if ((inst && hc_parse_u64(inst, strlen(inst), 100000, &only) < 0) ||
        (nl && hc_parse_u64(nl, strlen(nl), 1000000, &lines) < 0)) {
        cli_fail(cli, "-i and -n take whole numbers");
        return CLI_USAGE;
    }
    if (cli_need_login(cli) < 0)
        return CLI_FAIL;
    /* Ctrl-C ends the tail cleanly (exit 0), also while a request is in flight. */
    struct sigaction sa = {.sa_handler = on_sigint};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    json_t *app = cli_app_get(cli, name);
    if (!app)
        return CLI_FAIL;
    json_int_t n = json_integer_value(json_object_get(app, "instances"));
    const char *state = json_string_value(json_object_get(app, "state"));
    bool started = state && strcmp(state, "STARTED") == 0;
    json_decref(app);
    print_staging(cli, name);
    if (!started) {
        printf("%s is stopped: no instance output. Start it with `hearth start %s`.\n", name, name);
        return CLI_OK;
    }
    stream_t streams[LOGS_MAX_STREAMS];
    size_t ns = 0;
    for (json_int_t i = 0; i < n && ns + 2 <= LOGS_MAX_STREAMS; i++) {
        if (inst && (uint64_t)i != only)
            continue;
        streams[ns++] = (stream_t){(unsigned)i, "logs/stdout.log", "out", 0, 0, 0};
        streams[ns++] = (stream_t){(unsigned)i, "logs/stderr.log", "err", 0, 0, 0};
    }
    for (size_t i = 0; i < ns && !stop; i++)
        if (poll_stream(cli, name, &streams[i], lines, cli_args_has(opts, a, "recent")) < 0)
            return cli_fail(cli, "cannot reach %s", cli->target);
    if (cli_args_has(opts, a, "recent"))
        return CLI_OK;
    if (cli->tty_err)
        fprintf(stderr, "(following %s; Ctrl-C to stop)\n", name);
    while (!stop) {
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
        for (size_t i = 0; i < ns && !stop; i++)
            if (poll_stream(cli, name, &streams[i], 0, false) < 0)
                return cli_fail(cli, "lost the connection to %s", cli->target);
    }
    return CLI_OK;
}

const cli_cmd_t cli_cmd_logs = {
    .name = "logs",
    .args = "APP",
    .summary = "show an app's recent output, then follow it live",
    .opts = opts,
    .min_pos = 1,
    .max_pos = 1,
    .run = run,
};
