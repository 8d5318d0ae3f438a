/* test_addr.c -- address text, sockaddrs, and the X-Forwarded-For walk. */
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/jconf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#define MAX_TEST_HEADERS 8

static struct hk_addr addr(const char *s)
{
    struct hk_addr a;
    if (hk_addr_parse(s, strlen(s), &a))
        fail_msg("bad test address %s", s);
    return a;
}

static const char *text(const struct hk_addr *a)
{
    static char out[HK_ADDR_STRLEN];
    hk_addr_format(a, out, sizeof out);
    return out;
}

static void test_parse_and_format(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } ok[] = {
        {"192.0.2.1", "192.0.2.1"},
        {"0.0.0.0", "0.0.0.0"},
        {"255.255.255.255", "255.255.255.255"},
        {"::ffff:192.0.2.1", "192.0.2.1"},
        {"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
        {"::", "::"},
        {"::1", "::1"},
        {"fe80::1:2", "fe80::1:2"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct hk_addr a = addr(ok[i].in);
        assert_string_equal(text(&a), ok[i].out);
    }
    static const char *const bad[] = {
        "",          "1.2.3",
        "1.2.3.4.5", "01.2.3.4",
        "1.2.3.256", "0x7f.0.0.1",
        "1.2.3.4 ",  " 1.2.3.4",
        "::1%lo",    "2001:db8::1::2",
        "[::1]",     "1.2.3.4:80",
        "localhost", "12345678901234567890123456789012345678901234567890"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct hk_addr a;
        if (hk_addr_parse(bad[i], strlen(bad[i]), &a) != HK_EINVAL)
            fail_msg("\"%s\" was accepted", bad[i]);
    }
    struct hk_addr a;
    assert_int_equal(hk_addr_parse("1.2.3.4\0"
                                   "5",
                                   9, &a),
                     HK_EINVAL);
    /* n bounds the text: a longer buffer is not read past it. */
    assert_int_equal(hk_addr_parse("10.0.0.1,junk", 8, &a), 0);
    assert_string_equal(text(&a), "10.0.0.1");
    /* A short output buffer is truncated, not overrun. */
    char small[5];
    hk_addr_format(&a, small, sizeof small);
    assert_string_equal(small, "10.0");
}

static void test_from_sockaddr(void **state)
{
    (void)state;
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(80)};
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    struct hk_addr a;
    inet_pton(AF_INET, "203.0.113.9", &in.sin_addr);
    assert_int_equal(hk_addr_from_sockaddr((struct sockaddr *)&in, &a), 0);
    assert_string_equal(text(&a), "203.0.113.9");
    struct hk_addr mapped = addr("::ffff:203.0.113.9");
    assert_memory_equal(&a, &mapped, sizeof a);
    inet_pton(AF_INET6, "2001:db8::9", &in6.sin6_addr);
    assert_int_equal(hk_addr_from_sockaddr((struct sockaddr *)&in6, &a), 0);
    assert_string_equal(text(&a), "2001:db8::9");
    assert_int_equal(hk_addr_from_sockaddr((struct sockaddr *)&un, &a), HK_EINVAL);
}

/* ---- X-Forwarded-For ---- */

static struct hk_diags diags;
static struct hk_jdoc doc;
static struct hk_ipset *trusted;

static int setup_trusted(void **state)
{
    (void)state;
    struct tu_doc t;
    tu_load_member(&t, tu_tmpdir("addr"), "trusted_proxies",
                   "[\"10.0.0.0/8\", \"2001:db8:ffff::/48\"]", &diags);
    doc = t.doc;
    assert_int_equal(hk_ipset_parse(&t.member, &trusted), 0);
    return 0;
}

static int teardown_trusted(void **state)
{
    (void)state;
    hk_ipset_free(trusted);
    hk_jdoc_free(&doc);
    hk_diags_free(&diags);
    return 0;
}

/* The client for peer and the given headers (name, value pairs, NULL-terminated); "!" when
 * the walk refused the request. */
static const char *client_of(const char *peer, const struct hk_ipset *set, ...)
{
    struct hk_header h[MAX_TEST_HEADERS];
    size_t n = 0;
    va_list ap;
    va_start(ap, set);
    for (const char *name; (name = va_arg(ap, const char *)) != NULL;) {
        const char *value = va_arg(ap, const char *);
        assert_true(n < MAX_TEST_HEADERS);
        h[n++] = (struct hk_header){name, strlen(name), value, strlen(value)};
    }
    va_end(ap);
    struct hk_addr p = addr(peer), c;
    int rc = hk_client_addr(&p, set, h, n, &c);
    if (rc == HK_EPARSE)
        return "!";
    assert_int_equal(rc, 0);
    return text(&c);
}

#define XFF "X-Forwarded-For"

static void test_untrusted_peer(void **state)
{
    (void)state;
    /* A peer that is not a trusted proxy is the client, whatever it claims. */
    assert_string_equal(client_of("203.0.113.5", trusted, XFF, "1.1.1.1", NULL), "203.0.113.5");
    assert_string_equal(client_of("203.0.113.5", trusted, XFF, "garbage", NULL), "203.0.113.5");
    assert_string_equal(client_of("10.0.0.1", NULL, XFF, "1.1.1.1", NULL), "10.0.0.1");
}

static void test_trusted_chain(void **state)
{
    (void)state;
    assert_string_equal(client_of("10.0.0.1", trusted, NULL), "10.0.0.1");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "203.0.113.5", NULL), "203.0.113.5");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "203.0.113.5, 10.0.0.2", NULL),
                        "203.0.113.5");
    /* Every entry trusted: the leftmost one. */
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "10.0.0.3, 10.0.0.2", NULL),
                        "10.0.0.3");
    assert_string_equal(
        client_of("2001:db8:ffff::1", trusted, XFF, "2001:db8::5, 2001:db8:ffff::2", NULL),
        "2001:db8::5");
    assert_string_equal(client_of("::ffff:10.0.0.1", trusted, XFF, "::ffff:203.0.113.5", NULL),
                        "203.0.113.5");
}

static void test_spoofed_leftmost(void **state)
{
    (void)state;
    /* Entries left of the first untrusted one were written by the client itself. */
    assert_string_equal(
        client_of("10.0.0.1", trusted, XFF, "1.1.1.1, 2.2.2.2, 203.0.113.5, 10.0.0.2", NULL),
        "203.0.113.5");
    /* Even when the forgery names a trusted proxy, or is not an address at all. */
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "10.9.9.9, 203.0.113.5", NULL),
                        "203.0.113.5");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "<script>, 203.0.113.5", NULL),
                        "203.0.113.5");
    /* A forged header sent before the proxy's own is just more entries on the left. */
    assert_string_equal(
        client_of("10.0.0.1", trusted, XFF, "6.6.6.6", XFF, "203.0.113.5, 10.0.0.2", NULL),
        "203.0.113.5");
}

static void test_malformed(void **state)
{
    (void)state;
    /* An entry that had to be read and is not an address refuses the request. */
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "203.0.113.5, garbage", NULL), "!");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "unknown", NULL), "!");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "203.0.113.5 10.0.0.2", NULL), "!");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "203.0.113.5:99999", NULL), "!");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "203.0.113.5:", NULL), "!");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "[203.0.113.5]", NULL), "!");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "[2001:db8::5", NULL), "!");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "[2001:db8::5]x", NULL), "!");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "[2001:db8::5]:", NULL), "!");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "2001:db8::5:80:1:2:3:4:5", NULL), "!");
}

static void test_spaces_ports_and_empty_entries(void **state)
{
    (void)state;
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, " 203.0.113.5 ,\t10.0.0.2 ", NULL),
                        "203.0.113.5");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "203.0.113.5,,10.0.0.2,", NULL),
                        "203.0.113.5");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "203.0.113.5:4711", NULL),
                        "203.0.113.5");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "10.0.0.7:80", NULL), "10.0.0.7");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "[2001:db8::5]:443", NULL),
                        "2001:db8::5");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "[2001:db8::5]", NULL), "2001:db8::5");
    /* A bare IPv6 address keeps all its groups: no port is split off. */
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "2001:db8::5:80", NULL),
                        "2001:db8::5:80");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, ",", NULL), "10.0.0.1");
}

static void test_several_headers(void **state)
{
    (void)state;
    /* All X-Forwarded-For headers, in order, form one list; other headers are ignored. */
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "1.1.1.1, 203.0.113.5", "Host",
                                  "example.com", "x-forwarded-for", "10.0.0.3, 10.0.0.2", NULL),
                        "203.0.113.5");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "10.0.0.4", "X-FORWARDED-FOR",
                                  "10.0.0.3", XFF, "", NULL),
                        "10.0.0.4");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "garbage", XFF, "203.0.113.5", NULL),
                        "203.0.113.5");
    assert_string_equal(client_of("10.0.0.1", trusted, XFF, "garbage", XFF, "10.0.0.3", NULL), "!");
    assert_string_equal(client_of("10.0.0.1", trusted, "X-Real-IP", "1.1.1.1", NULL), "10.0.0.1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_format),
        cmocka_unit_test(test_from_sockaddr),
        cmocka_unit_test(test_untrusted_peer),
        cmocka_unit_test(test_trusted_chain),
        cmocka_unit_test(test_spoofed_leftmost),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_spaces_ports_and_empty_entries),
        cmocka_unit_test(test_several_headers),
    };
    return cmocka_run_group_tests(tests, setup_trusted, teardown_trusted);
}
