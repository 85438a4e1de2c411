/* libFuzzer target: the DEA's live staging log messages (staging.<task_id>.log) fed to the
 * CC's per-app log store: the input is split at newlines into successive messages. */
#include <stdint.h>
#include <string.h>

#include "staging_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char app[] = "11111111-2222-4333-8444-555555555555";
    cc_slogs_t *s = cc_slogs_new();
    const char *p = (const char *)data, *end = p + size;
    cc_slogs_begin(s, app, "t");
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        cc_slogs_msg(s, app, "t", p, n);
        p += n + (nl ? 1 : 0);
    }
    size_t len = 0;
    const char *t = cc_slogs_get(s, app, &len);
    if (!t || len > CC_MAX_STAGING_LOG || strlen(t) > len || cc_slogs_bytes(s) != len)
        __builtin_trap();
    cc_slogs_free(s);
    return 0;
}
