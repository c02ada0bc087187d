/*
 * The HTTP side of kolabd: GET /healthz, POST /api/login and
 * POST /api/logout (the browser's way to a session cookie), and the
 * helpers the WebSocket handshake shares with them (origin check, cookie).
 * Static files are served by libwebsockets' file mount. Loop thread only.
 */
#ifndef KOLAB_HTTP_H
#define KOLAB_HTTP_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>

#define HTTP_BODY_MAX     2048
#define HTTP_RESPONSE_MAX 640

struct login_wait;

/* Per-connection state of the HTTP protocol (libwebsockets allocates it). */
struct http_req {
    int route;
    char body[HTTP_BODY_MAX];
    size_t body_len;
    bool body_too_large;
    /* The body's end was seen (see the BODY_COMPLETION case in http.c). */
    bool body_done;
    /* The response, once known. */
    unsigned status;
    /* LWS_PRE bytes of room for the transport, then the JSON answer. */
    char response[HTTP_RESPONSE_MAX];
    size_t response_len;
    /* Seconds for Retry-After; 0 for none. */
    unsigned retry_s;
    /* The methods for an Allow header (with a 405), or NULL. */
    const char *allow;
    char cookie[160];
    struct login_wait *wait;
};

int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len);

/* True when the request carries no Origin header, or one that is the
 * server's own (its scheme and Host) or on the --origin list. */
bool http_origin_allowed(struct lws *wsi);

/* The value of cookie `name` copied into `out`, or NULL when absent or too
 * long. */
const char *http_cookie(struct lws *wsi, const char *name, char *out, size_t cap);

/*
 * The client's address as text in `out` (at least HTTP_ADDR_MAX bytes): the
 * peer's, unless the peer is a trusted proxy (--trusted-proxy), in which
 * case the nearest address in X-Forwarded-For that is not one. A client
 * cannot choose what it is counted as by sending the header itself.
 */
#define HTTP_ADDR_MAX 48
void http_client_addr(struct lws *wsi, char *out);

#endif
