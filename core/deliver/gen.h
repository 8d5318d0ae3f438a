/* gen.h -- a generation: one loaded configuration with everything built from it.
 *
 * hookd always serves from the current generation. A reload builds a whole new one beside it
 * (all or nothing) and swaps it in; work already under way keeps a reference to the
 * generation it started on. A generation is reference-counted: when the last reference is
 * released (on any thread) it is handed to the control loop, which finalises its plugin
 * instances and closes their libraries there, as the plugin contract promises. */
#ifndef HK_GEN_H
#define HK_GEN_H

#include "base/task.h"
#include "conf/conf.h"
#include "deliver/router.h"

#include <stdatomic.h>
#include <stdint.h>

struct hk_instance;

struct hk_gen {
    atomic_uint refs;
    uint64_t number;                /* 1 for the configuration loaded at start, +1 per reload */
    struct hk_conf *conf;           /* owned */
    struct hk_instance **instances; /* owned, in configuration order */
    size_t ninstances;
    struct hk_route_target *targets; /* owned; targets[i] is instances[i] */
    struct hk_router *router;        /* owned */
    struct hk_task reap;             /* posted to the control loop when refs drops to 0 */
    struct hk_task_queue *reaper;    /* borrowed: the control loop's queue */
};

/* Builds a generation of conf: every plugin instance (init called) and the routing table,
 * all or nothing. Ownership of conf passes to it, also on error. 0 with one reference held
 * by the caller, or an error with every problem in diags (instances already initialised are
 * finalised again). Control thread. */
int hk_gen_build(struct hk_conf *conf, uint64_t number, struct hk_task_queue *reaper,
                 struct hk_diags *diags, struct hk_gen **out);
/* Takes one more reference; returns g. Any thread. */
struct hk_gen *hk_gen_acquire(struct hk_gen *g);
/* Drops a reference. The last one schedules destruction on the control loop (or destroys
 * at once when the generation has no reaper). Any thread. */
void hk_gen_release(struct hk_gen *g);
/* How many generations exist (built and not yet finalised); any thread. */
unsigned hk_gen_live(void);
/* Names of the instances an event goes to: fills names (room for HK_ROUTE_MAX), returns
 * how many. Any thread. */
size_t hk_gen_route(const struct hk_gen *g, const char *type, const char *source,
                    const char **names);

#endif
