/* tls_session.h -- one TLS connection's state machine over memory buffers (mbedTLS).
 *
 * The session never touches a socket. Ciphertext read from the socket is fed in; mbedTLS
 * reads it through a BIO callback that answers WANT_READ when it runs out. Every byte
 * mbedTLS produces (handshake messages, records, alerts) is appended to the session's
 * output buffer, which the owner writes to the socket -- so the BIO never has to say
 * WANT_WRITE. The handshake and the record layer advance only when the owner calls in, from
 * its event loop. A session belongs to one connection and is used by one thread. */
#ifndef HK_TLS_SESSION_H
#define HK_TLS_SESSION_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest plaintext one record carries: a read buffer this big never splits one. */
#define HK_TLS_PLAIN_MAX 16384

struct hk_tls_session;
struct hk_tls_server;

/* What hk_tls_session_read found. */
enum hk_tls_event {
    HK_TLS_NEED_MORE,   /* every byte fed in is used: read more from the socket */
    HK_TLS_ESTABLISHED, /* the handshake has just completed */
    HK_TLS_DATA,        /* plaintext was decrypted */
    HK_TLS_CLOSED,      /* the client sent close_notify */
    HK_TLS_ERROR        /* fatal; an alert may wait in the output: send it, then close */
};

/* A session on server (it takes a reference, released by hk_tls_session_free). 0 or
 * HK_ENOMEM. */
int hk_tls_session_new(struct hk_tls_server *server, struct hk_tls_session **out);
void hk_tls_session_free(struct hk_tls_session *s);

/* Hands over n bytes of ciphertext (copied). 0 or HK_ENOMEM. */
int hk_tls_session_feed(struct hk_tls_session *s, const uint8_t *p, size_t n);
/* Advances the handshake, then decrypts at most one record into buf (cap bytes; give
 * HK_TLS_PLAIN_MAX so a record is never split), setting *len. Call it until it answers
 * HK_TLS_NEED_MORE, HK_TLS_CLOSED or HK_TLS_ERROR; then send the output. */
enum hk_tls_event hk_tls_session_read(struct hk_tls_session *s, uint8_t *buf, size_t cap,
                                      size_t *len);
/* Encrypts plain into records appended to the output, consuming what was encrypted. Before
 * the handshake has completed nothing is consumed. 0, or HK_EIO when the session has failed. */
int hk_tls_session_write(struct hk_tls_session *s, struct hk_buf *plain);
/* Queues a close_notify alert after what was written (once; nothing after a failure). */
void hk_tls_session_close(struct hk_tls_session *s);
/* Ciphertext waiting for the socket. The owner drains it (consume, or swap its storage);
 * the session keeps appending to this same buffer. */
struct hk_buf *hk_tls_session_output(struct hk_tls_session *s);

/* True once the handshake has completed. */
bool hk_tls_session_established(const struct hk_tls_session *s);
/* The subject of the client's certificate ("CN=sender.example, O=Example") if it sent one
 * and it verified against the listener's client_ca; NULL otherwise. Valid until the
 * session is freed. */
const char *hk_tls_session_subject(const struct hk_tls_session *s);
/* Writes "TLSv1.2 TLS-ECDHE-..." style text about the negotiated session into out. */
void hk_tls_session_describe(const struct hk_tls_session *s, char *out, size_t cap);
/* Writes why the session failed into out (mbedTLS's text; never key material). */
void hk_tls_session_error(const struct hk_tls_session *s, char *out, size_t cap);

#endif
