/*
 * Leader election over the bus (pure part). Every HM publishes a claim carrying its id on
 * `healthmanager.lease` every claim interval; each HM records the claims it hears, its own
 * included (hearing itself proves its bus path works). An HM leads when it has heard its own
 * claim within ttl, has been listening for at least ttl (so it knows its rivals), and no
 * live claim has a smaller id. Claims older than ttl are forgotten, so when the leader dies
 * or is cut off, the next smallest id leads one ttl later. During a bus partition two HMs may
 * both lead for a while; the decisions they duplicate are idempotent at the CC (a START for
 * an index that came up meanwhile yields a duplicate, which the next analysis stops).
 */
#ifndef HEARTH_HM_LEASE_H
#define HEARTH_HM_LEASE_H

#include <stdint.h>

#include "hc_base.h"

#define HM_LEASE_ID_MAX 64
#define HM_LEASE_MAX_PEERS 64

typedef struct hm_lease_peer_s {
    char id[HM_LEASE_ID_MAX + 1];
    uint64_t seen;
} hm_lease_peer_t;

typedef struct hm_lease_s {
    char self[HM_LEASE_ID_MAX + 1];
    uint64_t ttl_ms;
    uint64_t started;
    hm_lease_peer_t peers[HM_LEASE_MAX_PEERS];
    size_t num_peers;
} hm_lease_t;

void hm_lease_init(hm_lease_t *l, const char *self, uint64_t ttl_ms, uint64_t now);
/* Starts a new listening period (after a bus reconnection: rivals' claims were missed, so no
 * leading until they had a ttl to be heard again). */
void hm_lease_listen(hm_lease_t *l, uint64_t now);
/* A claim heard on the bus; -EINVAL for a bad id, -ENOSPC when the table is full. */
int hm_lease_observe(hm_lease_t *l, const char *id, uint64_t now);
bool hm_lease_is_leader(hm_lease_t *l, uint64_t now);
/* The id of the live claim with the smallest id, or NULL. */
const char *hm_lease_leader(hm_lease_t *l, uint64_t now);

#endif
