/* gen.c -- generations: reference counting and destruction on the control loop. */
#include "gen.h"

#include "err.h"

#include <stdlib.h>

static void destroy(struct hk_task *t)
{
    struct hk_gen *g = (struct hk_gen *)((char *)t - offsetof(struct hk_gen, reap));
    hk_conf_free(g->conf);
    free(g);
}

int hk_gen_create(struct hk_conf *conf, uint64_t number, struct hk_task_queue *reaper,
                  struct hk_gen **out)
{
    struct hk_gen *g = calloc(1, sizeof *g);
    if (!g) {
        hk_conf_free(conf);
        return HK_ENOMEM;
    }
    atomic_init(&g->refs, 1);
    g->number = number;
    g->conf = conf;
    g->reaper = reaper;
    g->reap.run = destroy;
    *out = g;
    return 0;
}

struct hk_gen *hk_gen_acquire(struct hk_gen *g)
{
    atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
    return g;
}

void hk_gen_release(struct hk_gen *g)
{
    if (atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (g->reaper)
        hk_task_post(g->reaper, &g->reap);
    else
        destroy(&g->reap);
}
