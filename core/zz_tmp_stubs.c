/* TEMPORARY: placeholders until the verify branch lands (addr.c, ipset.c, form.c). */
#include "addr.h"
#include "err.h"
#include "form.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

int hk_addr_from_sockaddr(const struct sockaddr *sa, struct hk_addr *out)
{
    memset(out, 0, sizeof *out);
    if (sa->sa_family == AF_INET) {
        out->b[10] = out->b[11] = 0xff;
        memcpy(out->b + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        memcpy(out->b, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        return 0;
    }
    return HK_EINVAL;
}

void hk_addr_format(const struct hk_addr *a, char *out, size_t cap)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a->b, mapped, 12) == 0)
        inet_ntop(AF_INET, a->b + 12, out, (socklen_t)cap);
    else
        inet_ntop(AF_INET6, a->b, out, (socklen_t)cap);
}

int hk_ipset_parse(const struct hk_jcur *arr, struct hk_ipset **out)
{
    *out = NULL;
    return arr->val ? hk_jcur_error(arr, "not yet") : 0;
}

bool hk_ipset_contains(const struct hk_ipset *s, const struct hk_addr *a)
{
    (void)s;
    (void)a;
    return false;
}

void hk_ipset_free(struct hk_ipset *s)
{
    (void)s;
}

int hk_client_addr(const struct hk_addr *peer, const struct hk_ipset *trusted,
                   const struct hk_header *h, size_t nh, struct hk_addr *client)
{
    (void)trusted;
    (void)h;
    (void)nh;
    *client = *peer;
    return 0;
}

int hk_form_find(const uint8_t *p, size_t n, const char *name, char *out, size_t cap,
                 size_t *out_len)
{
    (void)p;
    (void)n;
    (void)name;
    (void)out;
    (void)cap;
    (void)out_len;
    return HK_ENOENT;
}
