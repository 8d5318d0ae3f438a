/* verify_flagright.c -- Flagright: lowercase hex HMAC-SHA256 of the raw body, keyed by the
 * secret's bytes, in x-flagright-signature (x-webhook-signature for white-labelled tenants).
 * During a rotation the header carries several signatures separated by commas. No timestamp
 * is signed: replays are absorbed by deduplicating on the event id. */
#include "verify/verify.h"

#include "base/codec.h"
#include "base/err.h"

#define SHA256_HEX_LEN 64

static const char *const flagright_headers[] = {"x-flagright-signature", "x-webhook-signature"};

struct candidate_ctx {
    const struct hk_macs *macs;
};

static bool entry_matches(const char *item, size_t len, void *arg)
{
    const struct candidate_ctx *c = arg;
    uint8_t sig[HK_HMAC_MAX];
    if (len != SHA256_HEX_LEN || hk_hex_decode(item, len, sig, sizeof sig) != SHA256_HEX_LEN / 2)
        return false;
    return hk_macs_match(c->macs, sig, SHA256_HEX_LEN / 2);
}

static int flagright_check(const struct hk_verifier *v, const struct hk_verify_req *req)
{
    const struct hk_header *h = NULL;
    for (size_t i = 0; !h && i < sizeof flagright_headers / sizeof flagright_headers[0]; i++)
        h = hk_header_find(req->headers, req->nheaders, flagright_headers[i]);
    if (!h || h->value_len == 0)
        return HK_EUNSIGNED;
    struct hk_macs macs;
    struct hk_span body = {req->body, req->body_len};
    if (hk_verifier_macs(v, &body, 1, &macs))
        return HK_EAUTH;
    struct candidate_ctx c = {&macs};
    return hk_split_any(h->value, h->value_len, ',', entry_matches, &c) ? 0 : HK_EAUTH;
}

static const char *const flagright_signature_headers[] = {"x-flagright-signature",
                                                          "x-webhook-signature", NULL};
static const char *const json_types[] = {"application/json", NULL};

const struct hk_scheme hk_scheme_flagright = {
    .name = "flagright",
    .needs_secrets = true,
    .hash = HK_SHA256,
    .check = flagright_check,
    .default_id = "/id",
    .default_type = "/type",
    .default_created = "/createdTimestamp",
    .created_scale_ms = 1,
    .signature_headers = flagright_signature_headers,
    .content_types = json_types,
};
