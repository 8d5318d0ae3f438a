/* task.c -- a mutex-protected FIFO of intrusive tasks drained by a uv_async. */
#include "base/task.h"

#include "base/link.h"

static void drain_cb(uv_async_t *a)
{
    struct hk_task_queue *q = a->data;
    pthread_mutex_lock(&q->mu);
    struct hk_task *t = q->head;
    q->head = q->tail = NULL;
    pthread_mutex_unlock(&q->mu);
    while (t) {
        struct hk_task *next = t->next; /* run() may free t */
        t->run(t);
        t = next;
    }
}

int hk_task_queue_init(struct hk_task_queue *q, uv_loop_t *loop)
{
    int rc = pthread_mutex_init(&q->mu, NULL);
    if (rc)
        return -rc;
    q->head = q->tail = NULL;
    q->async.data = q;
    rc = uv_async_init(loop, &q->async, drain_cb);
    if (rc)
        pthread_mutex_destroy(&q->mu);
    return rc;
}

void hk_task_post(struct hk_task_queue *q, struct hk_task *t)
{
    pthread_mutex_lock(&q->mu);
    HK_FIFO_APPEND(q->head, q->tail, t);
    pthread_mutex_unlock(&q->mu);
    uv_async_send(&q->async);
}

void hk_task_post_list(struct hk_task_queue *q, struct hk_task *head)
{
    if (!head)
        return;
    struct hk_task *last = head;
    while (last->next)
        last = last->next;
    pthread_mutex_lock(&q->mu);
    if (q->tail)
        q->tail->next = head;
    else
        q->head = head;
    q->tail = last;
    pthread_mutex_unlock(&q->mu);
    uv_async_send(&q->async);
}

static void closed_cb(uv_handle_t *h)
{
    struct hk_task_queue *q = h->data;
    pthread_mutex_destroy(&q->mu);
}

void hk_task_queue_close(struct hk_task_queue *q)
{
    drain_cb(&q->async);
    uv_close((uv_handle_t *)&q->async, closed_cb);
}
