/* test_json_write.c -- a JSON string quoted in runs, and decimal digits without printf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/codec.h"
#include "base/json_write.h"

#include <string.h>

static void assert_quoted(const char *s, size_t n, const char *want)
{
    struct hk_buf b = {0};
    assert_int_equal(hk_json_put_string(&b, s, n), 0);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.data, want, b.len);
    hk_buf_free(&b);
}

static void test_strings_are_quoted_and_escaped(void **state)
{
    (void)state;
    assert_quoted("", 0, "\"\"");
    assert_quoted("evt-00001", 9, "\"evt-00001\"");
    assert_quoted("\"a\\b\"", 5, "\"\\\"a\\\\b\\\"\""); /* escapes first, between, last */
    assert_quoted("x\ny\x01\x1f", 5, "\"x\\u000ay\\u0001\\u001f\"");
    assert_quoted("caf\xc3\xa9\x7f", 6, "\"caf\xc3\xa9\x7f\""); /* UTF-8 and DEL as they are */
    assert_quoted("a\0b", 3, "\"a\\u0000b\"");                  /* n counts, not the NUL */
}

static void assert_decimal(uint64_t v, int width, const char *want)
{
    char buf[32], *end = buf + sizeof buf - 1;
    *end = 0;
    assert_string_equal(hk_decimal(end, v, width), want);
}

static void test_decimal_digits(void **state)
{
    (void)state;
    assert_decimal(0, 1, "0");
    assert_decimal(7, 3, "007");
    assert_decimal(2026, 4, "2026");
    assert_decimal(12345, 2, "12345");
    assert_decimal(UINT64_MAX, 1, "18446744073709551615");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings_are_quoted_and_escaped),
        cmocka_unit_test(test_decimal_digits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
