/*
 * hc_http.h - HTTP/1.1 message parsing (RFC 9112), the router's hot path.
 *
 * The parsers are pure, incremental and allocation-free (STYLE R23): they take (buf, len),
 * fill a caller-provided struct of hc_str_t slices pointing into buf, and return the number
 * of bytes of the head consumed (> 0), HC_AGAIN when the head is not complete yet, or a
 * negative error: HC_EPROTO for malformed input, HC_ETOOBIG when a limit is passed. On error
 * `status` in the struct holds the HTTP status to answer with (400, 414, 431, 501, 505).
 * Callers re-parse from the start of the head when more bytes arrive; `last_len` lets the
 * parser skip the search for the end of the head that failed before.
 *
 * `last_len`: 0 on the first call for a head; afterwards the `len` of the previous call
 * for the same head that returned HC_AGAIN (the buffer must hold the same bytes there).
 * With it, a call whose new bytes cannot end the head returns HC_AGAIN after looking only
 * at those new bytes, so a head that trickles in costs linear time. Errors in a head are
 * then reported once it is complete (limits are still reported at once). Passing 0 is
 * always correct.
 *
 * Strictness (RFC 9112 and the anti-smuggling rules of §6.3, §11.2): lines end with CRLF
 * only (a bare LF or bare CR is an error), a single SP separates the request-line parts,
 * obs-fold and whitespace before a colon are errors, names are tokens, values carry no
 * CTL except HTAB (obs-text is allowed) and lose their leading and trailing SP/HTAB. Empty
 * lines before a request line are skipped (§2.2) and count towards its limit.
 *
 * Out-fields are valid only on success (they may be overwritten otherwise); on HC_AGAIN or
 * an error only `status` is meaningful (0 on HC_AGAIN) and num_headers keeps its input
 * value (the capacity), so a caller can call again without resetting it. The parsers
 * borrow buf: every non-empty slice points into the head, so it lives as long as buf;
 * absent fields are empty slices. Thread-safe: no state outside the arguments.
 */
#ifndef HEARTH_CORE_HTTP_H
#define HEARTH_CORE_HTTP_H

#include "hc_base.h"
#include "hc_buf.h"

#define HC_HTTP_MAX_HEADERS 100             /* then 431 */
#define HC_HTTP_MAX_REQUEST_LINE (8 * 1024) /* then 414 */
#define HC_HTTP_MAX_HEAD (64 * 1024)        /* request line + all headers, then 431 */

typedef struct hc_http_header_s {
    hc_str_t name;
    hc_str_t value; /* leading and trailing whitespace removed */
} hc_http_header_t;

/* Framing of the body that follows the head, derived from the headers (RFC 9112 §6.3). */
typedef enum hc_http_body_e {
    HC_HTTP_BODY_NONE = 0,   /* no body (request without length, HEAD/204/304 response) */
    HC_HTTP_BODY_LENGTH = 1, /* content_length bytes */
    HC_HTTP_BODY_CHUNKED = 2,
    HC_HTTP_BODY_UNTIL_CLOSE = 3, /* response only: read until the connection closes */
} hc_http_body_t;

typedef struct hc_http_req_s {
    hc_str_t method, target, path, query; /* path/query split target at the first '?' */
    /*
     * The authority of an absolute-form target ("http://host:port/path") or of CONNECT's
     * authority-form target; empty for origin-form. RFC 9112 §3.2.2: when it is set, it
     * names the host and takes precedence over the Host field. For absolute-form, path and
     * query are those of the URL (path may then be empty).
     */
    hc_str_t authority;
    int minor_version;         /* 0 or 1 */
    hc_http_header_t *headers; /* caller's array */
    size_t num_headers;        /* in: capacity (at most HC_HTTP_MAX_HEADERS used); out: count */
    /* Derived from the headers while parsing, so callers need not look them up again. */
    hc_str_t host;       /* Host header, as sent (may include :port) */
    hc_http_body_t body; /* framing of the request body */
    uint64_t content_length;
    bool keep_alive;      /* HTTP/1.1 unless "Connection: close"; 1.0 only with keep-alive */
    bool upgrade;         /* Connection: upgrade with an Upgrade header (WebSocket etc.) */
    bool expect_continue; /* Expect: 100-continue */
    int status;           /* on error: the status to answer with */
} hc_http_req_t;

typedef struct hc_http_resp_s {
    int minor_version;
    int status_code;
    hc_str_t reason;
    hc_http_header_t *headers;
    size_t num_headers; /* in: capacity; out: count */
    hc_http_body_t body;
    uint64_t content_length;
    bool keep_alive;
    bool upgrade; /* 101 Switching Protocols */
    int status;   /* on error: the status a proxy answers with (502) */
} hc_http_resp_t;

/*
 * Parses a request head. Before calling, set req->headers and req->num_headers (capacity).
 * Returns the head's length in bytes, HC_AGAIN, HC_EPROTO or HC_ETOOBIG (see above), with
 * req->status on error:
 *   400  malformed: request line, field syntax, missing Host in HTTP/1.1 or several Host
 *        fields, bad Host value, request-target form not allowed for the method;
 *        request smuggling: both Content-Length and Transfer-Encoding, a Content-Length
 *        that is not 1*DIGIT (or over INT64_MAX) or differs from a repeated one,
 *        Transfer-Encoding whose last coding is not chunked, chunked twice, Transfer-
 *        Encoding in an HTTP/1.0 request.
 *   414  request line (with leading empty lines) over HC_HTTP_MAX_REQUEST_LINE bytes.
 *   431  head over HC_HTTP_MAX_HEAD bytes, more fields than the capacity.
 *   501  Transfer-Encoding with a coding other than chunked before the final chunked.
 *   505  HTTP major version other than 1 (HTTP/1.x with x >= 2 is handled as 1.1).
 * Body framing: Transfer-Encoding: chunked -> HC_HTTP_BODY_CHUNKED; Content-Length ->
 * HC_HTTP_BODY_LENGTH (also for 0); neither -> HC_HTTP_BODY_NONE.
 */
int hc_http_parse_request(const char *buf, size_t len, size_t last_len, hc_http_req_t *req);

/*
 * Parses a response head. `head_request` says the request was HEAD (no body follows).
 * Returns as hc_http_parse_request; resp->status is 502 on any error. The reason phrase
 * may be missing ("HTTP/1.1 200\r\n"). Framing (RFC 9112 §6.3): HEAD, 1xx, 204 and 304
 * have no body; 101 sets `upgrade`; Transfer-Encoding ending in chunked -> CHUNKED, other
 * codings -> UNTIL_CLOSE; Content-Length -> LENGTH; neither -> UNTIL_CLOSE. UNTIL_CLOSE
 * clears keep_alive. Both Content-Length and Transfer-Encoding, differing Content-Length
 * values and Transfer-Encoding in an HTTP/1.0 response are errors. The status line has
 * the request line's limit.
 */
int hc_http_parse_response(const char *buf, size_t len, size_t last_len, bool head_request,
                           hc_http_resp_t *resp);

/* Decoder state for a chunked body; zero it (hc_http_chunked_init) before the first call. */
#define HC_HTTP_MAX_CHUNK_LINE (8 * 1024) /* chunk-size line or trailer line, then HC_EPROTO */
typedef struct hc_http_chunked_s {
    int state;
    uint64_t remaining; /* bytes left in the current chunk's data */
    size_t line_len;    /* bytes of the current size/trailer line seen, bounded */
    size_t trailer_len; /* bytes of trailer section seen, bounded by HC_HTTP_MAX_HEAD */
    bool done;
} hc_http_chunked_t;

void hc_http_chunked_init(hc_http_chunked_t *c);
/*
 * Decodes chunked framing in place: on return buf[0..*ret_data_len) holds the body bytes
 * found in [buf, buf+len), compacted. Returns the bytes of input consumed (all of them
 * unless the body ended: then c->done is set and the rest is the next message), or
 * HC_EPROTO on malformed framing (chunk size over 2^60, bad hex, missing CRLF, trailer
 * line over 8 KiB). Strict: CRLF only, chunk extensions and trailer values without CTLs
 * (HTAB allowed), whitespace after the size only before ';', trailer section at most
 * HC_HTTP_MAX_HEAD bytes. Trailer fields are checked and dropped. Once done, calls consume
 * nothing and return 0. After HC_EPROTO the state is undefined: close the connection.
 */
int64_t hc_http_chunked_decode(hc_http_chunked_t *c, char *buf, size_t len, size_t *ret_data_len);

/*
 * Like hc_http_chunked_decode but does not touch the bytes: it only advances the state so a
 * proxy can forward the chunked stream as is and learn where it ends. Returns the bytes
 * consumed or HC_EPROTO.
 */
int64_t hc_http_chunked_scan(hc_http_chunked_t *c, const char *buf, size_t len);

/* First header named `name` (ASCII case-insensitive), or NULL. */
const hc_http_header_t *hc_http_header_find(const hc_http_header_t *headers, size_t n,
                                            hc_str_t name);
/* The standard reason phrase for a status code ("Not Found"), "Unknown" if none; static. */
const char *hc_http_reason(int status);

#endif
