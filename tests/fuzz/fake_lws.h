/*
 * Stand-ins for the libwebsockets calls of server/net/conn.c, so that the
 * dispatcher's fuzz harness and conn.c's unit test can run the real
 * connection code without a network. A fake wsi remembers what conn.c asked
 * of it (a writeable callback, a close) and answers what conn.c asks about
 * the message being received as the caller set it. The caller plays the
 * part of the lws service loop: it calls conn_writeable while a callback is
 * wanted and frees the connection once it has closed. Loop thread only.
 */
#ifndef KOLAB_FAKE_LWS_H
#define KOLAB_FAKE_LWS_H

#include <stdbool.h>
#include <stddef.h>

struct lws;

/* A new fake wsi, or NULL when out of memory. Caller owns it. */
struct lws *fake_lws_new(void);
void fake_lws_free(struct lws *wsi);

/* True when conn.c asked for a writeable callback since the last call,
 * which takes the request. */
bool fake_lws_take_writable(struct lws *wsi);

/* Describes the message piece the next conn_receive gets: binary or text,
 * the bytes of its WebSocket frame still to come after it, and whether that
 * frame ends the message. Until called, every piece is a whole binary
 * message. */
void fake_lws_receiving(struct lws *wsi, bool binary, size_t remaining, bool final);

/* How many data frames conn.c wrote to this wsi, and the length of the
 * last one. */
size_t fake_lws_writes(const struct lws *wsi);
size_t fake_lws_last_write(const struct lws *wsi);

/* Makes lws_partial_buffered answer `partial`: lws would be holding the
 * part of a frame the socket did not take. */
void fake_lws_set_partial(struct lws *wsi, bool partial);

/* True once conn.c wrote its close frame or gave lws a close reason: lws
 * would now close the socket. */
bool fake_lws_closed(const struct lws *wsi);

#endif
