/*
 * hc_base.h - the few definitions every hearth file uses: allocation that stops on
 * out-of-memory, the error object carried to humans, flow-control return codes,
 * assertions for our own bugs, and small helper macros.
 */
#ifndef HEARTH_CORE_BASE_H
#define HEARTH_CORE_BASE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define HEARTH_VERSION "0.1.0"

#define HC_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define HC_UNUSED __attribute__((unused))
#define HC_LIKELY(x) __builtin_expect(!!(x), 1)
#define HC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define HC_MIN(a, b) ((a) < (b) ? (a) : (b))
#define HC_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Recovers the struct that embeds `ptr` as its member `member`. */
#define HC_CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/*
 * Flow-control results, never errors: a parser that needs more bytes returns HC_AGAIN,
 * a malformed input is HC_EPROTO, an input over a limit is HC_ETOOBIG.
 */
#define HC_AGAIN (-EAGAIN)
#define HC_EPROTO (-EPROTO)
#define HC_ETOOBIG (-EMSGSIZE)

/*
 * Allocation. hc_malloc/hc_calloc/hc_realloc/hc_strdup/hc_strndup/hc_memdup never return
 * NULL: on failure they print "out of memory" and abort. hc_calloc and hc_reallocarray
 * check the multiplication for overflow. Sizes >= SIZE_MAX / 2 are refused the same way.
 */
void *hc_malloc(size_t size);
void *hc_calloc(size_t n, size_t size);
void *hc_realloc(void *p, size_t size);
void *hc_reallocarray(void *p, size_t n, size_t size);
char *hc_strdup(const char *s);
char *hc_strndup(const char *s, size_t n);
void *hc_memdup(const void *p, size_t n);
/* printf into a new malloc'd string the caller frees. */
char *hc_asprintf(const char *fmt, ...) HC_PRINTF(1, 2);

/* Cleanup attributes for short-lived locals; never let one cross a loop callback. */
static inline void hc__freep(void *p)
{
    free(*(void **)p);
}
static inline void hc__closep(int *fd)
{
    if (*fd >= 0)
        close(*fd);
}
#define hc_autofree __attribute__((cleanup(hc__freep)))
#define hc_autoclose __attribute__((cleanup(hc__closep)))
/* Yields the pointer and sets the variable to NULL, handing ownership out. */
#define HC_TAKE_PTR(p)                                                                             \
    ({                                                                                             \
        __typeof__(p) hc__tmp = (p);                                                               \
        (p) = NULL;                                                                                \
        hc__tmp;                                                                                   \
    })

/* Our own bugs only; never for peer input (STYLE R12). Active in every build. */
void hc__assert_fail(const char *expr, const char *file, int line) __attribute__((noreturn));
#define hc_assert(cond)                                                                            \
    do {                                                                                           \
        if (HC_UNLIKELY(!(cond)))                                                                  \
            hc__assert_fail(#cond, __FILE__, __LINE__);                                            \
    } while (0)

/*
 * An error a human will read: a negative errno-style code and a message built as
 * "outer: inner: strerror". A fixed buffer, so setting it never allocates.
 */
typedef struct hc_err_s {
    int code;
    char msg[512];
} hc_err_t;

/* Clears the error (code 0, empty message). */
void hc_err_clear(hc_err_t *err);
/*
 * Sets code and message; when code is an errno (negative) its strerror is appended as
 * ": <strerror>" unless code is -EINVAL or -EPROTO. Returns code. err may be NULL.
 */
int hc_err_set(hc_err_t *err, int code, const char *fmt, ...) HC_PRINTF(3, 4);
/* Prefixes the message with "<fmt>: ". Returns err->code. err may be NULL (returns -EIO). */
int hc_err_wrap(hc_err_t *err, const char *fmt, ...) HC_PRINTF(2, 3);

/*
 * Parses an unsigned decimal integer that must span exactly [s, s+len) and be <= max.
 * Returns 0 and writes *ret_value, or -EINVAL / -ERANGE.
 */
int hc_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *ret_value);

#endif
