/* sha256.h -- SHA-256 for HMACs on the request path, with the x86 SHA extensions when the
 * CPU has them.
 *
 * mbedTLS 2.28 only has a portable SHA-256 (67 us per 16 KiB here; with the SHA extensions a
 * block costs a fifth of that), and the HMAC of every request body is the largest single
 * cost of answering a webhook. This implements the same function: the block transform uses
 * the SHA-NI instructions when CPUID says the CPU has them, and mbedTLS's own
 * transform otherwise. tests/unit/test_sha256.c checks it against mbedTLS on every length
 * from 0 to 1,100 bytes and on random splits. */
#ifndef HK_SHA256_H
#define HK_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define HK_SHA256_LEN   32
#define HK_SHA256_BLOCK 64

struct hk_sha256 {
    uint32_t h[8];
    uint64_t total; /* bytes hashed */
    uint8_t buf[HK_SHA256_BLOCK];
    size_t nbuf;
};

void hk_sha256_init(struct hk_sha256 *c);
void hk_sha256_update(struct hk_sha256 *c, const void *p, size_t n);
/* Writes the digest; c must be initialised again before another use. */
void hk_sha256_final(struct hk_sha256 *c, uint8_t out[HK_SHA256_LEN]);
/* True when the SHA extensions are used (for the log line at start and the tests). */
int hk_sha256_accelerated(void);
/* Uses mbedTLS's transform even where the SHA extensions exist (tests compare both). */
void hk_sha256_use_portable(int on);

#endif
