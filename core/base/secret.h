/* secret.h -- signing secrets, read from the environment, a file or (discouraged) inline.
 *
 * A secret's bytes never reach a log line or a message; only its label does ("env
 * FLAGRIGHT_SECRET", "file secrets/old", "inline value #1"). */
#ifndef HK_SECRET_H
#define HK_SECRET_H

#include "base/jconf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HK_SECRET_LABEL_MAX 160

struct hk_secret {
    uint8_t *bytes; /* owned; wiped before it is freed */
    size_t len;
    char label[HK_SECRET_LABEL_MAX];
    bool is_inline;
    bool readable_by_others; /* a file whose mode lets every user read it */
    unsigned mode;           /* that file's permission bits */
};

/* Reads the array at verify.secrets: each element is {"env": NAME}, {"file": PATH} (relative
 * to confdir; one trailing newline is dropped) or {"value": TEXT}. On success *out is a
 * malloc'd array the caller releases with hk_secrets_free. Problems go to the document's
 * diagnostics and HK_ECONF is returned. */
int hk_secrets_load(const struct hk_jcur *verify, const char *confdir, struct hk_secret **out,
                    size_t *n);
void hk_secrets_free(struct hk_secret *s, size_t n);
/* Reads one {"env"|"file"|"value": ...} object at el into *out (which the caller zeroes
 * first). 0, or HK_ECONF with the problem reported; release *out with hk_secret_wipe, also
 * on error. */
int hk_secret_load(const struct hk_jcur *el, const char *confdir, struct hk_secret *out);
/* Wipes and frees the bytes of one secret loaded by hk_secret_load. */
void hk_secret_wipe(struct hk_secret *s);

#endif
