/* hmac.h -- HMAC-SHA256/512 with the key schedule done once per secret.
 *
 * A key's inner and outer hash states are computed when the configuration is loaded; each
 * MAC then copies them and hashes only the message, so a verification costs no key setup.
 * A prepared key is read-only and may be shared by any number of threads. */
#ifndef HK_HMAC_H
#define HK_HMAC_H

#include "base/sha256.h"

#include <mbedtls/sha512.h>
#include <stddef.h>
#include <stdint.h>

#define HK_HMAC_MAX 64 /* bytes of the longest MAC (SHA-512) */

enum hk_hash { HK_SHA256, HK_SHA512 };

/* A borrowed byte range; messages are given as a list of them (e.g. "id", ".", body). */
struct hk_span {
    const void *p;
    size_t n;
};

struct hk_hmac_key {
    enum hk_hash hash;
    union {
        struct hk_sha256 s256; /* SHA-NI when the CPU has it (sha256.h) */
        mbedtls_sha512_context s512;
    } inner, outer;
};

/* Prepares k from key[0..len). 0 or HK_EIO if mbedTLS fails. */
int hk_hmac_key_init(struct hk_hmac_key *k, enum hk_hash hash, const uint8_t *key, size_t len);
/* Erases the prepared states (they are as secret as the key). */
void hk_hmac_key_wipe(struct hk_hmac_key *k);
/* MAC length of hash in bytes: 32 or 64. */
size_t hk_hmac_len(enum hk_hash hash);
/* Writes the MAC of the concatenated parts into out (hk_hmac_len bytes). 0 or HK_EIO. */
int hk_hmac(const struct hk_hmac_key *k, const struct hk_span *parts, size_t nparts,
            uint8_t out[HK_HMAC_MAX]);

#endif
