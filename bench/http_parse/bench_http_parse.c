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
    free(rq);
    free(rs);
    return 0;
}
