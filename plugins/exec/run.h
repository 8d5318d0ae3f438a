/* run.h -- running one command for one event: spawn, stdin, output, deadline, reaping. */
#ifndef HKEXEC_RUN_H
#define HKEXEC_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HKEXEC_OUTPUT_MAX 4096 /* bytes of stdout+stderr kept for the log */
#define HKEXEC_GRACE_MS   2000 /* from SIGTERM to SIGKILL after a timeout */

/* What to run; everything is borrowed for the call. */
struct hkexec_job {
    char *const *argv;    /* argv[0] is an absolute path */
    char *const *envp;    /* the whole environment of the command */
    const char *cwd;      /* NULL: hookd's working directory */
    const uint8_t *input; /* written to the command's stdin, then EOF */
    size_t input_len;
    int64_t timeout_ms; /* from the start; then SIGTERM to the process group, SIGKILL later */
};

struct hkexec_outcome {
    int status;                     /* waitpid() status; -1 if it could not be collected */
    bool timed_out;                 /* the process group was killed */
    char output[HKEXEC_OUTPUT_MAX]; /* the first bytes of stdout and stderr, interleaved */
    size_t output_len;
    size_t output_dropped; /* bytes read beyond output[] */
};

/* Runs job in a new process group, without a shell, and waits for it (at most timeout_ms
 * plus the grace period). The command's stdout and stderr share one pipe; a command that
 * does not read all its stdin is fine. The process is always reaped: no zombie is left,
 * whatever happens. Returns 0 with *res filled, or a negative errno when the command could
 * not be started (then nothing ran). Thread-safe: every call has its own pipes and child;
 * SIGPIPE is blocked in the calling thread for the duration. */
int hkexec_run(const struct hkexec_job *job, struct hkexec_outcome *res);

#endif
