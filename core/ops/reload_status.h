/* reload_status.h -- what the last reload did, as the admin API and the CLI show it. */
#ifndef HK_RELOAD_STATUS_H
#define HK_RELOAD_STATUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct hk_reload_status {
    uint64_t generation; /* in use after the attempt */
    char hash[65];       /* of the configuration in use */
    int64_t time_ms;     /* when the last attempt ended; 0 before any */
    bool ok;
    bool in_progress;
    char message[2048]; /* what failed and how to fix it, or "reloaded" */
};

/* Called on the requester's loop when the reload it asked for has ended. */
typedef void hk_reload_done_fn(void *user, const struct hk_reload_status *st);

/* The status as JSON (new reference). */
json_t *hk_reload_status_json(const struct hk_reload_status *st);

#endif
