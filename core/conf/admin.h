/* admin.h -- the "admin" section of hookd.json: where the admin API listens and who may use
 * it. */
#ifndef HK_CONF_ADMIN_H
#define HK_CONF_ADMIN_H

#include "conf/conf.h"

#define HK_ADMIN_DEFAULT "127.0.0.1:9091"

/* Reads "admin" into c: absent is the default loopback address; false turns the API off; an
 * object has "address" (HOST:PORT), "socket" (a Unix socket path, relative to the
 * configuration directory) and "token" (a secret reference: the Bearer token every TCP
 * request but /healthz must carry). An address that other machines can reach without a token
 * is an error. 0 or HK_ECONF (reported). */
int hk_conf_admin_parse(struct hk_conf *c, const struct hk_jcur *root);
void hk_conf_admin_free(struct hk_conf *c);
/* Whether sa is a loopback address (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104). */
bool hk_sockaddr_is_loopback(const struct sockaddr_storage *sa);

#endif
