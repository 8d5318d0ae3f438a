/* testutil.h -- small helpers shared by the cmocka unit tests. */
#ifndef HK_TESTUTIL_H
#define HK_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Reads a whole file into a NUL-terminated malloc'd buffer (caller frees); fails the test
 * when it cannot. *len may be NULL. */
char *tu_read_file(const char *path, size_t *len);
/* Path of a file under tests/data (static buffer, valid until the next call). */
const char *tu_data(const char *name);
/* Creates a fresh empty directory for this test under the build tree; returns its path
 * (static buffer, valid until the next call). */
const char *tu_tmpdir(const char *name);
/* Writes text to dir/name, creating parent directories. */
void tu_write_file(const char *dir, const char *name, const char *text);

/* A certificate for tu_make_cert. */
struct tu_cert {
    const char *subject; /* "CN=localhost" */
    const char *san;     /* one DNS subjectAltName, or NULL */
    bool rsa;            /* an RSA key of rsa_bits (default 2048) instead of ECDSA P-256 */
    unsigned rsa_bits;
    bool ca;             /* a CA certificate (basicConstraints CA:TRUE) */
    bool expired;        /* valid in 2001 only */
    unsigned valid_days; /* > 0: valid from yesterday until this many days from now */
    const char *issuer;  /* name of an earlier tu_make_cert pair in the same dir; NULL: self */
};

/* A DRBG for test code (mbedTLS's f_rng signature), seeded on first use. */
int tu_random(void *ctx, unsigned char *out, size_t n);

/* Generates a key and a certificate with mbedTLS and writes them as PEM to dir/NAME.crt and
 * dir/NAME.key (unencrypted, 0600): test keys are made at test time, never committed. */
void tu_make_cert(const char *dir, const char *name, const struct tu_cert *c);

#include "base/jconf.h"

/* A configuration document made for a test: {"<key>": <value>} in a temporary hookd.json. */
struct tu_doc {
    struct hk_jdoc doc;
    struct hk_jcur root;
    struct hk_jcur member; /* the value of key; its parent is root, so keep the struct whole */
};

/* Writes {"key": value_json} as dir/hookd.json and loads it (problems go to diags); fails the
 * test when the text is not JSON. Free with hk_jdoc_free(&t->doc). */
void tu_load_member(struct tu_doc *t, const char *dir, const char *key, const char *value_json,
                    struct hk_diags *diags);

#endif
