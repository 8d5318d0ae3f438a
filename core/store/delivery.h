/* delivery.h -- one event to be handed to one instance: what the store hands out to the
 * delivery side and takes back with its outcome.
 *
 * Owned by whoever holds it: the store while it is built, the delivery side while it is
 * queued and run, the store again for the outcome (hk_store_complete). */
#ifndef HK_DELIVERY_H
#define HK_DELIVERY_H

#include "conf/conf.h"
#include "event/event.h"

#include <hookd/plugin.h>
#include <stddef.h>
#include <stdint.h>

#define HK_ERROR_TEXT_MAX 512

struct hk_lane;       /* the delivery side's queue of one instance: opaque to the store */
struct hk_store_lane; /* the store's own record of one instance: opaque to the delivery side */

struct hk_delivery {
    struct hk_delivery *next;
    int64_t rowid;            /* deliveries.id in the store */
    struct hk_event_rec *ev;  /* one reference */
    uint32_t attempt;         /* 1 for the first delivery */
    uint32_t interrupted;     /* earlier attempts hookd ended in the middle of (crashes) */
    bool crashed;             /* this attempt's worker died inside handle(): the store adds
                               * one to the interrupted attempts it keeps */
    const char *instance;     /* borrowed from the store: valid while the store is open */
    struct hk_store_lane *at; /* the store's: its record of the instance */
    struct hk_lane *lane;     /* the delivery side's: the queue it was pushed to */
    /* Set by the delivery side with the outcome. */
    hookd_result result;
    struct hk_retry_conf retry;    /* the instance's retry policy when it ran */
    char error[HK_ERROR_TEXT_MAX]; /* the plugin's last error while handling, or ours */
};

/* Makes a delivery of ev (taking a reference) for attempt. NULL when out of memory. */
struct hk_delivery *hk_delivery_new(struct hk_event_rec *ev, int64_t rowid, uint32_t attempt);
/* Frees a delivery and its event reference. NULL is ignored. */
void hk_delivery_free(struct hk_delivery *d);
/* Writes the last_error of a delivery whose instance a reload removed: one wording for the
 * store, the delivery side and the operator's queries. */
void hk_delivery_removed_error(const char *instance, char *out, size_t cap);

#endif
