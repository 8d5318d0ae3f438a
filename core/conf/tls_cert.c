/* tls_cert.c -- reading certificates and keys with messages that say what to do. */
#include "conf/tls_cert.h"

#include "base/err.h"
#include "base/secret.h"

#include <limits.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PEM_FILE_MAX     (1024 * 1024) /* far above any real chain; stops a wrong path early */
#define RSA_MIN_BITS     2048
#define ERR_TEXT_MAX     160
#define DN_TEXT_MAX      256
#define PEM_BEGIN        "-----BEGIN "
#define EXPIRY_WARN_DAYS 14 /* time enough to renew before clients refuse it */
#define SECONDS_PER_DAY  86400

/* A PEM file's bytes, NUL-terminated as mbedTLS's PEM parser requires. */
struct pem {
    char path[PATH_MAX];
    char *text;
    size_t len; /* including the NUL */
};

static void pem_free(struct pem *p)
{
    if (p->text)
        mbedtls_platform_zeroize(p->text, p->len); /* it may hold a private key */
    free(p->text);
    p->text = NULL;
}

static int read_file(struct pem *p)
{
    FILE *f = fopen(p->path, "rb");
    if (!f)
        return -errno;
    p->text = malloc(PEM_FILE_MAX + 1);
    size_t n = p->text ? fread(p->text, 1, PEM_FILE_MAX + 1, f) : 0;
    int rc = !p->text ? HK_ENOMEM : ferror(f) ? HK_EIO : n > PEM_FILE_MAX ? HK_ERANGE : 0;
    fclose(f);
    if (rc == 0) {
        p->text[n] = 0;
        p->len = n + 1;
    }
    return rc;
}

/* Reads the PEM file named by obj's member key. what ("certificate", "private key") is for
 * the messages. */
static int pem_read(const struct hk_jcur *obj, const char *key, const char *confdir,
                    const char *what, struct pem *p)
{
    const char *rel = NULL;
    struct hk_jcur m = hk_jcur_member(obj, key);
    memset(p, 0, sizeof *p);
    if (hk_jconf_string(obj, key, true, &rel))
        return HK_ECONF;
    snprintf(p->path, sizeof p->path, "%s%s%s", rel[0] == '/' ? "" : confdir,
             rel[0] == '/' ? "" : "/", rel);
    int rc = read_file(p);
    if (rc == HK_ERANGE)
        return hk_jcur_error(&m,
                             "%s file %s is larger than %d bytes: it is not a PEM %s; fix "
                             "the path",
                             what, p->path, PEM_FILE_MAX, what);
    if (rc)
        return hk_jcur_error(&m,
                             "cannot read %s file %s: %s: fix the path, or make the file "
                             "readable by the user hookd runs as",
                             what, p->path, hk_strerror(rc));
    if (!strstr(p->text, PEM_BEGIN))
        return hk_jcur_error(&m,
                             "%s is not a PEM file (no \"-----BEGIN\" line): give the %s in "
                             "PEM, e.g. convert DER with `openssl x509 -inform der -in FILE "
                             "-out FILE.pem` (or `openssl pkey -inform der ...` for a key)",
                             p->path, what);
    return 0;
}

static void mbed_text(int err, char *out, size_t cap)
{
    mbedtls_strerror(err, out, cap);
}

/* Adds every certificate of the PEM file to chain. */
static int parse_certs(const struct hk_jcur *obj, const char *key, const struct pem *p,
                       mbedtls_x509_crt *chain)
{
    char err[ERR_TEXT_MAX];
    struct hk_jcur m = hk_jcur_member(obj, key);
    int rc = mbedtls_x509_crt_parse(chain, (const unsigned char *)p->text, p->len);
    if (rc > 0)
        return hk_jcur_error(&m,
                             "%d certificate(s) in %s could not be parsed: remove or replace "
                             "the damaged ones (check with `openssl x509 -in FILE -noout`)",
                             rc, p->path);
    if (rc == 0)
        return 0;
    mbed_text(rc, err, sizeof err);
    return hk_jcur_error(&m,
                         "cannot parse the PEM certificate(s) in %s: %s: the file must hold "
                         "\"-----BEGIN CERTIFICATE-----\" blocks; check it with `openssl "
                         "x509 -in FILE -noout -text`",
                         p->path, err);
}

static time_t to_time(const mbedtls_x509_time *t)
{
    struct tm tm = {.tm_year = t->year - 1900,
                    .tm_mon = t->mon - 1,
                    .tm_mday = t->day,
                    .tm_hour = t->hour,
                    .tm_min = t->min,
                    .tm_sec = t->sec};
    return timegm(&tm);
}

static void warn_validity(const struct hk_jcur *m, const char *path, const mbedtls_x509_crt *crt,
                          struct hk_diags *warnings)
{
    char dn[DN_TEXT_MAX] = "";
    const mbedtls_x509_time *to = &crt->valid_to, *from = &crt->valid_from;
    double days_left = difftime(to_time(to), time(NULL)) / SECONDS_PER_DAY;
    mbedtls_x509_dn_gets(dn, sizeof dn, &crt->subject);
    if (mbedtls_x509_time_is_past(to))
        hk_jcur_warn(m, warnings,
                     "certificate %s (%s) expired on %04d-%02d-%02d %02d:%02d:%02d UTC: clients "
                     "will refuse it; renew it and reload",
                     path, dn, to->year, to->mon, to->day, to->hour, to->min, to->sec);
    else if (mbedtls_x509_time_is_future(from))
        hk_jcur_warn(m, warnings,
                     "certificate %s (%s) is not valid before %04d-%02d-%02d %02d:%02d:%02d UTC: "
                     "clients will refuse it until then; check the clock or the certificate",
                     path, dn, from->year, from->mon, from->day, from->hour, from->min, from->sec);
    else if (days_left < EXPIRY_WARN_DAYS)
        hk_jcur_warn(m, warnings,
                     "certificate %s (%s) expires on %04d-%02d-%02d %02d:%02d:%02d UTC, in %.0f "
                     "day(s): renew it and reload",
                     path, dn, to->year, to->mon, to->day, to->hour, to->min, to->sec, days_left);
}

static int check_leaf(const struct hk_jcur *obj, const struct pem *p, const mbedtls_x509_crt *crt,
                      struct hk_diags *warnings)
{
    struct hk_jcur m = hk_jcur_member(obj, "cert");
    warn_validity(&m, p->path, crt, warnings);
    if (mbedtls_x509_crt_check_extended_key_usage(crt, MBEDTLS_OID_SERVER_AUTH,
                                                  MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)))
        return hk_jcur_error(&m,
                             "certificate %s is not for TLS servers (its extended key usage "
                             "lacks serverAuth): issue one with extendedKeyUsage=serverAuth",
                             p->path);
    return 0;
}

static int key_error(const struct hk_jcur *obj, const struct pem *p, const char *pwd_label, int rc)
{
    char err[ERR_TEXT_MAX];
    struct hk_jcur m = hk_jcur_member(obj, "key");
    struct hk_jcur pw = hk_jcur_member(obj, "key_password");
    if (rc == MBEDTLS_ERR_PK_PASSWORD_REQUIRED)
        return hk_jcur_error(&m,
                             "private key %s is encrypted: give its password in "
                             "\"key_password\": {\"env\": NAME} or {\"file\": PATH}",
                             p->path);
    if (rc == MBEDTLS_ERR_PK_PASSWORD_MISMATCH)
        return hk_jcur_error(&pw,
                             "wrong password for private key %s (from %s): give the "
                             "password the key was encrypted with",
                             p->path, pwd_label);
    if (rc == MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE || rc == MBEDTLS_ERR_PKCS5_FEATURE_UNAVAILABLE ||
        rc == MBEDTLS_ERR_PK_KEY_INVALID_FORMAT + MBEDTLS_ERR_PKCS5_FEATURE_UNAVAILABLE)
        return hk_jcur_error(&m,
                             "private key %s is encrypted in a way mbedTLS 2.28 cannot read "
                             "(PKCS#8 with AES): re-encrypt it in the traditional format: "
                             "`openssl pkey -in KEY -aes256 -traditional -out NEW.key`",
                             p->path);
    if (rc == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG)
        return hk_jcur_error(&m,
                             "private key %s is neither RSA nor EC: use an ECDSA P-256 or "
                             "an RSA (2048+ bits) key",
                             p->path);
    mbed_text(rc, err, sizeof err);
    return hk_jcur_error(&m,
                         "cannot parse the PEM private key in %s: %s: give an RSA or EC "
                         "private key (\"-----BEGIN ... PRIVATE KEY-----\"); check it with "
                         "`openssl pkey -in FILE -noout`",
                         p->path, err);
}

static int parse_key(const struct hk_jcur *obj, const char *confdir, const struct pem *p,
                     struct hk_diags *warnings, mbedtls_pk_context *key)
{
    struct hk_jcur pw = hk_jcur_member(obj, "key_password");
    struct hk_secret pwd;
    memset(&pwd, 0, sizeof pwd);
    if (pw.val && hk_secret_load(&pw, confdir, &pwd)) {
        hk_secret_wipe(&pwd);
        return HK_ECONF;
    }
    if (pwd.is_inline)
        hk_jcur_warn(&pw, warnings,
                     "the key password is written inline: move it to the "
                     "environment ({\"env\": NAME}) or a file readable only by "
                     "hookd ({\"file\": PATH})");
    int rc = mbedtls_pk_parse_key(key, (const unsigned char *)p->text, p->len, pwd.bytes, pwd.len);
    if (rc)
        rc = key_error(obj, p, pwd.label, rc);
    hk_secret_wipe(&pwd);
    return rc;
}

static int check_key(const struct hk_jcur *obj, const struct pem *cert, const struct pem *keyf,
                     struct hk_tls_cert *c)
{
    struct hk_jcur m = hk_jcur_member(obj, "key");
    mbedtls_pk_type_t type = mbedtls_pk_get_type(&c->key);
    if (type != MBEDTLS_PK_RSA && type != MBEDTLS_PK_ECKEY)
        return hk_jcur_error(&m,
                             "private key %s is neither RSA nor EC: use an ECDSA P-256 or an "
                             "RSA (2048+ bits) key",
                             keyf->path);
    if (type == MBEDTLS_PK_RSA && mbedtls_pk_get_bitlen(&c->key) < RSA_MIN_BITS)
        return hk_jcur_error(&m,
                             "RSA key %s has %zu bits, too few to be safe: use %d bits or "
                             "more, or an ECDSA P-256 key",
                             keyf->path, mbedtls_pk_get_bitlen(&c->key), RSA_MIN_BITS);
    if (mbedtls_pk_check_pair(&c->chain.pk, &c->key) != 0)
        return hk_jcur_error(&m,
                             "private key %s does not belong to certificate %s: give the key "
                             "the certificate was issued for (compare `openssl x509 -in CERT "
                             "-noout -pubkey` with `openssl pkey -in KEY -pubout`)",
                             keyf->path, cert->path);
    return 0;
}

int hk_tls_cert_load(const struct hk_jcur *obj, const char *confdir, struct hk_diags *warnings,
                     struct hk_tls_cert *out)
{
    struct pem cert, chain, key;
    mbedtls_x509_crt_init(&out->chain);
    mbedtls_pk_init(&out->key);
    int rc = pem_read(obj, "cert", confdir, "certificate", &cert);
    if (rc == 0 && (rc = parse_certs(obj, "cert", &cert, &out->chain)) == 0)
        rc = check_leaf(obj, &cert, &out->chain, warnings);
    int crc = 0;
    memset(&chain, 0, sizeof chain);
    if (hk_jcur_member(obj, "chain").val) {
        crc = pem_read(obj, "chain", confdir, "certificate chain", &chain);
        if (crc == 0 && rc == 0)
            crc = parse_certs(obj, "chain", &chain, &out->chain);
    }
    int krc = pem_read(obj, "key", confdir, "private key", &key);
    if (krc == 0)
        krc = parse_key(obj, confdir, &key, warnings, &out->key);
    if (rc == 0 && krc == 0)
        krc = check_key(obj, &cert, &key, out);
    pem_free(&cert);
    pem_free(&chain);
    pem_free(&key);
    return rc || crc || krc ? HK_ECONF : 0;
}

void hk_tls_cert_free(struct hk_tls_cert *c)
{
    mbedtls_x509_crt_free(&c->chain);
    mbedtls_pk_free(&c->key); /* mbedTLS zeroises the key material */
}

int hk_tls_ca_load(const struct hk_jcur *obj, const char *key, const char *confdir,
                   struct hk_diags *warnings, mbedtls_x509_crt *out)
{
    struct pem p;
    mbedtls_x509_crt_init(out);
    int rc = pem_read(obj, key, confdir, "CA certificate", &p);
    if (rc == 0)
        rc = parse_certs(obj, key, &p, out);
    if (rc == 0) {
        struct hk_jcur m = hk_jcur_member(obj, key);
        for (const mbedtls_x509_crt *c = out; c; c = c->next)
            warn_validity(&m, p.path, c, warnings);
    }
    pem_free(&p);
    return rc;
}
