/* admin.c -- reading hookd.json's "admin" section (admin.h). */
#include "conf/admin.h"

#include "base/addr.h"
#include "base/err.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

static const char *const admin_keys[] = {"address", "socket", "token", NULL};

bool hk_sockaddr_is_loopback(const struct sockaddr_storage *sa)
{
    if (sa->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->ss_family != AF_INET6)
        return false;
    const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

static int parse_socket(struct hk_conf *c, const struct hk_jcur *admin)
{
    const char *path = NULL;
    if (hk_jconf_string(admin, "socket", false, &path) || !path)
        return path ? HK_ECONF : 0;
    c->admin_socket = hk_conf_resolve(c->dir, path);
    if (!c->admin_socket)
        return HK_ENOMEM;
    struct sockaddr_un un;
    if (strlen(c->admin_socket) < sizeof un.sun_path)
        return 0;
    struct hk_jcur m = hk_jcur_member(admin, "socket");
    return hk_jcur_error(&m,
                         "the path %s is longer than a Unix socket path may be (%zu bytes): "
                         "choose a shorter one, e.g. /run/hookd/admin.sock",
                         c->admin_socket, sizeof un.sun_path - 1);
}

static int parse_token(struct hk_conf *c, const struct hk_jcur *admin)
{
    struct hk_jcur token = hk_jcur_member(admin, "token");
    if (!token.val)
        return 0;
    int rc = hk_secret_load(&token, c->dir, &c->admin_token);
    c->has_admin_token = true; /* wiped at free, also after a failed load */
    if (rc)
        return rc;
    if (c->admin_token.len < 16)
        return hk_jcur_error(&token,
                             "the admin token (%s) has %zu bytes: use at least 16 random "
                             "bytes, e.g. head -c 32 /dev/urandom | base64",
                             c->admin_token.label, c->admin_token.len);
    if (c->admin_token.readable_by_others)
        hk_diags_addf(&c->warnings,
                      "admin.token: %s is readable by every user (mode %04o): chmod 600 it, "
                      "owned by the user hookd runs as",
                      c->admin_token.label, c->admin_token.mode);
    return 0;
}

int hk_conf_admin_parse(struct hk_conf *c, const struct hk_jcur *root)
{
    struct hk_jcur admin = hk_jcur_member(root, "admin");
    if (json_is_false(admin.val))
        return 0;
    if (!admin.val) {
        c->admin_address = HK_ADMIN_DEFAULT;
        return hk_sockaddr_parse(HK_ADMIN_DEFAULT, &c->admin_sa, &c->admin_salen);
    }
    if (!json_is_object(admin.val))
        return hk_jcur_error(&admin, "expected {\"address\": \"127.0.0.1:9091\"}, "
                                     "{\"socket\": \"/run/hookd/admin.sock\"} or false");
    int rc = hk_jconf_object(&admin, admin_keys) | parse_socket(c, &admin) | parse_token(c, &admin);
    struct hk_jcur address = hk_jcur_member(&admin, "address");
    if (!address.val && !c->admin_socket)
        return rc | hk_jcur_error(&address, "give \"address\" (HOST:PORT), \"socket\" (a Unix "
                                            "socket path) or both");
    if (!address.val)
        return rc;
    int arc =
        hk_conf_parse_address(&admin, "address", &c->admin_address, &c->admin_sa, &c->admin_salen);
    if (arc == 0 && !c->has_admin_token && !hk_sockaddr_is_loopback(&c->admin_sa))
        arc = hk_jcur_error(&address,
                            "\"%s\" can be reached from other machines, and the admin API "
                            "reloads hookd and purges dead letters: set \"token\" (a secret: "
                            "{\"file\": \"secrets/admin-token\"} or {\"env\": NAME}), or listen "
                            "on 127.0.0.1",
                            c->admin_address);
    return rc | arc;
}

void hk_conf_admin_free(struct hk_conf *c)
{
    free(c->admin_socket);
    c->admin_socket = NULL;
    if (c->has_admin_token)
        hk_secret_wipe(&c->admin_token);
    c->has_admin_token = false;
}
