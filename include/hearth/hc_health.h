/*
 * hc_health.h - an app's health check as the CC, the DEA and the CLI all read it: its type
 * ("port": the port accepts a connection; "process": the process runs; "http": a GET of a
 * path answers 2xx; Cloud Foundry's older "none" means "process") and the path an http check
 * GETs. Pure.
 */
#ifndef HEARTH_CORE_HEALTH_H
#define HEARTH_CORE_HEALTH_H

#include <stdbool.h>
#include <stddef.h>

#define HC_HEALTH_MAX_PATH 255

/* The type's canonical name ("none" gives "process"), or NULL when s (NULL too) names none. */
const char *hc_health_type(const char *s);
/* True for a path an http check may GET: '/' first, 1..HC_HEALTH_MAX_PATH printable ASCII
 * bytes, no space (so nothing can be injected into the request head). */
bool hc_health_path_ok(const char *s, size_t len);

#endif
