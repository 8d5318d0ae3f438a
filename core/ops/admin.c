/* admin.c -- the admin API (see admin.h); runs on the admin I/O thread. */
#include "ops/admin.h"

#include "base/clock.h"
#include "base/codec.h"
#include "base/sha256.h"
#include "conf/conf.h"
#include "base/err.h"
#include "base/log.h"
#include "deliver/lane.h"
#include "net/response.h"
#include "ops/dlq.h"
#include "ops/host.h"
#include "ops/metrics.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What the admin listener reports on (its handler context, see admin.h). */
static const struct hk_ops_host *host_of(const struct hk_conn *c)
{
    return c->handler_ctx;
}
static void reply(struct hk_conn *c, int status, const char *ctype, const char *body, size_t n)
{
    struct hk_response r = {.status = status, .body = body, .body_len = n, .content_type = ctype};
    hk_conn_respond(c, &r);
}

static void reply_json(struct hk_conn *c, int status, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (text)
        reply(c, status, "application/json", text, strlen(text));
    else
        reply(c, 500, "application/json", "{\"error\":\"out of memory\"}", 25);
    free(text);
    json_decref(j);
}

static void reply_error(struct hk_conn *c, int status, const char *message)
{
    reply_json(c, status, json_pack("{s:s}", "error", message));
}

static bool is(const struct hk_request *req, int method, const char *path)
{
    return req->method == method && hk_span_ieq(req->path, req->path_len, path);
}

static const char *query_of(const struct hk_request *req, size_t *n)
{
    if (req->target_len <= req->path_len) {
        *n = 0;
        return "";
    }
    *n = req->target_len - req->path_len - 1; /* after the '?' */
    return req->path + req->path_len + 1;
}

/* ---- metrics: store counts come from a store job ---- */

static void metrics_done_cb(struct hk_dlq_job *j)
{
    struct hk_conn *c = j->user;
    const struct hk_ops_host *h = host_of(c);
    struct hk_delivery_counts dc = {0};
    json_t *counts = j->query.json ? json_loads(j->query.json, 0, NULL) : NULL;
    const struct {
        const char *key;
        uint64_t *out;
    } map[] = {{"ready", &dc.ready},    {"running", &dc.running}, {"retry", &dc.retry},
               {"done", &dc.done},      {"dead", &dc.dead},       {"unrouted", &dc.unrouted},
               {"invalid", &dc.invalid}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        *map[i].out = (uint64_t)json_integer_value(json_object_get(counts, map[i].key));
    json_decref(counts);
    struct hk_buf b = {0};
    hk_metrics_render(h, counts || j->query.json ? &dc : NULL, &b);
    reply(c, 200, "text/plain; version=0.0.4", (const char *)b.data, b.len);
    hk_buf_free(&b);
    hk_dlq_job_free(j);
}

static void submit_job(struct hk_conn *c, struct hk_dlq_query *q, void (*done)(struct hk_dlq_job *))
{
    struct hk_dlq_job *j = hk_dlq_job_new(q, c->gen);
    if (!j) {
        reply_error(c, 500, "out of memory");
        return;
    }
    j->user = c;
    j->done = done;
    hk_dlq_submit(host_of(c)->store, j, &c->io->tasks);
}

static void dlq_done_cb(struct hk_dlq_job *j)
{
    struct hk_conn *c = j->user;
    if (j->query.q.action == HK_DLQ_SHOW)
        hk_dlq_redact_show(j);
    if (j->query.json)
        reply(c, j->query.status, "application/json", j->query.json, strlen(j->query.json));
    else
        reply_error(c, j->query.status,
                    j->query.status == 404 ? "no such entry" : "the store failed");
    hk_dlq_job_free(j);
}

static void dlq(struct hk_conn *c, const struct hk_request *req, enum hk_dlq_action action)
{
    struct hk_dlq_query q = {.action = action};
    char err[256];
    size_t n;
    const char *qs = query_of(req, &n);
    if (hk_dlq_parse(qs, n, hk_wall_ms(), &q, err, sizeof err) != 0) {
        hk_dlq_query_free(&q);
        reply_error(c, 400, err);
        return;
    }
    if (hk_dlq_check(&q, c->gen, err, sizeof err) != 0) {
        hk_dlq_query_free(&q);
        reply_error(c, 400, err);
        return;
    }
    if (action == HK_DLQ_SHOW && q.delivery <= 0) {
        hk_dlq_query_free(&q);
        reply_error(c, 400, "give delivery=ID (with what=unrouted|invalid: the event's row id)");
        return;
    }
    submit_job(c, &q, action == HK_DLQ_COUNTS ? metrics_done_cb : dlq_done_cb);
}

/* ---- health ---- */

static void ready(struct hk_conn *c)
{
    const struct hk_ops_host *h = host_of(c);
    const char *why = NULL;
    if (c->io->stopping)
        why = "stopping";
    else if (!hk_store_ready(h->store))
        why = "the store cannot write: see the log";
    if (why)
        reply_json(c, 503, json_pack("{s:s,s:s}", "status", "not ready", "reason", why));
    else
        reply_json(
            c, 200,
            json_pack("{s:s,s:I}", "status", "ready", "generation", (json_int_t)c->gen->number));
}

/* ---- reload ---- */

static void reload_done_cb(void *user, const struct hk_reload_status *st)
{
    struct hk_conn *c = user;
    reply_json(c, st->ok ? 200 : 409, hk_reload_status_json(st));
}

/* ---- who may ask ---- */

static _Atomic uint64_t auth_failures;

uint64_t hk_admin_auth_failures(void)
{
    return atomic_load(&auth_failures);
}

/* Whether value is "Bearer <token>", compared through SHA-256 so that neither the bytes nor
 * the length of the token show in the time it takes. */
static bool bearer_matches(const struct hk_header *h, const struct hk_secret *token)
{
    static const char scheme[] = "Bearer ";
    size_t n = sizeof scheme - 1;
    if (!h || h->value_len < n || strncasecmp(h->value, scheme, n) != 0)
        return false;
    uint8_t given[HK_SHA256_LEN], want[HK_SHA256_LEN];
    struct hk_sha256 ctx;
    hk_sha256_init(&ctx);
    hk_sha256_update(&ctx, h->value + n, h->value_len - n);
    hk_sha256_final(&ctx, given);
    hk_sha256_init(&ctx);
    hk_sha256_update(&ctx, token->bytes, token->len);
    hk_sha256_final(&ctx, want);
    return hk_ct_equal(given, want, sizeof want);
}

/* A refused request is counted always, and logged at most once a second (the admin loop is
 * one thread): someone guessing tokens must not fill the disk with log lines. */
static void auth_refused(struct hk_conn *c, const struct hk_request *req, bool had_header)
{
    static uint64_t next_log_ms, suppressed;
    atomic_fetch_add(&auth_failures, 1);
    uint64_t now = uv_now(&c->io->loop);
    if (now < next_log_ms) {
        suppressed++;
        return;
    }
    next_log_ms = now + 1000;
    hk_log(HK_LOG_WARN, "admin request refused: no valid token", HK_S("peer", c->peer_text),
           HK_SN("path", req->path, req->path_len),
           HK_S("reason", had_header ? "wrong token" : "no Authorization header"),
           HK_I("suppressed_since_last", (int64_t)suppressed),
           HK_S("fix", "send Authorization: Bearer <admin.token>, or use admin.socket"));
    suppressed = 0;
}

/* Over the Unix socket always: its mode lets only hookd's user (and root) connect. Over TCP,
 * when admin.token is set, every endpoint but /healthz wants it. */
static bool authorised(struct hk_conn *c, const struct hk_request *req)
{
    const struct hk_conf *conf = c->io->owner->conf(c->gen);
    if (c->via_unix || !conf->has_admin_token || is(req, HTTP_GET, "/healthz"))
        return true;
    const struct hk_header *h = hk_header_find(req->headers, req->nheaders, "authorization");
    if (bearer_matches(h, &conf->admin_token))
        return true;
    auth_refused(c, req, h != NULL);
    static const char body[] = "{\"error\":\"unauthorized\"}";
    struct hk_response r = {.status = 401,
                            .body = body,
                            .body_len = sizeof body - 1,
                            .content_type = "application/json",
                            .extra_headers = "WWW-Authenticate: Bearer realm=\"hookd admin\"\r\n"};
    hk_conn_respond(c, &r);
    return false;
}

static void route(struct hk_conn *c, struct hk_request *req)
{
    const struct hk_ops_host *h = host_of(c);
    struct hk_reload_status st;
    if (!authorised(c, req))
        return;
    if (is(req, HTTP_GET, "/healthz"))
        reply_json(c, 200, json_pack("{s:s}", "status", "ok"));
    else if (is(req, HTTP_GET, "/readyz"))
        ready(c);
    else if (is(req, HTTP_GET, "/metrics"))
        dlq(c, req, HK_DLQ_COUNTS);
    else if (is(req, HTTP_GET, "/reload")) {
        h->reload_status(h->self, &st);
        reply_json(c, 200, hk_reload_status_json(&st));
    } else if (is(req, HTTP_POST, "/reload"))
        h->reload(h->self, &c->io->tasks, reload_done_cb, c);
    else if (is(req, HTTP_GET, "/dlq"))
        dlq(c, req, HK_DLQ_LIST);
    else if (is(req, HTTP_GET, "/dlq/show"))
        dlq(c, req, HK_DLQ_SHOW);
    else if (is(req, HTTP_POST, "/dlq/replay"))
        dlq(c, req, HK_DLQ_REPLAY);
    else if (is(req, HTTP_POST, "/dlq/purge"))
        dlq(c, req, HK_DLQ_PURGE);
    else
        reply_error(c, 404,
                    "no such admin endpoint: see GET /healthz, /readyz, /metrics, "
                    "/reload, /dlq");
}

static bool admin_head(struct hk_conn *c, struct hk_request *req)
{
    (void)req;
    c->log_source = "admin";
    return true;
}

const struct hk_conn_handler hk_admin_handler = {
    .on_head = admin_head,
    .on_request = route,
};
