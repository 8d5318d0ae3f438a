/* verify_github.c -- GitHub: X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>.
 *
 * The key is the webhook secret's bytes. GitHub signs no timestamp: replays are absorbed by
 * deduplicating on X-GitHub-Delivery, which stays the same when a delivery is redelivered.
 * The legacy SHA-1 header X-Hub-Signature is never accepted. GitHub can post the payload as
 * application/x-www-form-urlencoded (payload=<json>); the id and type come from headers, so
 * both content types work. */
#include "verify/verify.h"

#include "base/err.h"

#include <string.h>

#define SIGNATURE_HEADER "x-hub-signature-256"
#define SIGNATURE_PREFIX "sha256="

static int github_check(const struct hk_verifier *v, const struct hk_verify_req *req)
{
    const struct hk_header *h = hk_header_find(req->headers, req->nheaders, SIGNATURE_HEADER);
    size_t plen = strlen(SIGNATURE_PREFIX);
    if (!h || h->value_len == 0)
        return HK_EUNSIGNED;
    if (h->value_len <= plen || memcmp(h->value, SIGNATURE_PREFIX, plen) != 0)
        return HK_EAUTH;
    struct hk_span body = {req->body, req->body_len};
    struct hk_macs macs;
    if (hk_verifier_macs(v, &body, 1, &macs))
        return HK_EAUTH;
    return hk_macs_match_hex(&macs, h->value + plen, h->value_len - plen) ? 0 : HK_EAUTH;
}

/* GitHub also sends the SHA-1 signature: not checked, but a credential all the same. */
static const char *const github_signature_headers[] = {SIGNATURE_HEADER, "x-hub-signature", NULL};
static const char *const github_types[] = {"application/json", "application/x-www-form-urlencoded",
                                           NULL};

const struct hk_scheme hk_scheme_github = {
    .name = "github",
    .needs_secrets = true,
    .hash = HK_SHA256,
    .check = github_check,
    .default_id = "header:x-github-delivery",
    .default_type = "header:x-github-event",
    .default_created = NULL,
    .created_scale_ms = 1000,
    .signature_headers = github_signature_headers,
    .content_types = github_types,
};
