/* fuzz_tls_session.c -- libFuzzer target feeding arbitrary bytes to a server TLS session, as
 * a client's ClientHello and records would arrive from the socket.
 *
 * The first input byte chooses how the rest is cut into feeds (one byte at a time up to
 * whole), so the partial-record paths run too. The server context is built once, from a
 * certificate made at start-up, with tickets, SNI and optional client certificates on, so
 * the parsers of those extensions and messages are reachable. The session's promises are
 * checked besides memory safety: plaintext never exceeds the buffer, a failed session stays
 * failed, and a session that has not completed its handshake never sends plaintext. */
#include "base/buf.h"
#include "base/err.h"
#include "conf/tls.h"
#include "net/tls_session.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PEM_MAX     4096
#define CHUNK_KINDS 17 /* 1..16 bytes per feed, or 0: everything at once */
#define CANARY      "fuzz-canary-plaintext"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hk_tls_server *server;

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        abort();
}

static void remove_file(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

/* A self-signed ECDSA P-256 certificate for localhost, as dir/fuzz.crt and dir/fuzz.key. */
static void make_cert(const char *dir)
{
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_pk_context key;
    mbedtls_x509write_cert w;
    mbedtls_mpi serial;
    unsigned char pem[PEM_MAX];
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_pk_init(&key);
    mbedtls_x509write_crt_init(&w);
    mbedtls_mpi_init(&serial);
    if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0) ||
        mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) ||
        mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key), mbedtls_ctr_drbg_random,
                            &drbg) ||
        mbedtls_mpi_lset(&serial, 1) || mbedtls_x509write_crt_set_serial(&w, &serial) ||
        mbedtls_x509write_crt_set_validity(&w, "20200101000000", "20491231235959") ||
        mbedtls_x509write_crt_set_subject_name(&w, "CN=localhost") ||
        mbedtls_x509write_crt_set_issuer_name(&w, "CN=localhost"))
        abort();
    mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&w, &key);
    mbedtls_x509write_crt_set_issuer_key(&w, &key);
    if (mbedtls_x509write_crt_pem(&w, pem, sizeof pem, mbedtls_ctr_drbg_random, &drbg))
        abort();
    write_file(dir, "fuzz.crt", (const char *)pem);
    if (mbedtls_pk_write_key_pem(&key, pem, sizeof pem))
        abort();
    write_file(dir, "fuzz.key", (const char *)pem);
    mbedtls_mpi_free(&serial);
    mbedtls_x509write_crt_free(&w);
    mbedtls_pk_free(&key);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char dir[] = "/tmp/hookd-fuzz-XXXXXX";
    if (!mkdtemp(dir))
        abort();
    make_cert(dir);
    write_file(dir, "hookd.json",
               "{\"tls\": {\"cert\": \"fuzz.crt\", \"key\": \"fuzz.key\", \"client_ca\": "
               "\"fuzz.crt\", \"sni\": [{\"names\": [\"*.example\"], \"cert\": \"fuzz.crt\", "
               "\"key\": \"fuzz.key\"}]}}");
    struct hk_diags diags = {0}, warnings = {0};
    struct hk_jdoc doc;
    if (hk_jdoc_load(&doc, dir, "hookd.json", &diags) != 0)
        abort();
    struct hk_jcur root = hk_jcur_root(&doc), cur = hk_jcur_member(&root, "tls");
    if (hk_tls_server_parse(&cur, dir, &warnings, &server) != 0)
        abort();
    hk_jdoc_free(&doc);
    hk_diags_free(&diags);
    hk_diags_free(&warnings);
    remove_file(dir, "hookd.json");
    remove_file(dir, "fuzz.crt");
    remove_file(dir, "fuzz.key");
    rmdir(dir);
    return 0;
}

/* Reads until the session wants more; false once it has ended. */
static bool drain(struct hk_tls_session *s)
{
    static uint8_t plain[HK_TLS_PLAIN_MAX];
    for (;;) {
        size_t len = SIZE_MAX;
        enum hk_tls_event ev = hk_tls_session_read(s, plain, sizeof plain, &len);
        if (ev == HK_TLS_DATA && (len == 0 || len > sizeof plain))
            abort();
        if (ev != HK_TLS_DATA && len != 0)
            abort();
        if (ev == HK_TLS_ERROR) {
            if (hk_tls_session_read(s, plain, sizeof plain, &len) != HK_TLS_ERROR)
                abort(); /* failed stays failed */
            return false;
        }
        if (ev == HK_TLS_CLOSED)
            return false;
        if (ev == HK_TLS_NEED_MORE)
            return true;
    }
}

/* Plaintext must never reach the wire before the handshake has completed. */
static void write_canary(struct hk_tls_session *s)
{
    struct hk_buf plain = {0}, *out = hk_tls_session_output(s);
    if (hk_buf_puts(&plain, CANARY))
        abort();
    hk_tls_session_write(s, &plain);
    if (!hk_tls_session_established(s) && plain.len != sizeof CANARY - 1)
        abort();
    for (size_t i = 0; out->len >= sizeof CANARY - 1 && i <= out->len - (sizeof CANARY - 1); i++)
        if (memcmp(out->data + i, CANARY, sizeof CANARY - 1) == 0)
            abort();
    hk_buf_free(&plain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hk_tls_session *s = NULL;
    if (size == 0)
        return 0;
    size_t chunk = data[0] % CHUNK_KINDS;
    data++;
    size--;
    if (hk_tls_session_new(server, &s) != 0)
        abort();
    bool alive = true;
    for (size_t off = 0; alive && off < size;) {
        size_t n = chunk && size - off > chunk ? chunk : size - off;
        if (hk_tls_session_feed(s, data + off, n) != 0)
            abort();
        off += n;
        alive = drain(s);
        hk_tls_session_output(s)->len = 0; /* as if sent */
    }
    write_canary(s);
    hk_tls_session_close(s);
    hk_tls_session_free(s);
    return 0;
}
