/* wire.c -- encoding and decoding the worker messages (see wire.h). */
#include "plugin/wire.h"

#include "base/err.h"

#include <stdlib.h>
#include <string.h>

#define HEADER_BYTES 4

/* ---- writing ---- */

struct writer {
    struct hk_buf *b;
    size_t start; /* where the frame's length goes */
    int rc;
};

static void put(struct writer *w, const void *p, size_t n)
{
    if (w->rc == 0)
        w->rc = hk_buf_append(w->b, p, n);
}

static void put_u(struct writer *w, uint64_t v, size_t bytes)
{
    uint8_t le[8];
    for (size_t i = 0; i < bytes; i++)
        le[i] = (uint8_t)(v >> (8 * i));
    put(w, le, bytes);
}

static void put_str(struct writer *w, struct hk_wire_str s)
{
    put_u(w, s.n, 4);
    put(w, s.p ? s.p : "", s.n);
}

static struct writer begin(struct hk_buf *b, enum hk_wire_type type)
{
    struct writer w = {.b = b, .start = b->len};
    put_u(&w, 0, HEADER_BYTES); /* the length, known at the end */
    put_u(&w, (uint64_t)type, 1);
    return w;
}

static int end(struct writer *w)
{
    size_t n = w->b->len - w->start - HEADER_BYTES;
    if (w->rc == 0 && n > HK_WIRE_FRAME_MAX)
        w->rc = HK_EINVAL;
    if (w->rc) {
        w->b->len = w->start; /* nothing half-written stays */
        return w->rc;
    }
    for (size_t i = 0; i < HEADER_BYTES; i++)
        w->b->data[w->start + i] = (uint8_t)(n >> (8 * i));
    return 0;
}

char *hk_wire_strdup(struct hk_wire_str s)
{
    char *p = malloc((size_t)s.n + 1);
    if (p) {
        memcpy(p, s.p, s.n);
        p[s.n] = 0;
    }
    return p;
}

struct hk_wire_str hk_wire_cstr(const char *s)
{
    return (struct hk_wire_str){s ? s : "", s ? (uint32_t)strlen(s) : 0};
}

int hk_wire_put_init(struct hk_buf *b, const struct hk_wire_init *m)
{
    struct writer w = begin(b, HK_WIRE_INIT);
    put_str(&w, m->name);
    put_str(&w, m->so_path);
    put_str(&w, m->config);
    put_u(&w, m->memory_max, 8);
    put_u(&w, m->open_files, 4);
    put_u(&w, m->drop, 1);
    put_u(&w, m->uid, 4);
    put_u(&w, m->gid, 4);
    return end(&w);
}

int hk_wire_put_hello(struct hk_buf *b, const struct hk_wire_hello *m)
{
    struct writer w = begin(b, HK_WIRE_HELLO);
    put_u(&w, m->ok, 1);
    put_u(&w, m->flags, 4);
    put_str(&w, m->plugin);
    put_str(&w, m->version);
    put_str(&w, m->error);
    put_u(&w, m->nsubscribe, 4);
    for (uint32_t i = 0; i < m->nsubscribe && i < HK_WIRE_SUBSCRIBE_MAX; i++)
        put_str(&w, m->subscribe[i]);
    return end(&w);
}

int hk_wire_put_event(struct hk_buf *b, const struct hk_wire_event *m)
{
    struct writer w = begin(b, HK_WIRE_EVENT);
    put_u(&w, (uint64_t)m->delivery, 8);
    put_u(&w, m->attempt, 4);
    put_u(&w, (uint64_t)m->created_ms, 8);
    put_u(&w, (uint64_t)m->received_ms, 8);
    put_u(&w, (uint64_t)m->timeout_ms, 8);
    put_str(&w, m->id);
    put_str(&w, m->type);
    put_str(&w, m->source);
    put_str(&w, m->headers);
    put_str(&w, m->body);
    return end(&w);
}

int hk_wire_put_result(struct hk_buf *b, const struct hk_wire_result *m)
{
    struct writer w = begin(b, HK_WIRE_RESULT);
    put_u(&w, (uint64_t)m->delivery, 8);
    put_u(&w, (uint32_t)m->result, 4);
    put_str(&w, m->error);
    put_u(&w, m->nmetrics, 4);
    for (uint32_t i = 0; i < m->nmetrics && i < HK_WIRE_METRICS_MAX; i++) {
        put_str(&w, m->metrics[i].name);
        put_u(&w, m->metrics[i].gauge, 1);
        put_u(&w, (uint64_t)m->metrics[i].value, 8);
    }
    return end(&w);
}

/* ---- reading ---- */

struct reader {
    const uint8_t *p;
    size_t n, at;
    int rc;
};

static uint64_t get_u(struct reader *r, size_t bytes)
{
    uint64_t v = 0;
    if (r->rc || r->n - r->at < bytes) {
        r->rc = HK_EINVAL;
        return 0;
    }
    for (size_t i = 0; i < bytes; i++)
        v |= (uint64_t)r->p[r->at + i] << (8 * i);
    r->at += bytes;
    return v;
}

static struct hk_wire_str get_str(struct reader *r)
{
    uint64_t len = get_u(r, 4);
    if (r->rc || r->n - r->at < len) {
        r->rc = HK_EINVAL;
        return (struct hk_wire_str){"", 0};
    }
    struct hk_wire_str s = {(const char *)r->p + r->at, (uint32_t)len};
    r->at += len;
    return s;
}

/* A reader past the frame's header and type byte, if the frame is of type t. */
static struct reader open_frame(const uint8_t *p, size_t n, enum hk_wire_type t)
{
    struct reader r = {.p = p, .n = n, .at = 0};
    if (hk_wire_frame_len(p, n) != (int64_t)n || hk_wire_type(p, n) != (int)t)
        r.rc = HK_EINVAL;
    r.at = HEADER_BYTES + 1;
    return r;
}

/* Every byte of the frame was read: trailing bytes mean a malformed frame. */
static int close_frame(const struct reader *r)
{
    return r->rc ? r->rc : r->at == r->n ? 0 : HK_EINVAL;
}

int64_t hk_wire_frame_len(const uint8_t *p, size_t n)
{
    if (n < HEADER_BYTES)
        return 0;
    uint64_t len =
        (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
    if (len == 0 || len > HK_WIRE_FRAME_MAX)
        return HK_EINVAL;
    return (int64_t)(len + HEADER_BYTES);
}

int hk_wire_type(const uint8_t *p, size_t n)
{
    if (n <= HEADER_BYTES || hk_wire_frame_len(p, n) != (int64_t)n)
        return HK_EINVAL;
    return p[HEADER_BYTES] >= HK_WIRE_INIT && p[HEADER_BYTES] <= HK_WIRE_RESULT ? p[HEADER_BYTES]
                                                                                : HK_EINVAL;
}

int hk_wire_get_init(const uint8_t *p, size_t n, struct hk_wire_init *m)
{
    struct reader r = open_frame(p, n, HK_WIRE_INIT);
    m->name = get_str(&r);
    m->so_path = get_str(&r);
    m->config = get_str(&r);
    m->memory_max = get_u(&r, 8);
    m->open_files = (uint32_t)get_u(&r, 4);
    m->drop = (uint8_t)get_u(&r, 1);
    m->uid = (uint32_t)get_u(&r, 4);
    m->gid = (uint32_t)get_u(&r, 4);
    return close_frame(&r);
}

int hk_wire_get_hello(const uint8_t *p, size_t n, struct hk_wire_hello *m)
{
    struct reader r = open_frame(p, n, HK_WIRE_HELLO);
    m->ok = (uint8_t)get_u(&r, 1);
    m->flags = (uint32_t)get_u(&r, 4);
    m->plugin = get_str(&r);
    m->version = get_str(&r);
    m->error = get_str(&r);
    m->nsubscribe = (uint32_t)get_u(&r, 4);
    if (m->nsubscribe > HK_WIRE_SUBSCRIBE_MAX)
        r.rc = HK_EINVAL;
    for (uint32_t i = 0; i < m->nsubscribe && r.rc == 0; i++)
        m->subscribe[i] = get_str(&r);
    return close_frame(&r);
}

int hk_wire_get_event(const uint8_t *p, size_t n, struct hk_wire_event *m)
{
    struct reader r = open_frame(p, n, HK_WIRE_EVENT);
    m->delivery = (int64_t)get_u(&r, 8);
    m->attempt = (uint32_t)get_u(&r, 4);
    m->created_ms = (int64_t)get_u(&r, 8);
    m->received_ms = (int64_t)get_u(&r, 8);
    m->timeout_ms = (int64_t)get_u(&r, 8);
    m->id = get_str(&r);
    m->type = get_str(&r);
    m->source = get_str(&r);
    m->headers = get_str(&r);
    m->body = get_str(&r);
    return close_frame(&r);
}

int hk_wire_get_result(const uint8_t *p, size_t n, struct hk_wire_result *m)
{
    struct reader r = open_frame(p, n, HK_WIRE_RESULT);
    m->delivery = (int64_t)get_u(&r, 8);
    m->result = (int32_t)(uint32_t)get_u(&r, 4);
    m->error = get_str(&r);
    m->nmetrics = (uint32_t)get_u(&r, 4);
    if (m->nmetrics > HK_WIRE_METRICS_MAX)
        r.rc = HK_EINVAL;
    for (uint32_t i = 0; i < m->nmetrics && r.rc == 0; i++) {
        m->metrics[i].name = get_str(&r);
        m->metrics[i].gauge = (uint8_t)get_u(&r, 1);
        m->metrics[i].value = (int64_t)get_u(&r, 8);
    }
    return close_frame(&r);
}
