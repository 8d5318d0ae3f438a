/* test_codec.c -- hex decoding by table (every byte value tried) and decimal digits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/codec.h"

#include <string.h>

static void test_every_byte_is_a_hex_digit_or_not(void **state)
{
    (void)state;
    for (int c = -128; c < 256; c++) {
        int want = c >= '0' && c <= '9'   ? c - '0'
                   : c >= 'a' && c <= 'f' ? c - 'a' + 10
                   : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                          : -1;
        assert_int_equal(hk_hex_digit(c), want);
    }
}

static void test_hex_decode(void **state)
{
    (void)state;
    uint8_t out[4];
    assert_int_equal(hk_hex_decode("00fF7a", 6, out, sizeof out), 3);
    assert_memory_equal(out, "\x00\xff\x7a", 3);
    assert_int_equal(hk_hex_decode("", 0, out, sizeof out), 0);
    assert_int_equal(hk_hex_decode("abc", 3, out, sizeof out), -1);         /* odd */
    assert_int_equal(hk_hex_decode("0g", 2, out, sizeof out), -1);          /* not hex */
    assert_int_equal(hk_hex_decode("\xc3\xa9", 2, out, sizeof out), -1);    /* high bytes */
    assert_int_equal(hk_hex_decode("0\0", 2, out, sizeof out), -1);         /* NUL */
    assert_int_equal(hk_hex_decode("0011223344", 10, out, sizeof out), -1); /* too long */
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
        cmocka_unit_test(test_every_byte_is_a_hex_digit_or_not),
        cmocka_unit_test(test_hex_decode),
        cmocka_unit_test(test_decimal_digits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
