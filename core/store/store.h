/* store.h -- the durable store: SQLite in WAL mode, written by one thread in batches.
 *
 * Nothing is acknowledged before it is durable: an I/O thread submits an accepted request,
 * the writer thread inserts it (deduplicating on source and id) together with one delivery
 * per subscribed instance and commits the whole batch; with durability "fsync" the commit
 * fdatasync()s the WAL once for the whole batch (group commit), and only then are the
 * requests answered and the deliveries handed to their lanes. Outcomes of deliveries come
 * back to the writer and are committed in batches too. Retries wait in the store until due;
 * deliveries that do not fit in a lane's queue wait there too ("ready"), so a slow plugin
 * never makes hookd refuse events. After a crash, every delivery not finished is resumed (at
 * least once; plugins see attempt).
 *
 * Tables (readable with the sqlite3 shell; see README):
 *   events(id, source, event_id, type, status routed|unrouted|invalid, invalid_reason,
 *          created_ms, received_ms, headers, body)
 *   deliveries(id, event, instance, state ready|running|retry|done|dead, attempts, next_ms,
 *              updated_ms, last_error)
 *   counts(tbl, state, n): rows of events and deliveries in each state, kept by triggers */
#ifndef HK_STORE_H
#define HK_STORE_H

#include "base/task.h"
#include "conf/conf.h"
#include "event/event.h"
#include "store/delivery.h"
#include "store/lanes.h"
#include "store/query.h"
#include "store/recent.h"

#include <stdbool.h>
#include <stdint.h>

struct hk_store;

/* Why a submission was not stored; the I/O thread answers 503 with Retry-After. */
#define HK_STORE_RETRY_QUEUE_S  1  /* the writer is behind */
#define HK_STORE_RETRY_FULL_S   30 /* the disk is full */
#define HK_STORE_RETRY_FAILED_S 60 /* the store failed (fsync error): needs an operator */

/* One accepted request on its way into the store. Allocated by the I/O thread with room for
 * its targets; the writer fills result and posts task back to reply_to. */
struct hk_ingest {
    struct hk_task task;    /* runs on the submitting loop once result is known */
    struct hk_ingest *next; /* writer queue */
    struct hk_task_queue *reply_to;
    struct hk_event_rec *ev;  /* one reference; the submitter releases it in task */
    struct hk_gen *gen;       /* one reference: keeps the target names valid */
    void *user;               /* the submitter's (the connection) */
    struct hk_recent_key key; /* of (source, id): remembered once committed */
    int result; /* 0 stored; HK_EEXIST duplicate; HK_ENOSPC disk full; HK_ESTORE failed */
    size_t ntargets;
    const char *targets[]; /* instance names, borrowed from gen */
};

/* Opens (creating if needed) the database of c, checks the schema, and marks deliveries
 * left "running" by a crash as ready again. 0, or a negative code with a message in err. */
int hk_store_open(const struct hk_store_conf *c, struct hk_store **out, char *err, size_t cap);
/* Starts the writer thread, which pushes deliveries to lanes (copied; lanes->self must
 * outlive the store's stop). 0 or an error. */
int hk_store_start(struct hk_store *s, const struct hk_store_lanes *lanes);
/* Queues op (I/O thread). 0: op->task will run on reply_to; otherwise HK_EFULL (queue full)
 * or HK_ESTORE (store failed), and the task will not run: answer 503 at once. */
int hk_store_submit(struct hk_store *s, struct hk_ingest *op);
/* True if the event of key was committed lately (within the dedup window): it is a
 * duplicate, and durable. False proves nothing. Any thread. */
bool hk_store_seen(const struct hk_store *s, const struct hk_recent_key *key, int64_t now_ms);
/* Hands a delivery's outcome (d->result, d->error) to the writer; ownership of d passes.
 * Any thread. */
void hk_store_complete(struct hk_store *s, struct hk_delivery *d);
/* Lets the writer commit what is queued, then stops it (control thread). */
void hk_store_stop(struct hk_store *s);
void hk_store_close(struct hk_store *s);
/* False while the last commit failed, or for good after an fsync failure. Any thread. */
bool hk_store_ready(const struct hk_store *s);
/* Seconds a sender should wait after a 503 for code (a submit or ingest result). */
int hk_store_retry_after(int code);

/* Runs an operator's query (query.h); job->task then runs on reply_to. Any thread. */
void hk_store_query(struct hk_store *s, struct hk_store_query_job *job,
                    struct hk_task_queue *reply_to);
/* Dead-letters, with the reason, every delivery of instance name still waiting in the store
 * (retries and backlog), after the instance left the configuration. reply_to is a loop queue
 * that frees the job. Control thread. */
void hk_store_instance_removed(struct hk_store *s, const char *name,
                               struct hk_task_queue *reply_to);

/* Statistics for /metrics; any thread. */
#define HK_STORE_HIST_BUCKETS 8
struct hk_store_stats {
    uint64_t batches, ingested, duplicates, rejected, completions, commit_us_total, commit_us_max,
        batch_max_seen;
    uint64_t queue_depth;
    uint64_t batch_hist[HK_STORE_HIST_BUCKETS];  /* batch sizes: 1, 2-3, 4-7, ... 128+ */
    uint64_t commit_hist[HK_STORE_HIST_BUCKETS]; /* commit latency: <0.1, <0.25, <0.5, <1,
                                                  * <2.5, <5, <10, >=10 ms */
};
void hk_store_get_stats(const struct hk_store *s, struct hk_store_stats *out);

#endif
