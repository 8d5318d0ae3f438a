/* response.c -- HTTP answers. */
#include "net/response.h"

#include "base/codec.h"
#include "base/log.h"

#include <stdio.h>
#include <string.h>

/* Over TLS, answers also tell browsers to stay on HTTPS and not to sniff types: webhook
 * senders ignore both, but a scanner rightly expects them of an HTTPS endpoint. */
#define TLS_HEADERS                                                                                \
    "Strict-Transport-Security: max-age=31536000\r\nX-Content-Type-Options: nosniff\r\n"

/* Reason phrase and the short code error bodies carry. */
static const struct status {
    int code;
    const char *text;
    const char *error;
} statuses[] = {
    {200, "OK", NULL},
    {409, "Conflict", "conflict"},
    {400, "Bad Request", "bad_request"},
    {401, "Unauthorized", "unauthorized"},
    {403, "Forbidden", "forbidden"},
    {404, "Not Found", "not_found"},
    {405, "Method Not Allowed", "method_not_allowed"},
    {408, "Request Timeout", "timeout"},
    {411, "Length Required", "length_required"},
    {413, "Content Too Large", "too_large"},
    {415, "Unsupported Media Type", "unsupported_media_type"},
    {429, "Too Many Requests", "too_many_requests"},
    {431, "Request Header Fields Too Large", "headers_too_large"},
    {500, "Internal Server Error", "internal"},
    {501, "Not Implemented", "not_implemented"},
    {503, "Service Unavailable", "unavailable"},
    {505, "HTTP Version Not Supported", "http_version"},
};

static const struct status *find_status(int code)
{
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (statuses[i].code == code)
            return &statuses[i];
    return NULL;
}

const char *hk_status_text(int status)
{
    const struct status *s = find_status(status);
    return s ? s->text : "Unknown";
}

/* Error bodies say which status it is and nothing about the cause: a forger learns nothing
 * from a 401, and the details are in hookd's log. */
void hk_response_error_body(struct hk_response *r)
{
    static _Thread_local char buf[96];
    const struct status *s = find_status(r->status);
    int n = snprintf(buf, sizeof buf, "{\"status\":\"rejected\",\"error\":\"%s\"}",
                     s && s->error ? s->error : "error");
    r->body = buf;
    r->body_len = (size_t)n;
}

/* One line per answer; a request that came with a verified client certificate also says
 * whose it was. */
static void access_line(struct hk_conn *c, const struct hk_response *r)
{
    const struct hk_request *req = &c->http.req;
    uint64_t dur = uv_now(&c->io->loop) - c->started_ms;
    const char *subject = hk_conn_client_subject(c);
    const struct hk_kv kv[] = {
        HK_S("peer", c->peer_text),
        HK_S("method", req->path ? llhttp_method_name((llhttp_method_t)req->method) : "-"),
        HK_SN("path", req->path ? req->path : "-", req->path ? req->path_len : 1),
        HK_I("status", r->status),
        HK_I("bytes", (int64_t)c->body_len),
        HK_I("ms", (int64_t)dur),
        HK_S("source", c->log_source ? c->log_source : "-"),
        HK_S("client_cert", subject),
    };
    size_t n = sizeof kv / sizeof kv[0];
    hk_log_kv(HK_LOG_INFO, "access", kv, subject ? n : n - 1);
}

/* Built with appends, not printf: this runs once per request. */
void hk_response_write(struct hk_conn *c, const struct hk_response *r, bool close)
{
    struct hk_buf *o = &c->out;
    char num[24], *end = num + sizeof num, *code = hk_decimal(end, (uint64_t)r->status, 1);
    hk_buf_reserve(o, 256 + r->body_len);
    hk_buf_puts(o, "HTTP/1.1 ");
    hk_buf_append(o, code, (size_t)(end - code));
    hk_buf_puts(o, " ");
    hk_buf_puts(o, hk_status_text(r->status));
    hk_buf_puts(o, "\r\nDate: ");
    hk_buf_puts(o, hk_io_date(c->io));
    hk_buf_puts(o, "\r\nContent-Type: ");
    hk_buf_puts(o, r->content_type ? r->content_type : "application/json");
    hk_buf_puts(o, "\r\nContent-Length: ");
    char *len = hk_decimal(code, r->body_len, 1); /* reuses num below the status code */
    hk_buf_append(o, len, (size_t)(code - len));
    hk_buf_puts(o, close ? "\r\nConnection: close\r\n" : "\r\n");
    if (c->tls)
        hk_buf_puts(o, TLS_HEADERS);
    if (r->extra_headers)
        hk_buf_puts(o, r->extra_headers);
    hk_buf_puts(o, "\r\n");
    if (r->body_len)
        hk_buf_append(o, r->body, r->body_len);
    char status[8];
    memcpy(status, code, (size_t)(end - code));
    status[end - code] = 0;
    hk_counter_add(&c->io->counters, HK_COUNT_HTTP_REQUESTS, c->log_source ? c->log_source : "-",
                   status, 1);
    if (c->io->owner->conf(c->io->gen)->access_log)
        access_line(c, r);
}
