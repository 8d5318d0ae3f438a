/* recent.c -- a seqlocked bucket table of recently committed event keys. */
#include "store/recent.h"

#include "base/sha256.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS_PER_BUCKET 4

struct slot {
    _Atomic uint64_t a, b;
    _Atomic int64_t received_ms; /* 0: empty */
};

struct bucket {
    atomic_uint seq; /* odd while the writer changes the bucket */
    struct slot slot[SLOTS_PER_BUCKET];
};

struct hk_recent {
    size_t mask;
    struct bucket *buckets;
};

struct hk_recent *hk_recent_new(size_t capacity)
{
    size_t n = 1;
    while (n * SLOTS_PER_BUCKET < capacity)
        n *= 2;
    struct hk_recent *r = calloc(1, sizeof *r);
    if (!r || !(r->buckets = calloc(n, sizeof *r->buckets))) {
        free(r);
        return NULL;
    }
    r->mask = n - 1;
    return r;
}

void hk_recent_free(struct hk_recent *r)
{
    if (r)
        free(r->buckets);
    free(r);
}

void hk_recent_key(const char *source, const char *id, struct hk_recent_key *k)
{
    uint8_t d[HK_SHA256_LEN];
    struct hk_sha256 c;
    hk_sha256_init(&c);
    hk_sha256_update(&c, source, strlen(source) + 1);
    hk_sha256_update(&c, id, strlen(id));
    hk_sha256_final(&c, d);
    memcpy(&k->a, d, sizeof k->a);
    memcpy(&k->b, d + sizeof k->a, sizeof k->b);
}

static struct bucket *bucket_of(const struct hk_recent *r, const struct hk_recent_key *k)
{
    return &r->buckets[k->a & r->mask];
}

void hk_recent_add(struct hk_recent *r, const struct hk_recent_key *k, int64_t received_ms)
{
    struct bucket *bk = bucket_of(r, k);
    struct slot *victim = &bk->slot[0];
    for (int i = 0; i < SLOTS_PER_BUCKET; i++) { /* the oldest entry makes room */
        struct slot *s = &bk->slot[i];
        if (atomic_load_explicit(&s->received_ms, memory_order_relaxed) <
            atomic_load_explicit(&victim->received_ms, memory_order_relaxed))
            victim = s;
    }
    unsigned seq = atomic_load_explicit(&bk->seq, memory_order_relaxed);
    atomic_store_explicit(&bk->seq, seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&victim->a, k->a, memory_order_relaxed);
    atomic_store_explicit(&victim->b, k->b, memory_order_relaxed);
    atomic_store_explicit(&victim->received_ms, received_ms, memory_order_relaxed);
    atomic_store_explicit(&bk->seq, seq + 2, memory_order_release);
}

bool hk_recent_has(const struct hk_recent *r, const struct hk_recent_key *k, int64_t since_ms)
{
    struct bucket *bk = bucket_of(r, k);
    for (;;) {
        unsigned seq = atomic_load_explicit(&bk->seq, memory_order_acquire);
        if (seq & 1)
            continue; /* the writer is in the middle of a change */
        bool found = false;
        for (int i = 0; i < SLOTS_PER_BUCKET && !found; i++) {
            struct slot *s = &bk->slot[i];
            int64_t at = atomic_load_explicit(&s->received_ms, memory_order_relaxed);
            found = at != 0 && at >= since_ms && /* 0: an empty slot */
                    atomic_load_explicit(&s->a, memory_order_relaxed) == k->a &&
                    atomic_load_explicit(&s->b, memory_order_relaxed) == k->b;
        }
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&bk->seq, memory_order_relaxed) == seq)
            return found;
    }
}

void hk_recent_clear(struct hk_recent *r)
{
    for (size_t i = 0; i <= r->mask; i++) {
        struct bucket *bk = &r->buckets[i];
        unsigned seq = atomic_load_explicit(&bk->seq, memory_order_relaxed);
        atomic_store_explicit(&bk->seq, seq + 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_release);
        for (int j = 0; j < SLOTS_PER_BUCKET; j++)
            atomic_store_explicit(&bk->slot[j].received_ms, 0, memory_order_relaxed);
        atomic_store_explicit(&bk->seq, seq + 2, memory_order_release);
    }
}
