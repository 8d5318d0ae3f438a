/* tls.c -- a listener's TLS server context: reading "tls", the policy, SNI, references. */
#include "conf/tls.h"

#include "base/err.h"
#include "conf/tls_cert.h"

#include <ctype.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if !defined(MBEDTLS_THREADING_C)
#error "hookd shares one DRBG and one ticket key per listener between I/O threads: it needs \
mbedTLS built with MBEDTLS_THREADING_C (Debian's libmbedtls-dev is)"
#endif
#if !defined(MBEDTLS_SSL_SESSION_TICKETS) || !defined(MBEDTLS_SSL_ALPN) ||                         \
    !defined(MBEDTLS_SSL_SERVER_NAME_INDICATION) || !defined(MBEDTLS_SSL_TICKET_C)
#error "hookd needs mbedTLS with session tickets, ALPN and SNI (Debian's libmbedtls-dev has them)"
#endif

#define MAX_SNI_ENTRIES      64
#define MAX_SNI_NAMES        64
#define HOSTNAME_MAX         253
#define HANDSHAKE_MS_DEFAULT 10000
#define HANDSHAKE_MS_MIN     100
#define HANDSHAKE_MS_MAX     600000
#define ROTATION_S_DEFAULT   3600
#define ROTATION_S_MIN       60
#define ROTATION_S_MAX       86400
#define ERR_TEXT_MAX         160
#define DRBG_PERSONALISATION "hookd tls server"

struct sni_entry {
    char **names; /* owned, lower case; "*.example.com" matches exactly one more label */
    size_t nnames;
    struct hk_tls_cert cert;
};

struct hk_tls_server {
    atomic_uint refs;
    mbedtls_ssl_config conf; /* points at everything below: immutable once built */
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg; /* shared by the I/O threads, see tls.h */
    mbedtls_ssl_ticket_context tickets;
    struct hk_tls_cert cert; /* the default certificate */
    struct sni_entry *sni;
    size_t nsni;
    mbedtls_x509_crt client_ca;
    bool asks_client_cert;
    uint32_t handshake_ms;
};

/* The settings of a "tls" object besides certificates. */
struct options {
    int authmode;
    bool tickets;
    uint32_t rotation_s;
};

static const char *const tls_keys[] = {"cert",
                                       "key",
                                       "chain",
                                       "key_password",
                                       "client_ca",
                                       "require_client_cert",
                                       "sni",
                                       "handshake_timeout_ms",
                                       "session_tickets",
                                       "ticket_rotation_s",
                                       NULL};
static const char *const sni_keys[] = {"names", "cert", "key", "chain", "key_password", NULL};

/* Strongest first; the server's order wins. ECDHE only (forward secrecy), AEAD only. */
static const int suites[] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                             MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                             MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                             MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
                             MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                             MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                             0};
static const mbedtls_ecp_group_id curves[] = {MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1,
                                              MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_NONE};
static const int sig_hashes[] = {MBEDTLS_MD_SHA512, MBEDTLS_MD_SHA384, MBEDTLS_MD_SHA256,
                                 MBEDTLS_MD_NONE};
static const char *alpn[] = {"http/1.1", NULL};

static bool hostname_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > HOSTNAME_MAX || s[0] == '.' || s[n - 1] == '.')
        return false;
    if (s[0] == '*')
        return n > 2 && s[1] == '.' && hostname_ok(s + 2);
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
            return false;
    return true;
}

static int parse_names(const struct hk_jcur *el, struct sni_entry *e)
{
    struct hk_jcur arr = hk_jcur_member(el, "names");
    size_t n = 0;
    if (hk_jconf_array(&arr, &n))
        return HK_ECONF;
    if (n == 0 || n > MAX_SNI_NAMES)
        return hk_jcur_error(&arr,
                             "give 1 to %d host names this certificate serves, e.g. "
                             "[\"hooks.example.com\"]",
                             MAX_SNI_NAMES);
    if (!(e->names = calloc(n, sizeof *e->names)))
        return HK_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct hk_jcur m = hk_jcur_element(&arr, i);
        const char *s = json_string_value(m.val);
        if (!s || !hostname_ok(s)) {
            rc = hk_jcur_error(&m, "expected a host name like \"hooks.example.com\" or "
                                   "\"*.example.com\"");
            continue;
        }
        if (!(e->names[e->nnames] = strdup(s)))
            return HK_ENOMEM;
        for (char *p = e->names[e->nnames]; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        e->nnames++;
    }
    return rc;
}

static int parse_sni(struct hk_tls_server *t, const struct hk_jcur *tls, const char *confdir,
                     struct hk_diags *warnings)
{
    struct hk_jcur arr = hk_jcur_member(tls, "sni");
    size_t n = 0;
    if (hk_jconf_array(&arr, &n))
        return HK_ECONF;
    if (n > MAX_SNI_ENTRIES)
        return hk_jcur_error(&arr, "%zu entries: give at most %d", n, MAX_SNI_ENTRIES);
    if (n && !(t->sni = calloc(n, sizeof *t->sni)))
        return HK_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct hk_jcur el = hk_jcur_element(&arr, i);
        struct sni_entry *e = &t->sni[t->nsni++]; /* zeroed: its cert is freeable as is */
        if (!json_is_object(el.val)) {
            rc = hk_jcur_error(&el, "expected {\"names\": [...], \"cert\": PATH, \"key\": PATH}");
            continue;
        }
        rc |= hk_jconf_object(&el, sni_keys);
        rc |= parse_names(&el, e);
        rc |= hk_tls_cert_load(&el, confdir, warnings, &e->cert);
    }
    return rc;
}

static int parse_client_auth(struct hk_tls_server *t, const struct hk_jcur *tls,
                             const char *confdir, struct hk_diags *warnings, struct options *o)
{
    bool require = false;
    int rc = hk_jconf_bool(tls, "require_client_cert", &require);
    o->authmode = MBEDTLS_SSL_VERIFY_NONE;
    if (!hk_jcur_member(tls, "client_ca").val) {
        struct hk_jcur m = hk_jcur_member(tls, "require_client_cert");
        if (require)
            rc = hk_jcur_error(&m, "needs \"client_ca\": the PEM file of the CA that issues the "
                                   "client certificates to accept");
        return rc;
    }
    rc |= hk_tls_ca_load(tls, "client_ca", confdir, warnings, &t->client_ca);
    t->asks_client_cert = true;
    o->authmode = require ? MBEDTLS_SSL_VERIFY_REQUIRED : MBEDTLS_SSL_VERIFY_OPTIONAL;
    return rc;
}

static int parse_options(struct hk_tls_server *t, const struct hk_jcur *tls, struct options *o)
{
    int64_t hs = HANDSHAKE_MS_DEFAULT, rotation = ROTATION_S_DEFAULT;
    o->tickets = true;
    int rc =
        hk_jconf_duration_ms(tls, "handshake_timeout_ms", HANDSHAKE_MS_MIN, HANDSHAKE_MS_MAX, &hs);
    rc |= hk_jconf_bool(tls, "session_tickets", &o->tickets);
    rc |= hk_jconf_int(tls, "ticket_rotation_s", ROTATION_S_MIN, ROTATION_S_MAX, &rotation);
    t->handshake_ms = (uint32_t)hs;
    o->rotation_s = (uint32_t)rotation;
    return rc;
}

static bool name_matches(const char *pattern, const char *name, size_t n)
{
    if (pattern[0] == '*') {
        const char *dot = memchr(name, '.', n);
        if (!dot || dot == name)
            return false;
        n -= (size_t)(dot - name);
        name = dot;
        pattern++;
    }
    return strlen(pattern) == n && strncasecmp(pattern, name, n) == 0;
}

/* Picks the certificates for the name the client asked for; an unknown name (or none) gets
 * the default certificate. Runs on I/O threads: reads the immutable context only. */
static int sni_cb(void *arg, mbedtls_ssl_context *ssl, const unsigned char *name, size_t n)
{
    struct hk_tls_server *t = arg;
    if (n && name[n - 1] == '.')
        n--; /* an absolute name */
    for (size_t i = 0; i < t->nsni; i++) {
        struct sni_entry *e = &t->sni[i];
        for (size_t j = 0; j < e->nnames; j++) {
            if (!name_matches(e->names[j], (const char *)name, n))
                continue;
            int rc = mbedtls_ssl_set_hs_own_cert(ssl, &e->cert.chain, &e->cert.key);
            if (rc)
                return rc;
            break; /* on to the next entry: an RSA and an ECDSA one may share a name */
        }
    }
    return 0;
}

static void apply_policy(mbedtls_ssl_config *c)
{
    mbedtls_ssl_conf_min_version(c, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(c, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_ciphersuites(c, suites);
    mbedtls_ssl_conf_curves(c, curves);
    mbedtls_ssl_conf_sig_hashes(c, sig_hashes);
    mbedtls_ssl_conf_renegotiation(c, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
    mbedtls_ssl_conf_legacy_renegotiation(c, MBEDTLS_SSL_LEGACY_NO_RENEGOTIATION);
    mbedtls_ssl_conf_cert_profile(c, &mbedtls_x509_crt_profile_next);
}

static int setup(struct hk_tls_server *t, const struct hk_jcur *tls, const struct options *o)
{
    static const unsigned char pers[] = DRBG_PERSONALISATION;
    mbedtls_ssl_config *c = &t->conf;
    int rc =
        mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy, pers, sizeof pers - 1);
    if (rc == 0)
        rc = mbedtls_ssl_config_defaults(c, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                         MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc == 0) {
        apply_policy(c);
        mbedtls_ssl_conf_rng(c, mbedtls_ctr_drbg_random, &t->drbg);
        mbedtls_ssl_conf_authmode(c, o->authmode);
        if (t->asks_client_cert)
            mbedtls_ssl_conf_ca_chain(c, &t->client_ca, NULL);
        if (t->nsni)
            mbedtls_ssl_conf_sni(c, sni_cb, t);
        rc = mbedtls_ssl_conf_own_cert(c, &t->cert.chain, &t->cert.key);
    }
    if (rc == 0)
        rc = mbedtls_ssl_conf_alpn_protocols(c, alpn);
    if (rc == 0 && o->tickets) {
        rc = mbedtls_ssl_ticket_setup(&t->tickets, mbedtls_ctr_drbg_random, &t->drbg,
                                      MBEDTLS_CIPHER_AES_256_GCM, o->rotation_s);
        if (rc == 0)
            mbedtls_ssl_conf_session_tickets_cb(c, mbedtls_ssl_ticket_write,
                                                mbedtls_ssl_ticket_parse, &t->tickets);
    }
    if (rc == 0)
        return 0;
    char err[ERR_TEXT_MAX];
    mbedtls_strerror(rc, err, sizeof err);
    return hk_jcur_error(tls,
                         "cannot set up TLS: %s: check the system's entropy source "
                         "(getrandom) and free memory",
                         err);
}

static void destroy(struct hk_tls_server *t)
{
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_ssl_ticket_free(&t->tickets);
    mbedtls_ctr_drbg_free(&t->drbg);
    mbedtls_entropy_free(&t->entropy);
    hk_tls_cert_free(&t->cert);
    for (size_t i = 0; i < t->nsni; i++) {
        for (size_t j = 0; j < t->sni[i].nnames; j++)
            free(t->sni[i].names[j]);
        free(t->sni[i].names);
        hk_tls_cert_free(&t->sni[i].cert);
    }
    free(t->sni);
    mbedtls_x509_crt_free(&t->client_ca);
    free(t);
}

static struct hk_tls_server *create(void)
{
    struct hk_tls_server *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    atomic_init(&t->refs, 1);
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_entropy_init(&t->entropy);
    mbedtls_ctr_drbg_init(&t->drbg);
    mbedtls_ssl_ticket_init(&t->tickets);
    mbedtls_x509_crt_init(&t->client_ca);
    return t;
}

int hk_tls_server_parse(const struct hk_jcur *tls, const char *confdir, struct hk_diags *warnings,
                        struct hk_tls_server **out)
{
    struct options o;
    *out = NULL;
    if (!json_is_object(tls->val))
        return hk_jcur_error(tls, "expected an object {\"cert\": PATH, \"key\": PATH}");
    struct hk_tls_server *t = create();
    if (!t)
        return HK_ENOMEM;
    int rc = hk_jconf_object(tls, tls_keys);
    rc |= hk_tls_cert_load(tls, confdir, warnings, &t->cert);
    rc |= parse_sni(t, tls, confdir, warnings);
    rc |= parse_client_auth(t, tls, confdir, warnings, &o);
    rc |= parse_options(t, tls, &o);
    if (rc == 0)
        rc = setup(t, tls, &o);
    if (rc) {
        destroy(t);
        return HK_ECONF;
    }
    *out = t;
    return 0;
}

struct hk_tls_server *hk_tls_server_acquire(struct hk_tls_server *t)
{
    atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    return t;
}

void hk_tls_server_release(struct hk_tls_server *t)
{
    if (t && atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1)
        destroy(t);
}

const struct mbedtls_ssl_config *hk_tls_server_config(const struct hk_tls_server *t)
{
    return &t->conf;
}

uint32_t hk_tls_server_handshake_ms(const struct hk_tls_server *t)
{
    return t->handshake_ms;
}

bool hk_tls_server_asks_client_cert(const struct hk_tls_server *t)
{
    return t->asks_client_cert;
}
