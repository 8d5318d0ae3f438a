/* store.h -- the durable store, as the rest of hookd sees it: one interface, a table of
 * operations (struct hk_store_ops) that each backend implements. SQLite (store/sqlite/) is
 * the embedded one; a backend shared by several nodes implements the same table. A
 * backend's own open function makes a store (hk_sqlite_open); the daemon picks it.
 *
 * What every backend promises: an event is answered only once it is durable (or refused
 * with a code that says why); it is deduplicated on (source, id); each subscribed instance
 * gets one delivery, pushed to its lane through the table the delivery side gives
 * (lanes.h) when the lane has room, kept otherwise; an outcome handed back is recorded
 * (done, retry at a time computed from the delivery's retry policy, dead with a reason);
 * due retries and waiting deliveries are pushed again; after a crash every delivery not
 * finished is resumed (at least once: plugins see attempt). Functions return 0 or a
 * negative code from base/err.h. */
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

struct hk_store; /* see below: the handle every backend's store begins with */

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
    /* A duplicate found in the store: when the original was received (0: unknown), so that
     * it goes back into the table of recent events without moving its dedup window. */
    int64_t original_received_ms;
    size_t ntargets;
    const char *targets[]; /* instance names, borrowed from gen */
};

/* Before start (control thread): deliveries a previous process had taken into lanes are
 * waiting again; each of interrupted (n row ids, from deliver/inflight.h) was inside a
 * plugin's handle() when that process ended, and counts one interrupted attempt (the lane
 * dead-letters a delivery after its instance's crash_limit of them). 0 or an error. */
int hk_store_recover(struct hk_store *s, const int64_t *interrupted, size_t n);
/* Starts the store's threads, which push deliveries to lanes (copied; lanes->self must
 * outlive the store's stop). 0 or an error. Control thread. */
int hk_store_start(struct hk_store *s, const struct hk_store_lanes *lanes);
/* Queues op (I/O thread). 0: op->task will run on reply_to; otherwise HK_EFULL (queue full)
 * or HK_ESTORE (store failed), and the task will not run: answer 503 at once. */
int hk_store_submit(struct hk_store *s, struct hk_ingest *op);
/* True if the event of key was committed lately (within the dedup window): it is a
 * duplicate, and durable. False proves nothing. Any thread. */
bool hk_store_seen(const struct hk_store *s, const struct hk_recent_key *key, int64_t now_ms);
/* Hands a delivery's outcome (d->result, d->retry, d->error) back; ownership of d passes.
 * Any thread. */
void hk_store_complete(struct hk_store *s, struct hk_delivery *d);
/* Dead-letters, with the reason, every delivery of instance name still waiting in the store
 * (retries and backlog), after the instance left the configuration. reply_to is a loop queue
 * the store may use to free its own work. Control thread. */
void hk_store_instance_removed(struct hk_store *s, const char *name,
                               struct hk_task_queue *reply_to);
/* A question about one instance's deliveries that are not finished (ready, running or
 * waiting for a retry) in the store: the answer is in count when task runs on reply_to. */
struct hk_store_pending_job {
    struct hk_task task; /* set run before asking */
    int64_t count;       /* the answer; -1 if the store could not tell */
    void *arg;           /* the asker's */
    char name[];         /* the instance */
};
/* Asks how many deliveries of job->name are not finished; job->task runs on reply_to with
 * the answer (ownership of job passes back then). Any thread. */
void hk_store_count_pending(struct hk_store *s, struct hk_store_pending_job *job,
                            struct hk_task_queue *reply_to);
/* Runs an operator's query (query.h); job->task then runs on reply_to. Any thread. */
void hk_store_query(struct hk_store *s, struct hk_store_query_job *job,
                    struct hk_task_queue *reply_to);
/* False while the last commit failed, or for good after an fsync failure. Any thread. */
bool hk_store_ready(const struct hk_store *s);
/* Lets the store commit what is queued, then stops its threads (control thread). */
void hk_store_stop(struct hk_store *s);
/* Stops it if needed and frees it. NULL is ignored. */
void hk_store_close(struct hk_store *s);
/* Seconds a sender should wait after a 503 for code (a submit or ingest result). */
int hk_store_retry_after(int code);

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

/* What a backend implements; each function is the one of the same name above. */
struct hk_store_ops {
    const char *name;
    int (*recover)(struct hk_store *s, const int64_t *interrupted, size_t n);
    int (*start)(struct hk_store *s, const struct hk_store_lanes *lanes);
    int (*submit)(struct hk_store *s, struct hk_ingest *op);
    bool (*seen)(const struct hk_store *s, const struct hk_recent_key *key, int64_t now_ms);
    void (*complete)(struct hk_store *s, struct hk_delivery *d);
    void (*instance_removed)(struct hk_store *s, const char *name, struct hk_task_queue *reply_to);
    void (*count_pending)(struct hk_store *s, struct hk_store_pending_job *job,
                          struct hk_task_queue *reply_to);
    void (*query)(struct hk_store *s, struct hk_store_query_job *job,
                  struct hk_task_queue *reply_to);
    void (*get_stats)(const struct hk_store *s, struct hk_store_stats *out);
    bool (*ready)(const struct hk_store *s);
    void (*stop)(struct hk_store *s);
    void (*close)(struct hk_store *s);
};

/* The handle every backend's store begins with. */
struct hk_store {
    const struct hk_store_ops *ops;
};

#endif
