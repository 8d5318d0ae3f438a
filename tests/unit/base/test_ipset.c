/* test_ipset.c -- CIDR sets: both families in one trie, presets, configuration errors, and
 * a brute-force comparison on many random entries. */
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/ip_presets.h"
#include "base/jconf.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MANY   10000
#define PROBES 4000

struct ts {
    struct hk_diags diags;
    struct hk_jdoc doc;
    struct hk_ipset *set;
    int rc;
};

/* Writes {"allow": <arr>} and parses it. */
static void ts_load_text(struct ts *t, const char *arr)
{
    struct tu_doc d;
    memset(t, 0, sizeof *t);
    tu_load_member(&d, tu_tmpdir("ipset"), "allow", arr, &t->diags);
    t->doc = d.doc;
    struct hk_jcur root = hk_jcur_root(&t->doc);
    struct hk_jcur allow = hk_jcur_member(&root, "allow");
    t->rc = hk_ipset_parse(&allow, &t->set);
}

static struct hk_ipset *ts_must(struct ts *t, const char *arr)
{
    ts_load_text(t, arr);
    if (t->rc) {
        char *all = hk_diags_join(&t->diags);
        fail_msg("set did not load: %s", all ? all : "(no message)");
    }
    return t->set;
}

static void ts_free(struct ts *t)
{
    hk_ipset_free(t->set);
    hk_jdoc_free(&t->doc);
    hk_diags_free(&t->diags);
}

static bool has(const struct hk_ipset *s, const char *addr)
{
    struct hk_addr a;
    if (hk_addr_parse(addr, strlen(addr), &a))
        fail_msg("bad test address %s", addr);
    return hk_ipset_contains(s, &a);
}

static void test_v4(void **state)
{
    (void)state;
    struct ts t;
    ts_must(&t, "[\"10.0.0.0/8\", \"192.0.2.1/32\", \"198.51.100.7\"]");
    assert_true(has(t.set, "10.0.0.0"));
    assert_true(has(t.set, "10.255.255.255"));
    assert_true(has(t.set, "::ffff:10.1.2.3")); /* a v4-mapped peer matches v4 rules */
    assert_false(has(t.set, "11.0.0.0"));
    assert_false(has(t.set, "9.255.255.255"));
    assert_true(has(t.set, "192.0.2.1"));
    assert_false(has(t.set, "192.0.2.0"));
    assert_false(has(t.set, "192.0.2.2"));
    assert_true(has(t.set, "198.51.100.7"));
    assert_false(has(t.set, "198.51.100.6"));
    /* The v4 prefix 10/8 must not match v6 addresses sharing its bits. */
    assert_false(has(t.set, "a00::"));
    assert_false(has(t.set, "::10.0.0.1"));
    ts_free(&t);
}

static void test_v6_and_mapped(void **state)
{
    (void)state;
    struct ts t;
    ts_must(&t, "[\"2001:db8::/32\", \"2001:db8:ffff::1/128\", \"fe80::1\", "
                "\"::ffff:192.0.2.0/120\"]");
    assert_true(has(t.set, "2001:db8::"));
    assert_true(has(t.set, "2001:db8:1234::1"));
    assert_false(has(t.set, "2001:db9::"));
    assert_true(has(t.set, "fe80::1"));
    assert_false(has(t.set, "fe80::2"));
    assert_true(has(t.set, "192.0.2.200")); /* a v4-mapped v6 entry holds v4 addresses */
    assert_false(has(t.set, "192.0.3.0"));
    ts_free(&t);
}

static void test_zero_prefixes(void **state)
{
    (void)state;
    struct ts t;
    ts_must(&t, "[\"0.0.0.0/0\"]");
    assert_true(has(t.set, "0.0.0.0"));
    assert_true(has(t.set, "255.255.255.255"));
    assert_false(has(t.set, "2001:db8::1"));
    assert_false(has(t.set, "::"));
    ts_free(&t);
    ts_must(&t, "[\"::/0\"]");
    assert_true(has(t.set, "2001:db8::1"));
    assert_true(has(t.set, "1.2.3.4"));
    assert_true(has(t.set, "::"));
    ts_free(&t);
    ts_must(&t, "[]");
    assert_non_null(t.set);
    assert_false(has(t.set, "1.2.3.4"));
    assert_false(has(t.set, "::"));
    ts_free(&t);
    ts_must(&t, "[\"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128\", \"::/128\"]");
    assert_true(has(t.set, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
    assert_true(has(t.set, "::"));
    assert_false(has(t.set, "::1"));
    assert_false(has(t.set, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"));
    ts_free(&t);
}

static void test_absent(void **state)
{
    (void)state;
    struct hk_diags d = {0};
    struct tu_doc t;
    tu_load_member(&t, tu_tmpdir("ipset-absent"), "other", "{}", &d);
    struct hk_jcur allow = hk_jcur_member(&t.root, "allow"); /* absent */
    struct hk_ipset *s = (struct hk_ipset *)&d;              /* must be overwritten */
    assert_int_equal(hk_ipset_parse(&allow, &s), 0);
    assert_null(s);
    assert_false(has(NULL, "1.2.3.4"));
    hk_jdoc_free(&t.doc);
    hk_diags_free(&d);
}

static void test_overlapping(void **state)
{
    (void)state;
    struct ts t;
    /* Longer after shorter, shorter after longer, duplicates, and siblings. */
    ts_must(&t, "[\"10.0.0.0/8\", \"10.1.0.0/16\", \"192.168.1.0/24\", \"192.168.0.0/16\", "
                "\"192.168.1.0/24\", \"172.16.0.0/13\", \"172.24.0.0/13\", \"172.16.5.5\"]");
    assert_true(has(t.set, "10.1.2.3"));
    assert_true(has(t.set, "10.2.0.0"));
    assert_true(has(t.set, "192.168.200.1"));
    assert_true(has(t.set, "192.168.1.1"));
    assert_false(has(t.set, "192.169.0.0"));
    assert_true(has(t.set, "172.16.0.0"));
    assert_true(has(t.set, "172.31.255.255"));
    assert_false(has(t.set, "172.32.0.0"));
    assert_false(has(t.set, "172.15.255.255"));
    ts_free(&t);
}

static void test_presets(void **state)
{
    (void)state;
    static const struct {
        const char *preset;
        const char *addrs[7];
    } regions[] = {
        {"flagright-us", {"35.155.123.185", "44.237.56.178", "52.11.98.137"}},
        {"flagright-eu",
         {"3.67.28.78", "3.76.95.10", "35.156.181.187", "18.132.155.115", "18.134.212.219",
          "35.177.249.136"}},
        {"flagright-asia",
         {"18.139.42.183", "3.1.188.28", "3.1.234.194", "13.234.102.242", "3.109.243.84",
          "43.205.70.199"}},
        {"flagright-au", {"18.139.42.183", "3.104.94.7", "54.79.45.195"}},
        {"flagright-me", {"3.28.175.208", "3.28.224.220", "51.112.26.119"}},
    };
    struct ts all, one;
    ts_must(&all, "[\"flagright\"]");
    for (size_t r = 0; r < sizeof regions / sizeof regions[0]; r++) {
        char arr[64];
        size_t n = 0;
        snprintf(arr, sizeof arr, "[\"%s\"]", regions[r].preset);
        ts_must(&one, arr);
        for (; n < 7 && regions[r].addrs[n]; n++) {
            assert_true(has(one.set, regions[r].addrs[n]));
            assert_true(has(all.set, regions[r].addrs[n]));
        }
        const char *const *list = hk_ip_preset(regions[r].preset);
        size_t count = 0;
        while (list[count])
            count++;
        assert_int_equal(count, n);
        assert_false(has(one.set, "35.155.123.186"));
        ts_free(&one);
    }
    assert_false(has(all.set, "8.8.8.8"));
    ts_free(&all);
    ts_must(&one, "[\"flagright-eu\"]");
    assert_false(has(one.set, "35.155.123.185"));
    ts_free(&one);
    /* Presets mix with CIDRs. */
    ts_must(&one, "[\"10.0.0.0/8\", \"flagright-us\"]");
    assert_true(has(one.set, "10.0.0.1"));
    assert_true(has(one.set, "52.11.98.137"));
    ts_free(&one);
    assert_null(hk_ip_preset("flagright-mars"));
    char names[256];
    hk_ip_preset_names(names, sizeof names);
    assert_string_equal(names, "flagright, flagright-us, flagright-eu, flagright-asia, "
                               "flagright-au, flagright-me");
}

static void assert_refused(const char *arr, const char *needle)
{
    struct ts t;
    ts_load_text(&t, arr);
    assert_int_equal(t.rc, HK_ECONF);
    assert_null(t.set);
    const char *line = hk_diags_find(&t.diags, needle);
    if (!line) {
        char *all = hk_diags_join(&t.diags);
        fail_msg("%s: no problem mentions \"%s\"; got: %s", arr, needle, all ? all : "(none)");
    }
    assert_non_null(strstr(line, "hookd.json:"));
    assert_non_null(strstr(line, ": allow[0]: "));
    ts_free(&t);
}

static void test_bad_entries(void **state)
{
    (void)state;
    assert_refused("[\"10.0.0.1/8\"]",
                   "\"10.0.0.1/8\" has host bits set: write \"10.0.0.0/8\" for the network, or "
                   "\"10.0.0.1\" alone for the single address");
    assert_refused("[\"2001:db8::1/32\"]", "write \"2001:db8::/32\" for the network");
    assert_refused("[\"10.0.0.0/33\"]", "prefix length of an IPv4 network is 0 to 32");
    assert_refused("[\"2001:db8::/129\"]", "prefix length of an IPv6 network is 0 to 128");
    assert_refused("[\"10.0.0.0/08\"]", "prefix length");
    assert_refused("[\"10.0.0.0/\"]", "prefix length");
    assert_refused("[\"10.0.0.0/-1\"]", "prefix length");
    assert_refused("[\"flagrite\"]", "\"flagrite\" is not an address, a CIDR or a preset: write "
                                     "e.g. \"203.0.113.7\"");
    assert_refused("[\"flagrite\"]", "presets flagright, flagright-us");
    assert_refused("[\"10.0.0\"]", "is not an address");
    assert_refused("[\"010.0.0.1\"]", "is not an address");
    assert_refused("[\" 10.0.0.1\"]", "is not an address");
    assert_refused("[\"\"]", "is not an address");
    assert_refused("[\"10.0.0.0 /8\"]", "is not an address");
    assert_refused("[\"fe80::1%eth0\"]", "is not an address");
    assert_refused("[42]", "expected a string");
    /* Every problem is listed, not only the first. */
    struct ts t;
    ts_load_text(&t, "[\"bad1\", \"10.0.0.0/8\", \"bad2\"]");
    assert_int_equal(t.diags.n, 2);
    assert_non_null(hk_diags_find(&t.diags, "allow[2]: \"bad2\""));
    ts_free(&t);
    ts_load_text(&t, "\"10.0.0.0/8\"");
    assert_non_null(hk_diags_find(&t.diags, "allow: expected an array"));
    ts_free(&t);
}

/* ---- many random entries against a linear scan ---- */

struct cidr {
    struct hk_addr a;
    unsigned bits;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static void zero_from(struct hk_addr *a, unsigned bits)
{
    for (unsigned i = bits; i < 128; i++)
        a->b[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
}

static bool covers(const struct cidr *c, const struct hk_addr *a)
{
    struct hk_addr m = *a;
    zero_from(&m, c->bits);
    return memcmp(&m, &c->a, sizeof m) == 0;
}

/* Random entries clustered in a few v4 and v6 ranges so that prefixes nest and split. */
static void random_cidr(struct cidr *c)
{
    static const char *const bases[] = {"10.0.0.0", "10.128.0.0", "2001:db8::", "2001:db8:8000::"};
    const char *base = bases[rnd() % 4];
    bool v4 = strchr(base, ':') == NULL;
    assert_int_equal(hk_addr_parse(base, strlen(base), &c->a), 0);
    for (unsigned i = v4 ? 13 : 4; i < 16; i++)
        c->a.b[i] ^= (uint8_t)rnd();
    c->bits = v4 ? 96 + 8 + rnd() % 25 : 16 + rnd() % 113;
    zero_from(&c->a, c->bits);
}

static void cidr_text(const struct cidr *c, char *out, size_t cap)
{
    char a[HK_ADDR_STRLEN];
    hk_addr_format(&c->a, a, sizeof a);
    snprintf(out, cap, "%s/%u", a, strchr(a, ':') ? c->bits : c->bits - 96);
}

static void test_many_entries(void **state)
{
    (void)state;
    struct cidr *cs = calloc(MANY, sizeof *cs);
    assert_non_null(cs);
    json_t *arr = json_array();
    for (size_t i = 0; i < MANY; i++) {
        char text[96];
        random_cidr(&cs[i]);
        cidr_text(&cs[i], text, sizeof text);
        json_array_append_new(arr, json_string(text));
    }
    char *json = json_dumps(arr, 0);
    json_decref(arr);
    struct ts t;
    ts_must(&t, json);
    free(json);
    size_t hits = 0;
    for (size_t p = 0; p < PROBES; p++) {
        struct hk_addr a = cs[rnd() % MANY].a;
        for (unsigned k = 0; k < 3; k++) /* flip a few bits, often past the prefix */
            a.b[8 + rnd() % 8] ^= (uint8_t)(1u << (rnd() % 8));
        bool want = false;
        for (size_t i = 0; i < MANY && !want; i++)
            want = covers(&cs[i], &a);
        assert_int_equal(hk_ipset_contains(t.set, &a), want);
        hits += want;
    }
    for (size_t i = 0; i < MANY; i++)
        assert_true(hk_ipset_contains(t.set, &cs[i].a));
    printf("# %d entries, %zu of %d probes inside\n", MANY, hits, PROBES);
    assert_true(hits > PROBES / 20 && hits < PROBES - PROBES / 20);
    ts_free(&t);
    free(cs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v4),
        cmocka_unit_test(test_v6_and_mapped),
        cmocka_unit_test(test_zero_prefixes),
        cmocka_unit_test(test_absent),
        cmocka_unit_test(test_overlapping),
        cmocka_unit_test(test_presets),
        cmocka_unit_test(test_bad_entries),
        cmocka_unit_test(test_many_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
