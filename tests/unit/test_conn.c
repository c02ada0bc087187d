/*
 * Unit tests of a connection's receive path (server/net/conn.c): how the
 * pieces libwebsockets hands over become one message for the dispatcher,
 * and which messages close the connection instead; and of its send path:
 * what a loop turn queued leaves as one frame per connection. libwebsockets
 * is replaced by the fuzz harness's stand-ins (tests/fuzz/fake_lws.c), and
 * the dispatcher by a stub that keeps a copy of each message it is given.
 *
 * Run under AddressSanitizer and UBSan (scripts/test does), since some of
 * what these tests guard against is undefined behaviour that works by luck
 * in an ordinary build.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conn.h"
#include "fake_lws.h"

/* ---- the dispatcher's stand-in ------------------------------------------ */

static size_t dispatched;
static uint8_t last_frame[4096];
static size_t last_len;

void dispatch_frame(struct conn *c, const uint8_t *buf, size_t len)
{
    dispatched++;
    last_len = len;
    if (len > 0 && len <= sizeof(last_frame)) {
        memcpy(last_frame, buf, len);
    }
}

/* ---- helpers ------------------------------------------------------------ */

static struct conn *open_conn(void)
{
    dispatched = 0;
    last_len = 0;
    conn_configure(1024, 64, 65536);
    struct conn *c = conn_new(fake_lws_new());
    CHECK(c != NULL);
    return c;
}

static void close_conn(struct conn *c)
{
    struct lws *wsi = c->wsi;
    conn_free(c);
    fake_lws_free(wsi);
}

/* Hands over `len` bytes from a heap copy of exactly that size, so that a
 * read past them is reported. */
static int receive(struct conn *c, const void *bytes, size_t len, bool binary, size_t remaining,
                   bool final)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);
    memcpy(copy, bytes, len);
    fake_lws_receiving(c->wsi, binary, remaining, final);
    int rc = conn_receive(c, copy, len);
    free(copy);
    return rc;
}

static const uint8_t ping[] = {0x82, 0xa4, 't', 'y',  'p', 'e', 0xa4, 'p',
                               'i',  'n',  'g', 0xa2, 'i', 'd', 0x07};

static bool got_ping(void)
{
    return dispatched == 1 && last_len == sizeof(ping) &&
           memcmp(last_frame, ping, sizeof(ping)) == 0;
}

/* ---- tests -------------------------------------------------------------- */

static void test_whole_message(void)
{
    struct conn *c = open_conn();
    CHECK(receive(c, ping, sizeof(ping), true, 0, true) == 0);
    CHECK(got_ping());
    close_conn(c);
}

static void test_frame_read_in_pieces(void)
{
    struct conn *c = open_conn();
    CHECK(receive(c, ping, 4, true, sizeof(ping) - 4, true) == 0);
    CHECK(receive(c, ping + 4, 5, true, sizeof(ping) - 9, true) == 0);
    CHECK(dispatched == 0);
    CHECK(receive(c, ping + 9, sizeof(ping) - 9, true, 0, true) == 0);
    CHECK(got_ping());
    close_conn(c);
}

static void test_fragments_reassembled(void)
{
    struct conn *c = open_conn();
    CHECK(receive(c, ping, 6, true, 0, false) == 0);
    CHECK(dispatched == 0);
    CHECK(receive(c, ping + 6, sizeof(ping) - 6, true, 0, true) == 0);
    CHECK(got_ping());
    /* The reassembly buffer goes with the message: an idle connection
     * keeps none. */
    CHECK(c->rx == NULL && c->rx_cap == 0);
    close_conn(c);
}

/* Found by fuzzing: an empty fragment (lws passes on zero-length frames)
 * reached rx_append before anything was buffered, which computed NULL + 0
 * and passed NULL to memcpy. */
static void test_empty_fragments(void)
{
    struct conn *c = open_conn();
    CHECK(receive(c, "", 0, true, 0, false) == 0);
    CHECK(receive(c, ping, 6, true, 0, false) == 0);
    CHECK(receive(c, "", 0, true, 0, false) == 0);
    CHECK(receive(c, ping + 6, sizeof(ping) - 6, true, 0, true) == 0);
    CHECK(got_ping());
    close_conn(c);

    /* A message of empty fragments only is an empty frame, refused by the
     * dispatcher like any other. */
    c = open_conn();
    CHECK(receive(c, "", 0, true, 0, false) == 0);
    CHECK(receive(c, "", 0, true, 0, true) == 0);
    CHECK(dispatched == 1 && last_len == 0);
    close_conn(c);
}

static void test_oversized_message_read_to_its_end(void)
{
    static uint8_t big[700];
    struct conn *c = open_conn();

    memset(big, 'x', sizeof(big));
    CHECK(receive(c, big, sizeof(big), true, 0, false) == 0);
    CHECK(receive(c, big, sizeof(big), true, 10, false) == 0);
    CHECK(!fake_lws_closed(c->wsi));
    CHECK(receive(c, big, 10, true, 0, true) < 0);
    CHECK(dispatched == 0);
    CHECK(c->close_code == CONN_CLOSE_TOO_LARGE && fake_lws_closed(c->wsi));
    close_conn(c);
}

static void test_text_frame_refused(void)
{
    struct conn *c = open_conn();
    CHECK(receive(c, ping, sizeof(ping), false, 0, true) < 0);
    CHECK(dispatched == 0);
    CHECK(c->close_code == CONN_CLOSE_UNSUPPORTED && fake_lws_closed(c->wsi));
    close_conn(c);
}

/* ---- the send path ----------------------------------------------------- */

/* Queues a one-byte event (an empty msgpack map) on `c`. */
static void queue_event(struct conn *c)
{
    struct proto_buf *b = proto_buf_new(1);
    CHECK(b != NULL);
    proto_buf_payload(b)[0] = 0x80;
    b->len = 1;
    conn_send(c, b);
    proto_buf_unref(b);
}

static void test_turn_writes_one_frame_per_connection(void)
{
    struct conn *a = open_conn();
    struct conn *b = open_conn();
    queue_event(a);
    queue_event(a);
    queue_event(a);
    queue_event(b);
    CHECK(fake_lws_writes(a->wsi) == 0);

    conn_flush_pending();
    CHECK_EQ_U(fake_lws_writes(a->wsi), 1);
    CHECK_EQ_U(fake_lws_last_write(a->wsi), 4); /* array header, three maps */
    CHECK_EQ_U(fake_lws_writes(b->wsi), 1);
    CHECK_EQ_U(fake_lws_last_write(b->wsi), 1);
    CHECK(a->queue_count == 0 && b->queue_count == 0);
    CHECK(!fake_lws_take_writable(a->wsi) && !fake_lws_take_writable(b->wsi));
    /* An emptied queue is freed: an idle connection holds no ring. */
    CHECK(a->queue == NULL && b->queue == NULL);

    /* The next turn starts with an empty list. */
    queue_event(b);
    conn_flush_pending();
    CHECK_EQ_U(fake_lws_writes(a->wsi), 1);
    CHECK_EQ_U(fake_lws_writes(b->wsi), 2);
    close_conn(a);
    close_conn(b);
}

static void test_partial_frame_waits_for_writeable(void)
{
    struct conn *c = open_conn();
    fake_lws_set_partial(c->wsi, true);
    queue_event(c);
    conn_flush_pending();
    CHECK(fake_lws_writes(c->wsi) == 0);
    CHECK(fake_lws_take_writable(c->wsi));

    /* Queued while waiting: the writeable callback sends both at once. */
    queue_event(c);
    conn_flush_pending();
    CHECK(fake_lws_writes(c->wsi) == 0);
    fake_lws_set_partial(c->wsi, false);
    CHECK(conn_writeable(c) == 0);
    CHECK_EQ_U(fake_lws_writes(c->wsi), 1);
    CHECK_EQ_U(fake_lws_last_write(c->wsi), 3);
    CHECK(c->queue_count == 0 && !fake_lws_take_writable(c->wsi));
    close_conn(c);
}

static void test_freed_connection_left_out_of_turn(void)
{
    struct conn *a = open_conn();
    struct conn *b = open_conn();
    queue_event(a);
    queue_event(b);
    close_conn(a);
    conn_flush_pending();
    CHECK_EQ_U(fake_lws_writes(b->wsi), 1);
    close_conn(b);
}

static void test_closing_connection_flushed_by_writeable(void)
{
    struct conn *c = open_conn();
    queue_event(c);
    conn_close(c, CONN_CLOSE_TRY_LATER, "going", true);
    conn_flush_pending();
    CHECK(fake_lws_writes(c->wsi) == 0 && !fake_lws_closed(c->wsi));
    CHECK(fake_lws_take_writable(c->wsi));
    conn_writeable(c);
    CHECK_EQ_U(fake_lws_writes(c->wsi), 1);
    CHECK(fake_lws_closed(c->wsi));
    close_conn(c);
}

TEST_MAIN(TEST_CASE(test_whole_message), TEST_CASE(test_frame_read_in_pieces),
          TEST_CASE(test_fragments_reassembled), TEST_CASE(test_empty_fragments),
          TEST_CASE(test_oversized_message_read_to_its_end), TEST_CASE(test_text_frame_refused),
          TEST_CASE(test_turn_writes_one_frame_per_connection),
          TEST_CASE(test_partial_frame_waits_for_writeable),
          TEST_CASE(test_freed_connection_left_out_of_turn),
          TEST_CASE(test_closing_connection_flushed_by_writeable))
