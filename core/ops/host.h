/* host.h -- what the operator's side (admin API, /metrics) needs of the running daemon. The
 * daemon fills one and hands it to the admin listener as its context; ops never looks at
 * the daemon itself. Every pointer is borrowed and valid while the admin listener is. */
#ifndef HK_OPS_HOST_H
#define HK_OPS_HOST_H

#include "base/task.h"
#include "deliver/dispatch.h"
#include "net/io.h"
#include "ops/reload_status.h"
#include "store/store.h"

#include <stdatomic.h>

struct hk_ops_host {
    struct hk_store *store;
    struct hk_dispatch *dispatch; /* lanes, for their counters and gauges */
    struct hk_io *const *io;      /* every I/O loop, for its counters */
    unsigned nio;                 /* how many, the admin loop included */
    atomic_uint *nconns;          /* open client connections */
    _Atomic uint64_t *reloads_ok, *reloads_failed;
    void *self; /* the daemon's, for the functions below */
    /* The current generation, with a reference the caller releases. Any thread. */
    struct hk_gen *(*gen)(void *self);
    /* Reloads; done then runs on reply_to's loop with the result. Any thread. */
    void (*reload)(void *self, struct hk_task_queue *reply_to, hk_reload_done_fn *done, void *user);
    /* The last reload's status, copied into out. Any thread. */
    void (*reload_status)(void *self, struct hk_reload_status *out);
};

#endif
