/* reader.c -- operator queries that only read (dlq list and show, counts, dry runs) run
 * on a read-only connection of their own, on a thread of their own, so however long one
 * scans, the writer keeps committing: in WAL mode a reader reads a snapshot and holds no
 * writer up. (Run as writer jobs, a list of unrouted events in a big store, which has no
 * index to follow, stalled every commit until it was done.) A store in memory has no file a
 * second connection could open: its reads stay writer jobs. */
#include "store/sqlite/internal.h"

#include "base/err.h"
#include "base/link.h"
#include "base/log.h"

#include <stdlib.h>

struct hk_reader {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct hk_sqlite_job *head, *tail;
    bool stop;
    sqlite3 *db;
};

static struct hk_sqlite_job *next_job(struct hk_reader *r)
{
    pthread_mutex_lock(&r->mu);
    while (!r->head && !r->stop)
        pthread_cond_wait(&r->cond, &r->mu);
    struct hk_sqlite_job *j = r->head; /* what was queued before a stop still runs */
    if (j && !(r->head = j->next))
        r->tail = NULL;
    pthread_mutex_unlock(&r->mu);
    return j;
}

static void *reader_cb(void *arg)
{
    struct hk_sqlite *s = arg;
    struct hk_reader *r = s->reader;
    struct hk_sqlite_job *j;
    pthread_setname_np(pthread_self(), "hookd-reader");
    while ((j = next_job(r))) {
        j->fn(j, r->db, s);
        hk_task_post(j->reply_to, &j->task);
    }
    return NULL;
}

int hk_sqlite_reader_start(struct hk_sqlite *s)
{
    if (s->conf.durability == HK_DURABLE_OFF)
        return 0;
    struct hk_reader *r = calloc(1, sizeof *r);
    if (!r)
        return HK_ENOMEM;
    int rc =
        sqlite3_open_v2(s->conf.path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        hk_log(HK_LOG_ERROR,
               "cannot open the store a second time, for the operator's queries: check that "
               "hookd may read the database and its -wal and -shm files",
               HK_S("path", s->conf.path), HK_S("error", sqlite3_errstr(rc)));
        sqlite3_close(r->db);
        free(r);
        return HK_ESTORE;
    }
    sqlite3_busy_timeout(r->db, 5000);
    pthread_mutex_init(&r->mu, NULL);
    if ((rc = pthread_cond_init(&r->cond, NULL)) != 0) {
        sqlite3_close(r->db);
        pthread_mutex_destroy(&r->mu);
        free(r);
        return -rc;
    }
    s->reader = r;
    if ((rc = pthread_create(&r->thread, NULL, reader_cb, s)) != 0) {
        s->reader = NULL;
        sqlite3_close(r->db);
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cond);
        free(r);
        return -rc;
    }
    return 0;
}

void hk_sqlite_run_read_job(struct hk_sqlite *s, struct hk_sqlite_job *job)
{
    struct hk_reader *r = s->reader;
    if (!r) {
        hk_sqlite_run_job(s, job);
        return;
    }
    pthread_mutex_lock(&r->mu);
    HK_FIFO_APPEND(r->head, r->tail, job);
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->mu);
}

void hk_sqlite_reader_stop(struct hk_sqlite *s)
{
    struct hk_reader *r = s->reader;
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    sqlite3_close(r->db);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cond);
    free(r);
    s->reader = NULL;
}
