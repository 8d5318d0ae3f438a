/* lanes.h -- what the store needs from the delivery side, which implements it
 * (deliver/dispatch.c) and hands it to hk_store_start.
 *
 * The store decides when a delivery moves into memory and counts what it promised each
 * instance (store-side records); the delivery side only says which queue serves an
 * instance, how much room it has and takes what it is pushed. Every function may be called
 * from the store's writer thread while the delivery side's threads run. */
#ifndef HK_STORE_LANES_H
#define HK_STORE_LANES_H

#include "store/delivery.h"

#include <stdbool.h>
#include <stdint.h>

/* Called by each() once per queue: name is borrowed for the call. */
typedef void hk_store_lane_fn(void *arg, struct hk_lane *lane, const char *name);

struct hk_store_lanes {
    void *self; /* passed back to find and each */
    /* The queue of the instance named name while that instance is configured; NULL when
     * there is none or a reload removed it. */
    struct hk_lane *(*find)(void *self, const char *name);
    /* Calls fn for every queue whose instance is configured. */
    void (*each)(void *self, hk_store_lane_fn *fn, void *arg);
    /* How many more deliveries lane takes now (0 while it stops or after a removal). */
    uint32_t (*room)(struct hk_lane *lane);
    /* Queues d, whose room the store counted. True: ownership of d has passed. False: the
     * instance was removed meanwhile and d is still the caller's. */
    bool (*push)(struct hk_lane *lane, struct hk_delivery *d);
};

#endif
