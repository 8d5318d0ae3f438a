/* gen.c -- building generations, reference counting, destruction on the control loop. */
#include "deliver/gen.h"

#include "base/err.h"
#include "base/link.h"
#include "plugin/instance.h"

#include <stdlib.h>

static atomic_uint live;

unsigned hk_gen_live(void)
{
    return atomic_load(&live);
}

static void destroy(struct hk_gen *g)
{
    atomic_fetch_sub(&live, 1);
    hk_router_free(g->router);
    free(g->targets);
    hk_instances_destroy(g->instances, g->ninstances);
    hk_conf_free(g->conf);
    free(g);
}

static void reap_cb(struct hk_task *t)
{
    destroy(HK_CONTAINER_OF(t, struct hk_gen, reap));
}

static int build_router(struct hk_gen *g)
{
    g->targets = calloc(g->ninstances ? g->ninstances : 1, sizeof *g->targets);
    if (!g->targets)
        return HK_ENOMEM;
    for (size_t i = 0; i < g->ninstances; i++) {
        const struct hk_instance *inst = g->instances[i];
        g->targets[i] = (struct hk_route_target){
            .name = inst->conf->name,
            .patterns = inst->patterns,
            .sources = inst->conf->sources,
        };
    }
    return hk_router_build(g->targets, g->ninstances, &g->router);
}

int hk_gen_build(struct hk_conf *conf, uint64_t number, struct hk_task_queue *reaper,
                 struct hk_diags *diags, struct hk_gen **out)
{
    struct hk_gen *g = calloc(1, sizeof *g);
    if (!g) {
        hk_conf_free(conf);
        return HK_ENOMEM;
    }
    atomic_init(&g->refs, 1);
    atomic_fetch_add(&live, 1);
    g->number = number;
    g->conf = conf;
    g->reaper = reaper;
    g->reap.run = reap_cb;
    int rc = hk_instances_create(conf, &g->instances, diags);
    if (rc == 0) {
        g->ninstances = conf->ninstances;
        rc = build_router(g);
    }
    if (rc) {
        destroy(g);
        return rc;
    }
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
        destroy(g);
}

size_t hk_gen_route(const struct hk_gen *g, const char *type, const char *source,
                    const char **names)
{
    uint16_t idx[HK_ROUTE_MAX];
    size_t n = hk_router_match(g->router, type, source, idx);
    for (size_t i = 0; i < n; i++)
        names[i] = g->targets[idx[i]].name;
    return n;
}
