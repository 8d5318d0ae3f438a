/* test_plugin_desc.c -- descriptor checks on in-memory descriptors: every refusal names the
 * file, the cause and the fix. (Real .so files for the same branches: test_plugin_lib.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "plugin/plugin_desc.h"

#include <string.h>

static hookd_result ok_handle(void *s, hookd_ctx *c, const hookd_event *e)
{
    (void)s;
    (void)c;
    (void)e;
    return HOOKD_OK;
}

static const char *const all[] = {"*", NULL};

static hookd_plugin good(void)
{
    return (hookd_plugin){.abi_major = HOOKD_PLUGIN_ABI_MAJOR,
                          .abi_minor = HOOKD_PLUGIN_ABI_MINOR,
                          .struct_size = sizeof(hookd_plugin),
                          .name = "good",
                          .version = "1",
                          .subscribe = all,
                          .handle = ok_handle};
}

static void expect(const hookd_plugin *d, int rc, const char *needle)
{
    char err[1024] = "";
    assert_int_equal(hk_plugin_desc_check(d, "/p/x.so", err, sizeof err), rc);
    if (!strstr(err, needle))
        fail_msg("message \"%s\" lacks \"%s\"", err, needle);
}

static void test_good(void **state)
{
    (void)state;
    hookd_plugin d = good();
    char err[64] = "";
    assert_int_equal(hk_plugin_desc_check(&d, "/p/x.so", err, sizeof err), 0);
    d.struct_size += 64; /* a bigger struct of the same minor is fine */
    assert_int_equal(hk_plugin_desc_check(&d, "/p/x.so", err, sizeof err), 0);
    assert_int_equal(hk_plugin_desc_size(0), sizeof(hookd_plugin));
    assert_int_equal(hk_plugin_desc_size(HOOKD_PLUGIN_ABI_MINOR + 1), 0);
}

static void test_versions(void **state)
{
    (void)state;
    hookd_plugin d = good();
    d.abi_major = 3;
    expect(&d, HK_EABI, "descriptor says ABI 3.0: define it with HOOKD_PLUGIN_DEFINE");
    d = good();
    d.abi_minor = HOOKD_PLUGIN_ABI_MINOR + 2;
    expect(&d, HK_EABI, "plugin /p/x.so was built for ABI 1.2, this hookd is 1.0: rebuild it");
    d = good();
    d.struct_size = 16;
    expect(&d, HK_EABI, "short descriptor (struct_size 16, ABI 1.0 needs");
    d = good();
    d.flags = HOOKD_PLUGIN_SERIAL | (1u << 9);
    expect(&d, HK_EABI, "sets flags 0x200 unknown to ABI 1.0");
}

static void test_names(void **state)
{
    (void)state;
    static const char *const bad[] = {"",         "Upper",     "9lives",
                                      "has-dash", "has space", "a23456789012345678901234567890123"};
    hookd_plugin d = good();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        d.name = bad[i];
        expect(&d, HK_EPLUGIN, "invalid name");
    }
    d.name = "a2345678901234567890123456789012"; /* 32 bytes: the longest */
    expect(&d, 0, "");
    d.name = NULL;
    expect(&d, HK_EPLUGIN, "has no name: set .name");
    d = good();
    d.version = NULL;
    expect(&d, HK_EPLUGIN, "plugin \"good\" (/p/x.so) has no version: set .version");
    d = good();
    d.handle = NULL;
    expect(&d, HK_EPLUGIN, "has no handle function: set .handle");
    d = good();
    d.init = NULL; /* init and fini may be left out */
    d.fini = NULL;
    expect(&d, 0, "");
}

static void test_patterns(void **state)
{
    (void)state;
    static const char *const none[] = {NULL};
    static const char *const star_inside[] = {"CASE_*", "A*B", NULL};
    static const char *const empty[] = {""};
    static const char *const several[] = {"CASE_OPENED", "ALERT_*", "x.y:z/w-1", NULL};
    hookd_plugin d = good();
    d.subscribe = NULL;
    expect(&d, HK_EPLUGIN, "subscribes to no event: set .subscribe");
    d.subscribe = none;
    expect(&d, HK_EPLUGIN, "subscribes to no event");
    d.subscribe = star_inside;
    expect(&d, HK_EPLUGIN, "invalid pattern \"A*B\"");
    d.subscribe = empty;
    expect(&d, HK_EPLUGIN, "invalid pattern \"\"");
    d.subscribe = several;
    expect(&d, 0, "");
}

static void test_conf_keys(void **state)
{
    (void)state;
    static const char *const ok[] = {"path", "timeout_ms", "Mixed-Case", NULL};
    static const char *const dup[] = {"path", "fsync", "path", NULL};
    static const char *const digit[] = {"1st", NULL};
    static const char *const empty[] = {"", NULL};
    hookd_plugin d = good();
    d.conf_keys = ok;
    expect(&d, 0, "");
    d.conf_keys = dup;
    expect(&d, HK_EPLUGIN, "declares config key \"path\" twice: remove one");
    d.conf_keys = digit;
    expect(&d, HK_EPLUGIN, "invalid config key \"1st\"");
    d.conf_keys = empty;
    expect(&d, HK_EPLUGIN, "invalid config key \"\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),      cmocka_unit_test(test_versions),
        cmocka_unit_test(test_names),     cmocka_unit_test(test_patterns),
        cmocka_unit_test(test_conf_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
