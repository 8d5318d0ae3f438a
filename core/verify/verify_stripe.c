/* verify_stripe.c -- Stripe: Stripe-Signature: t=<unix s>,v1=<hex>[,v1=<hex>...][,v0=<hex>].
 *
 * The MAC is HMAC-SHA256 of t "." body, keyed by the whole "whsec_..." string's bytes (Stripe
 * does not decode it). During a secret roll Stripe sends one v1 per active secret; v0 is a
 * test-mode legacy scheme and other keys may appear later, so both are ignored. Exactly one t
 * is required: with two, which one was signed would be ambiguous. The timestamp must be within
 * tolerance_s (default 300 s) of now, both ways. */
#include "verify/verify.h"

#include "base/codec.h"
#include "base/err.h"

#include <string.h>

#define SIGNATURE_HEADER "stripe-signature"
#define TIMESTAMP_KEY    "t="
#define SIGNATURE_KEY    "v1="

static bool has_key(const char *item, size_t len, const char *key)
{
    size_t n = strlen(key);
    return len >= n && memcmp(item, key, n) == 0;
}

struct stamp {
    const char *t;
    size_t len;
    int count;
};

static bool find_timestamp(const char *item, size_t len, void *arg)
{
    struct stamp *s = arg;
    if (!has_key(item, len, TIMESTAMP_KEY))
        return false;
    s->t = item + strlen(TIMESTAMP_KEY);
    s->len = len - strlen(TIMESTAMP_KEY);
    s->count++;
    return true;
}

static bool signature_matches(const char *item, size_t len, void *arg)
{
    if (!has_key(item, len, SIGNATURE_KEY))
        return false;
    return hk_macs_match_hex(arg, item + strlen(SIGNATURE_KEY), len - strlen(SIGNATURE_KEY));
}

static int stripe_check(const struct hk_verifier *v, const struct hk_verify_req *req)
{
    const struct hk_header *h = hk_header_find(req->headers, req->nheaders, SIGNATURE_HEADER);
    if (!h || h->value_len == 0)
        return HK_EUNSIGNED;
    struct stamp s = {0};
    hk_split_any(h->value, h->value_len, ',', find_timestamp, &s);
    if (s.count != 1)
        return HK_EAUTH;
    int64_t t;
    /* Checked after the MAC so HK_ESTALE only ever describes a genuine, old request. */
    int fresh = hk_verify_timestamp(v, s.t, s.len, req->now_s, &t);
    if (fresh == HK_EAUTH)
        return HK_EAUTH;
    const struct hk_span parts[] = {{s.t, s.len}, {".", 1}, {req->body, req->body_len}};
    struct hk_macs macs;
    if (hk_verifier_macs(v, parts, sizeof parts / sizeof parts[0], &macs))
        return HK_EAUTH;
    if (!hk_split_any(h->value, h->value_len, ',', signature_matches, &macs))
        return HK_EAUTH;
    return fresh;
}

static const char *const stripe_keys[] = {"tolerance_s", NULL};
static const char *const stripe_signature_headers[] = {SIGNATURE_HEADER, NULL};
static const char *const json_types[] = {"application/json", NULL};

const struct hk_scheme hk_scheme_stripe = {
    .name = "stripe",
    .keys = stripe_keys,
    .needs_secrets = true,
    .hash = HK_SHA256,
    .check = stripe_check,
    .default_id = "/id",
    .default_type = "/type",
    .default_created = "/created",
    .created_scale_ms = 1000,
    .signature_headers = stripe_signature_headers,
    .content_types = json_types,
};
