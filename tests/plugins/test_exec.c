/* test_exec.c -- the exec plugin against the mock host: results from exit statuses, stdin,
 * environment, timeouts that kill the whole process group, no zombies, many threads. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <hookd/mock_host.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern const hookd_plugin hookd_plugin_v1;

static char dir[512];

static int setup(void **state)
{
    (void)state;
    char cmd[1200];
    snprintf(dir, sizeof dir, "%s/exec", HK_TEST_TMP);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    return system(cmd);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *text = calloc(1, 2 << 20);
    size_t n = fread(text, 1, (2 << 20) - 1, f);
    text[n] = 0;
    fclose(f);
    return text;
}

/* A started exec instance running the /bin/sh script (NULL: config set by the caller). */
static hookd_mock *start_shell(const char *script, int64_t timeout_ms)
{
    hookd_mock *m = hookd_mock_new("ex");
    if (script)
        hookd_mock_conf_set(m, "shell", script);
    if (timeout_ms)
        hookd_mock_conf_set_i64(m, "timeout_ms", timeout_ms);
    int rc = hookd_mock_start(m, &hookd_plugin_v1);
    if (rc)
        fail_msg("start failed (%d): %s", rc, hookd_mock_log_line(m, 0, NULL));
    return m;
}

static hookd_result run_event(hookd_mock *m, const char *id, const char *body)
{
    hookd_mock_event *e = hookd_mock_event_new(id, "CASE_CLOSED", body);
    hookd_mock_event_get(e)->attempt = 3;
    hookd_result r = hookd_mock_handle(m, hookd_mock_event_get(e));
    hookd_mock_event_free(e);
    return r;
}

static void assert_no_child(void)
{
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void test_exit_statuses(void **state)
{
    (void)state;
    hookd_mock *m = start_shell("exit $(cat)", 0);
    assert_int_equal(run_event(m, "a", "0"), HOOKD_OK);
    assert_int_equal(run_event(m, "b", "75"), HOOKD_RETRY);
    assert_non_null(hookd_mock_log_find(m, "event b: /bin/sh exited with status 75 (EX_TEMPFAIL"));
    assert_int_equal(run_event(m, "c", "1"), HOOKD_PERMANENT);
    assert_non_null(hookd_mock_log_find(m, "exited with status 1 (failed for good)"));
    hookd_mock_free(m);
    m = start_shell("kill -KILL $$", 0);
    assert_int_equal(run_event(m, "d", ""), HOOKD_PERMANENT);
    assert_non_null(hookd_mock_log_find(m, "was killed by Killed"));
    assert_int_equal(hookd_mock_metric(m, "exec_permanent"), 1);
    hookd_mock_free(m);
    assert_no_child();
}

static void test_stdin_env_cwd(void **state)
{
    (void)state;
    char out[700], script[2048];
    snprintf(out, sizeof out, "%s/env.txt", dir);
    snprintf(script, sizeof script,
             "{ pwd; cat; echo; env | grep -E '^(HOOKD_|EXTRA|HK_SECRET)' | sort; } > '%s'", out);
    setenv("HK_SECRET", "must-not-leak", 1);
    hookd_mock *m = hookd_mock_new("ex");
    hookd_mock_conf_set(m, "shell", script);
    hookd_mock_conf_set(m, "cwd", dir);
    const char *env[] = {"EXTRA=yes it=works", NULL};
    hookd_mock_conf_set_strv(m, "env", env);
    assert_int_equal(hookd_mock_start(m, &hookd_plugin_v1), 0);
    assert_int_equal(run_event(m, "id-7", "{\"data\":1}"), HOOKD_OK);
    hookd_mock_free(m);
    char *text = read_all(out), want[2048];
    snprintf(want, sizeof want,
             "%s\n{\"data\":1}\nEXTRA=yes it=works\nHOOKD_ATTEMPT=3\nHOOKD_EVENT_ID=id-7\n"
             "HOOKD_EVENT_TYPE=CASE_CLOSED\nHOOKD_SOURCE=test\n",
             dir);
    assert_string_equal(text, want);
    free(text);
}

/* A command given as argv runs without a shell: its arguments reach it untouched. */
static void test_command_argv(void **state)
{
    (void)state;
    char out[700];
    snprintf(out, sizeof out, "%s/argv.txt", dir);
    hookd_mock *m = hookd_mock_new("ex");
    const char *cmd[] = {"cp", "/dev/stdin", out, NULL};
    hookd_mock_conf_set_strv(m, "command", cmd);
    assert_int_equal(hookd_mock_start(m, &hookd_plugin_v1), 0);
    assert_int_equal(run_event(m, "x", "$(touch /tmp/never) ; 'quoted'"), HOOKD_OK);
    hookd_mock_free(m);
    char *text = read_all(out);
    assert_string_equal(text, "$(touch /tmp/never) ; 'quoted'");
    free(text);
}

static void test_big_stdin_and_output(void **state)
{
    (void)state;
    size_t n = 1 << 20;
    char *body = malloc(n + 1), out[700], script[1024];
    memset(body, 'b', n);
    body[n] = 0;
    snprintf(out, sizeof out, "%s/big.txt", dir);
    snprintf(script, sizeof script, "cat > '%s'; head -c 10000 /dev/zero | tr '\\0' a", out);
    hookd_mock *m = start_shell(script, 0);
    assert_int_equal(run_event(m, "big", body), HOOKD_OK);
    hookd_mock_free(m);
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    assert_int_equal(st.st_size, n);
    m = start_shell("exit 0", 0); /* never reads its stdin: not an error, no SIGPIPE */
    assert_int_equal(run_event(m, "unread", body), HOOKD_OK);
    hookd_mock_free(m);
    m = start_shell("head -c 10000 /dev/zero | tr '\\0' a; exit 2", 0);
    assert_int_equal(run_event(m, "loud", ""), HOOKD_PERMANENT);
    assert_non_null(hookd_mock_log_find(m, "aaaa (and 5904 more bytes)"));
    hookd_mock_free(m);
    free(body);
    assert_no_child();
}

static bool pid_alive(pid_t pid)
{
    return kill(pid, 0) == 0;
}

/* A script that records its pid and its background child's, then waits. */
static void group_script(char *script, size_t cap, const char *trap)
{
    snprintf(script, cap, "%s sleep 30 & echo $$ $! > '%s/pids'; wait", trap, dir);
}

static void read_pids(pid_t *a, pid_t *b)
{
    char path[700];
    snprintf(path, sizeof path, "%s/pids", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%d %d", a, b), 2);
    fclose(f);
}

/* Past its timeout the whole process group is killed, the background child included: with
 * this process as subreaper the orphan comes back to us, dead. */
static void test_timeout_kills_group(void **state)
{
    (void)state;
    char script[1200];
    pid_t sh, bg;
    int status;
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    group_script(script, sizeof script, "");
    hookd_mock *m = start_shell(script, 300);
    assert_int_equal(run_event(m, "slow", ""), HOOKD_RETRY);
    assert_non_null(hookd_mock_log_find(m, "still ran after 300 ms: its process group was killed"));
    assert_int_equal(hookd_mock_metric(m, "exec_timeouts"), 1);
    read_pids(&sh, &bg);
    assert_false(pid_alive(sh));
    assert_int_equal(waitpid(bg, &status, 0), bg); /* the orphaned sleep, reparented to us */
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM); /* SIGTERM was enough */
    hookd_mock_free(m);

    group_script(script, sizeof script, "trap '' TERM;"); /* deaf to SIGTERM */
    m = start_shell(script, 200);
    int64_t t0 = now_ms();
    assert_int_equal(run_event(m, "deaf", ""), HOOKD_RETRY);
    assert_true(now_ms() - t0 >= 2000); /* SIGKILL only after the grace period */
    read_pids(&sh, &bg);
    assert_int_equal(waitpid(bg, &status, 0), bg);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    hookd_mock_free(m);
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
    assert_no_child();
}

static void test_deadline_bounds_timeout(void **state)
{
    (void)state;
    char out[700], script[1024];
    snprintf(out, sizeof out, "%s/late.txt", dir);
    snprintf(script, sizeof script, "touch '%s'; sleep 30", out);
    hookd_mock *m = start_shell(script, 0); /* 30 s by default */
    hookd_mock_event *e = hookd_mock_event_new("late", "T", "");
    hookd_mock_event_get(e)->deadline_ms = now_ms() - 1;
    assert_int_equal(hookd_mock_handle(m, hookd_mock_event_get(e)), HOOKD_RETRY);
    assert_int_equal(access(out, F_OK), -1); /* not even started */
    hookd_mock_event_get(e)->deadline_ms = now_ms() + 300;
    assert_int_equal(hookd_mock_handle(m, hookd_mock_event_get(e)), HOOKD_RETRY);
    /* the timeout it applied is what was left until the deadline, not the 30 s default */
    const char *line = hookd_mock_log_find(m, "still ran after ");
    long long applied = -1;
    assert_non_null(line);
    assert_int_equal(sscanf(strstr(line, "still ran after ") + 16, "%lld ms", &applied), 1);
    assert_true(applied > 0 && applied <= 300);
    hookd_mock_event_free(e);
    hookd_mock_free(m);
    assert_no_child();
}

static void *worker(void *arg)
{
    hookd_mock *m = arg;
    char id[32];
    intptr_t failures = 0;
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "t%lx-%d", (unsigned long)pthread_self(), i);
        failures += run_event(m, id, id) != HOOKD_OK;
    }
    return (void *)failures;
}

static void test_concurrent_handles(void **state)
{
    (void)state;
    char script[2048];
    pthread_t t[8];
    snprintf(script, sizeof script,
             "cat > '%s/c.'$HOOKD_EVENT_ID; [ \"$(cat '%s/c.'$HOOKD_EVENT_ID)\" = "
             "\"$HOOKD_EVENT_ID\" ]",
             dir, dir);
    hookd_mock *m = start_shell(script, 0);
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, m), 0);
    for (int i = 0; i < 8; i++) {
        void *failures;
        pthread_join(t[i], &failures);
        assert_int_equal((intptr_t)failures, 0);
    }
    assert_int_equal(hookd_mock_metric(m, "exec_ok"), 40);
    hookd_mock_free(m);
    assert_no_child();
}

static void expect_refused(const char *key, const char *value, const char *const *list,
                           const char *needle)
{
    hookd_mock *m = hookd_mock_new("ex");
    if (list)
        hookd_mock_conf_set_strv(m, key, list);
    else if (value)
        hookd_mock_conf_set(m, key, value);
    if (strcmp(key, "command") != 0 && strcmp(key, "shell") != 0)
        hookd_mock_conf_set(m, "shell", "true");
    int rc = hookd_mock_start(m, &hookd_plugin_v1);
    assert_true(rc < 0);
    if (!hookd_mock_log_find(m, needle))
        fail_msg("no log line has \"%s\" (first: %s)", needle, hookd_mock_log_line(m, 0, NULL));
    hookd_mock_free(m);
}

static void test_config_refusals(void **state)
{
    (void)state;
    const char *missing[] = {"no-such-program-hookd", NULL};
    const char *relative[] = {"./x", NULL};
    const char *empty[] = {NULL};
    const char *bad_env[] = {"OK=1", "1BAD=x", NULL};
    const char *hookd_env[] = {"HOOKD_EVENT_ID=x", NULL};
    expect_refused("shell", NULL, NULL, "config.command must be a non-empty array"); /* none */
    expect_refused("command", NULL, empty, "config.command must be a non-empty array");
    expect_refused("command", NULL, missing,
                   "config.command[0] \"no-such-program-hookd\" is not an executable file in the "
                   "command's PATH: install it, or give its absolute path");
    expect_refused("command", NULL, relative, "\"./x\" is not an executable file: install it");
    expect_refused("env", NULL, bad_env, "config.env[1] \"1BAD=x\" is not NAME=value");
    expect_refused("env", NULL, hookd_env, "HOOKD_* names are set by the plugin");
    expect_refused("env", "A=1", NULL, "config.env is not an array of strings");
    expect_refused("cwd", "relative/dir", NULL, "config.cwd \"relative/dir\" is not an existing");
    hookd_mock *m = hookd_mock_new("ex");
    const char *cmd[] = {"true", NULL};
    hookd_mock_conf_set_strv(m, "command", cmd);
    hookd_mock_conf_set(m, "shell", "true");
    assert_int_equal(hookd_mock_start(m, &hookd_plugin_v1), -EINVAL);
    assert_non_null(hookd_mock_log_find(m, "has both \"command\" and \"shell\": keep one"));
    hookd_mock_free(m);
    m = hookd_mock_new("ex");
    hookd_mock_conf_set(m, "shell", "true");
    hookd_mock_conf_set_i64(m, "timeout_ms", 0);
    assert_int_equal(hookd_mock_start(m, &hookd_plugin_v1), -EINVAL);
    assert_non_null(hookd_mock_log_find(m, "config.timeout_ms must be an integer from 1"));
    hookd_mock_free(m);
}

int main(void)
{
    signal(SIGPIPE, SIG_DFL); /* a stray SIGPIPE would end the test: the plugin must not */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_statuses),       cmocka_unit_test(test_stdin_env_cwd),
        cmocka_unit_test(test_command_argv),        cmocka_unit_test(test_big_stdin_and_output),
        cmocka_unit_test(test_timeout_kills_group), cmocka_unit_test(test_deadline_bounds_timeout),
        cmocka_unit_test(test_concurrent_handles),  cmocka_unit_test(test_config_refusals),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
