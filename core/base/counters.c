/* counters.c -- single-writer labelled counters. */
#include "base/counters.h"

#include <stdio.h>
#include <string.h>

static struct hk_counter *find(struct hk_counters *t, enum hk_counter_kind kind, const char *l1,
                               const char *l2)
{
    for (unsigned i = 0; i < t->used; i++) {
        struct hk_counter *c = &t->c[i];
        if (atomic_load_explicit(&c->kind, memory_order_relaxed) == (int)kind &&
            strncmp(c->l1, l1, sizeof c->l1 - 1) == 0 && strncmp(c->l2, l2, sizeof c->l2 - 1) == 0)
            return c;
    }
    return NULL;
}

void hk_counter_add(struct hk_counters *t, enum hk_counter_kind kind, const char *l1,
                    const char *l2, uint64_t delta)
{
    struct hk_counter *c = find(t, kind, l1, l2);
    /* The last HK_COUNT_KINDS slots are kept for one "(other)" entry per kind. */
    if (!c && t->used >= HK_COUNTERS_MAX - HK_COUNT_KINDS) {
        l1 = l2 = "(other)";
        c = find(t, kind, l1, l2);
    }
    if (!c) {
        c = &t->c[t->used++];
        snprintf(c->l1, sizeof c->l1, "%s", l1);
        snprintf(c->l2, sizeof c->l2, "%s", l2);
        atomic_store_explicit(&c->value, 0, memory_order_relaxed);
        atomic_store_explicit(&c->kind, (int)kind, memory_order_release);
    }
    atomic_fetch_add_explicit(&c->value, delta, memory_order_relaxed);
}
