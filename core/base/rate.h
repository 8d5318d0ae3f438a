/* rate.h -- a rate limit (generic cell rate algorithm): on average per_s requests a second,
 * bursts of up to burst at once. One atomic word; any thread. */
#ifndef HK_RATE_H
#define HK_RATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct hk_rate {
    int64_t interval_us;  /* 1e6 / per_s */
    int64_t tolerance_us; /* (burst - 1) * interval_us */
    _Atomic int64_t tat;  /* theoretical arrival time of the next request, monotonic us */
};

void hk_rate_init(struct hk_rate *r, uint32_t per_s, uint32_t burst);
/* True if a request at now_us (monotonic) is within the limit, and counts it. Otherwise
 * false, with *retry_after_s the whole seconds until one would be (at least 1). */
bool hk_rate_take(struct hk_rate *r, int64_t now_us, uint32_t *retry_after_s);

#endif
