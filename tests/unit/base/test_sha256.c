/* test_sha256.c -- hookd's SHA-256 (SHA-NI where the CPU has it) against mbedTLS's on every
 * length from 0 to 1,100 bytes fed in uneven pieces, known digests, and HMAC-SHA256 test
 * cases of RFC 4231, with both transforms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/codec.h"
#include "base/hmac.h"
#include "base/sha256.h"

#include <mbedtls/sha256.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MAX_LEN 1100

static void digest_in_pieces(const uint8_t *p, size_t n, size_t piece, uint8_t out[32])
{
    struct hk_sha256 c;
    hk_sha256_init(&c);
    for (size_t i = 0; i < n; i += piece)
        hk_sha256_update(&c, p + i, n - i < piece ? n - i : piece);
    hk_sha256_final(&c, out);
}

static void every_length(void)
{
    static uint8_t data[MAX_LEN];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 131 + 7);
    for (size_t n = 0; n <= MAX_LEN; n++) {
        uint8_t want[32], got[32];
        mbedtls_sha256_ret(data, n, want, 0);
        size_t pieces[] = {n ? n : 1, 1, 63, 64, 65, 7};
        for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
            digest_in_pieces(data, n, pieces[k], got);
            if (memcmp(want, got, 32) != 0)
                fail_msg("length %zu in pieces of %zu differs from mbedTLS", n, pieces[k]);
        }
    }
}

static void known(const char *msg, const char *hex)
{
    uint8_t d[32];
    char out[65];
    digest_in_pieces((const uint8_t *)msg, strlen(msg), 5, d);
    hk_hex_encode(d, 32, out);
    assert_string_equal(out, hex);
}

static void known_digests(void)
{
    known("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    known("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    known("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* RFC 4231 test cases 1, 2 and 6 (a key longer than a block). */
static void rfc4231(void)
{
    static const struct {
        const char *key_hex, *data, *mac;
    } cases[] = {
        {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {"4a656665", "what do ya want for nothing?",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {"aa*131", "Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t key[200], mac[HK_HMAC_MAX];
        char hex[65];
        long kl = 131; /* "aa*131": 131 bytes of 0xaa */
        if (strcmp(cases[i].key_hex, "aa*131") == 0)
            memset(key, 0xaa, (size_t)kl);
        else
            kl = hk_hex_decode(cases[i].key_hex, strlen(cases[i].key_hex), key, sizeof key);
        struct hk_hmac_key k;
        struct hk_span part = {cases[i].data, strlen(cases[i].data)};
        assert_true(kl > 0);
        assert_int_equal(hk_hmac_key_init(&k, HK_SHA256, key, (size_t)kl), 0);
        assert_int_equal(hk_hmac(&k, &part, 1, mac), 0);
        hk_hex_encode(mac, 32, hex);
        assert_string_equal(hex, cases[i].mac);
    }
}

/* True when this CPU has the SHA extensions (the "sha_ni" flag in /proc/cpuinfo). */
static bool cpu_has_sha_ni(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[4096];
    bool has = false;
    while (f && !has && fgets(line, sizeof line, f))
        has = strncmp(line, "flags", 5) == 0 && strstr(line, " sha_ni") != NULL;
    if (f)
        fclose(f);
    return has;
}

static void test_accelerated(void **state)
{
    (void)state;
    hk_sha256_use_portable(0);
    /* where the CPU has them, they must be the ones used */
    assert_int_equal(hk_sha256_accelerated(), cpu_has_sha_ni());
    every_length();
    known_digests();
    rfc4231();
}

static void test_portable(void **state)
{
    (void)state;
    hk_sha256_use_portable(1);
    assert_false(hk_sha256_accelerated());
    every_length();
    known_digests();
    rfc4231();
    hk_sha256_use_portable(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accelerated),
        cmocka_unit_test(test_portable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
