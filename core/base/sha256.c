/* sha256.c -- SHA-256 (FIPS 180-4) with a SHA-NI block transform and mbedTLS as fallback. */
#include "base/sha256.h"

#include <mbedtls/platform_util.h>
#include <stdatomic.h>
#include <mbedtls/sha256.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#include <stdbool.h>
#define HAVE_SHA_NI_CODE 1
#define CPUID_SHA_BIT    (1u << 29) /* CPUID leaf 7, EBX: the SHA extensions */
#endif

static const uint32_t initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

#ifdef HAVE_SHA_NI_CODE
static const uint32_t round_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

/* The SHA-NI round instructions keep the state as (A,B,E,F) and (C,D,G,H), and take the
 * schedule four words at a time; these shuffles move between that and h[0..7]. */
__attribute__((target("sha,sse4.1"))) static void blocks_ni(uint32_t h[8], const uint8_t *p,
                                                            size_t n)
{
    const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i dcba = _mm_loadu_si128((const __m128i *)&h[0]);
    __m128i hgfe = _mm_loadu_si128((const __m128i *)&h[4]);
    __m128i cdab = _mm_shuffle_epi32(dcba, 0xb1);
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1b);
    __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xf0);
    for (; n; n--, p += HK_SHA256_BLOCK) {
        __m128i w[16], abef0 = abef, cdgh0 = cdgh;
        for (int i = 0; i < 16; i++) {
            if (i < 4)
                w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), byteswap);
            else /* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at a time */
                w[i] = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(w[i - 4], w[i - 3]),
                                                          _mm_alignr_epi8(w[i - 1], w[i - 2], 4)),
                                            w[i - 1]);
            __m128i wk = _mm_add_epi32(w[i], _mm_loadu_si128((const __m128i *)&round_k[4 * i]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0e));
        }
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }
    __m128i feba = _mm_shuffle_epi32(abef, 0x1b);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1);
    _mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(feba, dchg, 0xf0));
    _mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(dchg, feba, 8));
}
#endif

static atomic_int force_portable;

void hk_sha256_use_portable(int on)
{
    atomic_store_explicit(&force_portable, on, memory_order_relaxed);
}

int hk_sha256_accelerated(void)
{
#ifdef HAVE_SHA_NI_CODE
    static atomic_int known = -1; /* every thread that races here computes the same value */
    if (atomic_load_explicit(&force_portable, memory_order_relaxed))
        return 0;
    int k = atomic_load_explicit(&known, memory_order_relaxed);
    if (k < 0) {
        unsigned a, b, c, d;
        bool sse41 = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_1);
        bool sha = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & CPUID_SHA_BIT);
        k = sse41 && sha;
        atomic_store_explicit(&known, k, memory_order_relaxed);
    }
    return k;
#else
    return 0;
#endif
}

static void blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
#ifdef HAVE_SHA_NI_CODE
    if (hk_sha256_accelerated()) {
        blocks_ni(h, p, n);
        return;
    }
#endif
    mbedtls_sha256_context m;
    memset(&m, 0, sizeof m);
    memcpy(m.state, h, sizeof m.state);
    for (; n; n--, p += HK_SHA256_BLOCK)
        mbedtls_internal_sha256_process(&m, p);
    memcpy(h, m.state, sizeof m.state);
    mbedtls_platform_zeroize(&m, sizeof m);
}

void hk_sha256_init(struct hk_sha256 *c)
{
    memcpy(c->h, initial, sizeof c->h);
    c->total = 0;
    c->nbuf = 0;
}

void hk_sha256_update(struct hk_sha256 *c, const void *data, size_t n)
{
    const uint8_t *p = data;
    c->total += n;
    if (c->nbuf) {
        size_t take = HK_SHA256_BLOCK - c->nbuf < n ? HK_SHA256_BLOCK - c->nbuf : n;
        memcpy(c->buf + c->nbuf, p, take);
        c->nbuf += take;
        p += take;
        n -= take;
        if (c->nbuf < HK_SHA256_BLOCK)
            return;
        blocks(c->h, c->buf, 1);
        c->nbuf = 0;
    }
    if (n >= HK_SHA256_BLOCK) {
        blocks(c->h, p, n / HK_SHA256_BLOCK);
        p += n / HK_SHA256_BLOCK * HK_SHA256_BLOCK;
        n %= HK_SHA256_BLOCK;
    }
    memcpy(c->buf, p, n);
    c->nbuf = n;
}

void hk_sha256_final(struct hk_sha256 *c, uint8_t out[HK_SHA256_LEN])
{
    uint64_t bits = c->total * 8;
    uint8_t pad[HK_SHA256_BLOCK + 8] = {0x80};
    size_t padlen = (c->nbuf < 56 ? 56 : 120) - c->nbuf;
    for (int i = 0; i < 8; i++)
        pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
    hk_sha256_update(c, pad, padlen + 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(c->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)c->h[i];
    }
    mbedtls_platform_zeroize(c, sizeof *c);
}
