/* tls.c -- TLS termination (to be completed by the TLS issue). */
#include "tls.h"

#include "err.h"

int hk_tls_server_parse(const struct hk_jcur *tls, const char *confdir, struct hk_tls_server **out)
{
    (void)confdir;
    *out = NULL;
    return hk_jcur_error(tls, "TLS listeners are not available in this build yet: remove "
                              "\"tls\" and terminate TLS in front of hookd");
}

void hk_tls_server_free(struct hk_tls_server *t)
{
    (void)t;
}
