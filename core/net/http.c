/* http.c -- request parsing on llhttp plus the checks llhttp 8.1 lacks (see http.h). */
#include "net/http.h"

#include "base/err.h"

#include <string.h>

#define HTTP_BAD_REQUEST           400
#define HTTP_PAYLOAD_TOO_LARGE     413
#define HTTP_HEADERS_TOO_LARGE     431
#define HTTP_NOT_IMPLEMENTED       501
#define HTTP_VERSION_NOT_SUPPORTED 505

enum pending { PENDING_NONE, PENDING_HEAD, PENDING_MESSAGE };

static struct hk_http *of(llhttp_t *p)
{
    return p->data;
}

/* Records our own refusal. llhttp reports it as HPE_USER, or as HPE_CB_HEADERS_COMPLETE when
 * it comes from on_headers_complete, whose return values mean other things. */
static int fail(struct hk_http *h, int status, const char *reason)
{
    h->error_status = status;
    h->error_reason = reason;
    return HPE_USER;
}

static int append_head(struct hk_http *h, const char *at, size_t n)
{
    /* Four bytes per header line for ": " and CRLF that are not stored. */
    if (h->head.len + n + 4 * (h->req.nheaders + 1) > h->limits->max_header_bytes)
        return fail(h, HTTP_HEADERS_TOO_LARGE, "request line and headers exceed max_header_bytes");
    if (hk_buf_append(&h->head, at, n))
        return fail(h, HTTP_HEADERS_TOO_LARGE, "out of memory for headers");
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
    struct hk_http *h = of(p);
    h->target_len += (uint32_t)n;
    return append_head(h, at, n);
}

static int open_header(struct hk_http *h)
{
    if (h->req.nheaders == HK_MAX_HEADERS)
        return fail(h, HTTP_HEADERS_TOO_LARGE, "more headers than hookd accepts");
    struct hk_header_span *s = &h->spans[h->req.nheaders++];
    memset(s, 0, sizeof *s);
    s->name_off = (uint32_t)h->head.len;
    h->field_open = true;
    h->value_calls = 0;
    return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
    struct hk_http *h = of(p);
    if (h->head_done)
        return 0; /* trailer fields of a chunked body are not kept */
    int rc = h->field_open ? 0 : open_header(h);
    if (rc)
        return rc;
    h->spans[h->req.nheaders - 1].name_len += (uint32_t)n;
    return append_head(h, at, n);
}

static int on_header_field_complete(llhttp_t *p)
{
    struct hk_http *h = of(p);
    if (h->head_done)
        return 0;
    int rc = h->field_open ? 0 : open_header(h);
    h->field_open = false;
    if (!rc && h->spans[h->req.nheaders - 1].name_len == 0)
        return fail(h, HTTP_BAD_REQUEST, "empty header name");
    return rc;
}

/* A value continued by a callback that starts with a space or tab came from an obsolete line
 * fold -- unless the feed was merely split there, inside the value (the previous byte is
 * then part of the value, never the LF that ends a line). */
static bool is_fold(const struct hk_http *h, const char *at, size_t n)
{
    if (h->value_calls == 0 || n == 0 || (at[0] != ' ' && at[0] != '\t'))
        return false;
    return !((const uint8_t *)at == h->feed_start && h->prev_last != '\n');
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
    struct hk_http *h = of(p);
    if (h->head_done)
        return 0;
    if (is_fold(h, at, n))
        return fail(h, HTTP_BAD_REQUEST, "obsolete line folding in a header");
    struct hk_header_span *s = &h->spans[h->req.nheaders - 1];
    if (h->value_calls++ == 0)
        s->value_off = (uint32_t)h->head.len;
    s->value_len += (uint32_t)n;
    return append_head(h, at, n);
}

static int on_header_value_complete(llhttp_t *p)
{
    struct hk_http *h = of(p);
    if (!h->head_done && h->value_calls == 0)
        h->spans[h->req.nheaders - 1].value_off = (uint32_t)h->head.len;
    h->value_calls = 0;
    return 0;
}

static void fix_headers(struct hk_http *h)
{
    const char *base = (const char *)h->head.data;
    h->req.path = base;
    h->req.path_len = h->target_len;
    h->req.target_len = h->target_len;
    const char *q = memchr(base, '?', h->target_len);
    if (q)
        h->req.path_len = (size_t)(q - base);
    for (size_t i = 0; i < h->req.nheaders; i++) {
        const struct hk_header_span *s = &h->spans[i];
        struct hk_header *hd = &h->req.headers[i];
        hd->name = base + s->name_off;
        hd->name_len = s->name_len;
        hd->value = base + s->value_off;
        hd->value_len = s->value_len;
        while (hd->value_len &&
               (hd->value[hd->value_len - 1] == ' ' || hd->value[hd->value_len - 1] == '\t'))
            hd->value_len--;
    }
}

static size_t count_headers(const struct hk_request *r, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nheaders; i++)
        n += hk_span_ieq(r->headers[i].name, r->headers[i].name_len, name);
    return n;
}

static int check_head(struct hk_http *h)
{
    struct hk_request *r = &h->req;
    const struct hk_header *te = hk_header_find(r->headers, r->nheaders, "transfer-encoding");
    const struct hk_header *ex = hk_header_find(r->headers, r->nheaders, "expect");
    if (h->parser.http_major != 1 || h->parser.http_minor > 1)
        return fail(h, HTTP_VERSION_NOT_SUPPORTED, "HTTP version other than 1.0 and 1.1");
    if (h->target_len == 0 || r->path[0] != '/')
        return fail(h, HTTP_BAD_REQUEST, "request target is not a path");
    if (h->parser.http_minor == 1 && count_headers(r, "host") != 1)
        return fail(h, HTTP_BAD_REQUEST, "HTTP/1.1 request without exactly one Host header");
    if (te && !hk_span_ieq(te->value, te->value_len, "chunked"))
        return fail(h, HTTP_NOT_IMPLEMENTED, "transfer coding other than chunked");
    r->chunked = te != NULL;
    r->has_length = (h->parser.flags & F_CONTENT_LENGTH) != 0;
    r->content_length = r->has_length ? h->parser.content_length : 0;
    if (r->content_length > h->limits->max_body_bytes)
        return fail(h, HTTP_PAYLOAD_TOO_LARGE, "Content-Length exceeds max_body_bytes");
    r->expect_continue =
        ex && h->parser.http_minor == 1 && hk_span_ieq(ex->value, ex->value_len, "100-continue");
    if (r->has_length && hk_buf_reserve(&r->body, r->content_length))
        return fail(h, HTTP_PAYLOAD_TOO_LARGE, "out of memory for the body");
    return 0;
}

static int on_headers_complete(llhttp_t *p)
{
    struct hk_http *h = of(p);
    h->req.method = p->method;
    h->req.http_minor = p->http_minor;
    fix_headers(h);
    h->head_done = true;
    int rc = check_head(h);
    if (rc)
        return rc;
    h->pending = PENDING_HEAD;
    return HPE_PAUSED;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
    struct hk_http *h = of(p);
    if (h->req.body.len + n > h->limits->max_body_bytes)
        return fail(h, HTTP_PAYLOAD_TOO_LARGE, "chunked body exceeds max_body_bytes");
    if (hk_buf_append(&h->req.body, at, n))
        return fail(h, HTTP_PAYLOAD_TOO_LARGE, "out of memory for the body");
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    struct hk_http *h = of(p);
    h->req.keep_alive = llhttp_should_keep_alive(p);
    h->pending = PENDING_MESSAGE;
    return HPE_PAUSED;
}

void hk_http_init(struct hk_http *h, const struct hk_limits *limits)
{
    memset(h, 0, sizeof *h);
    h->limits = limits;
    llhttp_settings_init(&h->settings);
    h->settings.on_url = on_url;
    h->settings.on_header_field = on_header_field;
    h->settings.on_header_field_complete = on_header_field_complete;
    h->settings.on_header_value = on_header_value;
    h->settings.on_header_value_complete = on_header_value_complete;
    h->settings.on_headers_complete = on_headers_complete;
    h->settings.on_body = on_body;
    h->settings.on_message_complete = on_message_complete;
    llhttp_init(&h->parser, HTTP_REQUEST, &h->settings);
    h->parser.data = h;
}

void hk_http_free(struct hk_http *h)
{
    hk_buf_free(&h->head);
    hk_buf_free(&h->req.body);
}

static int status_of(llhttp_errno_t e)
{
    return e == HPE_INVALID_VERSION ? HTTP_VERSION_NOT_SUPPORTED : HTTP_BAD_REQUEST;
}

enum hk_http_event hk_http_feed(struct hk_http *h, const uint8_t *p, size_t n, size_t *used)
{
    h->feed_start = p;
    h->pending = PENDING_NONE;
    llhttp_errno_t e = llhttp_execute(&h->parser, (const char *)p, n);
    *used = n;
    if (e != HPE_OK)
        *used = (size_t)((const uint8_t *)llhttp_get_error_pos(&h->parser) - p);
    if (*used)
        h->prev_last = p[*used - 1];
    if (e == HPE_OK)
        return HK_HTTP_NEED_MORE;
    if (e == HPE_PAUSED) {
        llhttp_resume(&h->parser);
        return h->pending == PENDING_HEAD ? HK_HTTP_HEAD : HK_HTTP_MESSAGE;
    }
    if (!h->error_status) { /* not one of ours (fail() sets it) */
        h->error_status = status_of(e);
        h->error_reason = llhttp_get_error_reason(&h->parser);
    }
    return HK_HTTP_ERROR;
}

void hk_http_next(struct hk_http *h)
{
    h->head.len = 0;
    h->req.body.len = 0;
    h->req.nheaders = 0;
    h->req.path = NULL;
    h->req.path_len = 0;
    h->target_len = 0;
    h->field_open = false;
    h->value_calls = 0;
    h->head_done = false;
}
