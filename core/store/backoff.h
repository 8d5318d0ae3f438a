/* backoff.h -- how long a failed delivery waits before its next attempt. */
#ifndef HK_BACKOFF_H
#define HK_BACKOFF_H

#include "conf/conf.h"

#include <stdint.h>

/* Delay after attempt n (1-based) failed: a uniform draw in [1, bound] ms ("full jitter"),
 * bound = initial_ms * 2^(n-1) capped at max_ms. Jitter keeps the retries of many events
 * that failed together from arriving together again. rng is the caller's state. */
int64_t hk_backoff_ms(const struct hk_retry_conf *r, uint32_t attempt, uint64_t *rng);
/* The bound of that draw: initial_ms * 2^(attempt-1), at most max_ms. */
int64_t hk_backoff_bound_ms(const struct hk_retry_conf *r, uint32_t attempt);

#endif
