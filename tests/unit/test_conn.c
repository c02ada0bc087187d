/*
 * Unit tests of a connection's receive path (server/net/conn.c): how the
 * pieces libwebsockets hands over become one message for the dispatcher,
 * and which messages close the connection instead. libwebsockets is replaced
 * by the fuzz harness's stand-ins (tests/fuzz/fake_lws.c), and the
 * dispatcher by a stub that keeps a copy of each message it is given.
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

TEST_MAIN(TEST_CASE(test_whole_message), TEST_CASE(test_frame_read_in_pieces),
          TEST_CASE(test_fragments_reassembled), TEST_CASE(test_empty_fragments),
          TEST_CASE(test_oversized_message_read_to_its_end), TEST_CASE(test_text_frame_refused))
