/* delivery.c -- making and freeing deliveries (see delivery.h). */
#include "store/delivery.h"

#include <stdio.h>
#include <stdlib.h>

struct hk_delivery *hk_delivery_new(struct hk_event_rec *ev, int64_t rowid, uint32_t attempt)
{
    struct hk_delivery *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->ev = hk_event_acquire(ev);
    d->rowid = rowid;
    d->attempt = attempt;
    return d;
}

void hk_delivery_free(struct hk_delivery *d)
{
    if (!d)
        return;
    hk_event_release(d->ev);
    free(d);
}

void hk_delivery_removed_error(const char *instance, char *out, size_t cap)
{
    snprintf(out, cap, "instance \"%s\" was removed from the configuration", instance);
}
