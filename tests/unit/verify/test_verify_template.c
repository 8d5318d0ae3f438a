/* test_verify_template.c -- the generic scheme's "signed" template: parts, escapes, errors,
 * and spans over a request. */
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "verify/verify_template.h"

#include <stdio.h>
#include <string.h>

/* The template's parts as text: L"..." for a literal, H"..." for a header, B for the body. */
static const char *shape(const char *text)
{
    static char out[512];
    struct hk_tpl t;
    const char *why = NULL;
    int rc = hk_tpl_parse(text, &t, &why);
    if (rc)
        return why ? why : "(no reason)";
    size_t len = 0;
    out[0] = 0;
    for (size_t i = 0; i < t.n; i++) {
        const struct hk_tpl_part *p = &t.parts[i];
        const char *kind = p->kind == HK_TPL_BODY ? "B" : p->kind == HK_TPL_HEADER ? "H" : "L";
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%s%s%s", i ? " " : "", kind,
                                p->text ? "=" : "", p->text ? p->text : "");
    }
    hk_tpl_free(&t);
    return out;
}

static void test_parts(void **state)
{
    (void)state;
    assert_string_equal(shape("{body}"), "B");
    assert_string_equal(shape("{header:x-timestamp}.{body}"), "H=x-timestamp L=. B");
    assert_string_equal(shape("v0:{header:X-TS}:{body}"), "L=v0: H=X-TS L=: B");
    assert_string_equal(shape("{{{body}}}"), "L={ B L=}");
    assert_string_equal(shape("a{{b}}c{body}"), "L=a{b}c B");
    assert_string_equal(shape("{body}{body}"), "B B");
}

static void test_errors(void **state)
{
    (void)state;
    assert_non_null(strstr(shape(""), "never signs {body}"));
    assert_non_null(strstr(shape("{header:x}"), "never signs {body}"));
    assert_non_null(strstr(shape("{{body}}"), "never signs {body}"));
    assert_non_null(strstr(shape("{Body}"), "unknown placeholder"));
    assert_non_null(strstr(shape("{}{body}"), "unknown placeholder"));
    assert_non_null(strstr(shape("{body"), "never closed"));
    assert_non_null(strstr(shape("{body}}"), "lone"));
    assert_non_null(strstr(shape("{header:}{body}"), "names no header"));
    assert_non_null(strstr(shape("{header:a b}{body}"), "no header name can"));
    assert_non_null(strstr(shape("{header:a:b}{body}"), "no header name can"));
    char many[256] = "";
    for (int i = 0; i < 7; i++)
        strcat(many, "{header:a}.");
    strcat(many, "{header:a}{body}"); /* 16 parts: the most there may be */
    assert_string_equal(shape(many), "H=a L=. H=a L=. H=a L=. H=a L=. H=a L=. H=a L=. H=a L=. "
                                     "H=a B");
    strcat(many, ".");
    assert_non_null(strstr(shape(many), "too many parts"));
}

static void test_spans(void **state)
{
    (void)state;
    struct hk_tpl t;
    const char *why;
    assert_int_equal(hk_tpl_parse("{header:x-ts}.{body}", &t, &why), 0);
    struct hk_header h[] = {{"X-TS", 4, "1700000000", 10}};
    struct hk_verify_req req = {
        .headers = h, .nheaders = 1, .body = (const uint8_t *)"hi", .body_len = 2};
    struct hk_span s[HK_TPL_MAX_PARTS];
    assert_int_equal(hk_tpl_spans(&t, &req, s), 0);
    assert_int_equal(s[0].n, 10);
    assert_memory_equal(s[0].p, "1700000000", 10);
    assert_int_equal(s[1].n, 1);
    assert_memory_equal(s[1].p, ".", 1);
    assert_ptr_equal(s[2].p, req.body);
    assert_int_equal(s[2].n, 2);
    req.nheaders = 0;
    assert_int_equal(hk_tpl_spans(&t, &req, s), HK_EAUTH);
    hk_tpl_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parts),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_spans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
