/* dlq.c -- operators' queries from the admin API: parsing, routing replays, handing them to
 * the store. */
#include "ops/dlq.h"

#include "base/err.h"
#include "base/form.h"
#include "base/jconf.h"
#include "base/link.h"
#include "plugin/instance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HK_DLQ_VALUE_MAX 512

/* ---- parsing ---- */

static int parse_time(const char *v, int64_t now, int64_t *out)
{
    char *end;
    long long x = strtoll(v, &end, 10);
    if (*end == 0 && end != v && x >= 0) {
        *out = x;
        return 0;
    }
    int64_t ago;
    if (hk_duration_parse(v, &ago) != 0)
        return HK_EINVAL;
    *out = now - ago;
    return 0;
}

static int set_field(struct hk_dlq_query *q, const char *k, char *v, int64_t now, char *err,
                     size_t cap)
{
    char **texts[] = {&q->source, &q->type, &q->instance, &q->id, &q->to};
    const char *names[] = {"source", "type", "instance", "id", "to"};
    for (size_t i = 0; i < 5; i++)
        if (strcmp(k, names[i]) == 0) {
            free(*texts[i]);
            *texts[i] = v;
            return 0;
        }
    int rc = 0;
    if (strcmp(k, "since") == 0 || strcmp(k, "until") == 0) {
        rc = parse_time(v, now, k[0] == 's' ? &q->since_ms : &q->until_ms);
    } else if (strcmp(k, "limit") == 0 || strcmp(k, "delivery") == 0) {
        long long x = strtoll(v, NULL, 10);
        if (k[0] == 'l')
            q->limit = x < 1 ? 1 : x > HK_DLQ_LIMIT_MAX ? HK_DLQ_LIMIT_MAX : (int)x;
        else
            q->delivery = x;
    } else if (strcmp(k, "dry_run") == 0) {
        q->dry_run = strcmp(v, "0") != 0 && strcmp(v, "false") != 0;
    } else if (strcmp(k, "reroute") == 0) {
        q->reroute = strcmp(v, "0") != 0 && strcmp(v, "false") != 0;
    } else if (strcmp(k, "what") == 0) {
        int w = -1;
        for (int i = HK_DLQ_DEAD; i <= HK_DLQ_INVALID; i++)
            if (strcmp(v, hk_dlq_what_name((enum hk_dlq_what)i)) == 0)
                w = i;
        rc = w < 0 ? HK_EINVAL : 0;
        q->what = w < 0 ? q->what : (enum hk_dlq_what)w;
    } else {
        rc = HK_EINVAL;
    }
    if (rc)
        snprintf(err, cap, "bad parameter %s=%s: see `hookd dlq --help`", k, v);
    free(v);
    return rc;
}

int hk_dlq_parse(const char *query, size_t n, int64_t now_ms, struct hk_dlq_query *q, char *err,
                 size_t cap)
{
    q->limit = HK_DLQ_LIMIT_DEFAULT;
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && query[i] != '&')
            i++;
        const char *eq = memchr(query + start, '=', i - start);
        char key[32], value[HK_DLQ_VALUE_MAX];
        size_t kl, vl;
        if (eq && (hk_form_decode((const uint8_t *)query + start, (size_t)(eq - query - start), key,
                                  sizeof key, &kl) ||
                   hk_form_decode((const uint8_t *)eq + 1, (size_t)(query + i - eq - 1), value,
                                  sizeof value, &vl))) {
            snprintf(err, cap, "a query parameter is badly encoded or too long");
            return HK_EINVAL;
        }
        char *v = eq ? strdup(value) : NULL;
        if (eq && (!v || set_field(q, key, v, now_ms, err, cap) != 0))
            return v ? HK_EINVAL : HK_ENOMEM;
        i++;
    }
    return 0;
}

int hk_dlq_check(const struct hk_dlq_query *q, const struct hk_gen *gen, char *err, size_t cap)
{
    if (!q->to && !q->reroute)
        return 0;
    if (q->action != HK_DLQ_REPLAY || q->what != HK_DLQ_DEAD) {
        snprintf(err, cap, "to= and reroute= apply to a replay of dead letters only");
        return HK_EINVAL;
    }
    if (q->to && q->reroute) {
        snprintf(err, cap, "give to= (one instance) or reroute=1 (by the configuration), not both");
        return HK_EINVAL;
    }
    if (!q->to)
        return 0;
    size_t used = 0;
    char names[512] = "";
    for (size_t i = 0; i < gen->ninstances; i++) {
        const char *name = gen->instances[i]->conf->name;
        if (strcmp(name, q->to) == 0)
            return 0;
        int n = snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", name);
        if (n > 0 && (size_t)n < sizeof names - used)
            used += (size_t)n;
    }
    snprintf(err, cap, "no instance \"%s\" in the configuration: name one of: %s", q->to,
             used ? names : "(none)");
    return HK_EINVAL;
}

static void job_done_cb(struct hk_task *t)
{
    struct hk_dlq_job *j = HK_CONTAINER_OF(t, struct hk_dlq_job, query.task);
    j->done(j);
}

static size_t route_cb(void *ctx, const char *type, const char *source, const char **names)
{
    _Static_assert(HK_ROUTE_MAX <= HK_STORE_TARGETS_MAX, "a route must fit the store's room");
    return hk_gen_route(ctx, type, source, names);
}

struct hk_dlq_job *hk_dlq_job_new(struct hk_dlq_query *q, struct hk_gen *gen)
{
    struct hk_dlq_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->query.q = *q;
    memset(q, 0, sizeof *q);
    j->gen = hk_gen_acquire(gen);
    j->query.route = route_cb;
    j->query.route_ctx = j->gen;
    j->query.task.run = job_done_cb;
    return j;
}

void hk_dlq_submit(struct hk_store *s, struct hk_dlq_job *j, struct hk_task_queue *reply_to)
{
    hk_store_query(s, &j->query, reply_to);
}

void hk_dlq_job_free(struct hk_dlq_job *j)
{
    hk_dlq_query_free(&j->query.q);
    hk_gen_release(j->gen);
    free(j->query.json);
    free(j);
}
