/* admin_client.c -- the operator commands' side of the admin API (admin_client.h). */
#include "ops/admin_client.h"

#include "base/buf.h"
#include "base/diag.h"
#include "base/jconf.h"
#include "conf/admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int set_token(struct hk_admin_target *t, const uint8_t *bytes, size_t len)
{
    free(t->token);
    t->token = malloc(len + 1);
    if (!t->token)
        return 2;
    memcpy(t->token, bytes, len);
    t->token[len] = 0;
    t->token_len = len;
    return 0;
}

/* The "admin" section read by hookd's own parser (conf/admin.c), so the commands find the API
 * where hookd listens and carry the token hookd expects; problems on stderr. */
int hk_admin_target_from_conf(struct hk_admin_target *t, const char *dir)
{
    struct hk_diags d = {0};
    struct hk_jdoc doc = {0};
    struct hk_conf c = {.dir = strdup(dir)};
    int rc = !c.dir || hk_jdoc_load(&doc, dir, "hookd.json", &d) ? 2 : 0;
    if (rc == 0) {
        struct hk_jcur root = hk_jcur_root(&doc);
        rc = hk_conf_admin_parse(&c, &root) ? 2 : 0;
    }
    free(t->address);
    t->address = NULL;
    if (rc == 0 && (c.admin_socket || c.admin_address)) /* the socket needs no token */
        t->address = strdup(c.admin_socket ? c.admin_socket : c.admin_address);
    else if (rc == 0)
        fprintf(stderr,
                "hookd: the admin API is off in %s/hookd.json (\"admin\": false): turn "
                "it on to use this command\n",
                dir);
    if (t->address && !c.admin_socket && c.has_admin_token)
        rc = set_token(t, c.admin_token.bytes, c.admin_token.len);
    for (size_t i = 0; i < d.n; i++)
        fprintf(stderr, "hookd: %s\n", d.lines[i]);
    hk_conf_admin_free(&c);
    hk_diags_free(&c.warnings);
    free(c.dir);
    hk_diags_free(&d);
    hk_jdoc_free(&doc);
    return rc || !t->address ? 2 : 0;
}

int hk_admin_target_token_file(struct hk_admin_target *t, const char *path)
{
    char buf[4096];
    FILE *f = fopen(path, "re");
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    if (!f || n == 0 || n == sizeof buf) {
        fprintf(stderr, "hookd: --token-file %s: %s: give a file that holds the admin token\n",
                path,
                !f  ? strerror(errno)
                : n ? "too long"
                    : "empty");
        return 2;
    }
    if (buf[n - 1] == '\n')
        n--;
    int rc = set_token(t, (const uint8_t *)buf, n);
    memset(buf, 0, sizeof buf);
    return rc;
}

void hk_admin_target_free(struct hk_admin_target *t)
{
    free(t->address);
    if (t->token)
        memset(t->token, 0, t->token_len);
    free(t->token);
    memset(t, 0, sizeof *t);
}

static int connect_admin(const char *address)
{
    struct sockaddr_storage sa;
    socklen_t len;
    if (address[0] == '/') {
        struct sockaddr_un *un = (struct sockaddr_un *)&sa;
        memset(un, 0, sizeof *un);
        un->sun_family = AF_UNIX;
        if (strlen(address) >= sizeof un->sun_path) {
            fprintf(stderr, "hookd: admin socket path %s is too long\n", address);
            return -1;
        }
        memcpy(un->sun_path, address, strlen(address) + 1);
        len = sizeof *un;
    } else if (hk_sockaddr_parse(address, &sa, &len) != 0) {
        fprintf(stderr, "hookd: admin address \"%s\" is not HOST:PORT or a socket path\n", address);
        return -1;
    }
    int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, len) < 0) {
        fprintf(stderr,
                "hookd: cannot reach the admin API at %s: %s: is hookd running, and is "
                "\"admin\" set in hookd.json?\n",
                address, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

int hk_admin_call(const struct hk_admin_target *t, const char *method, const char *target,
                  struct hk_admin_reply *r)
{
    int fd = connect_admin(t->address);
    if (fd < 0)
        return HK_ADMIN_UNREACHABLE;
    struct hk_buf b = {0};
    hk_buf_printf(&b, "%s %s HTTP/1.1\r\nHost: hookd\r\nConnection: close\r\nContent-Length: 0\r\n",
                  method, target);
    if (t->token) {
        hk_buf_puts(&b, "Authorization: Bearer ");
        hk_buf_append(&b, t->token, t->token_len);
        hk_buf_puts(&b, "\r\n");
    }
    hk_buf_puts(&b, "\r\n");
    ssize_t n = write(fd, b.data, b.len);
    if (b.data)
        memset(b.data, 0, b.len); /* the token */
    b.len = 0;
    char chunk[16384];
    while (n > 0 && (n = read(fd, chunk, sizeof chunk)) > 0)
        hk_buf_append(&b, chunk, (size_t)n);
    close(fd);
    hk_buf_append(&b, "", 1);
    char *text = (char *)b.data;
    char *body = text ? strstr(text, "\r\n\r\n") : NULL;
    if (!text || sscanf(text, "HTTP/1.1 %d", &r->status) != 1 || !body) {
        fprintf(stderr, "hookd: no valid answer from the admin API at %s\n", t->address);
        hk_buf_free(&b);
        return HK_ADMIN_UNREACHABLE;
    }
    r->body = strdup(body + 4);
    hk_buf_free(&b);
    return 0;
}
