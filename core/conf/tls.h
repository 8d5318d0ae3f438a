/* tls.h -- a TLS server context: one listener's certificates, keys and policy (mbedTLS).
 *
 * Built from the listener's "tls" object at configuration load, all or nothing, with no
 * global state, so a reload builds new contexts beside the old ones. The context is
 * immutable once built and shared by every I/O thread: connections take a reference, so a
 * configuration freed by a reload leaves the contexts of its open TLS connections alive.
 *
 * Policy (not configurable): TLS 1.2 only (mbedTLS 2.28 has no 1.3); ECDHE key exchange
 * with AEAD suites only -- ECDHE-ECDSA/RSA with AES-256-GCM, CHACHA20-POLY1305, AES-128-GCM,
 * server's order; groups x25519, secp256r1, secp384r1; SHA-2 signatures; no renegotiation;
 * no compression (Debian's mbedTLS has none); ALPN "http/1.1". Session tickets are sealed
 * with AES-256-GCM under a key that rotates every ticket_rotation_s (a ticket stays valid
 * for at most two rotations).
 *
 * Randomness: one CTR_DRBG per context, seeded once from the system's entropy and shared
 * by every I/O thread. That is safe because Debian builds mbedTLS with MBEDTLS_THREADING_C,
 * under which mbedtls_ctr_drbg_random locks the DRBG's own mutex (and reseeds under it);
 * the ticket context locks its own mutex likewise. tls.c refuses to build without it. The
 * private keys are shared too: mbedTLS 2.28 signs with a copy of an EC key's group (so no
 * cached table is written) and locks an RSA key's blinding values. */
#ifndef HK_TLS_H
#define HK_TLS_H

#include "base/diag.h"
#include "base/jconf.h"

#include <stdbool.h>
#include <stdint.h>

struct hk_tls_server;
struct mbedtls_ssl_config;

/* Builds a server context from a listener's "tls" object:
 *   "cert": PATH            PEM: the leaf certificate, optionally followed by intermediates
 *   "key": PATH             PEM: its RSA (2048+ bits) or EC private key
 *   "chain": PATH           optional PEM intermediates, sent after the leaf
 *   "key_password": {...}   optional, like a secret: {"env": NAME}, {"file": PATH} or
 *                           {"value": TEXT} (warned about)
 *   "sni": [{"names": ["a.example", "*.b.example"], "cert", "key", "chain",
 *            "key_password"}, ...]   certificates chosen by the name the client asks for;
 *                           the top-level pair serves any other name
 *   "client_ca": PATH       PEM CAs of client certificates: clients are asked for one
 *   "require_client_cert": false     true: no handshake without a verified one
 *   "handshake_timeout_ms": 10000    from accept to a completed handshake (a duration)
 *   "session_tickets": true, "ticket_rotation_s": 3600 (60..86400)
 * Relative paths are taken against confdir. 0 with *out holding one reference, or
 * HK_ECONF (every problem reported to the document) with *out NULL. Warnings (expired
 * certificates, inline passwords) go to warnings. Control thread. */
int hk_tls_server_parse(const struct hk_jcur *tls, const char *confdir, struct hk_diags *warnings,
                        struct hk_tls_server **out);
/* Takes one more reference; returns t. Any thread. */
struct hk_tls_server *hk_tls_server_acquire(struct hk_tls_server *t);
/* Drops a reference (NULL is ignored); the last one frees the context. Any thread. */
void hk_tls_server_release(struct hk_tls_server *t);

/* The mbedTLS configuration sessions are set up with; valid while a reference is held. */
const struct mbedtls_ssl_config *hk_tls_server_config(const struct hk_tls_server *t);
/* How long a client may take from accept to a completed handshake. */
uint32_t hk_tls_server_handshake_ms(const struct hk_tls_server *t);
/* True if the listener asks clients for a certificate ("client_ca" is set). */
bool hk_tls_server_asks_client_cert(const struct hk_tls_server *t);

#endif
