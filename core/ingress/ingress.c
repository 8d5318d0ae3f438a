/* ingress.c -- the request path for sources.
 *
 * Head: path -> source (404), method (405), client address and allowlist (403), content
 * type (415), framing (411) -- all before a body byte is read. Body: signature on the raw
 * bytes (401), then the envelope (both in ingress_check.c), then the answer. */
#include "ingress/ingress.h"

#include "base/clock.h"
#include "base/link.h"
#include "ingress/ingress_check.h"

#include "base/buf.h"
#include "base/codec.h"
#include "base/err.h"
#include "base/json_write.h"
#include "base/log.h"
#include "event/envelope.h"
#include "net/response.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The store this listener's events go to (its handler context, see ingress.h). */
static struct hk_store *store_of(const struct hk_conn *c)
{
    return c->handler_ctx;
}
static bool refuse(struct hk_conn *c, int status, const char *extra_headers)
{
    struct hk_response r = {.status = status, .extra_headers = extra_headers, .close = true};
    hk_response_error_body(&r);
    hk_conn_respond(c, &r);
    return false;
}

/* A declared type outside the source's list: the answer and the log line name the types the
 * source takes and the setting that widens them. A request without a Content-Type is not
 * refused: its body is judged as it is (see is_json). */
static bool refuse_content_type(struct hk_conn *c, const struct hk_source *s,
                                const struct hk_header *ct)
{
    struct hk_buf *b = &c->io->scratch;
    char accepted[256] = "";
    size_t used = 0;
    b->len = 0;
    hk_buf_puts(b, "{\"status\":\"rejected\",\"error\":\"unsupported media type\",\"accepted\":[");
    for (char **t = s->content_types; t && *t; t++) {
        hk_buf_puts(b, t == s->content_types ? "" : ",");
        hk_json_put_string(b, *t, strlen(*t));
        int n = snprintf(accepted + used, sizeof accepted - used, "%s%s",
                         t == s->content_types ? "" : ",", *t);
        if (n > 0 && (size_t)n < sizeof accepted - used)
            used += (size_t)n;
    }
    hk_buf_puts(b, "],\"setting\":\"content_types\"}");
    hk_log(HK_LOG_WARN, "content type not accepted", HK_S("source", s->name),
           HK_S("peer", c->peer_text), HK_SN("content_type", ct->value, ct->value_len),
           HK_S("accepted", accepted),
           HK_S("fix", "send one of the accepted types, or add this one to the source's "
                       "\"content_types\""));
    struct hk_response r = {
        .status = 415, .body = (const char *)b->data, .body_len = b->len, .close = true};
    hk_conn_respond(c, &r);
    return false;
}

static bool client_allowed(struct hk_conn *c, const struct hk_source *s,
                           const struct hk_request *req, int *status)
{
    struct hk_addr client;
    char text[HK_ADDR_STRLEN];
    if (hk_client_addr(&c->peer, s->trusted_proxies, req->headers, req->nheaders, &client)) {
        *status = 400;
        return false;
    }
    if (!s->allow || hk_ipset_contains(s->allow, &client))
        return true;
    hk_addr_format(&client, text, sizeof text);
    hk_log(HK_LOG_WARN, "address not allowed", HK_S("source", s->name), HK_S("client", text),
           HK_S("peer", c->peer_text));
    *status = 403;
    return false;
}

/* A source with "require_client_cert" only takes requests whose TLS connection came with a
 * client certificate that verified (and, with "client_subjects", one of those). */
static bool client_cert_allowed(const struct hk_conn *c, const struct hk_source *s)
{
    const char *subject = hk_conn_client_subject(c);
    if (!s->require_client_cert || (subject && hk_source_accepts_subject(s, subject)))
        return true;
    if (subject)
        hk_log(HK_LOG_WARN, "client certificate not allowed for this source",
               HK_S("source", s->name), HK_S("client_cert", subject), HK_S("peer", c->peer_text),
               HK_S("fix", "add the subject to the source's \"client_subjects\""));
    else
        hk_log(HK_LOG_WARN, "request without a verified client certificate refused",
               HK_S("source", s->name), HK_S("peer", c->peer_text),
               HK_S("tls", c->tls ? "yes" : "no"));
    return false;
}

static bool ingress_head(struct hk_conn *c, struct hk_request *req)
{
    const struct hk_source *s = hk_conf_source_by_path(c->gen->conf, req->path, req->path_len);
    int status = 0;
    if (!s)
        return refuse(c, 404, NULL);
    c->log_source = s->name;
    if (req->method != HTTP_POST)
        return refuse(c, 405, "Allow: POST\r\n");
    if (!client_allowed(c, s, req, &status))
        return refuse(c, status, NULL);
    if (!client_cert_allowed(c, s))
        return refuse(c, 403, NULL);
    const struct hk_header *ct = hk_header_find(req->headers, req->nheaders, "content-type");
    if (ct && !hk_source_accepts(s, ct->value, ct->value_len))
        return refuse_content_type(c, s, ct);
    if (!req->has_length && !req->chunked)
        return refuse(c, 411, NULL);
    c->handler_data = s;
    return true;
}

/* Whether the body is read as JSON: a declared JSON type, or no Content-Type at all (a body
 * that is not JSON is then stored as invalid, as for any other). */
static bool is_json(const struct hk_request *req)
{
    const struct hk_header *ct = hk_header_find(req->headers, req->nheaders, "content-type");
    if (!ct)
        return true;
    size_t n = 0;
    while (n < ct->value_len && ct->value[n] != ';' && ct->value[n] != ' ')
        n++;
    return hk_span_ieq(ct->value, n, "application/json") ||
           (n >= 5 && hk_span_ieq(ct->value + n - 5, 5, "+json"));
}

/* The answer's body and its Retry-After, written in runs: this runs for every request. */
static void answer(struct hk_conn *c, int status, const char *what, const struct hk_event_rec *e,
                   int retry_after)
{
    struct hk_buf *b = &c->io->scratch;
    b->len = 0;
    hk_buf_puts(b, "{\"status\":\"");
    hk_buf_puts(b, what);
    hk_buf_puts(b, "\"");
    if (e && e->id[0]) {
        hk_buf_puts(b, ",\"id\":");
        hk_json_put_string(b, e->id, strlen(e->id));
    }
    hk_buf_puts(b, "}");
    static const char name[] = "Retry-After: ";
    char header[48], *end = header + sizeof header - 3; /* then "\r\n" and the NUL */
    const char *extra = NULL;
    if (retry_after) {
        memcpy(end, "\r\n", 3);
        char *start = hk_decimal(end, (uint64_t)retry_after, 1) - (sizeof name - 1);
        memcpy(start, name, sizeof name - 1);
        extra = start;
    }
    struct hk_response r = {.status = status,
                            .body = (const char *)b->data,
                            .body_len = b->len,
                            .extra_headers = extra};
    hk_conn_respond(c, &r);
}

static const char *outcome_name(const struct hk_ingest *op)
{
    if (op->result == HK_EEXIST)
        return "duplicate";
    if (op->result)
        return "refused";
    return hk_event_status_name(op->ev->status);
}

static void log_outcome(struct hk_io *io, const struct hk_ingest *op)
{
    const struct hk_event_rec *e = op->ev;
    hk_counter_add(&io->counters, HK_COUNT_EVENTS, e->source, outcome_name(op), 1);
    if (op->result == HK_EEXIST)
        hk_log(HK_LOG_DEBUG, "duplicate event absorbed", HK_S("source", e->source),
               HK_S("id", e->id));
    else if (op->result)
        hk_log(HK_LOG_WARN, "event refused with 503: not stored", HK_S("source", e->source),
               HK_S("id", e->id), HK_S("error", hk_strerror(op->result)));
    else if (e->status == HK_EVENT_INVALID)
        hk_log(HK_LOG_WARN, "invalid event accepted", HK_S("source", e->source),
               HK_S("reason", e->invalid_reason), HK_S("id", e->id));
    else
        hk_log(HK_LOG_DEBUG, "event accepted", HK_S("source", e->source), HK_S("id", e->id),
               HK_S("type", e->type), HK_S("status", hk_event_status_name(e->status)),
               HK_I("deliveries", (int64_t)op->ntargets));
}

static void free_ingest(struct hk_ingest *op)
{
    hk_event_release(op->ev);
    hk_gen_release(op->gen);
    free(op);
}

/* The store's answer, on the connection's loop: only now is the sender answered. */
static void ingest_done_cb(struct hk_task *t)
{
    struct hk_ingest *op = HK_CONTAINER_OF(t, struct hk_ingest, task);
    struct hk_conn *c = op->user;
    log_outcome(c->io, op);
    if (op->result == 0)
        answer(op->user, 200, "accepted", op->ev, 0);
    else if (op->result == HK_EEXIST)
        answer(op->user, 200, "duplicate", op->ev, 0);
    else
        answer(op->user, 503, "unavailable", NULL, hk_store_retry_after(op->result));
    free_ingest(op);
}

static struct hk_ingest *make_ingest(struct hk_conn *c, const struct hk_source *s,
                                     struct hk_request *req, const struct hk_envelope *env)
{
    const char *names[HK_ROUTE_MAX];
    size_t n = env->valid ? hk_gen_route(c->gen, env->type, s->name, names) : 0;
    struct hk_ingest *op = calloc(1, sizeof *op + n * sizeof op->targets[0]);
    if (!op)
        return NULL;
    size_t len = req->body.len;
    op->ev = hk_event_create(s->name, env, hk_buf_steal(&req->body), len, req->headers,
                             req->nheaders, s->verifier, hk_wall_ms());
    if (!op->ev) {
        free(op);
        return NULL;
    }
    if (env->valid && n == 0)
        op->ev->status = HK_EVENT_UNROUTED;
    memcpy(op->targets, names, n * sizeof names[0]);
    op->ntargets = n;
    op->gen = hk_gen_acquire(c->gen);
    op->user = c;
    op->reply_to = &c->io->tasks;
    op->task.run = ingest_done_cb;
    return op;
}

/* A duplicate of an event committed lately is answered here: it is durable already, and
 * a retry storm then never reaches the writer. */
static bool answered_as_duplicate(struct hk_conn *c, const struct hk_source *s,
                                  const struct hk_envelope *env, struct hk_recent_key *key)
{
    if (!env->valid)
        return false;
    hk_recent_key(s->name, env->id, key);
    if (!hk_store_seen(store_of(c), key, hk_wall_ms()))
        return false;
    hk_counter_add(&c->io->counters, HK_COUNT_EVENTS, s->name, "duplicate", 1);
    hk_log(HK_LOG_DEBUG, "duplicate event absorbed", HK_S("source", s->name),
           HK_SN("id", env->id, env->id_len));
    struct hk_event_rec e = {0};
    memcpy(e.id, env->id, env->id_len + 1);
    answer(c, 200, "duplicate", &e, 0);
    return true;
}

/* Hands a verified request to the store; the answer comes from ingest_done_cb. */
static void submit(struct hk_conn *c, const struct hk_source *s, struct hk_request *req,
                   const struct hk_envelope *env)
{
    struct hk_recent_key key = {0};
    if (answered_as_duplicate(c, s, env, &key))
        return;
    struct hk_ingest *op = make_ingest(c, s, req, env);
    if (op)
        op->key = key;
    int rc = op ? hk_store_submit(store_of(c), op) : HK_ENOMEM;
    if (rc == 0)
        return;
    hk_log(HK_LOG_WARN, "event refused with 503: not stored", HK_S("source", s->name),
           HK_SN("id", env->id, env->id_len), HK_S("error", hk_strerror(rc)));
    if (op)
        free_ingest(op);
    answer(c, 503, "unavailable", NULL, hk_store_retry_after(rc));
}

/* A sender's own handshake (Slack's url_verification) is answered by its scheme: it is not
 * an event, so nothing is stored or delivered. A handshake carries no event id, so only
 * bodies that are not valid events are looked at: events pay nothing for it. */
static bool answered_handshake(struct hk_conn *c, const struct hk_source *s,
                               const struct hk_request *req, const struct hk_envelope *env)
{
    const struct hk_scheme *scheme = s->verifier->scheme;
    struct hk_buf *b = &c->io->scratch;
    b->len = 0;
    if (env->valid || !scheme->handshake || !is_json(req) ||
        !scheme->handshake(req->body.data, req->body.len, b))
        return false;
    hk_counter_add(&c->io->counters, HK_COUNT_EVENTS, s->name, "handshake", 1);
    hk_log(HK_LOG_INFO, "sender handshake answered, nothing stored", HK_S("source", s->name),
           HK_S("scheme", scheme->name));
    struct hk_response r = {.status = 200, .body = (const char *)b->data, .body_len = b->len};
    hk_conn_respond(c, &r);
    return true;
}

/* Why a request was refused with 401, in words that tell the operator whom to call: a sender
 * that does not sign at all, one that signs with another secret (or whose body changed on the
 * way), or a replayed or badly clocked one. NULL for a code that is not a refusal. */
static const char *rejection_reason(int verify_rc)
{
    switch (verify_rc) {
    case HK_EUNSIGNED:
        return "signature header missing: the sender did not sign this request (is signing "
               "on for this endpoint, with the scheme of this source?)";
    case HK_EAUTH:
        return "wrong signature: no configured secret matches (a different secret at the "
               "sender, or the body was changed on the way)";
    case HK_ESTALE:
        return "timestamp outside the tolerance (a replay, or a sender clock that is off)";
    default:
        return NULL;
    }
}

/* The source's "rate_limit", taken by genuine requests only (a forger cannot use up a
 * sender's allowance): over it, 429 with Retry-After, counted as the outcome "rate_limited";
 * the sender retries later and nothing is lost. */
static bool over_rate_limit(struct hk_conn *c, const struct hk_source *s)
{
    uint32_t retry_after = 0;
    if (!s->rate || hk_rate_take(s->rate, hk_mono_us(), &retry_after))
        return false;
    hk_counter_add(&c->io->counters, HK_COUNT_EVENTS, s->name, "rate_limited", 1);
    uint64_t held;
    if (hk_log_every_due(&c->io->rate_log, uv_now(&c->io->loop), &held))
        hk_log(HK_LOG_WARN, "rate limit reached: answered 429", HK_S("source", s->name),
               HK_S("peer", c->peer_text), HK_I("retry_after_s", retry_after),
               HK_I("not_logged_since_last", (int64_t)held),
               HK_S("fix", "the sender sends faster than the source's rate_limit: raise "
                           "per_s/burst if that is expected"));
    answer(c, 429, "rate_limited", NULL, (int)retry_after);
    return true;
}

static void checked(struct hk_check *k)
{
    struct hk_conn *c = k->c;
    const struct hk_source *s = k->s;
    if (c->phase == HK_CONN_CLOSED) {
        /* The client left while a pool thread checked its body: nothing is stored, so nothing
         * is acknowledged; answering a closed connection only releases the request. */
        struct hk_response r = {.status = 503};
        hk_conn_respond(c, &r);
        return;
    }
    const char *why = rejection_reason(k->verify_rc);
    if (why) {
        hk_log(HK_LOG_WARN, "signature rejected", HK_S("source", s->name),
               HK_S("peer", c->peer_text), HK_S("scheme", s->verifier->scheme->name),
               HK_S("reason", why));
        struct hk_response r = {.status = 401};
        hk_response_error_body(&r);
        hk_conn_respond(c, &r);
        return;
    }
    if (k->verify_rc) { /* could not be checked (no memory): the sender will retry */
        hk_log(HK_LOG_WARN, "request refused with 503: signature not checked",
               HK_S("source", s->name), HK_S("error", hk_strerror(k->verify_rc)));
        answer(c, 503, "unavailable", NULL, 1);
        return;
    }
    if (answered_handshake(c, s, k->req, &k->env))
        return;
    if (over_rate_limit(c, s))
        return;
    submit(c, s, k->req, &k->env);
}

static void ingress_request(struct hk_conn *c, struct hk_request *req)
{
    hk_check_request(c, c->handler_data, req, is_json(req), checked);
}

const struct hk_conn_handler hk_ingress_handler = {
    .on_head = ingress_head,
    .on_request = ingress_request,
};
