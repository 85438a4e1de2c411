/*
 * droplet_gc.h - keeping the droplet cache (data_dir/droplets/<sha1>.tgz) under
 * `droplet_cache.max_size`: the least recently used droplets go first (a start that reads a
 * droplet from the cache sets its mtime), never one a live instance of this DEA uses, never
 * one used within `droplet_cache.min_age`, never a download in progress (its temp file has a
 * name of its own, `<sha1>.tgz.<pid>.pending`).
 *
 * What is here is pure (unit-tested); the scan and the removals run on the thread pool
 * (droplet_gc.c).
 */
#ifndef HEARTH_DEA_DROPLET_GC_H
#define HEARTH_DEA_DROPLET_GC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hc_fs.h"

#define DEA_GC_TEMP_SUFFIX ".pending"
#define DEA_GC_TEMP_MAX_AGE_MS ((int64_t)3600 * 1000) /* stray temp files older go at start */

/* A SHA-1 as 40 lowercase hex digits and a NUL. */
typedef struct dea_sha1_s {
    char hex[HC_SHA1_HEX + 1];
} dea_sha1_t;

/* A cached droplet. */
typedef struct dea_gc_entry_s {
    char sha1[HC_SHA1_HEX + 1];
    uint64_t size;    /* bytes */
    int64_t mtime_ms; /* last use: wall clock, ms */
    bool evict;       /* out of dea_gc_select */
} dea_gc_entry_t;

typedef enum dea_gc_kind_e {
    DEA_GC_OTHER,   /* not ours: left alone */
    DEA_GC_DROPLET, /* <40 lowercase hex>.tgz */
    DEA_GC_TEMP,    /* a download's temp file: ends in .pending */
} dea_gc_kind_t;

/* What a file of the droplets directory is; for a droplet, its SHA-1 goes into sha1. */
dea_gc_kind_t dea_gc_kind(const char *name, char sha1[HC_SHA1_HEX + 1]);

/*
 * Marks (evict = true) the droplets to remove so the total size of all n entries is at most
 * max_size, least recently used first (oldest mtime; equal ones by SHA-1), skipping those
 * whose SHA-1 is one of the n_in_use of in_use and those used less than min_age_ms before
 * now_ms. When the protected ones alone exceed max_size, every other one is marked. Sorts
 * entries by last use. Returns how many are marked; their bytes go into *ret_bytes (may be NULL).
 */
size_t dea_gc_select(dea_gc_entry_t *entries, size_t n, const dea_sha1_t *in_use, size_t n_in_use,
                     uint64_t max_size, uint64_t min_age_ms, int64_t now_ms, uint64_t *ret_bytes);

#endif
