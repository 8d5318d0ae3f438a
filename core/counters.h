/* counters.h -- labelled counters written by one thread and read by any.
 *
 * Each I/O thread owns a table and is its only writer, so counting a request costs one
 * relaxed atomic add and no lock; /metrics adds the tables of every thread together. An
 * entry is published with a release store of its name, after its labels are written. */
#ifndef HK_COUNTERS_H
#define HK_COUNTERS_H

#include <stdatomic.h>
#include <stdint.h>

#define HK_COUNTERS_MAX      512
#define HK_COUNTER_LABEL_MAX 64

struct hk_counter {
    _Atomic(const char *) name; /* static string; NULL while the entry is unused */
    char l1[HK_COUNTER_LABEL_MAX];
    char l2[HK_COUNTER_LABEL_MAX];
    _Atomic uint64_t value;
};

struct hk_counters {
    struct hk_counter c[HK_COUNTERS_MAX];
    unsigned used; /* owner only */
};

/* Adds delta to the counter name{l1, l2} (owner thread only). name must be a static
 * string; labels are truncated to HK_COUNTER_LABEL_MAX - 1 bytes. When the table is full,
 * the count goes to name{"(other)", "(other)"}. */
void hk_counter_add(struct hk_counters *t, const char *name, const char *l1, const char *l2,
                    uint64_t delta);

#endif
