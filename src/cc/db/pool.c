/*
 * Connections for the thread pool. A worker takes one for the length of one job and gives it
 * back; a mutex and a condition variable hand them out, so a connection is only ever used by
 * one thread at a time (SQLite opens connections with SQLITE_OPEN_NOMUTEX, libpq's PGconn is
 * not thread-safe either). Connections open lazily on the worker that first needs them, so
 * the loop never waits for a connect.
 */
#include <pthread.h>
#include <string.h>

#include "db/db.h"

typedef struct slot_s {
    cc_db_t *db;
    bool busy;
} slot_t;

struct cc_db_pool_s {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *url;
    size_t n;
    slot_t slots[CC_DB_POOL_MAX];
};

cc_db_pool_t *cc_db_pool_new(const char *url, size_t n)
{
    cc_db_pool_t *p = hc_calloc(1, sizeof(*p));
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->url = hc_strdup(url);
    p->n = n == 0 ? 1 : n > CC_DB_POOL_MAX ? CC_DB_POOL_MAX : n;
    return p;
}

void cc_db_pool_free(cc_db_pool_t *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        hc_assert(!p->slots[i].busy);
        cc_db_free(p->slots[i].db);
    }
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->url);
    free(p);
}

cc_db_t *cc_db_pool_acquire(cc_db_pool_t *p, hc_err_t *err)
{
    slot_t *s = NULL;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        /* Prefer a slot that is already connected. */
        for (size_t i = 0; i < p->n && !s; i++)
            if (!p->slots[i].busy && p->slots[i].db)
                s = &p->slots[i];
        for (size_t i = 0; i < p->n && !s; i++)
            if (!p->slots[i].busy)
                s = &p->slots[i];
        if (s)
            break;
        pthread_cond_wait(&p->cv, &p->mu);
    }
    s->busy = true;
    cc_db_t *db = s->db;
    pthread_mutex_unlock(&p->mu);
    if (db)
        return db;
    /* Connect outside the lock: other workers keep using the connected slots meanwhile. */
    int r = cc_db_connect(p->url, &db, err);
    pthread_mutex_lock(&p->mu);
    if (r < 0) {
        s->busy = false;
        pthread_cond_signal(&p->cv);
        db = NULL;
    } else {
        s->db = db;
    }
    pthread_mutex_unlock(&p->mu);
    return db;
}

void cc_db_pool_release(cc_db_pool_t *p, cc_db_t *db)
{
    if (!db)
        return;
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->n; i++)
        if (p->slots[i].db == db) {
            hc_assert(p->slots[i].busy);
            p->slots[i].busy = false;
            break;
        }
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}
