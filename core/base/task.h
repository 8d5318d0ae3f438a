/* task.h -- handing work to another thread's event loop without allocating.
 *
 * A task is embedded in the object it concerns; any thread may post it to a task queue, and
 * the queue's owner runs it on its own loop thread. Used for store answers, generation swaps
 * and shutdown. */
#ifndef HK_TASK_H
#define HK_TASK_H

#include <pthread.h>
#include <uv.h>

struct hk_task {
    struct hk_task *next;
    /* Runs on the owning loop's thread; may free the object the task is embedded in. */
    void (*run)(struct hk_task *t);
};

struct hk_task_queue {
    pthread_mutex_t mu;
    struct hk_task *head, *tail;
    uv_async_t async; /* wakes the owning loop; async.data is the queue */
};

/* Initialises q on loop (call on the loop's thread). 0 or a negative libuv/errno code. */
int hk_task_queue_init(struct hk_task_queue *q, uv_loop_t *loop);
/* Any thread. The task runs once, in posting order, on the owning loop. */
void hk_task_post(struct hk_task_queue *q, struct hk_task *t);
/* Posts a NULL-terminated list of tasks (linked through next) at once: one lock, one
 * wake-up. Any thread. */
void hk_task_post_list(struct hk_task_queue *q, struct hk_task *head);
/* Closes the async handle (loop thread); tasks still queued run before it closes. */
void hk_task_queue_close(struct hk_task_queue *q);

#endif
