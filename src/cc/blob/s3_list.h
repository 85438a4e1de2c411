/*
 * s3_list.h - one page of an S3 ListObjectsV2 answer, read without an XML library. The answer
 * has a fixed shape (a ListBucketResult whose Contents entries hold Key, LastModified and Size,
 * and IsTruncated and NextContinuationToken at the top), so a bounded scan of those elements
 * is enough. Text may use the five predefined XML entities; any other markup inside an element
 * read here, a missing or malformed field, or an answer that is not a ListBucketResult (an
 * <Error> document) is refused. Pure: no I/O, any thread.
 */
#ifndef HEARTH_CC_BLOB_S3_LIST_H
#define HEARTH_CC_BLOB_S3_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hc_base.h"

#define CC_S3_KEY_MAX 1024   /* S3's own bound on a key, in bytes */
#define CC_S3_TOKEN_MAX 1024 /* a continuation token kept for the next page */

typedef struct cc_s3_page_s {
    bool truncated;
    char next[CC_S3_TOKEN_MAX + 1]; /* NextContinuationToken, "" when there is none */
} cc_s3_page_t;

/* Called for each entry: its key, size and last write (seconds since the epoch). Non-zero
 * stops the walk and is returned by cc_s3_list_parse. */
typedef int (*cc_s3_entry_cb)(const char *key, uint64_t size, int64_t mtime, void *ud);

/*
 * Walks the Contents entries of xml (len bytes, no NUL needed) in order, then fills page.
 * Returns 0, cb's non-zero value, or -EPROTO with err set.
 */
int cc_s3_list_parse(const char *xml, size_t len, cc_s3_entry_cb cb, void *ud, cc_s3_page_t *page,
                     hc_err_t *err);

/* "2026-11-25T03:58:00.000Z" (fraction optional) -> seconds since the epoch; -1 if invalid. */
int64_t cc_s3_time_parse(const char *s, size_t len);

#endif
