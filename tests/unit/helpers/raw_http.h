/*
 * raw_http.h - test helpers for talking HTTP over plain blocking sockets from a second
 * thread while the test's libuv loop serves on the main thread.
 */
#ifndef HEARTH_TEST_RAW_HTTP_H
#define HEARTH_TEST_RAW_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

typedef struct raw_resp_s {
    int status;
    bool keep_alive;
    char head[8192];
    char body[65536];
    size_t body_len;
} raw_resp_t;

/* Connects to 127.0.0.1:port (blocking, 5 s receive timeout). Returns the fd or -1. */
int raw_connect(int port);
/* Sends all of [p, p+len). Returns 0 or -1. */
int raw_send(int fd, const void *p, size_t len);
int raw_send_str(int fd, const char *s);
/*
 * Reads until n complete responses arrived (a 1xx counts as one), the peer closes, or the
 * receive timeout passes. Fills out[0..n). Returns the number of complete responses.
 */
int raw_read(int fd, raw_resp_t *out, int n);
/* True when the peer closes (EOF or reset) before the timeout with no more bytes than max. */
bool raw_wait_eof(int fd);
/* A header's value from a response head ("" if absent), copied into buf. */
const char *raw_header(const raw_resp_t *r, const char *name, char *buf, size_t size);

/* Runs fn(arg) on a new thread while running loop until it returns (or max_ms). Returns
 * true when fn finished. */
bool raw_run_thread(uv_loop_t *loop, void (*fn)(void *), void *arg, uint64_t max_ms);

#endif
