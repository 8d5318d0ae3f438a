/* reload_status.c -- the reload status as JSON (reload_status.h). */
#include "ops/reload_status.h"

json_t *hk_reload_status_json(const struct hk_reload_status *st)
{
    return json_pack("{s:I,s:s,s:I,s:s,s:b,s:s}", "generation", (json_int_t)st->generation, "hash",
                     st->hash, "time_ms", (json_int_t)st->time_ms, "result",
                     st->time_ms == 0 ? "none"
                     : st->ok         ? "ok"
                                      : "failed",
                     "in_progress", st->in_progress, "message", st->message);
}
