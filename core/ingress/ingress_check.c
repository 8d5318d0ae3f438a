/* ingress_check.c -- signature and envelope of one request, inline or on the thread pool.
 *
 * A 16 KiB event costs about 20 us of hashing and scanning: done on the loop, that is time
 * every other connection of the loop waits, and with one loop per core the loops then
 * compete with each other. A large body is handed to libuv's thread pool instead, so a loop
 * only reads, answers and routes, and small events keep their latency. The request stays
 * untouched meanwhile: its connection parses nothing until it has been answered. */
#include "ingress/ingress_check.h"

#include "base/err.h"
#include "base/link.h"
#include "base/thread_role.h"
#include "verify/verify.h"

#include <stddef.h>
#include <stdlib.h>
#include <time.h>

enum { HANDOFF_QUEUED = 1, HANDOFF_CHECKED = 2 };

static void check_run(struct hk_check *k)
{
    const struct hk_request *req = k->req;
    struct hk_verify_req vr = {req->headers, req->nheaders, req->body.data, req->body.len,
                               k->now_s};
    k->verify_rc = hk_verifier_check(k->s->verifier, &vr);
    if (k->verify_rc == 0)
        hk_envelope_read(k->s, req->headers, req->nheaders, req->body.data, req->body.len, k->json,
                         &k->env);
}

/* A pool thread's first check makes it a background thread: hashing is throughput work. */
static void pool_thread_setup(void)
{
    static _Thread_local bool done;
    if (!done)
        hk_thread_background("hookd-check");
    done = true;
}

/* libuv hands a check to a pool thread and back to the loop under its own lock. libuv is not
 * instrumented, so ThreadSanitizer does not see that lock: each hand-off also goes through
 * k->handoff (release on one side, acquire on the other), and k is found from w by its
 * address, not by reading w->data, which libuv's side wrote. */
static struct hk_check *check_of(uv_work_t *w)
{
    return HK_CONTAINER_OF(w, struct hk_check, work);
}

static void work_cb(uv_work_t *w)
{
    struct hk_check *k = check_of(w);
    (void)atomic_load_explicit(&k->handoff, memory_order_acquire);
    pool_thread_setup();
    check_run(k);
    atomic_store_explicit(&k->handoff, HANDOFF_CHECKED, memory_order_release);
}

static void after_work_cb(uv_work_t *w, int status)
{
    struct hk_check *k = check_of(w);
    (void)atomic_load_explicit(&k->handoff, memory_order_acquire);
    if (status < 0) /* cancelled (hookd never cancels one): unchecked, so not accepted */
        k->verify_rc = HK_ECANCELED;
    k->done(k);
    hk_gen_release(k->gen);
    free(k);
}

void hk_check_request(struct hk_conn *c, const struct hk_source *s, struct hk_request *req,
                      bool json, hk_check_done_fn done)
{
    struct hk_check inline_check, *k = NULL;
    if (req->body.len >= HK_CHECK_OFFLOAD_BYTES)
        k = malloc(sizeof *k);
    bool offload = k != NULL; /* without memory for it, the check runs inline */
    if (!k)
        k = &inline_check;
    k->done = done;
    k->c = c;
    k->s = s;
    k->req = req;
    k->now_s = (int64_t)time(NULL);
    k->json = json;
    if (offload) {
        k->gen = hk_gen_acquire(c->gen);
        atomic_store_explicit(&k->handoff, HANDOFF_QUEUED, memory_order_release);
        if (uv_queue_work(&c->io->loop, &k->work, work_cb, after_work_cb) == 0)
            return;
        hk_gen_release(k->gen);
    }
    check_run(k);
    done(k);
    if (offload)
        free(k);
}
