/* test_router.c -- the routing table: exact, prefix, "*", sources, and every Flagright event
 * reaching exactly the instances that subscribe to it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "deliver/router.h"
#include "testutil.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const all[] = {"*", NULL};
static const char *const cases[] = {"CASE_*", NULL};
static const char *const closed[] = {"CASE_CLOSED", NULL};
static const char *const users[] = {"USER_STATE_UPDATED", "USER_*", "KYC_STATUS_UPDATED", NULL};
static const char *const case_open[] = {"CASE_OPEN*", "TRANSACTION_STATUS_UPDATED", NULL};
static const char *const only_fr[] = {"flagright", NULL};
static const char *const only_other[] = {"other", NULL};

static const struct hk_route_target targets[] = {
    {"audit", all, NULL},   {"cases", cases, NULL},      {"closed", closed, only_fr},
    {"users", users, NULL}, {"opened", case_open, NULL}, {"elsewhere", all, only_other},
};
#define NT (sizeof targets / sizeof targets[0])

/* The expected set, computed the slow way. */
static bool wants(const struct hk_route_target *t, const char *type, const char *source)
{
    bool type_ok = false, source_ok = !t->sources;
    for (const char *const *p = t->patterns; *p; p++) {
        size_t n = strlen(*p);
        if ((*p)[n - 1] == '*' ? strncmp(*p, type, n - 1) == 0 : strcmp(*p, type) == 0)
            type_ok = true;
    }
    for (const char *const *s = t->sources; s && *s; s++)
        source_ok |= strcmp(*s, source) == 0;
    return type_ok && source_ok;
}

static void check(const struct hk_router *r, const char *type, const char *source)
{
    uint16_t out[HK_ROUTE_MAX];
    size_t n = hk_router_match(r, type, source, out), k = 0;
    for (size_t i = 0; i < NT; i++) {
        if (!wants(&targets[i], type, source))
            continue;
        if (k >= n || out[k] != i)
            fail_msg("%s from %s: %s missing or out of order", type, source, targets[i].name);
        k++;
    }
    assert_int_equal(n, k);
}

static void test_every_event_type(void **state)
{
    (void)state;
    struct hk_router *r;
    assert_int_equal(hk_router_build(targets, NT, &r), 0);
    char *text = tu_read_file(tu_data("flagright-events.jsonl"), NULL);
    int events = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *j = json_loads(line, 0, NULL);
        const char *type = json_string_value(json_object_get(j, "type"));
        check(r, type, "flagright");
        check(r, type, "other");
        json_decref(j);
        events++;
    }
    assert_true(events >= 20);
    free(text);
    hk_router_free(r);
}

static void test_specific_routes(void **state)
{
    (void)state;
    struct hk_router *r;
    uint16_t out[HK_ROUTE_MAX];
    assert_int_equal(hk_router_build(targets, NT, &r), 0);
    /* audit (*), cases (CASE_*), closed (exact, flagright only) */
    assert_int_equal(hk_router_match(r, "CASE_CLOSED", "flagright", out), 3);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 1);
    assert_int_equal(out[2], 2);
    /* "CASE_" itself matches the prefix "CASE_*"; "CASE" does not */
    assert_int_equal(hk_router_match(r, "CASE_", "x", out), 2);
    assert_int_equal(hk_router_match(r, "CASE", "x", out), 1);
    /* two patterns of one instance matching the same type count once */
    assert_int_equal(hk_router_match(r, "USER_STATE_UPDATED", "x", out), 2);
    assert_int_equal(hk_router_match(r, "case_closed", "flagright", out), 1); /* case-sensitive */
    hk_router_free(r);
}

static void test_empty_and_many(void **state)
{
    (void)state;
    struct hk_router *r;
    uint16_t out[HK_ROUTE_MAX];
    assert_int_equal(hk_router_build(NULL, 0, &r), 0);
    assert_int_equal(hk_router_match(r, "X", "y", out), 0);
    hk_router_free(r);
    static struct hk_route_target many[HK_ROUTE_MAX];
    static char names[HK_ROUTE_MAX][16];
    static char pats[HK_ROUTE_MAX][24];
    static const char *lists[HK_ROUTE_MAX][2];
    for (int i = 0; i < HK_ROUTE_MAX; i++) {
        snprintf(names[i], sizeof names[i], "i%d", i);
        snprintf(pats[i], sizeof pats[i], i % 2 ? "T%d" : "P%d*", i % 7);
        lists[i][0] = pats[i];
        many[i] = (struct hk_route_target){names[i], lists[i], NULL};
    }
    assert_int_equal(hk_router_build(many, HK_ROUTE_MAX, &r), 0);
    size_t n = hk_router_match(r, "T3", "s", out);
    for (size_t k = 0; k < n; k++)
        assert_string_equal(pats[out[k]], "T3");
    assert_true(n > 10);
    hk_router_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_event_type),
        cmocka_unit_test(test_specific_routes),
        cmocka_unit_test(test_empty_and_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
