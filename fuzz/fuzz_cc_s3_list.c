/* libFuzzer target: an S3 ListObjectsV2 answer (bytes from the blob store's endpoint) read by
 * the CC's page parser: every key handed out is NUL-terminated and bounded. */
#include <stdint.h>
#include <string.h>

#include "blob/s3_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_entry(const char *key, uint64_t size, int64_t mtime, void *ud)
{
    (void)size;
    (void)mtime;
    if (strlen(key) > CC_S3_KEY_MAX)
        __builtin_trap();
    return ++*(int *)ud > 5000 ? 1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cc_s3_page_t page;
    hc_err_t err = {0};
    int n = 0;
    int r = cc_s3_list_parse((const char *)data, size, on_entry, &n, &page, &err);
    if (r == 0 && (strlen(page.next) > CC_S3_TOKEN_MAX || (page.truncated && !page.next[0])))
        __builtin_trap();
    return 0;
}
