/* Aligned tables: columns padded to the widest cell, counted in characters, not bytes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void add_row(cli_table_t *t, va_list ap)
{
    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 8;
        t->cells = hc_reallocarray(t->cells, t->cap * t->ncols, sizeof(char *));
    }
    for (size_t c = 0; c < t->ncols; c++) {
        const char *s = va_arg(ap, const char *);
        t->cells[t->nrows * t->ncols + c] = hc_strdup(s ? s : "-");
    }
    t->nrows++;
}

void cli_table_init(cli_table_t *t, size_t ncols, ...)
{
    va_list ap;
    memset(t, 0, sizeof(*t));
    t->ncols = ncols;
    va_start(ap, ncols);
    add_row(t, ap);
    va_end(ap);
}

void cli_table_add(cli_table_t *t, ...)
{
    va_list ap;
    va_start(ap, t);
    add_row(t, ap);
    va_end(ap);
}

/* Display width: UTF-8 continuation bytes do not count. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

void cli_table_render(const cli_table_t *t, hc_buf_t *out)
{
    size_t *w = hc_calloc(t->ncols ? t->ncols : 1, sizeof(size_t));
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++)
            w[c] = HC_MAX(w[c], width(t->cells[r * t->ncols + c]));
    for (size_t r = 0; r < t->nrows; r++) {
        size_t pending = 0;
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            if (c > 0)
                pending += 2;
            if (s[0]) {
                for (; pending; pending--)
                    hc_buf_append_byte(out, ' ');
                hc_buf_append_str(out, s);
            }
            pending += w[c] - width(s);
        }
        hc_buf_append_byte(out, '\n');
    }
    free(w);
}

void cli_table_print(const cli_table_t *t)
{
    hc_buf_t b;
    hc_buf_init(&b, CLI_MAX_BODY);
    cli_table_render(t, &b);
    fwrite(b.data, 1, b.len, stdout);
    hc_buf_release(&b);
}

void cli_table_release(cli_table_t *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof(*t));
}
