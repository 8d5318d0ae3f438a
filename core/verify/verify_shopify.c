/* verify_shopify.c -- Shopify: base64 HMAC-SHA256 of the body, keyed by the app's client
 * secret, in X-Shopify-Hmac-Sha256 (classic webhooks) or Shopify-Hmac-Sha256 (the newer
 * Events deliveries, which drop the X- prefix from every header).
 *
 * No timestamp is signed. The idempotency key is the webhook id, which Shopify keeps across
 * retries of one delivery (X-Shopify-Webhook-Id, or Shopify-Webhook-Id for Events); the event
 * id (X-Shopify-Event-Id) is shared by the deliveries of one event to several subscriptions,
 * so it is only a fallback. X-Shopify-Triggered-At is an ISO 8601 date, not a Unix time, so
 * there is no default creation time. */
#include "verify/verify.h"

#include "base/err.h"

static const char *const signature_headers[] = {"x-shopify-hmac-sha256", "shopify-hmac-sha256"};

static int shopify_check(const struct hk_verifier *v, const struct hk_verify_req *req)
{
    const struct hk_header *h = NULL;
    for (size_t i = 0; !h && i < sizeof signature_headers / sizeof signature_headers[0]; i++)
        h = hk_header_find(req->headers, req->nheaders, signature_headers[i]);
    if (!h || h->value_len == 0)
        return HK_EUNSIGNED;
    struct hk_span body = {req->body, req->body_len};
    struct hk_macs macs;
    if (hk_verifier_macs(v, &body, 1, &macs))
        return HK_EAUTH;
    return hk_macs_match_base64(&macs, h->value, h->value_len, false) ? 0 : HK_EAUTH;
}

static const char *const shopify_signature_headers[] = {"x-shopify-hmac-sha256",
                                                        "shopify-hmac-sha256", NULL};
static const char *const json_types[] = {"application/json", NULL};

const struct hk_scheme hk_scheme_shopify = {
    .name = "shopify",
    .needs_secrets = true,
    .hash = HK_SHA256,
    .check = shopify_check,
    .default_id =
        "header:x-shopify-webhook-id | header:shopify-webhook-id | header:x-shopify-event-id",
    .default_type = "header:x-shopify-topic | header:shopify-topic",
    .default_created = NULL,
    .created_scale_ms = 1000,
    .signature_headers = shopify_signature_headers,
    .content_types = json_types,
};
