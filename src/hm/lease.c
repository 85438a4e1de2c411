/* Bus-based leader lease (see lease.h). */
#include <stdio.h>
#include <string.h>

#include "lease.h"

void hm_lease_init(hm_lease_t *l, const char *self, uint64_t ttl_ms, uint64_t now)
{
    memset(l, 0, sizeof(*l));
    snprintf(l->self, sizeof(l->self), "%s", self);
    l->ttl_ms = ttl_ms;
    l->started = now;
}

void hm_lease_listen(hm_lease_t *l, uint64_t now)
{
    l->started = now;
}

static void forget_old(hm_lease_t *l, uint64_t now)
{
    size_t w = 0;
    for (size_t r = 0; r < l->num_peers; r++) {
        if (now - l->peers[r].seen > l->ttl_ms)
            continue;
        l->peers[w++] = l->peers[r];
    }
    l->num_peers = w;
}

int hm_lease_observe(hm_lease_t *l, const char *id, uint64_t now)
{
    if (!id || !*id || strlen(id) > HM_LEASE_ID_MAX)
        return -EINVAL;
    forget_old(l, now);
    for (size_t i = 0; i < l->num_peers; i++)
        if (strcmp(l->peers[i].id, id) == 0) {
            l->peers[i].seen = now;
            return 0;
        }
    if (l->num_peers == HM_LEASE_MAX_PEERS)
        return -ENOSPC;
    hm_lease_peer_t *p = &l->peers[l->num_peers++];
    snprintf(p->id, sizeof(p->id), "%s", id);
    p->seen = now;
    return 0;
}

const char *hm_lease_leader(hm_lease_t *l, uint64_t now)
{
    forget_old(l, now);
    const char *best = NULL;
    for (size_t i = 0; i < l->num_peers; i++)
        if (!best || strcmp(l->peers[i].id, best) < 0)
            best = l->peers[i].id;
    return best;
}

bool hm_lease_is_leader(hm_lease_t *l, uint64_t now)
{
    if (now - l->started < l->ttl_ms)
        return false;
    const char *best = hm_lease_leader(l, now);
    return best && strcmp(best, l->self) == 0;
}
