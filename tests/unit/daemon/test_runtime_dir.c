/* test_runtime_dir.c -- the private runtime directory: where, which mode, removed with its
 * files, and never by a forked child. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon/runtime_dir.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char base[1024];

static void test_created_private_under_tmpdir(void **state)
{
    (void)state;
    struct stat st;
    snprintf(base, sizeof base, "%s", tu_tmpdir("runtime_dir"));
    setenv("TMPDIR", base, 1);
    assert_null(hk_runtime_dir_path());
    assert_int_equal(hk_runtime_dir_create(), 0);
    const char *p = hk_runtime_dir_path();
    assert_non_null(p);
    assert_int_equal(strncmp(p, base, strlen(base)), 0);
    assert_int_equal(strncmp(p + strlen(base), "/hookd-", 7), 0);
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(hk_runtime_dir_create(), 0); /* once per process */
    assert_string_equal(hk_runtime_dir_path(), p);
}

static void test_child_does_not_remove(void **state)
{
    (void)state;
    struct stat st;
    const char *p = hk_runtime_dir_path();
    pid_t pid = fork();
    if (pid == 0) {
        hk_runtime_dir_remove();
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(stat(p, &st), 0);
}

static void test_removed_with_files(void **state)
{
    (void)state;
    struct stat st;
    char dir[1024], file[1100];
    snprintf(dir, sizeof dir, "%s", hk_runtime_dir_path());
    tu_write_file(dir, "abc-x.so", "content");
    snprintf(file, sizeof file, "%s/abc-x.so", dir);
    assert_int_equal(chmod(file, 0500), 0); /* as plugin copies are */
    hk_runtime_dir_remove();
    assert_int_equal(stat(dir, &st), -1);
    assert_null(hk_runtime_dir_path());
}

static void test_unwritable_tmpdir(void **state)
{
    (void)state;
    setenv("TMPDIR", "/nonexistent/hookd-test", 1);
    assert_int_not_equal(hk_runtime_dir_create(), 0);
    assert_null(hk_runtime_dir_path());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_created_private_under_tmpdir),
        cmocka_unit_test(test_child_does_not_remove),
        cmocka_unit_test(test_removed_with_files),
        cmocka_unit_test(test_unwritable_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
