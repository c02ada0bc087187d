/*
 * The libwebsockets functions conn.c calls, each doing the least that keeps
 * conn.c's view of the connection true: every write succeeds in full (a
 * frame held back by lws is only pretended, fake_lws_set_partial), a
 * received piece is what fake_lws_receiving said it is, the peer has an
 * address. libwebsockets.h is included only so the compiler checks these
 * definitions against the real declarations; nothing of lws is linked.
 * Pausing the reading of a client is only remembered: the harnesses feed
 * what they like.
 */
#include "fake_lws.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>

/* lws keeps its struct private; this one is ours alone. */
struct lws {
    bool writable;
    bool closed;
    bool text;
    bool fragment;
    size_t remaining;
    /* conn.c stopped reading this client (lws_rx_flow_control). */
    bool paused;
    bool partial;
    size_t writes;
    size_t last_write;
};

/* The opcode conn.c uses for its close frame (CONN_WRITE_CLOSE). */
#define FAKE_WRITE_CLOSE 4

struct lws *fake_lws_new(void)
{
    return calloc(1, sizeof(struct lws));
}

void fake_lws_free(struct lws *wsi)
{
    free(wsi);
}

bool fake_lws_take_writable(struct lws *wsi)
{
    bool wanted = wsi->writable;
    wsi->writable = false;
    return wanted;
}

void fake_lws_receiving(struct lws *wsi, bool binary, size_t remaining, bool final)
{
    wsi->text = !binary;
    wsi->remaining = remaining;
    wsi->fragment = !final;
}

size_t fake_lws_writes(const struct lws *wsi)
{
    return wsi->writes;
}

size_t fake_lws_last_write(const struct lws *wsi)
{
    return wsi->last_write;
}

void fake_lws_set_partial(struct lws *wsi, bool partial)
{
    wsi->partial = partial;
}

bool fake_lws_closed(const struct lws *wsi)
{
    return wsi->closed;
}

const char *lws_get_peer_simple(struct lws *wsi, char *name, size_t namelen)
{
    snprintf(name, namelen, "%s", "127.0.0.1");
    return name;
}

int lws_callback_on_writable(struct lws *wsi)
{
    wsi->writable = true;
    return 1;
}

/* conn.c writes only what it has, and a close frame with a two-byte code:
 * anything else is a bug of conn.c. */
int lws_write(struct lws *wsi, unsigned char *buf, size_t len, enum lws_write_protocol protocol)
{
    if (wsi->closed || len == 0 || (protocol == FAKE_WRITE_CLOSE && len < 2)) {
        fprintf(stderr, "fake_lws: unexpected write of %zu bytes (protocol %d)\n", len,
                (int)protocol);
        abort();
    }
    if (protocol == FAKE_WRITE_CLOSE) {
        wsi->closed = true;
    } else {
        wsi->writes++;
        wsi->last_write = len;
    }
    return (int)len;
}

/* Every write is taken whole; a partial frame is only ever pretended. */
int lws_partial_buffered(struct lws *wsi)
{
    return wsi->partial;
}

void lws_set_timeout(struct lws *wsi, enum pending_timeout reason, int secs)
{
}

void lws_close_reason(struct lws *wsi, enum lws_close_status status, unsigned char *buf, size_t len)
{
    wsi->closed = true;
}

int lws_rx_flow_control(struct lws *wsi, int enable)
{
    wsi->paused = !enable;
    return 0;
}

int lws_frame_is_binary(struct lws *wsi)
{
    return !wsi->text;
}

size_t lws_remaining_packet_payload(struct lws *wsi)
{
    return wsi->remaining;
}

int lws_is_final_fragment(struct lws *wsi)
{
    return !wsi->fragment;
}
