/* rate.c -- GCRA: a request is allowed while the theoretical arrival time is at most the
 * tolerance ahead of now; each one moves it one interval on. */
#include "base/rate.h"

void hk_rate_init(struct hk_rate *r, uint32_t per_s, uint32_t burst)
{
    r->interval_us = 1000000 / (per_s ? per_s : 1);
    if (r->interval_us == 0)
        r->interval_us = 1;
    r->tolerance_us = (int64_t)(burst ? burst - 1 : 0) * r->interval_us;
    atomic_init(&r->tat, 0);
}

bool hk_rate_take(struct hk_rate *r, int64_t now_us, uint32_t *retry_after_s)
{
    int64_t tat = atomic_load_explicit(&r->tat, memory_order_relaxed);
    for (;;) {
        int64_t t = tat > now_us ? tat : now_us;
        if (t - now_us > r->tolerance_us) {
            int64_t wait_us = t - now_us - r->tolerance_us;
            *retry_after_s = (uint32_t)((wait_us + 999999) / 1000000);
            if (*retry_after_s == 0)
                *retry_after_s = 1;
            return false;
        }
        if (atomic_compare_exchange_weak_explicit(&r->tat, &tat, t + r->interval_us,
                                                  memory_order_relaxed, memory_order_relaxed))
            return true;
    }
}
