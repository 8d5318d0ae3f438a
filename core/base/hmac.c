/* hmac.c -- HMAC (RFC 2104) over mbedTLS's SHA-256 and SHA-512 with prepared key states. */
#include "base/hmac.h"

#include "base/err.h"

#include <mbedtls/platform_util.h>
#include <string.h>

#define SHA512_BLOCK 128
#define IPAD         0x36
#define OPAD         0x5c

size_t hk_hmac_len(enum hk_hash hash)
{
    return hash == HK_SHA512 ? 64 : 32;
}

static size_t block_len(enum hk_hash hash)
{
    return hash == HK_SHA512 ? SHA512_BLOCK : HK_SHA256_BLOCK;
}

/* Hashes the padded key block into a fresh state (inner or outer). */
static int start_padded(enum hk_hash hash, const uint8_t *block, void *state)
{
    if (hash == HK_SHA512) {
        mbedtls_sha512_init(state);
        return mbedtls_sha512_starts_ret(state, 0) ||
               mbedtls_sha512_update_ret(state, block, SHA512_BLOCK);
    }
    hk_sha256_init(state);
    hk_sha256_update(state, block, HK_SHA256_BLOCK);
    return 0;
}

static int digest(enum hk_hash hash, const uint8_t *p, size_t n, uint8_t *out)
{
    if (hash == HK_SHA512)
        return mbedtls_sha512_ret(p, n, out, 0);
    struct hk_sha256 c;
    hk_sha256_init(&c);
    hk_sha256_update(&c, p, n);
    hk_sha256_final(&c, out);
    return 0;
}

int hk_hmac_key_init(struct hk_hmac_key *k, enum hk_hash hash, const uint8_t *key, size_t len)
{
    uint8_t kb[SHA512_BLOCK] = {0}, pad[SHA512_BLOCK];
    size_t bl = block_len(hash);
    int rc = 0;
    memset(k, 0, sizeof *k);
    k->hash = hash;
    if (len > bl)
        rc = digest(hash, key, len, kb);
    else if (len)
        memcpy(kb, key, len);
    for (size_t i = 0; i < bl && !rc; i++)
        pad[i] = kb[i] ^ IPAD;
    rc = rc || start_padded(hash, pad, &k->inner);
    for (size_t i = 0; i < bl && !rc; i++)
        pad[i] = kb[i] ^ OPAD;
    rc = rc || start_padded(hash, pad, &k->outer);
    mbedtls_platform_zeroize(kb, sizeof kb);
    mbedtls_platform_zeroize(pad, sizeof pad);
    return rc ? HK_EIO : 0;
}

void hk_hmac_key_wipe(struct hk_hmac_key *k)
{
    mbedtls_platform_zeroize(k, sizeof *k);
}

static int hmac256(const struct hk_hmac_key *k, const struct hk_span *parts, size_t nparts,
                   uint8_t *out)
{
    struct hk_sha256 c = k->inner.s256; /* the prepared state: no key schedule per MAC */
    uint8_t inner[HK_SHA256_LEN];
    for (size_t i = 0; i < nparts; i++)
        hk_sha256_update(&c, parts[i].p, parts[i].n);
    hk_sha256_final(&c, inner);
    c = k->outer.s256;
    hk_sha256_update(&c, inner, sizeof inner);
    hk_sha256_final(&c, out);
    return 0;
}

static int hmac512(const struct hk_hmac_key *k, const struct hk_span *parts, size_t nparts,
                   uint8_t *out)
{
    mbedtls_sha512_context c;
    uint8_t inner[64];
    int rc = 0;
    mbedtls_sha512_clone(&c, &k->inner.s512);
    for (size_t i = 0; i < nparts && !rc; i++)
        rc = mbedtls_sha512_update_ret(&c, parts[i].p, parts[i].n);
    rc = rc || mbedtls_sha512_finish_ret(&c, inner);
    mbedtls_sha512_clone(&c, &k->outer.s512);
    rc = rc || mbedtls_sha512_update_ret(&c, inner, sizeof inner) ||
         mbedtls_sha512_finish_ret(&c, out);
    mbedtls_platform_zeroize(&c, sizeof c);
    return rc;
}

int hk_hmac(const struct hk_hmac_key *k, const struct hk_span *parts, size_t nparts,
            uint8_t out[HK_HMAC_MAX])
{
    int rc = k->hash == HK_SHA512 ? hmac512(k, parts, nparts, out) : hmac256(k, parts, nparts, out);
    return rc ? HK_EIO : 0;
}
