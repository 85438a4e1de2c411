/* creds.h - credentials documents in the cf-v1.md §7.4 shapes, shared by the services. */
#ifndef HEARTH_BROKER_CREDS_H
#define HEARTH_BROKER_CREDS_H

#include <jansson.h>

/*
 * {"uri": "<scheme>://user:password@host:port/name", "hostname", "host", "port", "name",
 *  "username", "user", "password"}: the keys every service shares. Names and passwords are
 * generated hex, so nothing in the URI needs escaping. Returns a new reference.
 */
json_t *brk_creds_new(const char *scheme, const char *host, int port, const char *name,
                      const char *user, const char *password);

/* Resource names: prefix + key ("d" + 16 hex). out must hold 1 + BRK_KEY_LEN + 1 bytes. */
void brk_name(char *out, char prefix, const char *key);

/* True when s is 1..64 lowercase hex digits after an optional lowercase letter prefix. */
bool brk_safe_name(const char *s);

#endif
