/* testutil.c -- helpers shared by the unit tests. */
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/x509_crt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    p[n] = 0;
    fclose(f);
    if (len)
        *len = (size_t)n;
    return p;
}

const char *tu_data(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", HK_TEST_DATA, name);
    return path;
}

static void mkdir_p(const char *path)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0755);
            *p = '/';
        }
    }
    mkdir(tmp, 0755);
}

const char *tu_tmpdir(const char *name)
{
    static char path[1024];
    char cmd[1100];
    snprintf(path, sizeof path, "%s/%s", HK_TEST_TMP, name);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
    mkdir_p(path);
    return path;
}

void tu_write_file(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *slash = strrchr(path, '/');
    *slash = 0;
    mkdir_p(path);
    *slash = '/';
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* ---- certificates ---- */

#define TU_PEM_MAX      8192
#define TU_RSA_BITS     2048
#define TU_RSA_EXPONENT 65537
#define TU_DN_MAX       256

int tu_random(void *ctx, unsigned char *out, size_t n)
{
    static mbedtls_ctr_drbg_context drbg;
    static mbedtls_entropy_context entropy;
    static bool seeded;
    (void)ctx;
    if (!seeded) {
        mbedtls_entropy_init(&entropy);
        mbedtls_ctr_drbg_init(&drbg);
        assert_int_equal(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0), 0);
        seeded = true;
    }
    return mbedtls_ctr_drbg_random(&drbg, out, n);
}

static void gen_key(mbedtls_pk_context *key, const struct tu_cert *c)
{
    if (c->rsa) {
        assert_int_equal(mbedtls_pk_setup(key, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)), 0);
        assert_int_equal(mbedtls_rsa_gen_key(mbedtls_pk_rsa(*key), tu_random, NULL,
                                             c->rsa_bits ? c->rsa_bits : TU_RSA_BITS,
                                             TU_RSA_EXPONENT),
                         0);
        return;
    }
    assert_int_equal(mbedtls_pk_setup(key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
    assert_int_equal(
        mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*key), tu_random, NULL), 0);
}

static void write_pem(const char *dir, const char *name, const char *ext, const char *pem)
{
    char file[512], path[1024];
    snprintf(file, sizeof file, "%s.%s", name, ext);
    tu_write_file(dir, file, pem);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    chmod(path, 0600);
}

/* The DER of one subjectAltName dNSName (short names only: one-byte lengths). */
static size_t san_der(const char *dns, unsigned char *out)
{
    size_t n = strlen(dns);
    out[0] = 0x30; /* SEQUENCE */
    out[1] = (unsigned char)(n + 2);
    out[2] = 0x82; /* [2] dNSName */
    out[3] = (unsigned char)n;
    memcpy(out + 4, dns, n);
    return n + 4;
}

static void set_names(mbedtls_x509write_cert *w, const char *dir, const struct tu_cert *c,
                      mbedtls_pk_context *key, mbedtls_pk_context *ikey, mbedtls_x509_crt *icrt)
{
    char path[1024], issuer[TU_DN_MAX];
    snprintf(issuer, sizeof issuer, "%s", c->subject);
    if (c->issuer) {
        snprintf(path, sizeof path, "%s/%s.key", dir, c->issuer);
        assert_int_equal(mbedtls_pk_parse_keyfile(ikey, path, NULL), 0);
        snprintf(path, sizeof path, "%s/%s.crt", dir, c->issuer);
        assert_int_equal(mbedtls_x509_crt_parse_file(icrt, path), 0);
        assert_true(mbedtls_x509_dn_gets(issuer, sizeof issuer, &icrt->subject) > 0);
    }
    assert_int_equal(mbedtls_x509write_crt_set_subject_name(w, c->subject), 0);
    assert_int_equal(mbedtls_x509write_crt_set_issuer_name(w, issuer), 0);
    mbedtls_x509write_crt_set_subject_key(w, key);
    mbedtls_x509write_crt_set_issuer_key(w, c->issuer ? ikey : key);
}

static void set_validity(mbedtls_x509write_cert *w, const struct tu_cert *c)
{
    char from[16] = "20200101000000", to[16] = "20491231235959";
    if (c->expired) {
        snprintf(from, sizeof from, "20010101000000");
        snprintf(to, sizeof to, "20011231235959");
    } else if (c->valid_days) {
        time_t now = time(NULL), yesterday = now - 86400, end = now + c->valid_days * 86400;
        strftime(from, sizeof from, "%Y%m%d%H%M%S", gmtime(&yesterday));
        strftime(to, sizeof to, "%Y%m%d%H%M%S", gmtime(&end));
    }
    assert_int_equal(mbedtls_x509write_crt_set_validity(w, from, to), 0);
}

void tu_make_cert(const char *dir, const char *name, const struct tu_cert *c)
{
    mbedtls_pk_context key, ikey;
    mbedtls_x509_crt icrt;
    mbedtls_x509write_cert w;
    mbedtls_mpi serial;
    unsigned char pem[TU_PEM_MAX], san[300];
    static int next_serial = 1;
    mbedtls_pk_init(&key);
    mbedtls_pk_init(&ikey);
    mbedtls_x509_crt_init(&icrt);
    mbedtls_x509write_crt_init(&w);
    mbedtls_mpi_init(&serial);
    gen_key(&key, c);
    mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
    assert_int_equal(mbedtls_mpi_lset(&serial, next_serial++), 0);
    assert_int_equal(mbedtls_x509write_crt_set_serial(&w, &serial), 0);
    set_validity(&w, c);
    set_names(&w, dir, c, &key, &ikey, &icrt);
    assert_int_equal(mbedtls_x509write_crt_set_basic_constraints(&w, c->ca, -1), 0);
    if (c->san) {
        size_t n = san_der(c->san, san);
        assert_int_equal(mbedtls_x509write_crt_set_extension(
                             &w, MBEDTLS_OID_SUBJECT_ALT_NAME,
                             MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0, san, n),
                         0);
    }
    assert_int_equal(mbedtls_x509write_crt_pem(&w, pem, sizeof pem, tu_random, NULL), 0);
    write_pem(dir, name, "crt", (const char *)pem);
    assert_int_equal(mbedtls_pk_write_key_pem(&key, pem, sizeof pem), 0);
    write_pem(dir, name, "key", (const char *)pem);
    mbedtls_platform_zeroize(pem, sizeof pem);
    mbedtls_mpi_free(&serial);
    mbedtls_x509write_crt_free(&w);
    mbedtls_x509_crt_free(&icrt);
    mbedtls_pk_free(&ikey);
    mbedtls_pk_free(&key);
}

void tu_load_member(struct tu_doc *t, const char *dir, const char *key, const char *value_json,
                    struct hk_diags *diags)
{
    char *text = NULL;
    assert_true(asprintf(&text, "{\n  \"%s\": %s\n}\n", key, value_json) > 0);
    tu_write_file(dir, "hookd.json", text);
    free(text);
    assert_int_equal(hk_jdoc_load(&t->doc, dir, "hookd.json", diags), 0);
    t->root = hk_jcur_root(&t->doc);
    t->member = hk_jcur_member(&t->root, key);
}
