/* verify_schemes.h -- the list of signature schemes; each is defined in verify_<name>.c. */
#ifndef HK_VERIFY_SCHEMES_H
#define HK_VERIFY_SCHEMES                                                                          \
    &hk_scheme_flagright, &hk_scheme_stdwebhooks, &hk_scheme_stripe, &hk_scheme_github,            \
        &hk_scheme_shopify, &hk_scheme_slack, &hk_scheme_hmac, &hk_scheme_none

#include "verify/verify.h"

extern const struct hk_scheme hk_scheme_flagright;
extern const struct hk_scheme hk_scheme_stdwebhooks;
extern const struct hk_scheme hk_scheme_stripe;
extern const struct hk_scheme hk_scheme_github;
extern const struct hk_scheme hk_scheme_shopify;
extern const struct hk_scheme hk_scheme_slack;
extern const struct hk_scheme hk_scheme_hmac;
extern const struct hk_scheme hk_scheme_none;

/* Order is the order listed in error messages. */
#define HK_VERIFY_SCHEMES                                                                          \
    &hk_scheme_flagright, &hk_scheme_stdwebhooks, &hk_scheme_stripe, &hk_scheme_github,            \
        &hk_scheme_shopify, &hk_scheme_slack, &hk_scheme_hmac, &hk_scheme_none

#endif
