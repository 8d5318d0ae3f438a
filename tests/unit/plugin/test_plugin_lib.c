/* test_plugin_lib.c -- loading real plugin .so files: content-named copies, one load per
 * content, refusals with the file, the cause and the fix, unloading by reference count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "daemon/runtime_dir.h"
#include "plugin/plugin_lib.h"
#include "testutil.h"

#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *fixture(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s.so", HK_FIXTURE_DIR, name);
    return path;
}

/* Copies src to dir/name with mode; returns the new path (static buffer). */
static const char *copy_to(const char *src, const char *dir, const char *name, mode_t mode)
{
    static char path[1024];
    size_t len;
    char *data = tu_read_file(src, &len);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    free(data);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static void expect_refused(const char *path, int rc, const char *needle)
{
    char err[1024] = "";
    struct hk_plugin_lib *lib = (void *)1;
    assert_int_equal(hk_plugin_lib_open(path, &lib, err, sizeof err), rc);
    assert_null(lib);
    if (!strstr(err, needle))
        fail_msg("message \"%s\" lacks \"%s\"", err, needle);
    if (!strstr(err, path))
        fail_msg("message \"%s\" does not name %s", err, path);
}

static int setup(void **state)
{
    (void)state;
    setenv("TMPDIR", tu_tmpdir("plugin_lib_runtime"), 1);
    return hk_runtime_dir_create();
}

static void test_loads_from_content_named_copy(void **state)
{
    (void)state;
    char err[1024] = "", hash[65], want[2048];
    uint8_t digest[32];
    size_t len;
    struct stat st;
    struct hk_plugin_lib *lib;
    assert_int_equal(hk_plugin_lib_open(fixture("recorder"), &lib, err, sizeof err), 0);
    assert_string_equal(lib->desc->name, "recorder");
    assert_string_equal(lib->path, fixture("recorder"));
    char *data = tu_read_file(fixture("recorder"), &len);
    mbedtls_sha256_ret((const uint8_t *)data, len, digest, 0);
    free(data);
    for (size_t i = 0; i < sizeof digest; i++)
        sprintf(hash + 2 * i, "%02x", digest[i]);
    assert_string_equal(lib->hash, hash);
    snprintf(want, sizeof want, "%s/%s-recorder.so", hk_runtime_dir_path(), hash);
    assert_string_equal(lib->copy_path, want);
    assert_int_equal(stat(lib->copy_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0500);
    hk_plugin_lib_release(lib);
    assert_int_equal(stat(want, &st), -1); /* the last release removes the copy */
}

static void test_same_content_loaded_once(void **state)
{
    (void)state;
    char err[1024];
    struct hk_plugin_lib *a, *b, *c;
    const char *dir = tu_tmpdir("plugin_lib_same");
    assert_int_equal(hk_plugin_lib_open(fixture("case_only"), &a, err, sizeof err), 0);
    assert_int_equal(hk_plugin_lib_open(fixture("case_only"), &b, err, sizeof err), 0);
    const char *other = copy_to(fixture("case_only"), dir, "other-name.so", 0755);
    assert_int_equal(hk_plugin_lib_open(other, &c, err, sizeof err), 0);
    assert_ptr_equal(a, b);
    assert_ptr_equal(a, c);
    assert_int_equal(atomic_load(&a->refs), 3);
    hk_plugin_lib_release(b);
    hk_plugin_lib_release(c);
    assert_int_equal(atomic_load(&a->refs), 1);
    assert_string_equal(a->desc->name, "case_only"); /* still loaded */
    hk_plugin_lib_release(a);
    hk_plugin_lib_release(NULL);
}

/* The reason for content-named copies: a rebuilt file at the same path is really reloaded,
 * while the old code stays loaded for whoever still holds it. */
static void test_rebuilt_file_is_reloaded(void **state)
{
    (void)state;
    char err[1024];
    struct hk_plugin_lib *old, *new;
    const char *dir = tu_tmpdir("plugin_lib_rebuilt");
    char path[1024];
    snprintf(path, sizeof path, "%s", copy_to(fixture("recorder"), dir, "audit.so", 0755));
    assert_int_equal(hk_plugin_lib_open(path, &old, err, sizeof err), 0);
    copy_to(fixture("permanent"), dir, "audit.so", 0755);
    assert_int_equal(hk_plugin_lib_open(path, &new, err, sizeof err), 0);
    assert_ptr_not_equal(old, new);
    assert_string_equal(old->desc->name, "recorder");
    assert_string_equal(new->desc->name, "permanent");
    assert_string_not_equal(old->hash, new->hash);
    hk_plugin_lib_release(old);
    hk_plugin_lib_release(new);
}

static void test_no_unload_stays_loaded(void **state)
{
    (void)state;
    char err[1024];
    struct stat st;
    struct hk_plugin_lib *a, *b;
    assert_int_equal(hk_plugin_lib_open(fixture("no_unload"), &a, err, sizeof err), 0);
    assert_true(a->desc->flags & HOOKD_PLUGIN_NO_UNLOAD);
    hk_plugin_lib_release(a);
    assert_int_equal(stat(a->copy_path, &st), 0); /* neither closed nor removed */
    assert_int_equal(hk_plugin_lib_open(fixture("no_unload"), &b, err, sizeof err), 0);
    assert_ptr_equal(a, b);
    assert_int_equal(atomic_load(&b->refs), 1);
    hk_plugin_lib_release(b);
}

static void test_file_refusals(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("plugin_lib_files");
    char path[1024];
    snprintf(path, sizeof path, "%s/nothere.so", dir);
    expect_refused(path, HK_ENOENT, "does not exist: install the plugin there");
    expect_refused(dir, HK_EINVAL, "is not a regular file");
    snprintf(path, sizeof path, "%s", copy_to(fixture("recorder"), dir, "gw.so", 0775));
    char fix[1400];
    snprintf(fix, sizeof fix,
             "writable by its group or by others, who could change the code "
             "hookd runs: chmod go-w %s",
             path);
    expect_refused(path, HK_EPERM, fix);
    copy_to(fixture("recorder"), dir, "ow.so", 0757);
    snprintf(path, sizeof path, "%s/ow.so", dir);
    expect_refused(path, HK_EPERM, "chmod go-w");
}

static void test_fixture_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *fixture;
        int rc;
        const char *needle;
    } cases[] = {
        {"wrong_major", HK_EABI,
         "was built for ABI 2.3, this hookd is 1.0: rebuild it against hookd-sdk 1.x"},
        {"newer_minor", HK_EABI, "was built for ABI 1.1, this hookd is 1.0: rebuild it"},
        {"short_struct", HK_EABI, "has a short descriptor (struct_size"},
        {"missing_symbol", HK_EPLUGIN,
         "cannot be loaded: undefined symbol: hookd_fixture_undefined_function: "},
        {"not_plugin", HK_EPLUGIN,
         "is not a hookd plugin: it exports no hookd_plugin_v1: define one with "
         "HOOKD_PLUGIN_DEFINE"},
        {"bad_pattern", HK_EPLUGIN, "subscribes to an invalid pattern \"CASE_*_CLOSED\""},
        {"bad_name", HK_EPLUGIN, "has an invalid name \"Bad-Name\""},
        {"no_version", HK_EPLUGIN, "has no version"},
        {"no_handle", HK_EPLUGIN, "has no handle function"},
        {"no_subscribe", HK_EPLUGIN, "subscribes to no event"},
        {"bad_conf_key", HK_EPLUGIN, "invalid config key \"has space\""},
        {"unknown_flags", HK_EABI, "sets flags 0x80 unknown"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_refused(fixture(cases[i].fixture), cases[i].rc, cases[i].needle);
}

/* A refused library leaves nothing behind in the runtime directory. */
static void test_refusal_leaves_no_copy(void **state)
{
    (void)state;
    char err[256], cmd[1200];
    struct hk_plugin_lib *lib;
    assert_int_not_equal(hk_plugin_lib_open(fixture("not_plugin"), &lib, err, sizeof err), 0);
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", hk_runtime_dir_path());
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusal_leaves_no_copy),
        cmocka_unit_test(test_loads_from_content_named_copy),
        cmocka_unit_test(test_same_content_loaded_once),
        cmocka_unit_test(test_rebuilt_file_is_reloaded),
        cmocka_unit_test(test_file_refusals),
        cmocka_unit_test(test_fixture_refusals),
        cmocka_unit_test(test_no_unload_stays_loaded),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
