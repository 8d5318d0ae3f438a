/* ingress.h -- what a source listener does with a request: route, allow, verify, read the
 * envelope, accept. */
#ifndef HK_INGRESS_H
#define HK_INGRESS_H

#include "net/conn.h"

/* Serves a source listener; its handler context (hk_io_add_listener) is the store. */
extern const struct hk_conn_handler hk_ingress_handler;

#endif
