/*
 * store.h - broker.db (SQLite, WAL): instances and bindings survive a restart. Used by one
 * thread at a time: at start before the loop runs, then only from jobs (jobs.c).
 */
#ifndef HEARTH_BROKER_STORE_H
#define HEARTH_BROKER_STORE_H

#include "broker.h"

int brk_store_open(const char *path, sqlite3 **ret_db, hc_err_t *err);
/* Loads every instance and binding into b's tables, their secrets opened with b->seal_key. */
int brk_store_load(brk_t *b, hc_err_t *err);
/* Saves the instance (its secret sealed with b->seal_key) in b->db. */
int brk_store_put_inst(const brk_t *b, const brk_inst_t *inst, hc_err_t *err);
/* Deletes the instance and its bindings. */
int brk_store_del_inst(sqlite3 *db, const char *id, hc_err_t *err);
/* Saves the binding (its password and credentials sealed with b->seal_key) in b->db. */
int brk_store_put_binding(const brk_t *b, const brk_binding_t *bd, hc_err_t *err);
int brk_store_del_binding(sqlite3 *db, const char *id, hc_err_t *err);

#endif
