/* reload_status.c -- the reload status as JSON (reload_status.h). */
#include "ops/reload_status.h"

#include <time.h>

/* Before any reload, "time" and "result" are null and "message" says so: there is no
 * result to report, only the generation that started. */
json_t *hk_reload_status_json(const struct hk_reload_status *st)
{
    char when[32] = "";
    if (st->time_ms) {
        time_t t = (time_t)(st->time_ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    return json_pack(
        "{s:I,s:s,s:I,s:o,s:o,s:b,s:s}", "generation", (json_int_t)st->generation, "hash", st->hash,
        "time_ms", (json_int_t)st->time_ms, "time", st->time_ms ? json_string(when) : json_null(),
        "result", !st->time_ms ? json_null() : json_string(st->ok ? "ok" : "failed"), "in_progress",
        st->in_progress, "message",
        st->time_ms || st->in_progress ? st->message : "no reload since hookd started");
}
