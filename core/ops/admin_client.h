/* admin_client.h -- how the operator commands reach the admin API: over its Unix socket or
 * TCP, with the Bearer token when one is needed; one request per connection. */
#ifndef HK_ADMIN_CLIENT_H
#define HK_ADMIN_CLIENT_H

#include <stddef.h>

#define HK_ADMIN_UNREACHABLE 3 /* the CLI's exit status when the API cannot be asked */

struct hk_admin_target {
    char *address; /* owned; "HOST:PORT", or a Unix socket path (starts with '/') */
    char *token;   /* owned, wiped when freed; NULL: none */
    size_t token_len;
};

struct hk_admin_reply {
    int status;
    char *body; /* owned */
};

/* Fills t from DIR/hookd.json's "admin": its socket when it has one (no token needed there),
 * else its address and, when admin.token is set, the token (read as hookd reads it). 0, or
 * 2 with the reason on stderr. */
int hk_admin_target_from_conf(struct hk_admin_target *t, const char *dir);
/* Reads the token from a file (one trailing newline dropped). 0, or 2 with the reason on
 * stderr. */
int hk_admin_target_token_file(struct hk_admin_target *t, const char *path);
void hk_admin_target_free(struct hk_admin_target *t);

/* One request; the answer is read until hookd closes the connection. 0, or
 * HK_ADMIN_UNREACHABLE with the reason on stderr. A 401 is an answer (the caller says why). */
int hk_admin_call(const struct hk_admin_target *t, const char *method, const char *target,
                  struct hk_admin_reply *r);

#endif
