/*
 * bench-http_parse: parses a typical browser request head (about 400 bytes) and a typical
 * response head in a loop and prints heads/s and ns/head. Usage: bench-http_parse [SECONDS]
 * (default 1 per case), or bench-http_parse --dump DIR to write the two heads to
 * DIR/request.http and DIR/response.http for the peer run. Each figure is the best of five rounds,
 * to resist noise from other processes on the machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_http.h"
#include "hc_time.h"

static const char request[] =
    "GET /assets/css/main.css?v=20261124 HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "Connection: keep-alive\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36\r\n"
    "Accept: text/css,*/*;q=0.1\r\n"
    "Sec-Fetch-Site: same-origin\r\n"
    "Referer: https://www.example.com/\r\n"
    "Accept-Encoding: gzip, deflate, br, zstd\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "Cookie: session=4f2a9c1e7b\r\n"
    "\r\n";

static const char response[] = "HTTP/1.1 200 OK\r\n"
                               "Server: nginx/1.22.1\r\n"
                               "Date: Tue, 24 Nov 2026 10:00:00 GMT\r\n"
                               "Content-Type: text/css\r\n"
                               "Content-Length: 18235\r\n"
                               "Last-Modified: Mon, 23 Nov 2026 18:12:45 GMT\r\n"
                               "Connection: keep-alive\r\n"
                               "ETag: \"6740c4ed-473b\"\r\n"
                               "Cache-Control: max-age=3600\r\n"
                               "Accept-Ranges: bytes\r\n"
                               "\r\n";

/*
 * A mix of heads as a router sees them, parsed in turn, so the branch predictor cannot learn
 * one head by heart: browsers, API clients, health checks, uploads.
 */
static const char *const mix[] = {
    "GET / HTTP/1.1\r\nHost: shop.example.com\r\nConnection: keep-alive\r\n"
    "Upgrade-Insecure-Requests: 1\r\nUser-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) "
    "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: fr-FR,fr;q=0.9\r\nAccept-Encoding: gzip, deflate, br\r\n\r\n",
    "GET /healthz HTTP/1.1\r\nHost: 10.0.3.7:61001\r\nUser-Agent: hearth-hm/0.1\r\n\r\n",
    "POST /v2/apps HTTP/1.1\r\nHost: api.hearth.test\r\nUser-Agent: hearth/0.1.0\r\n"
    "Authorization: bearer eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiYWRtaW4ifQ.c2lnbmF0dXJl\r\n"
    "Content-Type: application/json\r\nContent-Length: 48\r\nAccept: application/json\r\n\r\n",
    "GET /api/items?page=2&per_page=50&sort=-updated_at HTTP/1.1\r\nHost: app.example.com\r\n"
    "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 "
    "Firefox/127.0\r\nAccept: application/json, text/plain, */*\r\n"
    "Accept-Language: de,en-US;q=0.7,en;q=0.3\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n"
    "X-Requested-With: XMLHttpRequest\r\nDNT: 1\r\nConnection: keep-alive\r\n"
    "Cookie: _ga=GA1.1.1234567890.1700000000; __VCAP_ID__=7f3e2a\r\nSec-Fetch-Dest: empty\r\n"
    "Sec-Fetch-Mode: cors\r\nSec-Fetch-Site: same-origin\r\n\r\n",
    "GET /favicon.ico HTTP/1.1\r\nHost: www.example.com\r\nConnection: keep-alive\r\n"
    "sec-ch-ua-platform: \"Linux\"\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36\r\n"
    "Accept: image/avif,image/webp,image/apng,image/*,*/*;q=0.8\r\n"
    "Referer: https://www.example.com/\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n\r\n",
    "PUT /v2/apps/1b4e28ba-2fa1-11d2-883f-0016d3cca427/bits HTTP/1.1\r\nHost: api.hearth.test\r\n"
    "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\nContent-Type: application/zip\r\n\r\n",
    "GET /ws HTTP/1.1\r\nHost: chat.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Origin: https://chat.example.com\r\n\r\n",
    "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:8082\r\nUser-Agent: Prometheus/2.45.0\r\n"
    "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n"
    "Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n",
};

static volatile size_t sink;

static double run_requests(const char *buf, size_t len, double seconds)
{
    hc_http_header_t headers[64];
    hc_http_req_t req;
    uint64_t n = 0, t0 = hc_now_ns(), t;

    do {
        for (int i = 0; i < 10000; i++) {
            req.headers = headers;
            req.num_headers = 64;
            int r = hc_http_parse_request(buf, len, 0, &req);
            if (r <= 0) {
                fprintf(stderr, "bench-http_parse: request did not parse (%d)\n", r);
                exit(1);
            }
            sink += req.num_headers + (size_t)r;
        }
        n += 10000;
        t = hc_now_ns();
    } while ((double)(t - t0) < seconds * 1e9);
    return (double)n / ((double)(t - t0) / 1e9);
}

static double run_responses(const char *buf, size_t len, double seconds)
{
    hc_http_header_t headers[64];
    hc_http_resp_t resp;
    uint64_t n = 0, t0 = hc_now_ns(), t;

    do {
        for (int i = 0; i < 10000; i++) {
            resp.headers = headers;
            resp.num_headers = 64;
            int r = hc_http_parse_response(buf, len, 0, false, &resp);
            if (r <= 0) {
                fprintf(stderr, "bench-http_parse: response did not parse (%d)\n", r);
                exit(1);
            }
            sink += resp.num_headers + (size_t)r;
        }
        n += 10000;
        t = hc_now_ns();
    } while ((double)(t - t0) < seconds * 1e9);
    return (double)n / ((double)(t - t0) / 1e9);
}

static double run_mix(char **bufs, const size_t *lens, size_t n, double seconds)
{
    hc_http_header_t headers[64];
    hc_http_req_t req;
    uint64_t count = 0, t0 = hc_now_ns(), t;

    do {
        for (int i = 0; i < 10000; i++) {
            size_t k = (size_t)i % n;
            req.headers = headers;
            req.num_headers = 64;
            int r = hc_http_parse_request(bufs[k], lens[k], 0, &req);
            if (r <= 0) {
                fprintf(stderr, "bench-http_parse: mix head %zu did not parse (%d)\n", k, r);
                exit(1);
            }
            sink += req.num_headers + (size_t)r;
        }
        count += 10000;
        t = hc_now_ns();
    } while ((double)(t - t0) < seconds * 1e9);
    return (double)count / ((double)(t - t0) / 1e9);
}

/*
 * A 60 KiB head arriving in 1 KiB reads, parsed after each read from its start: with
 * last_len only the new bytes are searched until the head is complete; without it every
 * read re-parses everything so far. Returns microseconds per complete head.
 */
static double run_trickle(bool use_last_len)
{
    static char big[62 * 1024];
    static hc_http_header_t headers[HC_HTTP_MAX_HEADERS];
    hc_http_req_t req;
    size_t n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: h\r\n");
    for (int i = 0; i < 60; i++) {
        n += (size_t)snprintf(big + n, sizeof(big) - n, "X-Pad-%02d: ", i);
        memset(big + n, 'a' + i % 26, 1000);
        n += 1000;
        n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n");
    }
    n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n");
    int rounds = 200;
    uint64_t t0 = hc_now_ns();
    for (int round = 0; round < rounds; round++) {
        size_t last = 0;
        for (size_t len = 1024;; len += 1024) {
            len = HC_MIN(len, n);
            req.headers = headers;
            req.num_headers = HC_HTTP_MAX_HEADERS;
            int r = hc_http_parse_request(big, len, use_last_len ? last : 0, &req);
            if (r == HC_AGAIN) {
                last = len;
                continue;
            }
            if (r != (int)n) {
                fprintf(stderr, "bench-http_parse: trickled head did not parse (%d)\n", r);
                exit(1);
            }
            sink += req.num_headers;
            break;
        }
    }
    return (double)(hc_now_ns() - t0) / 1e3 / rounds;
}

static void report(const char *what, size_t len, double best)
{
    printf("hearth %s: %zu bytes, %.0f heads/s, %.1f ns/head, %.0f MB/s\n", what, len, best,
           1e9 / best, best * (double)len / 1e6);
}

static int dump(const char *dir, const char *name, const char *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    double best;

    if (argc > 2 && strcmp(argv[1], "--dump") == 0)
        return dump(argv[2], "request.http", request, sizeof(request) - 1) ||
               dump(argv[2], "response.http", response, sizeof(response) - 1);

    if (seconds <= 0)
        seconds = 1.0;
    /* heap copies, so the buffer is not a constant the compiler could see through */
    char *rq = hc_memdup(request, sizeof(request) - 1);
    char *rs = hc_memdup(response, sizeof(response) - 1);
    best = 0;
    for (int round = 0; round < 5; round++)
        best = HC_MAX(best, run_requests(rq, sizeof(request) - 1, seconds / 5));
    report("request", sizeof(request) - 1, best);
    best = 0;
    for (int round = 0; round < 5; round++)
        best = HC_MAX(best, run_responses(rs, sizeof(response) - 1, seconds / 5));
    report("response", sizeof(response) - 1, best);
    char *bufs[HC_ARRAY_SIZE(mix)];
    size_t lens[HC_ARRAY_SIZE(mix)], total = 0;
    for (size_t i = 0; i < HC_ARRAY_SIZE(mix); i++) {
        lens[i] = strlen(mix[i]);
        bufs[i] = hc_memdup(mix[i], lens[i]);
        total += lens[i];
    }
    best = 0;
    for (int round = 0; round < 5; round++)
        best = HC_MAX(best, run_mix(bufs, lens, HC_ARRAY_SIZE(mix), seconds / 5));
    report("mix", total / HC_ARRAY_SIZE(mix), best);
    for (size_t i = 0; i < HC_ARRAY_SIZE(mix); i++)
        free(bufs[i]);
    double with = run_trickle(true), without = run_trickle(false);
    printf("hearth trickle: 61 KiB head in 1 KiB reads, %.1f us/head with last_len, "
           "%.1f us/head without\n",
           with, without);
    free(rq);
    free(rs);
    return 0;
}
