/* test_json_write.c -- a JSON string quoted in runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings_are_quoted_and_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
