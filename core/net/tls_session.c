/* tls_session.c -- mbedTLS driven from an event loop through memory BIOs. */
#include "net/tls_session.h"

#include "base/err.h"
#include "conf/tls.h"

#include <limits.h>
#include <mbedtls/error.h>
#include <mbedtls/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUBJECT_MAX 512

struct hk_tls_session {
    mbedtls_ssl_context ssl;
    struct hk_tls_server *server; /* a reference: ssl points into its configuration */
    struct hk_buf in;             /* ciphertext fed in; in.data[in_off..] not yet taken */
    size_t in_off;
    struct hk_buf out; /* ciphertext for the socket */
    bool established;
    bool closing;              /* close_notify queued: nothing more is written */
    bool failed;               /* a fatal error: nothing more is read or written */
    int error;                 /* the mbedTLS code that failed it */
    char subject[SUBJECT_MAX]; /* empty unless a client certificate verified */
};

/* The BIO's receive side: hands mbedTLS what was fed in, WANT_READ when it is used up. */
static int recv_cb(void *ctx, unsigned char *p, size_t n)
{
    struct hk_tls_session *s = ctx;
    size_t avail = s->in.len - s->in_off;
    if (avail == 0)
        return MBEDTLS_ERR_SSL_WANT_READ;
    if (n > avail)
        n = avail;
    if (n > INT_MAX)
        n = INT_MAX;
    memcpy(p, s->in.data + s->in_off, n);
    s->in_off += n;
    if (s->in_off == s->in.len)
        s->in.len = s->in_off = 0;
    return (int)n;
}

/* The BIO's send side: everything goes to the output buffer at once, so mbedTLS never
 * has a partial write to resume. */
static int send_cb(void *ctx, const unsigned char *p, size_t n)
{
    struct hk_tls_session *s = ctx;
    if (n > INT_MAX)
        n = INT_MAX;
    if (hk_buf_append(&s->out, p, n))
        return MBEDTLS_ERR_SSL_ALLOC_FAILED;
    return (int)n;
}

int hk_tls_session_new(struct hk_tls_server *server, struct hk_tls_session **out)
{
    struct hk_tls_session *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return HK_ENOMEM;
    mbedtls_ssl_init(&s->ssl);
    if (mbedtls_ssl_setup(&s->ssl, hk_tls_server_config(server)) != 0) {
        mbedtls_ssl_free(&s->ssl);
        free(s);
        return HK_ENOMEM; /* setup only fails on allocation */
    }
    mbedtls_ssl_set_bio(&s->ssl, s, send_cb, recv_cb, NULL);
    s->server = hk_tls_server_acquire(server);
    *out = s;
    return 0;
}

void hk_tls_session_free(struct hk_tls_session *s)
{
    if (!s)
        return;
    mbedtls_ssl_free(&s->ssl); /* zeroises the session keys */
    hk_tls_server_release(s->server);
    hk_buf_free(&s->in);
    hk_buf_free(&s->out);
    free(s);
}

int hk_tls_session_feed(struct hk_tls_session *s, const uint8_t *p, size_t n)
{
    if (s->in_off) {
        hk_buf_consume(&s->in, s->in_off);
        s->in_off = 0;
    }
    return hk_buf_append(&s->in, p, n);
}

static void on_established(struct hk_tls_session *s)
{
    const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(&s->ssl);
    s->established = true;
    if (peer && mbedtls_ssl_get_verify_result(&s->ssl) == 0 &&
        mbedtls_x509_dn_gets(s->subject, sizeof s->subject, &peer->subject) < 0)
        s->subject[0] = 0; /* too long to show: treated as no certificate */
}

static enum hk_tls_event fail(struct hk_tls_session *s, int rc)
{
    s->failed = true;
    s->error = rc;
    return HK_TLS_ERROR;
}

/* One step of mbedTLS: the handshake until it completes, then one record. */
static int step(struct hk_tls_session *s, uint8_t *buf, size_t cap, enum hk_tls_event *ev)
{
    if (!s->established) {
        int rc = mbedtls_ssl_handshake(&s->ssl);
        if (rc == 0) {
            on_established(s);
            *ev = HK_TLS_ESTABLISHED;
        }
        return rc;
    }
    int rc = mbedtls_ssl_read(&s->ssl, buf, cap);
    if (rc > 0)
        *ev = HK_TLS_DATA;
    else if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
        *ev = HK_TLS_CLOSED;
    return rc;
}

enum hk_tls_event hk_tls_session_read(struct hk_tls_session *s, uint8_t *buf, size_t cap,
                                      size_t *len)
{
    *len = 0;
    if (s->failed)
        return HK_TLS_ERROR;
    for (;;) {
        enum hk_tls_event ev = HK_TLS_NEED_MORE;
        size_t before = s->in.len - s->in_off;
        int rc = step(s, buf, cap, &ev);
        if (ev == HK_TLS_DATA)
            *len = (size_t)rc;
        if (ev != HK_TLS_NEED_MORE)
            return ev;
        if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE)
            return fail(s, rc);
        /* mbedTLS may give up a record early (a refused renegotiation answers WANT_READ
         * after its alert): go on while it still takes input. */
        size_t left = s->in.len - s->in_off;
        if (left == 0 || left == before)
            return HK_TLS_NEED_MORE;
    }
}

int hk_tls_session_write(struct hk_tls_session *s, struct hk_buf *plain)
{
    size_t off = 0;
    int rc = 0;
    if (s->failed)
        return HK_EIO;
    while (s->established && !s->closing && off < plain->len) {
        /* A record carries at most 16 KiB: mbedTLS takes a part, the loop the rest. */
        int n = mbedtls_ssl_write(&s->ssl, plain->data + off, plain->len - off);
        if (n == MBEDTLS_ERR_SSL_WANT_WRITE || n == MBEDTLS_ERR_SSL_WANT_READ)
            break; /* called again with the same bytes at the next flush, as mbedTLS asks */
        if (n < 0) {
            fail(s, n);
            rc = HK_EIO;
            break;
        }
        off += (size_t)n;
    }
    hk_buf_consume(plain, off);
    return rc;
}

void hk_tls_session_close(struct hk_tls_session *s)
{
    if (s->closing)
        return;
    s->closing = true;
    if (s->established && !s->failed)
        mbedtls_ssl_close_notify(&s->ssl); /* the alert goes to the output buffer */
}

struct hk_buf *hk_tls_session_output(struct hk_tls_session *s)
{
    return &s->out;
}

bool hk_tls_session_established(const struct hk_tls_session *s)
{
    return s->established;
}

const char *hk_tls_session_subject(const struct hk_tls_session *s)
{
    return s->subject[0] ? s->subject : NULL;
}

void hk_tls_session_describe(const struct hk_tls_session *s, char *out, size_t cap)
{
    const char *alpn = mbedtls_ssl_get_alpn_protocol(&s->ssl);
    snprintf(out, cap, "%s %s alpn=%s", mbedtls_ssl_get_version(&s->ssl),
             mbedtls_ssl_get_ciphersuite(&s->ssl), alpn ? alpn : "-");
}

void hk_tls_session_error(const struct hk_tls_session *s, char *out, size_t cap)
{
    mbedtls_strerror(s->error, out, cap);
}
