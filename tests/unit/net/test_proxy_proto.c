/* test_proxy_proto.c -- PROXY v1 and v2 headers: valid, every prefix of them, and broken. */
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/addr.h"
#include "base/err.h"
#include "net/proxy_proto.h"

#include <stdio.h>
#include <string.h>

#define REQUEST    "GET / HTTP/1.1\r\n"
#define V2_SIG     "\r\n\r\n\0\r\nQUIT\n"
#define V2_SIG_LEN 12
#define MAX_INPUT  700

struct input {
    uint8_t b[MAX_INPUT];
    size_t n;
};

static void put(struct input *in, const void *p, size_t n)
{
    assert_true(in->n + n <= MAX_INPUT);
    if (n) /* p may be NULL for an empty body */
        memcpy(in->b + in->n, p, n);
    in->n += n;
}

static void put_byte(struct input *in, uint8_t v)
{
    put(in, &v, 1);
}

static void put_be16(struct input *in, unsigned v)
{
    put_byte(in, (uint8_t)(v >> 8));
    put_byte(in, (uint8_t)v);
}

/* A v2 header: signature, version 2 and cmd, family/protocol byte, length, then body. */
static struct input v2(unsigned cmd, unsigned fam, const void *body, size_t n)
{
    struct input in = {0};
    put(&in, V2_SIG, V2_SIG_LEN);
    put_byte(&in, (uint8_t)(0x20 | cmd));
    put_byte(&in, (uint8_t)fam);
    put_be16(&in, (unsigned)n);
    put(&in, body, n);
    return in;
}

static const uint8_t inet_body[] = {192, 0, 2, 1, 198, 51, 100, 2, 0xdc, 0x04, 0x01, 0xbb};

static struct input text(const char *s)
{
    struct input in = {0};
    put(&in, s, strlen(s));
    return in;
}

/* Every proper prefix of a valid header asks for more. */
static void assert_prefixes_need_more(const struct input *in, size_t header_len)
{
    for (size_t k = 0; k < header_len; k++) {
        size_t consumed = 0;
        struct hk_addr a;
        bool local;
        int rc = hk_proxy_parse(in->b, k, &consumed, &a, &local);
        if (rc != HK_PROXY_NEED_MORE)
            fail_msg("prefix of %zu bytes (of %zu): got %d, want NEED_MORE", k, header_len, rc);
    }
}

/* Parses a valid header followed by a request; checks what it says. */
static void assert_valid(struct input in, const char *src, bool want_local)
{
    size_t header_len = in.n, consumed = 0;
    struct hk_addr a = {{0}};
    bool local = !want_local;
    put(&in, REQUEST, strlen(REQUEST));
    assert_prefixes_need_more(&in, header_len);
    int rc = hk_proxy_parse(in.b, in.n, &consumed, &a, &local);
    if (rc != 0)
        fail_msg("valid header refused: %d", rc);
    assert_int_equal(consumed, header_len);
    assert_int_equal(local, want_local);
    if (src) {
        char shown[HK_ADDR_STRLEN];
        hk_addr_format(&a, shown, sizeof shown);
        assert_string_equal(shown, src);
    }
    /* Exactly the header, nothing after it, is enough too. */
    assert_int_equal(hk_proxy_parse(in.b, header_len, &consumed, &a, &local), 0);
}

/* Refused once complete, and never accepted on a prefix; once a prefix is refused, every
 * longer one is refused too. */
static void assert_invalid_input(struct input in, const char *what)
{
    size_t consumed;
    struct hk_addr a;
    bool local, refused = false;
    put(&in, REQUEST, strlen(REQUEST));
    for (size_t k = 0; k <= in.n; k++) {
        int rc = hk_proxy_parse(in.b, k, &consumed, &a, &local);
        if (rc == 0)
            fail_msg("%s: accepted with %zu bytes", what, k);
        if (refused && rc != HK_EPARSE)
            fail_msg("%s: refused at fewer bytes but not at %zu", what, k);
        refused = rc == HK_EPARSE;
    }
    if (!refused)
        fail_msg("%s: not refused", what);
}

static void assert_invalid(const char *s)
{
    assert_invalid_input(text(s), s);
}

static void test_v1_valid(void **state)
{
    (void)state;
    assert_valid(text("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n"), "192.0.2.1", false);
    assert_valid(text("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"),
                 "255.255.255.255", false);
    assert_valid(text("PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n"), "0.0.0.0", false);
    assert_valid(text("PROXY TCP6 2001:db8::1 2001:db8::2 56324 443\r\n"), "2001:db8::1", false);
    assert_valid(text("PROXY TCP6 ::ffff:192.0.2.1 ::1 1 2\r\n"), "192.0.2.1", false);
    assert_valid(text("PROXY UNKNOWN\r\n"), NULL, true);
    assert_valid(text("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n"), NULL, true);
}

static void test_v1_length_limit(void **state)
{
    (void)state;
    char line[200] = "PROXY UNKNOWN ";
    while (strlen(line) < 105)
        strcat(line, "x");
    strcat(line, "\r\n");
    assert_int_equal(strlen(line), 107);
    assert_valid(text(line), NULL, true);
    memmove(line + 15, line + 14, strlen(line + 14) + 1);
    line[14] = 'x';
    assert_int_equal(strlen(line), 108);
    assert_invalid(line);
    /* The longest TCP6 line (104 bytes) is fine. */
    assert_valid(text("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
                      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"),
                 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false);
}

static void test_v1_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "GET / HTTP/1.1\r\n",
        "proxy TCP4 192.0.2.1 198.51.100.2 56324 443\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\rX",
        "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443 \r\n",
        "PROXY TCP4  192.0.2.1 198.51.100.2 56324 443\r\n",
        "PROXY  TCP4 192.0.2.1 198.51.100.2 56324 443\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 56324\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443 80\r\n",
        "PROXY TCP4\r\n",
        "PROXY TCP5 192.0.2.1 198.51.100.2 56324 443\r\n",
        "PROXY TCP4 2001:db8::1 2001:db8::2 56324 443\r\n",
        "PROXY TCP6 192.0.2.1 198.51.100.2 56324 443\r\n",
        "PROXY TCP4 192.0.2.256 198.51.100.2 56324 443\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100 56324 443\r\n",
        "PROXY TCP4 192.000.2.1 198.51.100.2 56324 443\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 65536 443\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 056324 443\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 -1 443\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 +1 443\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 56324 0x1bb\r\n",
        "PROXY TCP6 2001:db8::1%eth0 2001:db8::2 56324 443\r\n",
        "PROXY TCP6 [2001:db8::1] 2001:db8::2 56324 443\r\n",
        "PROXY UNKNOWNX\r\n",
        "PROXY\r\n",
        "PROXY \r\n",
        "PROXY TCP4 192.0.2.1\t198.51.100.2 56324 443\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_invalid(bad[i]);
    /* A NUL inside the line. */
    struct input in = text("PROXY TCP4 192.0.2.1");
    put_byte(&in, 0);
    put(&in, " 198.51.100.2 1 2\r\n", 19);
    assert_invalid_input(in, "NUL in the line");
}

/* Garbage is refused at once, not after 107 bytes. */
static void test_early_refusal(void **state)
{
    (void)state;
    size_t c;
    struct hk_addr a;
    bool l;
    assert_int_equal(hk_proxy_parse((const uint8_t *)"G", 1, &c, &a, &l), HK_EPARSE);
    assert_int_equal(hk_proxy_parse((const uint8_t *)"PROXY X", 7, &c, &a, &l), HK_EPARSE);
    assert_int_equal(hk_proxy_parse((const uint8_t *)"PROXY TCP4 1.2.3.4x", 19, &c, &a, &l),
                     HK_EPARSE);
    assert_int_equal(hk_proxy_parse((const uint8_t *)"\r\n\r\n\0\r\nQUIT\n\x31", 13, &c, &a, &l),
                     HK_EPARSE);
    assert_int_equal(hk_proxy_parse((const uint8_t *)"", 0, &c, &a, &l), HK_PROXY_NEED_MORE);
}

static void test_v2_valid(void **state)
{
    (void)state;
    assert_valid(v2(1, 0x11, inet_body, sizeof inet_body), "192.0.2.1", false);
    uint8_t six[36] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1, [16] = 0x20, 0x01, 0x0d, 0xb8, [31] = 2};
    assert_valid(v2(1, 0x21, six, sizeof six), "2001:db8::1", false);
    /* TLVs after the addresses are skipped: an ALPN ("h2") and a one-byte NOOP. */
    uint8_t with_tlvs[sizeof inet_body + 9];
    memcpy(with_tlvs, inet_body, sizeof inet_body);
    memcpy(with_tlvs + sizeof inet_body, "\x01\x00\x02h2\x04\x00\x00\x04", 9);
    with_tlvs[sizeof inet_body + 5] = 0x04; /* NOOP type */
    with_tlvs[sizeof inet_body + 6] = 0;
    with_tlvs[sizeof inet_body + 7] = 1;
    with_tlvs[sizeof inet_body + 8] = 0;
    assert_valid(v2(1, 0x11, with_tlvs, sizeof with_tlvs), "192.0.2.1", false);
    /* The largest accepted header. */
    uint8_t big[520] = {192, 0, 2, 1, 198, 51, 100, 2, 0, 1, 0, 2, 0x04, 0x01, 0xf9};
    assert_valid(v2(1, 0x11, big, sizeof big), "192.0.2.1", false);
}

static void test_v2_local(void **state)
{
    (void)state;
    /* LOCAL (a health check from the proxy itself), with or without an address block. */
    assert_valid(v2(0, 0x00, NULL, 0), NULL, true);
    assert_valid(v2(0, 0x11, inet_body, sizeof inet_body), NULL, true);
    /* PROXY over UNSPEC or AF_UNIX: no usable client address. */
    assert_valid(v2(1, 0x00, NULL, 0), NULL, true);
    uint8_t unix_body[216] = "/run/proxy.sock";
    assert_valid(v2(1, 0x31, unix_body, sizeof unix_body), NULL, true);
}

static void test_v2_invalid(void **state)
{
    (void)state;
    struct input in = v2(1, 0x11, inet_body, sizeof inet_body);
    in.b[12] = 0x11; /* version 1 */
    assert_invalid_input(in, "version 1");
    in.b[12] = 0x22; /* command 2 */
    assert_invalid_input(in, "command 2");
    assert_invalid_input(v2(1, 0x41, inet_body, sizeof inet_body), "family 4");
    assert_invalid_input(v2(1, 0x13, inet_body, sizeof inet_body), "protocol 3");
    assert_invalid_input(v2(1, 0x12, inet_body, sizeof inet_body), "UDP");
    assert_invalid_input(v2(1, 0x10, inet_body, sizeof inet_body), "INET over UNSPEC protocol");
    assert_invalid_input(v2(1, 0x11, inet_body, sizeof inet_body - 1), "short INET");
    assert_invalid_input(v2(1, 0x21, inet_body, sizeof inet_body), "short INET6");
    assert_invalid_input(v2(1, 0x31, inet_body, sizeof inet_body), "short UNIX");
    uint8_t tlv[sizeof inet_body + 4];
    memcpy(tlv, inet_body, sizeof inet_body);
    memcpy(tlv + sizeof inet_body, "\x01\x00\x05h", 4); /* claims 5 bytes, has 1 */
    assert_invalid_input(v2(1, 0x11, tlv, sizeof tlv), "TLV overrun");
    assert_invalid_input(v2(1, 0x11, tlv, sizeof inet_body + 2), "TLV head cut");
    in = v2(1, 0x11, inet_body, sizeof inet_body);
    in.b[3] = 0x0b; /* signature damaged */
    assert_invalid_input(in, "signature");
    /* A length past the accepted maximum is refused from the length field on. */
    in = v2(1, 0x11, inet_body, sizeof inet_body);
    in.b[14] = 0x02;
    in.b[15] = 0x09; /* 521 */
    size_t c;
    struct hk_addr a;
    bool l;
    assert_int_equal(hk_proxy_parse(in.b, 16, &c, &a, &l), HK_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_valid),   cmocka_unit_test(test_v1_length_limit),
        cmocka_unit_test(test_v1_invalid), cmocka_unit_test(test_early_refusal),
        cmocka_unit_test(test_v2_valid),   cmocka_unit_test(test_v2_local),
        cmocka_unit_test(test_v2_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
