/* A bounded table of failure counters for login rate limiting. */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"

#define RL_SLOTS 4096 /* power of two */
#define RL_PROBE 8
#define RL_KEY_MAX 256

typedef struct rl_entry_s {
    char key[RL_KEY_MAX + 1];
    uint64_t window_start;
    size_t failures;
    bool used;
} rl_entry_t;

struct cc_ratelimit_s {
    size_t max_failures;
    uint64_t window_ms;
    rl_entry_t slots[RL_SLOTS];
};

static uint64_t rl_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

cc_ratelimit_t *cc_ratelimit_new(size_t max_failures, uint64_t window_ms)
{
    cc_ratelimit_t *rl = hc_calloc(1, sizeof(*rl));
    rl->max_failures = max_failures;
    rl->window_ms = window_ms;
    return rl;
}

void cc_ratelimit_free(cc_ratelimit_t *rl)
{
    free(rl);
}

/* Finds key's slot; with create, takes a free or the oldest probed slot. */
static rl_entry_t *rl_find(cc_ratelimit_t *rl, const char *key, bool create)
{
    char k[RL_KEY_MAX + 1];
    snprintf(k, sizeof(k), "%s", key);
    uint64_t h = rl_hash(k);
    rl_entry_t *victim = NULL;
    for (size_t i = 0; i < RL_PROBE; i++) {
        rl_entry_t *e = &rl->slots[(h + i) & (RL_SLOTS - 1)];
        if (e->used && strcmp(e->key, k) == 0)
            return e;
        if (!victim)
            victim = e;
        else if (victim->used && (!e->used || e->window_start < victim->window_start))
            victim = e;
    }
    if (!create)
        return NULL;
    memset(victim, 0, sizeof(*victim));
    victim->used = true;
    memcpy(victim->key, k, sizeof(k));
    return victim;
}

bool cc_ratelimit_blocked(cc_ratelimit_t *rl, const char *key, uint64_t now_ms,
                          uint64_t *ret_retry_ms)
{
    rl_entry_t *e = rl_find(rl, key, false);
    if (!e || rl->max_failures == 0)
        return false;
    if (now_ms - e->window_start >= rl->window_ms) {
        e->used = false;
        return false;
    }
    if (e->failures < rl->max_failures)
        return false;
    if (ret_retry_ms)
        *ret_retry_ms = rl->window_ms - (now_ms - e->window_start);
    return true;
}

void cc_ratelimit_fail(cc_ratelimit_t *rl, const char *key, uint64_t now_ms)
{
    rl_entry_t *e = rl_find(rl, key, true);
    if (e->failures == 0 || now_ms - e->window_start >= rl->window_ms) {
        e->window_start = now_ms;
        e->failures = 0;
    }
    e->failures++;
}

void cc_ratelimit_clear(cc_ratelimit_t *rl, const char *key)
{
    rl_entry_t *e = rl_find(rl, key, false);
    if (e)
        e->used = false;
}
