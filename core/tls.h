/* tls.h -- TLS termination with mbedTLS (server side). */
#ifndef HK_TLS_H
#define HK_TLS_H

#include "jconf.h"

struct hk_tls_server;

/* Builds a server context from a listener's "tls" object. 0 or HK_ECONF (reported). */
int hk_tls_server_parse(const struct hk_jcur *tls, const char *confdir, struct hk_tls_server **out);
void hk_tls_server_free(struct hk_tls_server *t);

#endif
