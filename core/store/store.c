/* store.c -- the store's interface (store.h): each operation handed to the backend that
 * made the store (the daemon opens one: hk_sqlite_open). */
#include "store/store.h"

#include "base/err.h"

int hk_store_recover(struct hk_store *s, const int64_t *interrupted, size_t n)
{
    return s->ops->recover(s, interrupted, n);
}

int hk_store_start(struct hk_store *s, const struct hk_store_lanes *lanes)
{
    return s->ops->start(s, lanes);
}

int hk_store_submit(struct hk_store *s, struct hk_ingest *op)
{
    return s->ops->submit(s, op);
}

bool hk_store_seen(const struct hk_store *s, const struct hk_recent_key *key, int64_t now_ms)
{
    return s->ops->seen(s, key, now_ms);
}

void hk_store_complete(struct hk_store *s, struct hk_delivery *d)
{
    s->ops->complete(s, d);
}

void hk_store_instance_removed(struct hk_store *s, const char *name, struct hk_task_queue *reply_to)
{
    s->ops->instance_removed(s, name, reply_to);
}

void hk_store_count_pending(struct hk_store *s, struct hk_store_pending_job *job,
                            struct hk_task_queue *reply_to)
{
    s->ops->count_pending(s, job, reply_to);
}

void hk_store_query(struct hk_store *s, struct hk_store_query_job *job,
                    struct hk_task_queue *reply_to)
{
    s->ops->query(s, job, reply_to);
}

void hk_store_get_stats(const struct hk_store *s, struct hk_store_stats *out)
{
    s->ops->get_stats(s, out);
}

bool hk_store_ready(const struct hk_store *s)
{
    return s->ops->ready(s);
}

void hk_store_stop(struct hk_store *s)
{
    s->ops->stop(s);
}

void hk_store_close(struct hk_store *s)
{
    if (s)
        s->ops->close(s);
}

int hk_store_retry_after(int code)
{
    if (code == HK_ENOSPC)
        return HK_STORE_RETRY_FULL_S;
    return code == HK_EFULL ? HK_STORE_RETRY_QUEUE_S : HK_STORE_RETRY_FAILED_S;
}
