/* tls_cert.h -- certificates and private keys read from PEM files at configuration load.
 *
 * Every problem names the file, the cause and the fix: unreadable file, not PEM, a PEM that
 * does not parse, an encrypted key without (or with the wrong) "key_password", a key that does
 * not belong to its certificate. An expired or not yet valid certificate only warns: hookd
 * still starts, so renewing it is the operator's call. Nothing here logs key material or
 * passwords. Loading keeps no global state, so a reload can build a new set beside the old. */
#ifndef HK_TLS_CERT_H
#define HK_TLS_CERT_H

#include "base/diag.h"
#include "base/jconf.h"

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

/* A server certificate: the leaf first, then its chain, and the leaf's private key. */
struct hk_tls_cert {
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
};

/* Reads obj's "cert" (PEM: the leaf, optionally followed by intermediates), "chain" (optional
 * PEM intermediates), "key" (PEM RSA or EC private key) and "key_password" (optional
 * {"env"|"file"|"value"}, like a secret), with paths relative to confdir. 0, or HK_ECONF with
 * the problems reported to obj's document; warnings (expiry, inline password) go to
 * warnings. *out is initialised here; free it with hk_tls_cert_free, also on error. */
int hk_tls_cert_load(const struct hk_jcur *obj, const char *confdir, struct hk_diags *warnings,
                     struct hk_tls_cert *out);
void hk_tls_cert_free(struct hk_tls_cert *c);

/* Reads the PEM CA certificates named by obj's member key into *out (initialised here; free
 * with mbedtls_x509_crt_free, also on error). 0 or HK_ECONF with the problem reported. */
int hk_tls_ca_load(const struct hk_jcur *obj, const char *key, const char *confdir,
                   struct hk_diags *warnings, mbedtls_x509_crt *out);

#endif
