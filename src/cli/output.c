/* Messages, sizes, prompts: how the CLI talks to the person in front of it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "hc_json.h"

int cli_fail(cli_t *cli, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "hearth: %s%s", cli && cli->verb ? cli->verb : "",
            cli && cli->verb ? ": " : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_FAIL;
}

void cli_hint(const char *fmt, ...)
{
    va_list ap;
    fputs("  ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_print_json(const json_t *v)
{
    hc_buf_t b;
    hc_buf_init(&b, CLI_MAX_BODY);
    hc_json_dump(v, JSON_INDENT(2) | JSON_SORT_KEYS, &b);
    fwrite(b.data, 1, b.len, stdout);
    fputc('\n', stdout);
    hc_buf_release(&b);
}

void cli_human_size(uint64_t bytes, char *out, size_t size)
{
    static const char units[] = "BKMGTP";
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof(units) - 1) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(out, size, "%lluB", (unsigned long long)bytes);
    else if (v < 10)
        snprintf(out, size, "%.1f%c", v, units[u]);
    else
        snprintf(out, size, "%.0f%c", v, units[u]);
}

int cli_parse_mb(const char *s, int64_t *ret_mb)
{
    uint64_t n;
    size_t len = strlen(s), digits = 0;
    while (digits < len && s[digits] >= '0' && s[digits] <= '9')
        digits++;
    if (digits == 0 || hc_parse_u64(s, digits, 1ULL << 40, &n) < 0)
        return -EINVAL;
    const char *unit = s + digits;
    uint64_t mb;
    if (!*unit || !strcasecmp(unit, "M") || !strcasecmp(unit, "MB"))
        mb = n;
    else if (!strcasecmp(unit, "G") || !strcasecmp(unit, "GB"))
        mb = n * 1024;
    else if (!strcasecmp(unit, "K") || !strcasecmp(unit, "KB"))
        mb = n / 1024;
    else
        return -EINVAL;
    if (mb == 0 || mb > (1ULL << 30))
        return -EINVAL;
    *ret_mb = (int64_t)mb;
    return 0;
}

static char *read_line(FILE *f)
{
    char line[1024];
    if (!fgets(line, sizeof(line), f))
        return NULL;
    line[strcspn(line, "\r\n")] = '\0';
    return hc_strdup(line);
}

char *cli_read_password(const char *prompt)
{
    const char *env = secure_getenv("HEARTH_PASSWORD");
    if (env && env[0])
        return hc_strdup(env);
    if (!isatty(STDIN_FILENO))
        return read_line(stdin);
    struct termios old, quiet;
    fprintf(stderr, "%s", prompt);
    fflush(stderr);
    bool restore = tcgetattr(STDIN_FILENO, &old) == 0;
    if (restore) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *pw = read_line(stdin);
    if (restore)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputc('\n', stderr);
    return pw;
}

bool cli_confirm(const char *question)
{
    if (!isatty(STDIN_FILENO))
        return false;
    fprintf(stderr, "%s [y/N] ", question);
    fflush(stderr);
    hc_autofree char *ans = read_line(stdin);
    return ans && (ans[0] == 'y' || ans[0] == 'Y');
}

void cli_fmt_time(int64_t ts, char *out, size_t size)
{
    time_t t = (time_t)ts;
    struct tm tm;
    if (ts <= 0 || !localtime_r(&t, &tm) || strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(out, size, "-");
}

void cli_fmt_duration(double seconds, char *out, size_t size)
{
    long long s = seconds > 0 ? (long long)seconds : 0;
    if (s >= 86400)
        snprintf(out, size, "%lldd%lldh", s / 86400, s % 86400 / 3600);
    else if (s >= 3600)
        snprintf(out, size, "%lldh%lldm", s / 3600, s % 3600 / 60);
    else if (s >= 60)
        snprintf(out, size, "%lldm%llds", s / 60, s % 60);
    else
        snprintf(out, size, "%llds", s);
}
