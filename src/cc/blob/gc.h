/*
 * gc.h - the blob store's collector. Every blobstore.gc_interval a job on the thread pool reads
 * which packages and droplets the apps use (apps.package_hash, apps.droplet_hash) or may roll
 * back to (those of each app's last blobstore.releases_kept releases, release.h) and removes
 * every other "pkg/" and "drop/" blob written more than blobstore.gc_grace ago, so pushes do not
 * fill the disk. Older releases keep their rows; a rollback to one whose droplet went is refused.
 * The grace covers a blob put while its app record is not yet written (a put of an existing blob
 * refreshes its time). The resource cache ("res/") is shared by every upload and is not collected.
 * Both backends list (S3 with ListObjectsV2, see s3_list.h).
 */
#ifndef HEARTH_CC_BLOB_GC_H
#define HEARTH_CC_BLOB_GC_H

#include "blob/blob.h"
#include "db/db.h"

typedef struct cc_blob_gc_stats_s {
    size_t removed, kept;
    uint64_t removed_bytes;
} cc_blob_gc_stats_t;

/*
 * Removes the pkg/ and drop/ blobs of b whose key is not in keep (n keys, sorted with strcmp)
 * and whose last write is more than grace_s seconds before now. Blocking: thread pool.
 */
int cc_blob_gc_sweep(cc_blob_t *b, char *const *keep, size_t n, int64_t now, int64_t grace_s,
                     cc_blob_gc_stats_t *stats, hc_err_t *err);
/*
 * The keys to keep ("pkg/<sha1>", "drop/<sha1>"): the apps' current package and droplet, and
 * those of each app's last releases_kept releases (0: none). Sorted with strcmp, without
 * duplicates; *ret (malloc'd, each key too) holds *n. Returns 0 or -EIO. Any thread with db.
 */
int cc_blob_gc_used_keys(cc_db_t *db, int64_t releases_kept, char ***ret, size_t *n, hc_err_t *err);
/* Starts the periodic collection (nothing when the interval is 0). Loop thread. */
void cc_blob_gc_start(cc_ctx_t *cc);
/* Stops it; a run in flight finishes (the CC waits for its thread pool work). Loop thread. */
void cc_blob_gc_stop(cc_ctx_t *cc);

#endif
