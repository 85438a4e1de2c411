/* hc_time.h - clocks: monotonic for intervals and timeouts, wall clock for logs and APIs. */
#ifndef HEARTH_CORE_TIME_H
#define HEARTH_CORE_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic clock in nanoseconds / milliseconds (CLOCK_MONOTONIC). */
uint64_t hc_now_ns(void);
uint64_t hc_now_ms(void);
/* Wall clock: seconds and milliseconds since the epoch. */
int64_t hc_wall_s(void);
int64_t hc_wall_ms(void);
/* Formats wall-clock milliseconds as RFC 3339 UTC "2026-11-24T10:00:00.123Z" into buf (>= 25
 * bytes). */
void hc_time_format_rfc3339(int64_t wall_ms, char *buf, size_t size);

#endif
