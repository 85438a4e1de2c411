/*
 * multipart.h - a pure, allocation-free multipart/form-data parser (RFC 7578, RFC 2046 §5.1)
 * for the application upload. The whole body is in memory (the HTTP server bounds it);
 * every slice points into it.
 */
#ifndef HEARTH_CC_MULTIPART_H
#define HEARTH_CC_MULTIPART_H

#include "hc_buf.h"

#define CC_MP_MAX_BOUNDARY 70 /* RFC 2046 */
#define CC_MP_MAX_PART_HEAD 8192
#define CC_MP_MAX_PARTS 16

typedef struct cc_mp_part_s {
    hc_str_t name;         /* Content-Disposition name= (quotes removed, escapes kept) */
    hc_str_t filename;     /* filename=, or empty */
    hc_str_t content_type; /* Content-Type of the part, or empty */
    hc_str_t data;
} cc_mp_part_t;

/*
 * Extracts the boundary parameter of a "multipart/form-data; boundary=..." Content-Type
 * (quoted or not). Returns 0, or HC_EPROTO when the type is not multipart/form-data or the
 * boundary is missing, empty or longer than CC_MP_MAX_BOUNDARY.
 */
int cc_mp_boundary(hc_str_t content_type, hc_str_t *ret_boundary);

/*
 * Splits body[0..len) into parts. *num_parts is the capacity of parts on input and the
 * count on output. Returns 0, HC_EPROTO for a malformed body (no opening or closing
 * delimiter, a part head without its blank line or over CC_MP_MAX_PART_HEAD, a part without
 * Content-Disposition form-data), or HC_ETOOBIG when there are more parts than the capacity.
 */
int cc_mp_parse(const char *body, size_t len, hc_str_t boundary, cc_mp_part_t *parts,
                size_t *num_parts);

/* The first part named name, or NULL. */
const cc_mp_part_t *cc_mp_find(const cc_mp_part_t *parts, size_t n, const char *name);

#endif
