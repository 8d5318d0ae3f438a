/* ingress.c -- the request path for sources.
 *
 * Head: path -> source (404), method (405), client address and allowlist (403), content
 * type (415), framing (411) -- all before a body byte is read. Body: signature on the raw
 * bytes (401), then the envelope, then the answer. */
#include "ingress.h"

#include "buf.h"
#include "envelope.h"
#include "err.h"
#include "json_write.h"
#include "log.h"
#include "response.h"

#include <string.h>
#include <time.h>

static bool refuse(struct hk_conn *c, int status, const char *extra_headers)
{
    struct hk_response r = {.status = status, .extra_headers = extra_headers, .close = true};
    hk_response_error_body(&r);
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
    const struct hk_header *ct = hk_header_find(req->headers, req->nheaders, "content-type");
    if (!ct || !hk_source_accepts(s, ct->value, ct->value_len))
        return refuse(c, 415, NULL);
    if (!req->has_length && !req->chunked)
        return refuse(c, 411, NULL);
    c->handler_data = s;
    return true;
}

static bool is_json(const struct hk_request *req)
{
    const struct hk_header *ct = hk_header_find(req->headers, req->nheaders, "content-type");
    size_t n = 0;
    while (n < ct->value_len && ct->value[n] != ';' && ct->value[n] != ' ')
        n++;
    return hk_span_ieq(ct->value, n, "application/json") ||
           (n >= 5 && hk_span_ieq(ct->value + n - 5, 5, "+json"));
}

static void answer_accepted(struct hk_conn *c, const struct hk_envelope *env)
{
    struct hk_buf *b = &c->io->scratch;
    b->len = 0;
    hk_buf_puts(b, "{\"status\":\"accepted\"");
    if (env->id_len) {
        hk_buf_puts(b, ",\"id\":");
        hk_json_put_string(b, env->id, env->id_len);
    }
    hk_buf_puts(b, "}");
    struct hk_response r = {.status = 200, .body = (const char *)b->data, .body_len = b->len};
    hk_conn_respond(c, &r);
}

static void ingress_request(struct hk_conn *c, struct hk_request *req)
{
    const struct hk_source *s = c->handler_data;
    struct hk_verify_req vr = {req->headers, req->nheaders, req->body.data, req->body.len,
                               (int64_t)time(NULL)};
    int rc = hk_verifier_check(s->verifier, &vr);
    if (rc) {
        hk_log(HK_LOG_WARN, "signature rejected", HK_S("source", s->name),
               HK_S("peer", c->peer_text),
               HK_S("reason", rc == HK_ESTALE ? "timestamp outside the tolerance"
                                              : "missing or wrong signature"));
        struct hk_response r = {.status = 401};
        hk_response_error_body(&r);
        hk_conn_respond(c, &r);
        return;
    }
    struct hk_envelope env;
    hk_envelope_read(s, req->headers, req->nheaders, req->body.data, req->body.len, is_json(req),
                     &env);
    if (!env.valid)
        hk_log(HK_LOG_WARN, "invalid event accepted", HK_S("source", s->name),
               HK_S("reason", env.invalid), HK_SN("id", env.id, env.id_len));
    else
        hk_log(HK_LOG_DEBUG, "event accepted", HK_S("source", s->name),
               HK_SN("id", env.id, env.id_len), HK_SN("type", env.type, env.type_len));
    answer_accepted(c, &env);
}

const struct hk_conn_handler hk_ingress_handler = {
    .on_head = ingress_head,
    .on_request = ingress_request,
};
