/* counters.h -- labelled counters written by one thread and read by any.
 *
 * Each I/O thread owns a table and is its only writer, so counting a request costs one
 * relaxed atomic add and no lock; /metrics adds the tables of every thread together. An
 * entry is published with a release store of its kind, after its labels are written. */
#ifndef HK_COUNTERS_H
#define HK_COUNTERS_H

#include <stdatomic.h>
#include <stdint.h>

#define HK_COUNTERS_MAX      512
#define HK_COUNTER_LABEL_MAX 64

/* What is counted; metrics.c names them. 0 marks an unused entry. */
enum hk_counter_kind {
    HK_COUNT_NONE = 0,
    HK_COUNT_HTTP_REQUESTS,          /* {source, status} */
    HK_COUNT_EVENTS,                 /* {source, outcome} */
    HK_COUNT_KINDS = HK_COUNT_EVENTS /* how many kinds there are */
};

struct hk_counter {
    atomic_int kind; /* enum hk_counter_kind; HK_COUNT_NONE while the entry is unused */
    char l1[HK_COUNTER_LABEL_MAX];
    char l2[HK_COUNTER_LABEL_MAX];
    _Atomic uint64_t value;
};

struct hk_counters {
    struct hk_counter c[HK_COUNTERS_MAX];
    unsigned used; /* owner only */
};

/* Adds delta to the counter kind{l1, l2} (owner thread only). Labels are truncated to
 * HK_COUNTER_LABEL_MAX - 1 bytes. When the table is full, the count goes to
 * kind{"(other)", "(other)"}. */
void hk_counter_add(struct hk_counters *t, enum hk_counter_kind kind, const char *l1,
                    const char *l2, uint64_t delta);

#endif
