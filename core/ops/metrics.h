/* metrics.h -- the Prometheus text exposition of everything hookd counts (GET /metrics). */
#ifndef HK_METRICS_H
#define HK_METRICS_H

#include "base/buf.h"
#include "ops/host.h"
#include "store/store.h"

/* Counts of deliveries by state, read from the store. */
struct hk_delivery_counts {
    uint64_t ready, running, retry, done, dead;
    uint64_t unrouted, invalid; /* events */
};

/* Appends the exposition to b. Any thread; reads atomics and takes short locks. */
void hk_metrics_render(const struct hk_ops_host *h, const struct hk_delivery_counts *dc,
                       struct hk_buf *b);

#endif
