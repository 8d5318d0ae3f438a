/* event.c -- shared event records. */
#include "event/event.h"

#include "base/buf.h"
#include "verify/verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A credential of the client, or the signature of this body (whoever holds it can resend the
 * body as genuine): neither is a fact about the event, so neither is stored. */
static bool is_dropped(const struct hk_header *h, const struct hk_verifier *signer)
{
    if (hk_header_is_credential(h->name, h->name_len))
        return true;
    return signer && hk_verifier_is_signature_header(signer, h->name, h->name_len);
}

/* Parses "name: value\n" lines into e->headers. The spans point into a copy in which each
 * line end is a NUL, because plugins receive header values as C strings. */
static int parse_headers(struct hk_event_rec *e)
{
    size_t n = 0, len = strlen(e->headers_text);
    for (const char *p = e->headers_text; *p; p++)
        n += *p == '\n';
    e->headers = calloc(n ? n : 1, sizeof *e->headers);
    e->headers_nul = malloc(len + 1);
    if (!e->headers || !e->headers_nul)
        return -1;
    memcpy(e->headers_nul, e->headers_text, len + 1);
    char *p = e->headers_nul;
    while (*p) {
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = 0;
        char *colon = memchr(p, ':', (size_t)(nl - p));
        if (colon && colon + 1 < nl) {
            struct hk_header *h = &e->headers[e->nheaders++];
            h->name = p;
            h->name_len = (size_t)(colon - p);
            h->value = colon + 2;
            h->value_len = (size_t)(nl - colon - 2);
        }
        p = nl + 1;
    }
    return 0;
}

static int serialise_headers(struct hk_event_rec *e, const struct hk_header *h, size_t nh,
                             const struct hk_verifier *signer)
{
    struct hk_buf b = {0};
    int rc = hk_buf_reserve(&b, 1);
    for (size_t i = 0; i < nh && rc == 0; i++) {
        if (is_dropped(&h[i], signer) || memchr(h[i].value, '\n', h[i].value_len))
            continue;
        rc = hk_buf_append(&b, h[i].name, h[i].name_len) || hk_buf_append(&b, ": ", 2) ||
             hk_buf_append(&b, h[i].value, h[i].value_len) || hk_buf_append(&b, "\n", 1);
    }
    rc = rc || hk_buf_append(&b, "", 1);
    e->headers_text = (char *)hk_buf_steal(&b);
    return rc || !e->headers_text ? -1 : parse_headers(e);
}

static struct hk_event_rec *alloc_rec(const char *source)
{
    struct hk_event_rec *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    atomic_init(&e->refs, 1);
    e->source = strdup(source);
    if (!e->source) {
        free(e);
        return NULL;
    }
    return e;
}

struct hk_event_rec *hk_event_create(const char *source, const struct hk_envelope *env,
                                     uint8_t *body, size_t body_len, const struct hk_header *h,
                                     size_t nh, const struct hk_verifier *signer,
                                     int64_t received_ms)
{
    struct hk_event_rec *e = alloc_rec(source);
    if (!e) {
        free(body);
        return NULL;
    }
    e->body = body;
    e->body_len = body_len;
    e->received_ms = received_ms;
    e->created_ms = env->created_ms;
    memcpy(e->id, env->id, env->id_len + 1);
    memcpy(e->type, env->type, env->type_len + 1);
    e->status = env->valid ? HK_EVENT_ROUTED : HK_EVENT_INVALID;
    if ((!env->valid && !(e->invalid_reason = strdup(env->invalid))) ||
        serialise_headers(e, h, nh, signer) != 0) {
        hk_event_release(e);
        return NULL;
    }
    return e;
}

struct hk_event_rec *hk_event_load(int64_t rowid, const char *source, const char *id,
                                   const char *type, int64_t created_ms, int64_t received_ms,
                                   const void *body, size_t body_len, const char *headers_text)
{
    struct hk_event_rec *e = alloc_rec(source);
    if (!e)
        return NULL;
    e->rowid = rowid;
    snprintf(e->id, sizeof e->id, "%s", id ? id : "");
    snprintf(e->type, sizeof e->type, "%s", type ? type : "");
    e->created_ms = created_ms;
    e->received_ms = received_ms;
    e->body = malloc(body_len ? body_len : 1);
    e->headers_text = strdup(headers_text ? headers_text : "");
    if (!e->body || !e->headers_text || parse_headers(e) != 0) {
        hk_event_release(e);
        return NULL;
    }
    memcpy(e->body, body, body_len);
    e->body_len = body_len;
    return e;
}

struct hk_event_rec *hk_event_acquire(struct hk_event_rec *e)
{
    atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
    return e;
}

void hk_event_release(struct hk_event_rec *e)
{
    if (!e || atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) != 1)
        return;
    free(e->source);
    free(e->invalid_reason);
    free(e->body);
    free(e->headers_text);
    free(e->headers_nul);
    free(e->headers);
    free(e);
}

const char *hk_event_status_name(enum hk_event_status s)
{
    static const char *const names[] = {"routed", "unrouted", "invalid"};
    return names[s];
}
