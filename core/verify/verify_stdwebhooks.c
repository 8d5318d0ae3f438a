/* verify_stdwebhooks.c -- Standard Webhooks (standardwebhooks.com), also what Svix sends.
 *
 * Headers webhook-id, webhook-timestamp, webhook-signature, or the same with the svix- prefix
 * (the webhook-* set is used when webhook-signature is present, else the svix-* one; sets are
 * never mixed, so one request cannot take its id from one and its signature from the other).
 * Signed content: id "." timestamp "." body, HMAC-SHA256. The signature header is a
 * space-separated list of "v1,<base64>"; other versions are skipped, so a sender can add a new
 * version without breaking us. The key is the base64 part of the "whsec_..." secret, decoded
 * once at load time. The timestamp must be within tolerance_s (default 300 s) of now, both
 * ways. An id containing '.' is refused: it would make "a.b" + "." + ts ambiguous with "a" +
 * "." + "b.ts", letting one signature cover two (id, timestamp) readings. */
#include "verify/verify.h"

#include "base/codec.h"
#include "base/err.h"

#include <mbedtls/platform_util.h>
#include <stdlib.h>
#include <string.h>

#define SECRET_PREFIX "whsec_"
#define SIG_VERSION   "v1,"

enum { HDR_ID, HDR_TIMESTAMP, HDR_SIGNATURE, HDR_COUNT };

static const char *const header_sets[][HDR_COUNT] = {
    {"webhook-id", "webhook-timestamp", "webhook-signature"},
    {"svix-id", "svix-timestamp", "svix-signature"},
};

/* Replaces s's bytes by the key they encode: "whsec_" (optional) then base64, padded or not. */
static int decode_secret(struct hk_secret *s, const struct hk_jcur *el)
{
    const char *p = (const char *)s->bytes;
    size_t n = s->len, skip = strlen(SECRET_PREFIX);
    if (n >= skip && memcmp(p, SECRET_PREFIX, skip) == 0) {
        p += skip;
        n -= skip;
    }
    uint8_t *key = malloc(n ? n : 1);
    if (!key)
        return HK_ENOMEM;
    long len = hk_base64_decode(p, n, key, n, false);
    if (len <= 0) {
        mbedtls_platform_zeroize(key, n);
        free(key);
        return hk_jcur_error(el,
                             "secret (%s) is not a Standard Webhooks secret: it must be "
                             "\"whsec_\" followed by base64; copy it again from the sender",
                             s->label);
    }
    mbedtls_platform_zeroize(s->bytes, s->len);
    free(s->bytes);
    s->bytes = key;
    s->len = (size_t)len;
    return 0;
}

static int stdwebhooks_setup(struct hk_verifier *v, const struct hk_jcur *verify)
{
    struct hk_jcur arr = hk_jcur_member(verify, "secrets");
    int rc = 0;
    for (size_t i = 0; i < v->nsecrets; i++) {
        struct hk_jcur el = hk_jcur_element(&arr, i);
        int one = decode_secret(&v->secrets[i], &el);
        rc = rc ? rc : one;
    }
    return rc;
}

static bool entry_matches(const char *item, size_t len, void *arg)
{
    size_t vlen = strlen(SIG_VERSION);
    if (len <= vlen || memcmp(item, SIG_VERSION, vlen) != 0)
        return false;
    return hk_macs_match_base64(arg, item + vlen, len - vlen, false);
}

static int stdwebhooks_check(const struct hk_verifier *v, const struct hk_verify_req *req)
{
    const char *const *names = header_sets[0];
    if (!hk_header_find(req->headers, req->nheaders, names[HDR_SIGNATURE]))
        names = header_sets[1];
    const struct hk_header *id = hk_header_find(req->headers, req->nheaders, names[HDR_ID]);
    const struct hk_header *ts = hk_header_find(req->headers, req->nheaders, names[HDR_TIMESTAMP]);
    const struct hk_header *sig = hk_header_find(req->headers, req->nheaders, names[HDR_SIGNATURE]);
    if (!sig || sig->value_len == 0)
        return HK_EUNSIGNED;
    if (!id || !ts || !sig || id->value_len == 0 || memchr(id->value, '.', id->value_len))
        return HK_EAUTH;
    int64_t t;
    /* Checked after the MAC so HK_ESTALE only ever describes a genuine, old request. */
    int fresh = hk_verify_timestamp(v, ts->value, ts->value_len, req->now_s, &t);
    if (fresh == HK_EAUTH)
        return HK_EAUTH;
    const struct hk_span parts[] = {
        {id->value, id->value_len}, {".", 1}, {ts->value, ts->value_len}, {".", 1},
        {req->body, req->body_len},
    };
    struct hk_macs macs;
    if (hk_verifier_macs(v, parts, sizeof parts / sizeof parts[0], &macs))
        return HK_EAUTH;
    if (!hk_split_any(sig->value, sig->value_len, ' ', entry_matches, &macs))
        return HK_EAUTH;
    return fresh;
}

static const char *const stdwebhooks_keys[] = {"tolerance_s", NULL};
static const char *const stdwebhooks_signature_headers[] = {"webhook-signature", "svix-signature",
                                                            NULL};
static const char *const json_types[] = {"application/json", NULL};

const struct hk_scheme hk_scheme_stdwebhooks = {
    .name = "standard-webhooks",
    .keys = stdwebhooks_keys,
    .needs_secrets = true,
    .hash = HK_SHA256,
    .setup = stdwebhooks_setup,
    .check = stdwebhooks_check,
    /* webhook-id is the sender's idempotency key; a body "id" wins when the payload has one. */
    .default_id = "/id | header:webhook-id | header:svix-id",
    .default_type = "/type",
    .default_created = "header:webhook-timestamp | header:svix-timestamp",
    .created_scale_ms = 1000,
    .signature_headers = stdwebhooks_signature_headers,
    .content_types = json_types,
};
