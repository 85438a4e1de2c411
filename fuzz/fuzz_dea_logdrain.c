/*
 * libFuzzer target: syslog drain URLs from start messages (syslog://, syslog-tls://), the
 * framing (src/dea/logdrain.c), and what a syslog-tls receiver may answer to the drain's
 * ClientHello (src/dea/logdrain_tls.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "logdrain.h"
#include "logdrain_tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void tls_receiver_says(const uint8_t *data, size_t size)
{
    static SSL_CTX *ctx;
    hc_err_t err = {0};
    if (!ctx && dea_logdrain_tls_ctx_new(NULL, &ctx, &err) < 0)
        abort();
    SSL *t = dea_logdrain_tls_new(ctx, "logs.example.com");
    if (!t)
        abort();
    size_t len = 0;
    if (dea_logdrain_tls_feed(t, NULL, 0, &err) != 0)
        abort(); /* a ClientHello and nothing else yet */
    free(dea_logdrain_tls_take(t, &len));
    if (dea_logdrain_tls_feed(t, (const char *)data, size, &err) == 1)
        abort(); /* no bytes can pass for a trusted certificate of logs.example.com */
    free(dea_logdrain_tls_take(t, &len));
    SSL_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    char host[256];
    int port = 0;
    bool tls;
    if (dea_logdrain_parse_url(s, host, sizeof(host), &port, &tls) == 0 &&
        (port < 1 || port > 65535 || strpbrk(host, " /@?#")))
        abort();
    hc_buf_t b;
    hc_buf_init(&b, DEA_LOGDRAIN_MAX_LINE + 512);
    struct timespec ts = {.tv_sec = (time_t)size * 7919, .tv_nsec = (long)(size % 1000000000)};
    dea_logdrain_frame(&b, size & 1, &ts, "app", "guid", "[APP/0]", s, size);
    hc_buf_release(&b);
    free(s);
    tls_receiver_says(data, size);
    return 0;
}
