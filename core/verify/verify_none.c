/* verify_none.c -- "none": no signature at all; every request is taken as genuine.
 *
 * For senders that cannot sign. Such a source is only as safe as the network path to it, so
 * core/conf/source.c accepts "none" only together with an IP allowlist or a required client
 * certificate; this file just says yes. */
#include "verify/verify.h"

static int none_check(const struct hk_verifier *v, const struct hk_verify_req *req)
{
    (void)v;
    (void)req;
    return 0;
}

static const char *const json_types[] = {"application/json", NULL};

const struct hk_scheme hk_scheme_none = {
    .name = "none",
    .needs_secrets = false,
    .hash = HK_SHA256,
    .check = none_check,
    .default_id = "/id",
    .default_type = "/type",
    .default_created = NULL,
    .created_scale_ms = 1000,
    .content_types = json_types,
};
