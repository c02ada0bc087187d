/*
 * libFuzzer harness for the dispatcher and everything behind it: the
 * features (accounts, chat, calls, mentoring), sessions, rooms and their
 * order gate, presence, the real store on SQLite in a temporary directory,
 * and the real connection queues of conn.c. Only libwebsockets is missing;
 * fake_lws.c stands in for the calls conn.c makes, and this file plays the
 * lws service loop.
 *
 * An input is a sequence of frames, each written as
 *
 *     u8 selector, u16 length (big-endian), then `length` bytes of frame
 *
 * (a length past the end of the input takes what is left; fewer than three
 * bytes at the end are ignored). The selector says who sends the frame and
 * how it arrives:
 *
 *   bits 0-2  the connection (below)
 *   bit 3     after the frame the world settles: the store commits what is
 *             queued, the loop turns without blocking and every queue is
 *             written out, so the replies and events of queued writes come
 *             before the next frame; without it the next frame comes first,
 *             as when a client sends faster than the store commits. Every
 *             input ends with a settling.
 *   bit 4     the frame goes through conn_receive, as the network layer
 *             hands it over (reassembly, the frame cap of FUZZ_MAX_FRAME,
 *             text frames), rather than straight to dispatch_frame; then
 *   bits 5-6  1, 2 or 3 pieces, or (3) a text frame, and
 *   bit 7     the pieces are WebSocket fragments of one message rather than
 *             parts of one WebSocket frame read in turn.
 *
 * Bits 4-7 all set mean that time passes instead (see pass_time); the
 * frame is ignored.
 *
 * Every input starts from the same world, so that the ids in the seeds
 * mean the same on every run and a crash reproduces from its input alone:
 * a fresh copy of a database seeded once with the demo data (demo.c: users
 * 1-6, the dm room 1, the group room 2, the waiting mentoring request 1) and
 * one more business, kadek (7), whose name of 100 bytes of mostly 4-byte
 * characters makes the titles built from it need cutting at a character
 * boundary; and eight connections opened as the network layer opens them,
 * each with the session cookie of its user (the token of user N is N in 64
 * hex digits; putu, the student, has no connection but a token for `auth`):
 *
 *     0 ayu (umkm)       1 made (mentor)     2 dinas (moderator)  3 anonymous
 *     4 komang (mentor)  5 ayu, second tab   6 wayan (koperasi)   7 kadek (umkm)
 *
 * Frames whose type is `register` or `login` are skipped: both hash a
 * password with scrypt on the thread pool, tens of milliseconds each, which
 * would bring the harness from hundreds of inputs a second to a few dozen
 * and leave hashes running into the next input. The codec harness and the
 * integration tests cover them; `auth`, `logout` and the cookie path run.
 *
 * Besides the sanitizers, two promises are checked, and a broken one
 * aborts: every reply and event a connection is sent decodes under the
 * codec's strict rules (PROTOCOL.md section 5 says clients may decode
 * strictly), and no request is answered with `internal`, which would mean
 * that some input makes the server fail.
 *
 * Time does not pass by itself within an input, which runs in about a
 * millisecond; an input says when it does.
 */
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "accounts.h"
#include "app.h"
#include "auth.h"
#include "calls.h"
#include "chat.h"
#include "codec.h"
#include "config.h"
#include "conn.h"
#include "demo.h"
#include "dispatch.h"
#include "fake_lws.h"
#include "log.h"
#include "mentoring.h"
#include "ratelimit.h"
#include "session.h"
#include "store.h"

#define FUZZ_CONNS     8
#define FUZZ_SETTLE    0x08
#define FUZZ_NETWORK   0x10
#define FUZZ_FRAGMENTS 0x80
/* A text frame in fragments is no shape of frame: it means time passes. */
#define FUZZ_TIME 0xf0
/* The frame cap of conn_receive: --max-frame's smallest value rather than
 * the default 64 KiB, so that inputs of a few kilobytes reach the path that
 * reads an oversized message to its end and closes with 1009. */
#define FUZZ_MAX_FRAME  1024
#define FUZZ_USERS      7
#define FUZZ_PUMP_TURNS 3
#define FUZZ_TOKEN_TTL  (10ull * 365 * 24 * 3600 * 1000)

/* main.c's, which is not linked. */
struct app app;

static struct config config;
static char root[64];
static char template_dir[96];
static char work_dir[96];
static sqlite3 *work_db;
static struct conn *conns[FUZZ_CONNS];
static bool tracing;

/* The user of each connection; 0 for the anonymous one. */
static const uint64_t conn_users[FUZZ_CONNS] = {1, 2, 5, 0, 6, 1, 4, 7};

/* The demo accounts in the order demo.c creates them, so with these ids,
 * then the harness's own. */
static const char *const usernames[FUZZ_USERS] = {"ayu",   "made",   "putu", "wayan",
                                                  "dinas", "komang", "kadek"};

/* "Kadek ", 23 hibiscus flowers and an a with macron: 100 bytes. */
#define FUZZ_FLOWER    "\xf0\x9f\x8c\xba"
#define FUZZ_FLOWERS_4 FUZZ_FLOWER FUZZ_FLOWER FUZZ_FLOWER FUZZ_FLOWER
#define FUZZ_LONG_NAME                                                                             \
    "Kadek " FUZZ_FLOWERS_4 FUZZ_FLOWERS_4 FUZZ_FLOWERS_4 FUZZ_FLOWERS_4 FUZZ_FLOWERS_4            \
        FUZZ_FLOWER FUZZ_FLOWER FUZZ_FLOWER "\xc4\x81"

static void die(const char *what)
{
    fprintf(stderr, "fuzz_dispatch: %s\n", what);
    abort();
}

static void token_of(uint64_t user, char hex[AUTH_TOKEN_HEX + 1])
{
    snprintf(hex, AUTH_TOKEN_HEX + 1, "%064llx", (unsigned long long)user);
}

/* ---- the database ------------------------------------------------------------ */

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void copy_file(const char *from, const char *to)
{
    static char buf[64 * 1024];
    FILE *in = fopen(from, "rb");
    FILE *out = fopen(to, "wb");
    if (in == NULL || out == NULL) {
        die("cannot copy the template database");
    }
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
        if (fwrite(buf, 1, n, out) != n) {
            die("cannot write the working database");
        }
    }
    fclose(in);
    if (fclose(out) != 0) {
        die("cannot write the working database");
    }
}

/*
 * Puts the template's rows back into the working database, table by table,
 * through a connection of the harness's own (with the template attached as
 * `tmpl`), as another process writing to the shared file would. The store's
 * connection sees the rows at its next read. The schema stays as it is, so
 * the store's prepared statements stay valid: opening a fresh store for each
 * input, or SQLite's backup API (which bumps the schema cookie), would make
 * the store prepare its statements again, which costs more than the input.
 * Rowids come back as in the template, since none of the tables uses
 * AUTOINCREMENT.
 */
#define FUZZ_RESTORE_MAX 64

static sqlite3_stmt *restore_steps[FUZZ_RESTORE_MAX];
static size_t restore_count;

static void raw_fail(const char *what)
{
    fprintf(stderr, "fuzz_dispatch: %s: %s\n", what, sqlite3_errmsg(work_db));
    abort();
}

static void add_restore_step(const char *sql)
{
    if (restore_count == FUZZ_RESTORE_MAX ||
        sqlite3_prepare_v2(work_db, sql, -1, &restore_steps[restore_count], NULL) != SQLITE_OK) {
        raw_fail("cannot prepare the restore");
    }
    restore_count++;
}

static void prepare_restore(void)
{
    char sql[512];
    sqlite3_stmt *tables = NULL;

    snprintf(sql, sizeof(sql), "ATTACH DATABASE '%s/kolab.db' AS tmpl", template_dir);
    if (sqlite3_exec(work_db, "PRAGMA synchronous=OFF", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(work_db, sql, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(work_db,
                           "SELECT name FROM tmpl.sqlite_master WHERE type = 'table' "
                           "AND name NOT LIKE 'sqlite_%' ORDER BY name",
                           -1, &tables, NULL) != SQLITE_OK) {
        raw_fail("cannot attach the template");
    }
    add_restore_step("BEGIN IMMEDIATE");
    while (sqlite3_step(tables) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(tables, 0);
        snprintf(sql, sizeof(sql), "DELETE FROM main.\"%s\"", name);
        add_restore_step(sql);
        snprintf(sql, sizeof(sql), "INSERT INTO main.\"%s\" SELECT * FROM tmpl.\"%s\"", name, name);
        add_restore_step(sql);
    }
    sqlite3_finalize(tables);
    add_restore_step("COMMIT");
}

static void restore_database(void)
{
    for (size_t i = 0; i < restore_count; i++) {
        if (sqlite3_step(restore_steps[i]) != SQLITE_DONE) {
            raw_fail("cannot restore the working database");
        }
        sqlite3_reset(restore_steps[i]);
    }
}

static void open_raw(const char *dir, int flags, sqlite3 **db)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/kolab.db", dir);
    if (sqlite3_open_v2(path, db, flags, NULL) != SQLITE_OK) {
        die("cannot open a database of the harness");
    }
    sqlite3_busy_timeout(*db, 5000);
}

/* ---- the world --------------------------------------------------------------- */

/* The loop turns until the handles closed so far are gone. */
static void run_closing(void)
{
    uv_run(app.loop, UV_RUN_NOWAIT);
    uv_run(app.loop, UV_RUN_NOWAIT);
}

/* Seeds the template database: the demo data, kadek, and a token per user. */
static void make_template(void)
{
    struct store *s = NULL;
    bool created = false;

    if (store_open(app.loop, template_dir, &s, &created) != STATUS_OK || !created ||
        demo_seed(s) != STATUS_OK) {
        die("cannot seed the template database");
    }
    _Static_assert(sizeof(FUZZ_LONG_NAME) - 1 == STORE_NAME_MAX, "the longest name");
    const char *why = NULL;
    if (accounts_create_user(s, "kadek", FUZZ_LONG_NAME, "umkm", "kolab-fuzz", &why) != STATUS_OK) {
        die(why);
    }
    for (uint64_t id = 1; id <= FUZZ_USERS; id++) {
        struct store_user u;
        char hex[AUTH_TOKEN_HEX + 1];
        uint8_t hash[32];
        if (store_user_get(s, id, &u) != STATUS_OK || strcmp(u.username, usernames[id - 1]) != 0) {
            die("the demo users do not have the ids the seeds expect");
        }
        token_of(id, hex);
        if (auth_token_hash(hex, AUTH_TOKEN_HEX, hash) != STATUS_OK ||
            store_token_put(s, hash, id, conn_now_ms() + FUZZ_TOKEN_TTL) != STATUS_OK) {
            die("cannot store the session tokens");
        }
    }
    store_flush(s);
    store_close(s);
    run_closing();
}

/* What lws does when a connection has closed. */
static void close_conn(size_t i)
{
    struct conn *c = conns[i];
    struct lws *wsi = c->wsi;
    session_close(c);
    conn_free(c);
    fake_lws_free(wsi);
    conns[i] = NULL;
}

/* With KOLAB_FUZZ_TRACE set, one line per reply and event sent, to see
 * what an input does (run the harness on that one file). */
static void trace(const struct conn *c, const struct proto_msg *m)
{
    const char *code = "";
    const char *message = "";
    size_t len = 0;
    uint64_t id = 0;
    proto_get_str(m, "code", &code, &len);
    proto_get_str(m, "message", &message, &len);
    bool has_id = proto_msg_id(m, &id);
    fprintf(stderr, "trace: user=%llu %s id=%lld %s %s\n", (unsigned long long)c->session.user,
            proto_msg_type(m), has_id ? (long long)id : -1LL, code, message);
}

/* Every queued reply and event must be a frame a strict client accepts,
 * and none may report an internal failure. */
static void check_queue(const struct conn *c)
{
    for (uint32_t k = 0; k < c->queue_count; k++) {
        struct proto_buf *b = c->queue[(c->queue_head + k) % c->queue_cap].buf;
        struct proto_msg *m = NULL;
        const char *why = NULL;
        if (proto_decode(proto_buf_payload(b), b->len, SIZE_MAX, &m, &why) != STATUS_OK) {
            fprintf(stderr, "fuzz_dispatch: the server sent a frame it would refuse: %s\n", why);
            abort();
        }
        if (tracing) {
            trace(c, m);
        }
        const char *code = NULL;
        size_t len = 0;
        if (strcmp(proto_msg_type(m), "error") == 0 &&
            proto_get_str(m, "code", &code, &len) == STATUS_OK && strcmp(code, "internal") == 0) {
            const char *message = "";
            proto_get_str(m, "message", &message, &len);
            fprintf(stderr, "fuzz_dispatch: a request failed with internal: %s\n", message);
            abort();
        }
        proto_msg_free(m);
    }
}

/* Writes out every connection's queue, as the end of a loop turn and lws's
 * writeable callbacks would, and lets go of the connections that closed.
 * Closing one may queue to others (presence), hence the repeat. */
static void drain(void)
{
    bool again = true;
    while (again) {
        again = false;
        for (size_t i = 0; i < FUZZ_CONNS; i++) {
            if (conns[i] != NULL && conns[i]->queue_count > 0 && !conns[i]->await_writable) {
                check_queue(conns[i]);
            }
        }
        conn_flush_pending();
        for (size_t i = 0; i < FUZZ_CONNS; i++) {
            struct conn *c = conns[i];
            if (c == NULL || !fake_lws_take_writable(c->wsi)) {
                continue;
            }
            again = true;
            check_queue(c);
            if (conn_writeable(c) < 0 || fake_lws_closed(c->wsi)) {
                close_conn(i);
            }
        }
    }
}

/* Commits what the store holds, runs what is due on the loop, and sends
 * what that produced; a few turns, since callbacks queue more work. */
static void settle(void)
{
    for (int turn = 0; turn < FUZZ_PUMP_TURNS; turn++) {
        store_flush(app.store);
        uv_run(app.loop, UV_RUN_NOWAIT);
        drain();
    }
}

/* The working database: a copy of the template, opened by the store for
 * the whole run, and by the harness to restore it before every input. */
static void open_work(void)
{
    char from[256];
    char to[256];
    if (mkdir(work_dir, 0700) != 0) {
        die("cannot make the working directory");
    }
    snprintf(from, sizeof(from), "%s/kolab.db", template_dir);
    snprintf(to, sizeof(to), "%s/kolab.db", work_dir);
    copy_file(from, to);
    struct store_user last;
    if (store_open(app.loop, work_dir, &app.store, NULL) != STATUS_OK ||
        store_user_get(app.store, FUZZ_USERS, &last) != STATUS_OK) {
        die("cannot open the working database, or it lacks the template's users");
    }
    open_raw(work_dir, SQLITE_OPEN_READWRITE, &work_db);
    prepare_restore();
}

/* At exit: the store and the harness's connections close, and the
 * temporary directory goes. */
static void stop_all(void)
{
    if (app.store != NULL) {
        store_close(app.store);
        app.store = NULL;
        run_closing();
    }
    for (size_t i = 0; i < restore_count; i++) {
        sqlite3_finalize(restore_steps[i]);
    }
    sqlite3_close(work_db);
    nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void world_start(void)
{
    restore_database();
    for (size_t i = 0; i < FUZZ_CONNS; i++) {
        char hex[AUTH_TOKEN_HEX + 1];
        struct lws *wsi = fake_lws_new();
        conns[i] = wsi != NULL ? conn_new(wsi) : NULL;
        if (conns[i] == NULL) {
            die("out of memory for a connection");
        }
        token_of(conn_users[i], hex);
        session_open(conns[i], conn_users[i] != 0 ? hex : NULL);
        if (conns[i]->session.user != conn_users[i]) {
            die("a connection did not authenticate by its cookie");
        }
    }
    drain();
}

static void world_stop(void)
{
    settle();
    for (size_t i = 0; i < FUZZ_CONNS; i++) {
        if (conns[i] != NULL) {
            close_conn(i);
        }
    }
    calls_stop();
    /* Each input starts with every budget full, so that it replays alike. */
    ratelimit_stop();
    run_closing();
}

/* register and login hash passwords: see the top of this file. */
static bool skipped(const uint8_t *frame, size_t len)
{
    struct proto_msg *m = NULL;
    if (proto_decode(frame, len, SIZE_MAX, &m, NULL) != STATUS_OK) {
        return false;
    }
    const char *type = NULL;
    size_t type_len = 0;
    proto_get_str(m, "type", &type, &type_len);
    bool skip = (type_len == 8 && memcmp(type, "register", 8) == 0) ||
                (type_len == 5 && memcmp(type, "login", 5) == 0);
    proto_msg_free(m);
    return skip;
}

/*
 * Time passes: every timer that would fire within the next minutes fires
 * now, in the order of their deadlines, as libuv would fire them: the
 * one-shot timers (the calls' ring timeouts, the order gate's wait, the
 * store's batch) and the repeating ones of the session reminders and the
 * session expiry, recognised by their period. The store's checkpoint timer
 * is left alone, since its work runs on the thread pool. libuv has no call
 * that fires a timer early, so this reads the callback from the timer's
 * (public, if private-named) field.
 */
#define FUZZ_TIMERS_MAX 256

struct due_timer {
    uv_timer_t *timer;
    uint64_t due;
};

static struct due_timer due_timers[FUZZ_TIMERS_MAX];
static size_t due_count;

static void collect_timer(uv_handle_t *h, void *arg)
{
    if (h->type != UV_TIMER || !uv_is_active(h) || uv_is_closing(h) ||
        due_count == FUZZ_TIMERS_MAX) {
        return;
    }
    uv_timer_t *t = (uv_timer_t *)h;
    uint64_t repeat = uv_timer_get_repeat(t);
    if (repeat == 0 || repeat == MENTORING_SCAN_MS || repeat == SESSION_EXPIRY_CHECK_MS) {
        size_t at = due_count++;
        uint64_t due = uv_timer_get_due_in(t);
        /* Insertion keeps timers of equal deadline in the loop's order. */
        while (at > 0 && due_timers[at - 1].due > due) {
            due_timers[at] = due_timers[at - 1];
            at--;
        }
        due_timers[at] = (struct due_timer){t, due};
    }
}

static void pass_time(void)
{
    due_count = 0;
    uv_walk(app.loop, collect_timer, NULL);
    for (size_t i = 0; i < due_count; i++) {
        uv_timer_t *t = due_timers[i].timer;
        /* An earlier callback may have stopped or closed it; its memory
         * lasts until the loop runs the close callbacks. */
        if (!uv_is_active((uv_handle_t *)t) || uv_is_closing((uv_handle_t *)t)) {
            continue;
        }
        if (uv_timer_get_repeat(t) == 0) {
            uv_timer_stop(t);
        } else {
            uv_timer_again(t);
        }
        t->timer_cb(t);
    }
}

/*
 * Hands `frame` to connection `i` as the network layer would, through
 * conn_receive, in one to three pieces: parts of one WebSocket frame read in
 * turn, or (with FUZZ_FRAGMENTS) WebSocket fragments of one message; or as
 * a text frame. Lets go of the connection when conn_receive closes it.
 */
static void receive(size_t i, uint8_t selector, const uint8_t *frame, size_t len)
{
    unsigned shape = (selector >> 5) & 3;
    bool text = shape == 3;
    bool fragments = (selector & FUZZ_FRAGMENTS) != 0;
    size_t pieces = text ? 1 : shape + 1;
    size_t at = 0;

    for (size_t k = 1; k <= pieces; k++) {
        size_t end = len * k / pieces;
        fake_lws_receiving(conns[i]->wsi, !text, fragments ? 0 : len - end,
                           !fragments || k == pieces);
        if (conn_receive(conns[i], frame + at, end - at) < 0) {
            close_conn(i);
            return;
        }
        at = end;
    }
}

static void feed(uint8_t selector, const uint8_t *frame, size_t len)
{
    size_t i = selector % FUZZ_CONNS;
    struct conn *c = conns[i];
    if ((selector & FUZZ_TIME) == FUZZ_TIME) {
        pass_time();
    } else if (c != NULL && !conn_closing(c) && !skipped(frame, len)) {
        if (selector & FUZZ_NETWORK) {
            receive(i, selector, frame, len);
        } else {
            dispatch_frame(c, frame, len);
        }
    }
    if (selector & FUZZ_SETTLE) {
        settle();
    }
}

/* ---- libFuzzer's entry points --------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char *args[] = {"fuzz_dispatch", NULL};
    const char *tmp = getenv("TMPDIR");

    if (config_load(&config, args[0], 1, args, 1) != STATUS_OK) {
        die("bad KOLAB_* environment");
    }
    log_set_level(LOG_ERROR);
    tracing = getenv("KOLAB_FUZZ_TRACE") != NULL;
    /* Two ICE servers and TURN credentials, so call replies carry both
     * shapes of entry. */
    snprintf(config.ice_servers[0], CONFIG_STR_MAX, "stun:stun.example.org:3478");
    snprintf(config.ice_servers[1], CONFIG_STR_MAX, "turn:turn.example.org:3478");
    config.ice_count = 2;
    snprintf(config.turn_username, CONFIG_STR_MAX, "fuzz");
    snprintf(config.turn_credential, CONFIG_STR_MAX, "fuzz-secret");
    conn_configure(FUZZ_MAX_FRAME, config.queue_events, config.queue_bytes);

    snprintf(root, sizeof(root), "%s/kolab-fuzz-XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(root) == NULL) {
        die("cannot make a temporary directory");
    }
    atexit(stop_all);
    snprintf(template_dir, sizeof(template_dir), "%s/template", root);
    snprintf(work_dir, sizeof(work_dir), "%s/work", root);

    app.loop = uv_default_loop();
    app.cfg = &config;
    snprintf(app.node, sizeof(app.node), "fuzz-%d", (int)getpid());
    make_template();
    open_work();

    accounts_init();
    chat_init();
    calls_init();
    mentoring_init();
    session_start();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    world_start();
    size_t pos = 0;
    while (size - pos >= 3) {
        uint8_t selector = data[pos];
        size_t len = (size_t)data[pos + 1] << 8 | data[pos + 2];
        pos += 3;
        if (len > size - pos) {
            len = size - pos;
        }
        feed(selector, data + pos, len);
        pos += len;
    }
    world_stop();
    return 0;
}
