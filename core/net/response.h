/* response.h -- writing HTTP answers and the access log line. */
#ifndef HK_RESPONSE_H
#define HK_RESPONSE_H

#include "net/conn.h"

/* Appends the answer r to c's output (status line, Date, Content-Type, Content-Length,
 * Connection: close when close, r's extra headers, body) and logs the access line when
 * enabled. */
void hk_response_write(struct hk_conn *c, const struct hk_response *r, bool close);
/* Sets r's body to a small JSON error that names the status and nothing else. */
void hk_response_error_body(struct hk_response *r);
/* The reason phrase of a status code. */
const char *hk_status_text(int status);

#endif
