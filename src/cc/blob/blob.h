/*
 * blob.h - the CC's content-addressed blob store (DESIGN §4): app files for resource
 * matching ("res/<sha1>"), packages ("pkg/<sha1>") and droplets ("drop/<sha1>"), behind an
 * ops table with a local-directory backend (an NFS mount is the same) and an S3 backend.
 *
 * A put never leaves a partial blob under its real name: the local backend writes a temp
 * file in the store and renames it; S3 makes a blob visible only when its PUT completes.
 * Every call blocks (disk or network): call them from the thread pool (cc_queue_work).
 * Thread-safe: the backends keep no mutable state between calls.
 */
#ifndef HEARTH_CC_BLOB_H
#define HEARTH_CC_BLOB_H

#include <stdio.h>

#include "cc.h"
#include "hc_fs.h"

#define CC_SHA1_HEX HC_SHA1_HEX

typedef struct cc_blob_ops_s {
    /*
     * Stores the local file src (any size) under key, by copy; src is left in place.
     * Storing a key that exists is a no-op success (content addressing makes them equal).
     */
    int (*put)(void *self, const char *key, const char *src, hc_err_t *err);
    /* Writes the blob's bytes to dst_fd (at its offset). -ENOENT when missing. */
    int (*get)(void *self, const char *key, int dst_fd, hc_err_t *err);
    /* 1 and *ret_size when the blob exists, 0 when not, < 0 on error. */
    int (*stat)(void *self, const char *key, uint64_t *ret_size, hc_err_t *err);
    int (*remove)(void *self, const char *key, hc_err_t *err);
    /*
     * Optional (NULL: the store cannot be listed, and gc.h leaves it alone): calls cb with
     * every key of kind ("pkg", "drop", ...), its size and its last write (seconds since the
     * epoch) until cb returns non-zero.
     */
    int (*list)(void *self, const char *kind,
                int (*cb)(const char *key, uint64_t size, int64_t mtime, void *ud), void *ud,
                hc_err_t *err);
    void (*free)(void *self);
    /*
     * Optional, for batches (NULL: a batch puts one blob at a time). stage copies src into
     * the store's temp area without syncing and returns the temp path and the final path
     * (malloc'd), or 1 when the blob already exists; sync makes everything written so far
     * durable; publish moves a staged file to its final path.
     */
    int (*stage)(void *self, const char *key, const char *src, char **ret_tmp, char **ret_dst,
                 hc_err_t *err);
    int (*sync)(void *self, hc_err_t *err);
    int (*publish)(void *self, const char *tmp, const char *dst, hc_err_t *err);
} cc_blob_ops_t;

struct cc_blob_s {
    const cc_blob_ops_t *ops;
    void *self;
};

/* Opens the backend the configuration names. Blocking (mkdir): call at start. */
int cc_blob_open(cc_ctx_t *cc, cc_blob_t **ret, hc_err_t *err);
/* A local-directory store rooted at dir (created). */
int cc_blob_local_new(const char *dir, cc_blob_t **ret, hc_err_t *err);
/* An S3 store (path-style URLs, AWS SigV4 through libcurl). */
int cc_blob_s3_new(const char *endpoint, const char *bucket, const char *region,
                   const char *access_key, const char *secret_key, cc_blob_t **ret, hc_err_t *err);
void cc_blob_free(cc_blob_t *b);

static inline int cc_blob_put(cc_blob_t *b, const char *key, const char *src, hc_err_t *err)
{
    return b->ops->put(b->self, key, src, err);
}
static inline int cc_blob_get(cc_blob_t *b, const char *key, int dst_fd, hc_err_t *err)
{
    return b->ops->get(b->self, key, dst_fd, err);
}
static inline int cc_blob_stat(cc_blob_t *b, const char *key, uint64_t *ret_size, hc_err_t *err)
{
    return b->ops->stat(b->self, key, ret_size, err);
}
static inline int cc_blob_remove(cc_blob_t *b, const char *key, hc_err_t *err)
{
    return b->ops->remove(b->self, key, err);
}

/*
 * Many puts with one sync instead of one per blob (an upload pools thousands of files). The
 * local backend writes every file of the batch to its temp area, syncs the file system once,
 * renames them all into place, and syncs once more: a crash at any point (kill -9 or power
 * loss) leaves each blob whole under its name, or absent. Backends without batches put each
 * blob at once. Same threads as the other calls (the thread pool).
 */
typedef struct cc_blob_batch_s cc_blob_batch_t;
cc_blob_batch_t *cc_blob_batch_new(cc_blob_t *b);
/* Adds a copy of the file src under key (src may go once this returns). */
int cc_blob_batch_put(cc_blob_batch_t *bt, const char *key, const char *src, hc_err_t *err);
/* Makes every blob of the batch durable and visible. Returns 0 or < 0 with err set. */
int cc_blob_batch_commit(cc_blob_batch_t *bt, hc_err_t *err);
/* Frees the batch; blobs not committed are dropped (their temp files removed). Accepts NULL. */
void cc_blob_batch_free(cc_blob_batch_t *bt);

/* True for 40 lowercase hex digits. */
bool cc_sha1_valid(const char *s);

#endif
