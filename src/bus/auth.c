/*
 * auth.c - the two simple authorization modes of nats-server (spec/bus.md §7): a token, or
 * one user and password. Comparisons take the same time whatever the first difference.
 */
#include <string.h>

#include "server.h"

static bool secret_eq(const char *want, const char *got)
{
    if (!want || !got)
        return false;
    size_t wl = strlen(want), gl = strlen(got);
    unsigned char diff = (unsigned char)(wl != gl);
    for (size_t i = 0; i < wl; i++)
        diff |= (unsigned char)(want[i] ^ (i < gl ? got[i] : 0));
    return diff == 0;
}

bool bus_auth_check(const bus_opts_t *o, const char *user, const char *pass, const char *token)
{
    if (o->token)
        return secret_eq(o->token, token);
    if (o->user)
        return secret_eq(o->user, user) && secret_eq(o->pass, pass);
    return true;
}
