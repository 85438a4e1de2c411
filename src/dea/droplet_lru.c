/* Which cached droplets go (droplet_gc.h): pure, unit-tested. */
#include <stdlib.h>
#include <string.h>

#include "droplet_gc.h"

dea_gc_kind_t dea_gc_kind(const char *name, char sha1[HC_SHA1_HEX + 1])
{
    size_t len = strlen(name), suffix = strlen(DEA_GC_TEMP_SUFFIX);
    if (len > suffix && strcmp(name + len - suffix, DEA_GC_TEMP_SUFFIX) == 0)
        return DEA_GC_TEMP;
    if (len != HC_SHA1_HEX + 4 || strcmp(name + HC_SHA1_HEX, ".tgz") != 0)
        return DEA_GC_OTHER;
    for (size_t i = 0; i < HC_SHA1_HEX; i++)
        if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
            return DEA_GC_OTHER;
    memcpy(sha1, name, HC_SHA1_HEX);
    sha1[HC_SHA1_HEX] = '\0';
    return DEA_GC_DROPLET;
}

static int by_last_use(const void *a, const void *b)
{
    const dea_gc_entry_t *x = a, *y = b;
    if (x->mtime_ms != y->mtime_ms)
        return x->mtime_ms < y->mtime_ms ? -1 : 1;
    return strcmp(x->sha1, y->sha1);
}

static bool in_set(const char *sha1, const dea_sha1_t *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(set[i].hex, sha1) == 0)
            return true;
    return false;
}

size_t dea_gc_select(dea_gc_entry_t *entries, size_t n, const dea_sha1_t *in_use, size_t n_in_use,
                     uint64_t max_size, uint64_t min_age_ms, int64_t now_ms, uint64_t *ret_bytes)
{
    uint64_t total = 0, freed = 0;
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        entries[i].evict = false;
        total += entries[i].size;
    }
    if (n > 1)
        qsort(entries, n, sizeof(*entries), by_last_use);
    for (size_t i = 0; i < n && total > max_size; i++) {
        dea_gc_entry_t *e = &entries[i];
        /* a future mtime (clock stepped back) counts as just used */
        bool young = e->mtime_ms > now_ms || (uint64_t)(now_ms - e->mtime_ms) < min_age_ms;
        if (young || in_set(e->sha1, in_use, n_in_use))
            continue;
        e->evict = true;
        total -= e->size;
        freed += e->size;
        count++;
    }
    if (ret_bytes)
        *ret_bytes = freed;
    return count;
}
