/* store_sync.c -- with "durability": "fsync", the syncer thread makes committed batches
 * durable before anyone is answered.
 *
 * SQLite commits in WAL mode with synchronous=NORMAL: a commit writes its frames to the WAL
 * without fsync (checkpoints still sync). The writer then hands the batch over here and is
 * free to write the next one; the syncer fdatasync()s the WAL once for every batch waiting
 * -- so one fsync covers several commits -- and only then hands out deliveries, answers the
 * requests and remembers the events as committed. Nothing is acknowledged before the fsync
 * that covers it has returned. If an fsync fails, the store stops acknowledging for good,
 * like PostgreSQL: the batches are refused (503), nothing is retried. */
#include "store_internal.h"

#include "err.h"
#include "log.h"

#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct hk_syncer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct batch *head, *tail; /* committed, not yet synced */
    bool stop;
    int wal_fd;
    char wal_path[4100];
};

/* The WAL exists once the store is open in WAL mode; its directory entry is made durable
 * once, since SQLite does not sync the directory with synchronous=NORMAL. */
static int open_wal(struct hk_syncer *y, const char *db_path)
{
    char dir[4096];
    snprintf(y->wal_path, sizeof y->wal_path, "%s-wal", db_path);
    snprintf(dir, sizeof dir, "%s", db_path);
    y->wal_fd = open(y->wal_path, O_RDWR | O_CLOEXEC);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = y->wal_fd < 0 || dfd < 0 || fsync(dfd) != 0 ? -errno : 0;
    if (dfd >= 0)
        close(dfd);
    return rc;
}

static struct batch *take_all(struct hk_syncer *y)
{
    pthread_mutex_lock(&y->mu);
    while (!y->head && !y->stop)
        pthread_cond_wait(&y->cond, &y->mu);
    struct batch *list = y->head;
    y->head = y->tail = NULL;
    pthread_mutex_unlock(&y->mu);
    return list;
}

static void *syncer(void *arg)
{
    struct hk_store *s = arg;
    struct hk_syncer *y = s->syncer;
    struct batch *list;
    pthread_setname_np(pthread_self(), "hookd-sync");
    while ((list = take_all(y))) {
        bool ok = !atomic_load(&s->failed) && fdatasync(y->wal_fd) == 0;
        if (!ok && !atomic_exchange(&s->failed, true))
            hk_log(HK_LOG_ERROR,
                   "fsync of the store's WAL failed: hookd no longer acknowledges "
                   "events; check the disk and restart hookd",
                   HK_S("path", y->wal_path), HK_S("error", strerror(errno)));
        while (list) {
            struct batch *next = list->next;
            if (ok)
                hk_store_finish_batch(s, list);
            else
                hk_store_refuse_batch(s, list, HK_ESTORE);
            free(list);
            list = next;
        }
    }
    return NULL;
}

int hk_syncer_start(struct hk_store *s)
{
    struct hk_syncer *y = calloc(1, sizeof *y);
    if (!y)
        return HK_ENOMEM;
    int rc = open_wal(y, s->conf.path);
    if (rc) {
        hk_log(HK_LOG_ERROR, "cannot open the store's WAL for syncing", HK_S("path", y->wal_path),
               HK_S("error", hk_strerror(rc)));
        if (y->wal_fd >= 0)
            close(y->wal_fd);
        free(y);
        return rc;
    }
    pthread_mutex_init(&y->mu, NULL);
    pthread_cond_init(&y->cond, NULL);
    s->syncer = y;
    if ((rc = pthread_create(&y->thread, NULL, syncer, s)) != 0) {
        s->syncer = NULL;
        close(y->wal_fd);
        free(y);
        return -rc;
    }
    return 0;
}

void hk_syncer_hand_over(struct hk_store *s, struct batch *b)
{
    struct hk_syncer *y = s->syncer;
    b->next = NULL;
    pthread_mutex_lock(&y->mu);
    if (y->tail)
        y->tail->next = b;
    else
        y->head = b;
    y->tail = b;
    pthread_cond_signal(&y->cond);
    pthread_mutex_unlock(&y->mu);
}

void hk_syncer_stop(struct hk_store *s)
{
    struct hk_syncer *y = s->syncer;
    if (!y)
        return;
    pthread_mutex_lock(&y->mu);
    y->stop = true;
    pthread_cond_signal(&y->cond);
    pthread_mutex_unlock(&y->mu);
    pthread_join(y->thread, NULL);
    close(y->wal_fd);
    pthread_mutex_destroy(&y->mu);
    pthread_cond_destroy(&y->cond);
    free(y);
    s->syncer = NULL;
}
