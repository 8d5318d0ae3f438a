/* backoff.c -- exponential backoff with full jitter. */
#include "store/backoff.h"

/* xorshift64*: jitter needs spread, not secrecy. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dull;
}

int64_t hk_backoff_bound_ms(const struct hk_retry_conf *r, uint32_t attempt)
{
    int64_t bound = r->initial_ms;
    for (uint32_t i = 1; i < attempt && bound < r->max_ms; i++)
        bound *= 2;
    return bound > r->max_ms ? r->max_ms : bound;
}

int64_t hk_backoff_ms(const struct hk_retry_conf *r, uint32_t attempt, uint64_t *rng)
{
    int64_t bound = hk_backoff_bound_ms(r, attempt);
    /* The 1 ms floor keeps a retry from being due at once. */
    return 1 + (int64_t)(next_random(rng) % (uint64_t)bound);
}
