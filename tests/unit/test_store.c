/*
 * Unit tests of the store against a real SQLite file in a temporary
 * directory and a real libuv loop. Queued writes are checked by running the
 * loop until their callbacks fire. A second, raw SQLite connection stands in
 * for "another process" where a test must see the file from outside: what
 * it reads is only what was committed.
 */
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "check.h"
#include "store.h"

/* ---- fixture ------------------------------------------------------------ */

struct fixture {
    uv_loop_t loop;
    char root[64];
    char dir[96];
    struct store *s;
    bool created;
    /* Loop time when the store was first opened: its checkpoint timer
     * fires every second from then on. */
    uint64_t opened_ms;
};

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void fixture_open_store(struct fixture *f)
{
    f->s = NULL;
    enum status st = store_open(&f->loop, f->dir, &f->s, &f->created);
    CHECK_EQ_U(st, STATUS_OK);
}

/* The store lives in a subdirectory that does not exist yet, so every test
 * also covers store_open making it. */
static void fixture_start(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    uv_loop_init(&f->loop);
    snprintf(f->root, sizeof(f->root), "/tmp/kolab-store-XXXXXX");
    if (mkdtemp(f->root) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(f->dir, sizeof(f->dir), "%s/data", f->root);
    f->opened_ms = uv_now(&f->loop);
    fixture_open_store(f);
    if (f->s == NULL) {
        exit(1);
    }
}

/* Closes the store and runs the loop until its handles are closed. */
static void fixture_close_store(struct fixture *f)
{
    store_close(f->s);
    f->s = NULL;
    uv_run(&f->loop, UV_RUN_DEFAULT);
}

static void fixture_stop(struct fixture *f)
{
    if (f->s != NULL) {
        fixture_close_store(f);
    }
    CHECK_EQ_U(uv_loop_close(&f->loop), 0);
    nftw(f->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Runs the loop until *counter reaches `target` or nothing is left to do. */
static void run_until(struct fixture *f, const int *counter, int target)
{
    for (int i = 0; i < 100000 && *counter < target; i++) {
        uv_run(&f->loop, UV_RUN_ONCE);
    }
}

static char *db_path(const struct fixture *f, char *out, size_t cap)
{
    snprintf(out, cap, "%s/kolab.db", f->dir);
    return out;
}

/* Opens the database as another process would. */
static sqlite3 *raw_open(const struct fixture *f)
{
    char path[160];
    sqlite3 *db = NULL;
    if (sqlite3_open(db_path(f, path, sizeof(path)), &db) != SQLITE_OK) {
        fprintf(stderr, "raw open failed\n");
        exit(1);
    }
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static long long raw_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

static void raw_text(sqlite3 *db, const char *sql, char *out, size_t cap)
{
    sqlite3_stmt *st = NULL;
    snprintf(out, cap, "%s", "");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t user_make(struct store *s, const char *username)
{
    struct store_user u;
    enum status st = store_user_create(s, username, username, "umkm", "rec", &u);
    CHECK_EQ_U(st, STATUS_OK);
    return u.id;
}

static uint64_t group_make(struct store *s, uint64_t creator, const uint64_t *members, size_t n)
{
    struct store_room r;
    bool existed = true;
    CHECK_EQ_U(store_room_create(s, "group", "Team", creator, members, n, &r, &existed), STATUS_OK);
    CHECK(!existed);
    return r.id;
}

static uint64_t room_last_seq(struct store *s, uint64_t room)
{
    struct store_room r;
    CHECK_EQ_U(store_room_get(s, room, &r), STATUS_OK);
    return r.last_seq;
}

/* ---- callback recorders --------------------------------------------------- */

struct sent {
    int calls;
    enum status st;
    uint64_t room;
    uint64_t seq;
    uint64_t ts;
    bool duplicate;
    char body[64];
};

static int sent_calls;
static uint64_t first_sent_ns;

static void on_sent(void *ud, enum status st, const struct store_message *m, bool duplicate)
{
    struct sent *r = ud;
    if (sent_calls == 0) {
        first_sent_ns = uv_hrtime();
    }
    r->calls++;
    r->st = st;
    r->duplicate = duplicate;
    if (m != NULL) {
        r->room = m->room;
        r->seq = m->seq;
        r->ts = m->ts;
        snprintf(r->body, sizeof(r->body), "%.*s", (int)m->body_len, m->body);
    }
    sent_calls++;
}

static void append(struct store *s, uint64_t room, uint64_t from, const char *body,
                   const char *client_id, uint64_t reply_to, struct sent *out)
{
    enum status st = store_append(s, room, from, "text", body, strlen(body), client_id,
                                  strlen(client_id), reply_to, on_sent, out);
    CHECK_EQ_U(st, STATUS_OK);
}

/* Appends `n` messages "m1".."mN" to `room` and commits them. */
static void append_many(struct fixture *f, uint64_t room, uint64_t from, int n)
{
    static unsigned serial;
    struct sent *r = calloc((size_t)n, sizeof(*r));
    char body[32];
    char cid[32];
    sent_calls = 0;
    for (int i = 0; i < n; i++) {
        snprintf(body, sizeof(body), "m%d", i + 1);
        snprintf(cid, sizeof(cid), "many-%u", serial++);
        append(f->s, room, from, body, cid, 0, &r[i]);
    }
    run_until(f, &sent_calls, n);
    for (int i = 0; i < n; i++) {
        CHECK_EQ_U(r[i].st, STATUS_OK);
    }
    free(r);
}

struct result {
    int calls;
    enum status st;
    uint64_t value;
    bool flag;
};

static int result_calls;

static void on_edit(void *ud, enum status st, uint64_t edited_ts)
{
    struct result *r = ud;
    *r = (struct result){r->calls + 1, st, edited_ts, false};
    result_calls++;
}

static void on_delete(void *ud, enum status st, bool changed)
{
    struct result *r = ud;
    *r = (struct result){r->calls + 1, st, 0, changed};
    result_calls++;
}

static void on_read(void *ud, enum status st, uint64_t seq, bool moved)
{
    struct result *r = ud;
    *r = (struct result){r->calls + 1, st, seq, moved};
    result_calls++;
}

/* Collects the seqs (and a few fields) passed to a store_message_fn. */
struct seen {
    int n;
    uint64_t seq[200];
    char body[200][16];
    uint64_t reply_to[200];
    uint64_t edited_ts[200];
    bool deleted[200];
};

static void on_message(void *ud, const struct store_message *m)
{
    struct seen *v = ud;
    if (v->n < 200) {
        v->seq[v->n] = m->seq;
        snprintf(v->body[v->n], sizeof(v->body[0]), "%.*s", (int)m->body_len, m->body);
        v->reply_to[v->n] = m->reply_to;
        v->edited_ts[v->n] = m->edited_ts;
        v->deleted[v->n] = m->deleted;
    }
    v->n++;
}

/* ---- life cycle and migrations ------------------------------------------ */

static bool is_hex(const char *s, size_t len)
{
    if (strlen(s) != len) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (strchr("0123456789abcdef", s[i]) == NULL) {
            return false;
        }
    }
    return true;
}

static void test_open_fresh(void)
{
    struct fixture f;
    fixture_start(&f);
    CHECK(f.created);
    CHECK(store_schema_version() >= 1);
    CHECK(is_hex(store_epoch(f.s), STORE_EPOCH_LEN));
    char epoch[STORE_EPOCH_LEN + 1];
    snprintf(epoch, sizeof(epoch), "%s", store_epoch(f.s));

    struct stat sb;
    CHECK(stat(f.dir, &sb) == 0 && (sb.st_mode & 0777) == 0700);
    sqlite3 *db = raw_open(&f);
    CHECK_EQ_U(raw_int(db, "PRAGMA user_version"), store_schema_version());
    CHECK_EQ_U(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                           "('users', 'tokens', 'rooms', 'members', 'messages', 'meta')"),
               6);
    char mode[16];
    raw_text(db, "PRAGMA journal_mode", mode, sizeof(mode));
    CHECK_STR(mode, "wal");
    sqlite3_close(db);

    fixture_close_store(&f);
    fixture_open_store(&f);
    CHECK(!f.created);
    CHECK_STR(store_epoch(f.s), epoch);
    fixture_stop(&f);

    /* A new database gets a new epoch. */
    fixture_start(&f);
    CHECK(strcmp(store_epoch(f.s), epoch) != 0);
    fixture_stop(&f);
}

static void test_migrate_from_empty(void)
{
    struct fixture f;
    fixture_start(&f);
    fixture_close_store(&f);
    char path[160];
    remove(db_path(&f, path, sizeof(path)));

    /* A real database file at user_version 0 with no tables. */
    sqlite3 *db = raw_open(&f);
    CHECK_EQ_U(sqlite3_exec(db, "CREATE TABLE t(x); DROP TABLE t;", NULL, NULL, NULL), SQLITE_OK);
    CHECK_EQ_U(raw_int(db, "PRAGMA user_version"), 0);
    CHECK_EQ_U(raw_int(db, "SELECT count(*) FROM sqlite_master"), 0);
    sqlite3_close(db);

    fixture_open_store(&f);
    CHECK(f.created);
    CHECK(is_hex(store_epoch(f.s), STORE_EPOCH_LEN));
    db = raw_open(&f);
    CHECK_EQ_U(raw_int(db, "PRAGMA user_version"), store_schema_version());
    CHECK_EQ_U(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'messages'"), 1);
    sqlite3_close(db);
    CHECK(user_make(f.s, "alice") > 0);
    fixture_stop(&f);
}

static void test_migrate_current_is_noop(void)
{
    struct fixture f;
    fixture_start(&f);
    user_make(f.s, "alice");
    char epoch[STORE_EPOCH_LEN + 1];
    snprintf(epoch, sizeof(epoch), "%s", store_epoch(f.s));
    fixture_close_store(&f);

    /* schema_version counts every change to the schema: reopening at the
     * current version must not touch it. */
    sqlite3 *db = raw_open(&f);
    long long cookie = raw_int(db, "PRAGMA schema_version");
    sqlite3_close(db);

    fixture_open_store(&f);
    CHECK(!f.created);
    CHECK_STR(store_epoch(f.s), epoch);
    struct store_user u;
    CHECK_EQ_U(store_user_by_name(f.s, "alice", &u, NULL, 0), STATUS_OK);
    fixture_close_store(&f);

    db = raw_open(&f);
    CHECK_EQ_U(raw_int(db, "PRAGMA schema_version"), cookie);
    CHECK_EQ_U(raw_int(db, "PRAGMA user_version"), store_schema_version());
    sqlite3_close(db);
    fixture_stop(&f);
}

static void test_migrate_newer_refused(void)
{
    struct fixture f;
    fixture_start(&f);
    fixture_close_store(&f);

    sqlite3 *db = raw_open(&f);
    char sql[64];
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", store_schema_version() + 1);
    CHECK_EQ_U(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    struct store *s = NULL;
    CHECK_EQ_U(store_open(&f.loop, f.dir, &s, NULL), STATUS_INTERNAL);
    CHECK(s == NULL);
    /* The refused file is left as it was. */
    db = raw_open(&f);
    CHECK_EQ_U(raw_int(db, "PRAGMA user_version"), store_schema_version() + 1);
    sqlite3_close(db);
    fixture_stop(&f);
}

/* ---- accounts and tokens ------------------------------------------------ */

struct names {
    int n;
    char name[8][STORE_USERNAME_MAX + 1];
};

static void on_user(void *ud, const struct store_user *u)
{
    struct names *v = ud;
    if (v->n < 8) {
        snprintf(v->name[v->n], sizeof(v->name[0]), "%s", u->username);
    }
    v->n++;
}

static void test_users(void)
{
    struct fixture f;
    fixture_start(&f);
    struct store_user u;
    CHECK_EQ_U(store_user_create(f.s, "alice", "Alice Wonder", "mentor", "rec-a", &u), STATUS_OK);
    CHECK(u.id > 0);
    CHECK_STR(u.role, "mentor");
    uint64_t alice = u.id;
    CHECK_EQ_U(store_user_create(f.s, "alice", "Other", "umkm", "rec", &u), STATUS_CONFLICT);
    CHECK_EQ_U(store_user_create(f.s, "bob_100%", "Bobby", "student", "rec-b", &u), STATUS_OK);
    CHECK_EQ_U(store_user_create(f.s, "carol", "Carol ALIas", "umkm", "rec-c", &u), STATUS_OK);

    char record[8];
    memset(&u, 0, sizeof(u));
    CHECK_EQ_U(store_user_by_name(f.s, "alice", &u, record, sizeof(record)), STATUS_OK);
    CHECK_EQ_U(u.id, alice);
    CHECK_STR(u.name, "Alice Wonder");
    CHECK_STR(record, "rec-a");
    CHECK_EQ_U(store_user_by_name(f.s, "nobody", &u, NULL, 0), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_user_get(f.s, alice, &u), STATUS_OK);
    CHECK_STR(u.username, "alice");
    CHECK_EQ_U(store_user_get(f.s, 999, &u), STATUS_NOT_FOUND);

    /* Username or name, any case, sorted by username. */
    struct names v = {0};
    CHECK_EQ_U(store_user_search(f.s, "ALI", 10, on_user, &v), STATUS_OK);
    CHECK_EQ_U(v.n, 2);
    CHECK_STR(v.name[0], "alice");
    CHECK_STR(v.name[1], "carol");
    v = (struct names){0};
    CHECK_EQ_U(store_user_search(f.s, "", 2, on_user, &v), STATUS_OK);
    CHECK_EQ_U(v.n, 2);
    CHECK_STR(v.name[0], "alice");
    CHECK_STR(v.name[1], "bob_100%");
    /* LIKE's wildcards in the query match only themselves. */
    v = (struct names){0};
    CHECK_EQ_U(store_user_search(f.s, "%", 10, on_user, &v), STATUS_OK);
    CHECK_EQ_U(v.n, 1);
    v = (struct names){0};
    CHECK_EQ_U(store_user_search(f.s, "b_b", 10, on_user, &v), STATUS_OK);
    CHECK_EQ_U(v.n, 0);
    fixture_stop(&f);
}

static void test_tokens(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t alice = user_make(f.s, "alice");
    uint8_t h1[32];
    uint8_t h2[32];
    memset(h1, 1, sizeof(h1));
    memset(h2, 2, sizeof(h2));

    CHECK_EQ_U(store_token_put(f.s, h1, alice, 5000), STATUS_OK);
    CHECK_EQ_U(store_token_put(f.s, h2, alice, 9000), STATUS_OK);
    CHECK_EQ_U(store_token_put(f.s, h1, alice, 9000), STATUS_CONFLICT);
    uint8_t h3[32];
    memset(h3, 3, sizeof(h3));
    CHECK_EQ_U(store_token_put(f.s, h3, 999, 9000), STATUS_NOT_FOUND);

    uint64_t user = 0;
    uint64_t expires = 0;
    CHECK_EQ_U(store_token_lookup(f.s, h1, 4999, &user, &expires), STATUS_OK);
    CHECK_EQ_U(user, alice);
    CHECK_EQ_U(expires, 5000);
    CHECK_EQ_U(store_token_lookup(f.s, h1, 5000, &user, &expires), STATUS_UNAUTHENTICATED);
    uint8_t unknown[32] = {0};
    CHECK_EQ_U(store_token_lookup(f.s, unknown, 0, &user, &expires), STATUS_UNAUTHENTICATED);

    /* After a purge at 6000, h1 is gone even for a clock at 0. */
    CHECK_EQ_U(store_token_purge(f.s, 6000), STATUS_OK);
    CHECK_EQ_U(store_token_lookup(f.s, h1, 0, &user, &expires), STATUS_UNAUTHENTICATED);
    CHECK_EQ_U(store_token_lookup(f.s, h2, 6000, &user, &expires), STATUS_OK);

    CHECK_EQ_U(store_token_delete(f.s, h2), STATUS_OK);
    CHECK_EQ_U(store_token_lookup(f.s, h2, 0, &user, &expires), STATUS_UNAUTHENTICATED);
    fixture_stop(&f);
}

/* ---- rooms and members -------------------------------------------------- */

struct roster {
    int n;
    uint64_t id[8];
    uint64_t last_read[8];
};

static void on_member(void *ud, const struct store_user *u, uint64_t last_read)
{
    struct roster *v = ud;
    if (v->n < 8) {
        v->id[v->n] = u->id;
        v->last_read[v->n] = last_read;
    }
    v->n++;
}

static size_t rooms_of(struct store *s, uint64_t user)
{
    uint64_t ids[16];
    size_t n = 0;
    CHECK_EQ_U(store_user_rooms(s, user, ids, 16, &n), STATUS_OK);
    return n;
}

static void test_rooms(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t a = user_make(f.s, "ann");
    uint64_t b = user_make(f.s, "ben");
    uint64_t c = user_make(f.s, "cat");

    struct store_room r;
    bool existed = true;
    uint64_t others[] = {c, b, a};
    CHECK_EQ_U(store_room_create(f.s, "group", "Koperasi", a, others, 3, &r, &existed), STATUS_OK);
    CHECK(!existed);
    CHECK_STR(r.kind, "group");
    CHECK_STR(r.title, "Koperasi");
    CHECK_EQ_U(r.creator, a);
    CHECK_EQ_U(r.last_seq, 0);
    struct roster v = {0};
    CHECK_EQ_U(store_members(f.s, r.id, on_member, &v), STATUS_OK);
    CHECK_EQ_U(v.n, 3);
    CHECK(v.id[0] == a && v.id[1] == b && v.id[2] == c);
    struct store_room got;
    CHECK_EQ_U(store_room_get(f.s, r.id, &got), STATUS_OK);
    CHECK_STR(got.title, "Koperasi");
    CHECK_EQ_U(store_room_get(f.s, 999, &got), STATUS_NOT_FOUND);

    /* A dm exists once per pair, whoever starts it. */
    struct store_room dm1;
    struct store_room dm2;
    CHECK_EQ_U(store_room_create(f.s, "dm", "", a, &b, 1, &dm1, &existed), STATUS_OK);
    CHECK(!existed);
    CHECK_EQ_U(store_room_create(f.s, "dm", "", b, &a, 1, &dm2, &existed), STATUS_OK);
    CHECK(existed);
    CHECK_EQ_U(dm2.id, dm1.id);
    CHECK_STR(dm2.kind, "dm");
    CHECK_EQ_U(rooms_of(f.s, a), 2);

    /* A dm or group with an unknown person leaves nothing behind. */
    uint64_t ghost = 999;
    CHECK_EQ_U(store_room_create(f.s, "dm", "", a, &ghost, 1, &dm2, &existed), STATUS_NOT_FOUND);
    uint64_t mixed[] = {b, ghost};
    CHECK_EQ_U(store_room_create(f.s, "group", "X", a, mixed, 2, &dm2, &existed), STATUS_NOT_FOUND);
    CHECK_EQ_U(rooms_of(f.s, a), 2);
    CHECK_EQ_U(rooms_of(f.s, b), 2);
    uint64_t two[] = {b, c};
    CHECK_EQ_U(store_room_create(f.s, "dm", "", a, two, 2, &dm2, &existed), STATUS_BAD_REQUEST);
    CHECK_EQ_U(store_room_create(f.s, "dm", "", a, &a, 1, &dm2, &existed), STATUS_BAD_REQUEST);
    fixture_stop(&f);
}

static void test_membership(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t a = user_make(f.s, "ann");
    uint64_t d = user_make(f.s, "dan");
    uint64_t room = group_make(f.s, a, NULL, 0);

    bool member = true;
    uint64_t last_read = 7;
    CHECK_EQ_U(store_member_get(f.s, room, d, &member, &last_read), STATUS_OK);
    CHECK(!member);
    CHECK_EQ_U(store_member_add(f.s, room, d), STATUS_OK);
    CHECK_EQ_U(store_member_get(f.s, room, d, &member, &last_read), STATUS_OK);
    CHECK(member);
    CHECK_EQ_U(last_read, 0);
    CHECK_EQ_U(store_member_add(f.s, room, d), STATUS_CONFLICT);
    CHECK_EQ_U(store_member_add(f.s, room, 999), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_member_add(f.s, 999, d), STATUS_NOT_FOUND);

    CHECK_EQ_U(store_member_remove(f.s, room, d), STATUS_OK);
    CHECK_EQ_U(store_member_get(f.s, room, d, &member, NULL), STATUS_OK);
    CHECK(!member);
    CHECK_EQ_U(store_member_remove(f.s, room, d), STATUS_CONFLICT);
    CHECK_EQ_U(store_member_remove(f.s, 999, d), STATUS_NOT_FOUND);
    CHECK_EQ_U(rooms_of(f.s, d), 0);
    fixture_stop(&f);
}

/* ---- the batched writer --------------------------------------------------- */

static int committed_seen = -1;
static sqlite3 *outside;

/* The first callback checks, through another connection, that its message
 * is already committed: acknowledged means durable. */
static void on_sent_check_committed(void *ud, enum status st, const struct store_message *m,
                                    bool duplicate)
{
    if (committed_seen < 0 && m != NULL) {
        char sql[128];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM messages WHERE room = %llu AND seq = %llu",
                 (unsigned long long)m->room, (unsigned long long)m->seq);
        committed_seen = (int)raw_int(outside, sql);
    }
    on_sent(ud, st, m, duplicate);
}

static void test_batch_many_rooms(void)
{
    enum { ROOMS = 4, N = 1000 };
    struct fixture f;
    fixture_start(&f);
    uint64_t a = user_make(f.s, "ann");
    uint64_t rooms[ROOMS];
    for (int i = 0; i < ROOMS; i++) {
        rooms[i] = group_make(f.s, a, NULL, 0);
    }
    outside = raw_open(&f);
    committed_seen = -1;

    static struct sent r[N];
    memset(r, 0, sizeof(r));
    sent_calls = 0;
    struct store_stats before;
    store_stats(f.s, &before);
    for (int i = 0; i < N; i++) {
        char cid[16];
        snprintf(cid, sizeof(cid), "c%d", i);
        CHECK_EQ_U(store_append(f.s, rooms[i % ROOMS], a, "text", "hi", 2, cid, strlen(cid), 0,
                                on_sent_check_committed, &r[i]),
                   STATUS_OK);
    }
    /* Queued is not stored: nothing may be reported before the loop runs. */
    CHECK_EQ_U(sent_calls, 0);
    /* A full batch does not wait for the timer: one pass of the loop that
     * does not block commits everything. */
    uv_run(&f.loop, UV_RUN_NOWAIT);
    CHECK_EQ_U(sent_calls, N);
    CHECK_EQ_U(committed_seen, 1);
    sqlite3_close(outside);

    /* Per room, seqs 1..N/ROOMS in the order the appends were queued. */
    for (int i = 0; i < N; i++) {
        CHECK_EQ_U(r[i].st, STATUS_OK);
        CHECK_EQ_U(r[i].calls, 1);
        CHECK_EQ_U(r[i].seq, (uint64_t)(i / ROOMS + 1));
        CHECK(!r[i].duplicate);
    }
    for (int i = 0; i < ROOMS; i++) {
        CHECK_EQ_U(room_last_seq(f.s, rooms[i]), N / ROOMS);
    }
    struct store_stats after;
    store_stats(f.s, &after);
    CHECK_EQ_U(after.ops - before.ops, N);
    CHECK_EQ_U(after.commits - before.commits, (N + STORE_BATCH_ROWS - 1) / STORE_BATCH_ROWS);
    fixture_stop(&f);
}

static void test_batch_timer(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t a = user_make(f.s, "ann");
    uint64_t room = group_make(f.s, a, NULL, 0);

    /* After a quiet spell, writes commit on the next loop turn, together. */
    struct sent r[5] = {0};
    sent_calls = 0;
    struct store_stats before;
    store_stats(f.s, &before);
    uv_update_time(&f.loop);
    append(f.s, room, a, "one", "c1", 0, &r[0]);
    append(f.s, room, a, "two", "c2", 0, &r[1]);
    append(f.s, room, a, "three", "c3", 0, &r[2]);
    CHECK_EQ_U(sent_calls, 0);
    uv_run(&f.loop, UV_RUN_NOWAIT);
    CHECK_EQ_U(sent_calls, 3);
    struct store_stats after;
    store_stats(f.s, &after);
    CHECK_EQ_U(after.commits - before.commits, 1);
    CHECK_EQ_U(r[2].seq, 3);
    CHECK_EQ_U(r[0].ts, r[2].ts);

    /* Right after a batch of several, writes wait for the timer. It counts
     * whole milliseconds from the loop's clock, so STORE_BATCH_MS (2)
     * guarantees at least 1 ms of waiting. */
    sent_calls = 0;
    uv_update_time(&f.loop);
    uint64_t queued_ns = uv_hrtime();
    append(f.s, room, a, "four", "c4", 0, &r[3]);
    append(f.s, room, a, "five", "c5", 0, &r[4]);
    run_until(&f, &sent_calls, 2);
    CHECK_EQ_U(sent_calls, 2);
    CHECK(first_sent_ns - queued_ns >= 1000000);
    store_stats(f.s, &before);
    CHECK_EQ_U(before.commits - after.commits, 1);
    CHECK_EQ_U(r[4].seq, 5);

    /* store_flush commits at once, without the loop. */
    struct sent now = {0};
    append(f.s, room, a, "six", "c6", 0, &now);
    store_flush(f.s);
    CHECK_EQ_U(now.calls, 1);
    CHECK_EQ_U(now.seq, 6);
    fixture_stop(&f);
}

static void test_idempotent_send(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t a = user_make(f.s, "ann");
    uint64_t b = user_make(f.s, "ben");
    uint64_t members[] = {b};
    uint64_t room = group_make(f.s, a, members, 1);

    /* The same client_id twice in one batch. */
    struct sent r1 = {0};
    struct sent r2 = {0};
    sent_calls = 0;
    append(f.s, room, a, "hello", "x1", 0, &r1);
    append(f.s, room, a, "hello", "x1", 0, &r2);
    run_until(&f, &sent_calls, 2);
    CHECK_EQ_U(r1.st, STATUS_OK);
    CHECK(!r1.duplicate);
    CHECK_EQ_U(r1.seq, 1);
    CHECK_EQ_U(r2.st, STATUS_OK);
    CHECK(r2.duplicate);
    CHECK_EQ_U(r2.seq, 1);
    CHECK_EQ_U(r2.ts, r1.ts);

    /* Again in a later batch, even with another body: the original wins. */
    struct sent r3 = {0};
    sent_calls = 0;
    append(f.s, room, a, "changed", "x1", 0, &r3);
    run_until(&f, &sent_calls, 1);
    CHECK(r3.duplicate);
    CHECK_EQ_U(r3.seq, 1);
    CHECK_EQ_U(r3.ts, r1.ts);
    CHECK_STR(r3.body, "hello");
    CHECK_EQ_U(room_last_seq(f.s, room), 1);
    struct seen v = {0};
    bool more = true;
    CHECK_EQ_U(store_history(f.s, room, STORE_NEWEST, 50, on_message, &v, &more), STATUS_OK);
    CHECK_EQ_U(v.n, 1);
    CHECK_STR(v.body[0], "hello");
    fixture_stop(&f);
}

/* The key is (room, sender, client_id): nothing less. */
static void test_idempotency_key(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t a = user_make(f.s, "ann");
    uint64_t b = user_make(f.s, "ben");
    uint64_t members[] = {b};
    uint64_t room = group_make(f.s, a, members, 1);
    uint64_t room2 = group_make(f.s, a, members, 1);
    struct sent r1 = {0};
    sent_calls = 0;
    append(f.s, room, a, "hello", "x1", 0, &r1);
    run_until(&f, &sent_calls, 1);

    /* Another sender, or another room, is another message. */
    struct sent r4 = {0};
    struct sent r5 = {0};
    sent_calls = 0;
    append(f.s, room, b, "hello", "x1", 0, &r4);
    append(f.s, room2, a, "hello", "x1", 0, &r5);
    run_until(&f, &sent_calls, 2);
    CHECK(!r4.duplicate);
    CHECK_EQ_U(r4.seq, 2);
    CHECK(!r5.duplicate);
    CHECK_EQ_U(r5.seq, 1);

    /* Lines without client_id never count as resends. */
    struct sent s1 = {0};
    struct sent s2 = {0};
    sent_calls = 0;
    store_append(f.s, room, 0, "system", "joined", 6, "", 0, 0, on_sent, &s1);
    store_append(f.s, room, 0, "system", "joined", 6, "", 0, 0, on_sent, &s2);
    run_until(&f, &sent_calls, 2);
    CHECK(!s1.duplicate && !s2.duplicate);
    CHECK_EQ_U(s1.seq, 3);
    CHECK_EQ_U(s2.seq, 4);
    fixture_stop(&f);
}

static void test_failing_op_in_batch(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t a = user_make(f.s, "ann");
    uint64_t room = group_make(f.s, a, NULL, 0);

    struct sent r[5] = {0};
    sent_calls = 0;
    append(f.s, room, a, "first", "k1", 0, &r[0]);
    append(f.s, room, a, "bad reply", "k2", 99, &r[1]);
    append(f.s, 999, a, "no such room", "k3", 0, &r[2]);
    append(f.s, room, a, "good reply", "k4", 1, &r[3]);
    append(f.s, room, a, "self reply", "k5", 3, &r[4]);
    run_until(&f, &sent_calls, 5);

    CHECK_EQ_U(r[0].st, STATUS_OK);
    CHECK_EQ_U(r[0].seq, 1);
    CHECK_EQ_U(r[1].st, STATUS_NOT_FOUND);
    CHECK_EQ_U(r[2].st, STATUS_NOT_FOUND);
    CHECK_EQ_U(r[3].st, STATUS_OK);
    CHECK_EQ_U(r[3].seq, 2);
    /* Seq 3 does not exist yet when this op looks for it. */
    CHECK_EQ_U(r[4].st, STATUS_NOT_FOUND);
    CHECK_EQ_U(room_last_seq(f.s, room), 2);

    struct seen v = {0};
    bool more = true;
    CHECK_EQ_U(store_history(f.s, room, STORE_NEWEST, 50, on_message, &v, &more), STATUS_OK);
    CHECK_EQ_U(v.n, 2);
    CHECK_STR(v.body[1], "good reply");
    CHECK_EQ_U(v.reply_to[1], 1);
    CHECK_EQ_U(v.reply_to[0], 0);

    /* The failed op left its client_id free for a retry. */
    struct sent retry = {0};
    sent_calls = 0;
    append(f.s, room, a, "bad reply", "k2", 2, &retry);
    run_until(&f, &sent_calls, 1);
    CHECK_EQ_U(retry.st, STATUS_OK);
    CHECK(!retry.duplicate);
    CHECK_EQ_U(retry.seq, 3);
    fixture_stop(&f);
}

/* An op that fails after it has taken a seq (here a trigger, installed from
 * outside, refuses its INSERT) is rolled back to its savepoint: the seq
 * goes back and the ops around it commit. */
static void test_failing_write_rolled_back(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t a = user_make(f.s, "ann");
    uint64_t room = group_make(f.s, a, NULL, 0);
    sqlite3 *db = raw_open(&f);
    CHECK_EQ_U(sqlite3_exec(db,
                            "CREATE TRIGGER refuse BEFORE INSERT ON messages "
                            "WHEN NEW.body = 'boom' BEGIN SELECT RAISE(ABORT, 'refused'); END",
                            NULL, NULL, NULL),
               SQLITE_OK);
    sqlite3_close(db);

    struct sent r[3] = {0};
    sent_calls = 0;
    append(f.s, room, a, "before", "w1", 0, &r[0]);
    append(f.s, room, a, "boom", "w2", 0, &r[1]);
    append(f.s, room, a, "after", "w3", 0, &r[2]);
    run_until(&f, &sent_calls, 3);
    CHECK_EQ_U(r[0].st, STATUS_OK);
    CHECK_EQ_U(r[0].seq, 1);
    CHECK_EQ_U(r[1].st, STATUS_INTERNAL);
    CHECK_EQ_U(r[2].st, STATUS_OK);
    CHECK_EQ_U(r[2].seq, 2);
    CHECK_EQ_U(room_last_seq(f.s, room), 2);
    struct store_stats stats;
    store_stats(f.s, &stats);
    CHECK_EQ_U(stats.failed_batches, 0);
    fixture_stop(&f);
}

static void test_edit_delete(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t a = user_make(f.s, "ann");
    uint64_t b = user_make(f.s, "ben");
    uint64_t members[] = {b};
    uint64_t room = group_make(f.s, a, members, 1);
    append_many(&f, room, a, 2);

    struct result e[4] = {0};
    result_calls = 0;
    uint64_t t0 = wall_ms();
    store_edit(f.s, room, 1, b, "hijack", 6, on_edit, &e[0]);
    store_edit(f.s, room, 9, a, "nothing", 7, on_edit, &e[1]);
    store_edit(f.s, room, 1, a, "fixed", 5, on_edit, &e[2]);
    run_until(&f, &result_calls, 3);
    CHECK_EQ_U(e[0].st, STATUS_FORBIDDEN);
    CHECK_EQ_U(e[1].st, STATUS_NOT_FOUND);
    CHECK_EQ_U(e[2].st, STATUS_OK);
    CHECK(e[2].value >= t0 && e[2].value <= wall_ms());

    struct seen v = {0};
    CHECK_EQ_U(store_message_get(f.s, room, 1, on_message, &v), STATUS_OK);
    CHECK_EQ_U(v.n, 1);
    CHECK_STR(v.body[0], "fixed");
    CHECK_EQ_U(v.edited_ts[0], e[2].value);
    CHECK_EQ_U(store_message_get(f.s, room, 9, on_message, &v), STATUS_NOT_FOUND);

    struct result d[4] = {0};
    result_calls = 0;
    store_delete(f.s, room, 1, b, false, on_delete, &d[0]);
    store_delete(f.s, room, 1, b, true, on_delete, &d[1]);
    store_delete(f.s, room, 1, a, false, on_delete, &d[2]);
    store_delete(f.s, room, 9, a, false, on_delete, &d[3]);
    store_edit(f.s, room, 1, a, "again", 5, on_edit, &e[3]);
    run_until(&f, &result_calls, 5);
    CHECK_EQ_U(d[0].st, STATUS_FORBIDDEN);
    CHECK_EQ_U(d[1].st, STATUS_OK);
    CHECK(d[1].flag);
    CHECK_EQ_U(d[2].st, STATUS_OK);
    CHECK(!d[2].flag);
    CHECK_EQ_U(d[3].st, STATUS_NOT_FOUND);
    CHECK_EQ_U(e[3].st, STATUS_CONFLICT);

    /* A deleted message keeps its seq and loses its body for good. */
    v = (struct seen){0};
    CHECK_EQ_U(store_message_get(f.s, room, 1, on_message, &v), STATUS_OK);
    CHECK_STR(v.body[0], "");
    CHECK(v.deleted[0]);
    CHECK_EQ_U(room_last_seq(f.s, room), 2);
    fixture_stop(&f);
}

static void test_read_markers(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t a = user_make(f.s, "ann");
    uint64_t b = user_make(f.s, "ben");
    uint64_t c = user_make(f.s, "cat");
    uint64_t members[] = {b};
    uint64_t room = group_make(f.s, a, members, 1);
    append_many(&f, room, a, 3);

    struct result r[5] = {0};
    result_calls = 0;
    store_read(f.s, room, b, 2, on_read, &r[0]);
    store_read(f.s, room, b, 1, on_read, &r[1]);
    store_read(f.s, room, b, 50, on_read, &r[2]);
    store_read(f.s, room, b, 3, on_read, &r[3]);
    store_read(f.s, room, c, 1, on_read, &r[4]);
    run_until(&f, &result_calls, 5);
    CHECK(r[0].st == STATUS_OK && r[0].value == 2 && r[0].flag);
    CHECK(r[1].st == STATUS_OK && r[1].value == 2 && !r[1].flag);
    CHECK(r[2].st == STATUS_OK && r[2].value == 3 && r[2].flag);
    CHECK(r[3].st == STATUS_OK && r[3].value == 3 && !r[3].flag);
    CHECK_EQ_U(r[4].st, STATUS_NOT_FOUND);

    bool member = false;
    uint64_t last_read = 0;
    CHECK_EQ_U(store_member_get(f.s, room, b, &member, &last_read), STATUS_OK);
    CHECK_EQ_U(last_read, 3);
    struct roster v = {0};
    CHECK_EQ_U(store_members(f.s, room, on_member, &v), STATUS_OK);
    CHECK(v.n == 2 && v.id[1] == b && v.last_read[1] == 3 && v.last_read[0] == 0);

    /* A marker queued behind an append in the same batch may reach it. */
    struct sent s1 = {0};
    struct result after = {0};
    sent_calls = 0;
    result_calls = 0;
    append(f.s, room, a, "four", "k4", 0, &s1);
    store_read(f.s, room, b, 4, on_read, &after);
    run_until(&f, &result_calls, 1);
    CHECK(after.st == STATUS_OK && after.value == 4 && after.flag);
    fixture_stop(&f);
}

/* ---- reads ---------------------------------------------------------------- */

static void check_run_of(const struct seen *v, uint64_t first, int n)
{
    CHECK_EQ_U(v->n, n);
    for (int i = 0; i < n && i < 200; i++) {
        CHECK_EQ_U(v->seq[i], first + (uint64_t)i);
    }
}

static void test_history(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t a = user_make(f.s, "ann");
    uint64_t room = group_make(f.s, a, NULL, 0);
    append_many(&f, room, a, 120);

    struct seen v = {0};
    bool more = false;
    CHECK_EQ_U(store_history(f.s, room, STORE_NEWEST, 50, on_message, &v, &more), STATUS_OK);
    check_run_of(&v, 71, 50);
    CHECK(more);
    CHECK_STR(v.body[49], "m120");

    v = (struct seen){0};
    CHECK_EQ_U(store_history(f.s, room, 71, 50, on_message, &v, &more), STATUS_OK);
    check_run_of(&v, 21, 50);
    CHECK(more);

    v = (struct seen){0};
    CHECK_EQ_U(store_history(f.s, room, 21, 50, on_message, &v, &more), STATUS_OK);
    check_run_of(&v, 1, 20);
    CHECK(!more);

    v = (struct seen){0};
    more = true;
    CHECK_EQ_U(store_history(f.s, room, 1, 50, on_message, &v, &more), STATUS_OK);
    CHECK_EQ_U(v.n, 0);
    CHECK(!more);

    /* Nothing lies below seq 0: 0 is not a second way to say "the newest". */
    v = (struct seen){0};
    more = true;
    CHECK_EQ_U(store_history(f.s, room, 0, 50, on_message, &v, &more), STATUS_OK);
    CHECK_EQ_U(v.n, 0);
    CHECK(!more);

    /* Exactly the oldest `limit`: nothing older remains. */
    v = (struct seen){0};
    CHECK_EQ_U(store_history(f.s, room, 11, 10, on_message, &v, &more), STATUS_OK);
    check_run_of(&v, 1, 10);
    CHECK(!more);
    CHECK_EQ_U(store_history(f.s, room, STORE_NEWEST, 0, on_message, &v, &more),
               STATUS_BAD_REQUEST);
    fixture_stop(&f);
}

static void test_since(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t a = user_make(f.s, "ann");
    uint64_t room = group_make(f.s, a, NULL, 0);
    append_many(&f, room, a, 30);

    struct seen v = {0};
    bool gap = true;
    CHECK_EQ_U(store_since(f.s, room, 20, 100, on_message, &v, &gap), STATUS_OK);
    check_run_of(&v, 21, 10);
    CHECK(!gap);

    /* Exactly `cap` newer messages fit; one more is a gap and yields none. */
    v = (struct seen){0};
    CHECK_EQ_U(store_since(f.s, room, 20, 10, on_message, &v, &gap), STATUS_OK);
    check_run_of(&v, 21, 10);
    CHECK(!gap);
    v = (struct seen){0};
    CHECK_EQ_U(store_since(f.s, room, 19, 10, on_message, &v, &gap), STATUS_OK);
    CHECK_EQ_U(v.n, 0);
    CHECK(gap);
    v = (struct seen){0};
    CHECK_EQ_U(store_since(f.s, room, 0, 10, on_message, &v, &gap), STATUS_OK);
    CHECK_EQ_U(v.n, 0);
    CHECK(gap);

    v = (struct seen){0};
    gap = true;
    CHECK_EQ_U(store_since(f.s, room, 30, 10, on_message, &v, &gap), STATUS_OK);
    CHECK_EQ_U(v.n, 0);
    CHECK(!gap);
    fixture_stop(&f);
}

struct summaries {
    int n;
    struct store_room_summary row[4];
};

static void on_summary(void *ud, const struct store_room_summary *sum)
{
    struct summaries *v = ud;
    if (v->n < 4) {
        v->row[v->n] = *sum;
        /* The last message's strings are borrowed: keep only what is checked. */
        v->row[v->n].last.body = NULL;
        v->row[v->n].last.client_id = NULL;
        v->row[v->n].last.kind = NULL;
    }
    v->n++;
}

/* Waits for the wall clock to move on, so the next commit gets a later ts. */
static void clock_tick(void)
{
    uint64_t t = wall_ms();
    while (wall_ms() <= t + 1) {
        usleep(500);
    }
}

static void test_summaries(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t a = user_make(f.s, "ann");
    uint64_t b = user_make(f.s, "ben");
    uint64_t c = user_make(f.s, "cat");
    uint64_t members[] = {b};
    uint64_t quiet = group_make(f.s, a, members, 1);
    uint64_t busy = group_make(f.s, a, members, 1);
    struct store_room dm;
    CHECK_EQ_U(store_room_create(f.s, "dm", "", c, &a, 1, &dm, NULL), STATUS_OK);
    clock_tick();

    append_many(&f, busy, b, 3);
    append_many(&f, busy, a, 1);
    clock_tick();
    append_many(&f, dm.id, c, 1);

    struct result del = {0};
    result_calls = 0;
    store_delete(f.s, busy, 2, b, false, on_delete, &del);
    run_until(&f, &result_calls, 1);

    struct summaries v = {0};
    CHECK_EQ_U(store_room_summaries(f.s, a, on_summary, &v), STATUS_OK);
    CHECK_EQ_U(v.n, 3);
    /* Most recently active first; a room without messages by its creation. */
    CHECK_EQ_U(v.row[0].room.id, dm.id);
    CHECK_EQ_U(v.row[1].room.id, busy);
    CHECK_EQ_U(v.row[2].room.id, quiet);
    /* Unread: others' messages after the marker, deleted ones excluded. */
    CHECK_EQ_U(v.row[0].unread, 1);
    CHECK_EQ_U(v.row[1].unread, 2);
    CHECK_EQ_U(v.row[2].unread, 0);
    CHECK_EQ_U(v.row[0].peer.id, c);
    CHECK_STR(v.row[0].peer.username, "cat");
    CHECK_EQ_U(v.row[1].peer.id, 0);
    CHECK(v.row[1].has_last);
    CHECK_EQ_U(v.row[1].last.seq, 4);
    CHECK_EQ_U(v.row[1].last.from, a);
    CHECK(!v.row[2].has_last);

    struct result r = {0};
    result_calls = 0;
    store_read(f.s, busy, a, 3, on_read, &r);
    run_until(&f, &result_calls, 1);
    v = (struct summaries){0};
    CHECK_EQ_U(store_room_summaries(f.s, a, on_summary, &v), STATUS_OK);
    CHECK_EQ_U(v.row[1].unread, 0);
    CHECK_EQ_U(v.row[1].last_read, 3);
    fixture_stop(&f);
}

/* ---- durability and failure ----------------------------------------------- */

static void test_survives_reopen(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t a = user_make(f.s, "ann");
    uint64_t b = user_make(f.s, "ben");
    uint64_t members[] = {b};
    uint64_t room = group_make(f.s, a, members, 1);
    append_many(&f, room, a, 5);

    /* Queued but never flushed by the loop: store_close must commit them. */
    struct sent late = {0};
    struct result edited = {0};
    struct result read = {0};
    append(f.s, room, b, "late", "late-1", 0, &late);
    store_edit(f.s, room, 2, a, "edited", 6, on_edit, &edited);
    store_read(f.s, room, b, 6, on_read, &read);
    store_close(f.s);
    CHECK_EQ_U(late.st, STATUS_OK);
    CHECK_EQ_U(late.seq, 6);
    CHECK_EQ_U(read.value, 6);
    /* Closed: new writes are refused, their callbacks never run. */
    struct sent refused = {0};
    CHECK_EQ_U(store_append(f.s, room, a, "text", "x", 1, "r", 1, 0, on_sent, &refused),
               STATUS_UNAVAILABLE);
    f.s = NULL;
    uv_run(&f.loop, UV_RUN_DEFAULT);
    CHECK_EQ_U(refused.calls, 0);

    fixture_open_store(&f);
    CHECK_EQ_U(room_last_seq(f.s, room), 6);
    struct seen v = {0};
    bool more = true;
    CHECK_EQ_U(store_history(f.s, room, STORE_NEWEST, 50, on_message, &v, &more), STATUS_OK);
    check_run_of(&v, 1, 6);
    CHECK_STR(v.body[1], "edited");
    CHECK(v.edited_ts[1] > 0);
    CHECK_STR(v.body[5], "late");
    uint64_t last_read = 0;
    bool member = false;
    CHECK_EQ_U(store_member_get(f.s, room, b, &member, &last_read), STATUS_OK);
    CHECK_EQ_U(last_read, 6);

    /* Seqs go on from where they were; the resend is still recognised. */
    struct sent again = {0};
    struct sent next = {0};
    sent_calls = 0;
    append(f.s, room, b, "late", "late-1", 0, &again);
    append(f.s, room, b, "next", "next-1", 0, &next);
    run_until(&f, &sent_calls, 2);
    CHECK(again.duplicate && again.seq == 6);
    CHECK_EQ_U(next.seq, 7);
    fixture_stop(&f);
}

/* Another connection holds the write lock past the busy timeout: the whole
 * batch is reported unavailable, and no seq is used up. Takes ~5 s. */
static void test_busy_batch_unavailable(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t a = user_make(f.s, "ann");
    uint64_t room = group_make(f.s, a, NULL, 0);

    sqlite3 *other = raw_open(&f);
    CHECK_EQ_U(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    struct sent r[2] = {0};
    sent_calls = 0;
    append(f.s, room, a, "one", "b1", 0, &r[0]);
    append(f.s, room, a, "two", "b2", 0, &r[1]);
    run_until(&f, &sent_calls, 2);
    CHECK_EQ_U(r[0].st, STATUS_UNAVAILABLE);
    CHECK_EQ_U(r[1].st, STATUS_UNAVAILABLE);
    struct store_stats stats;
    store_stats(f.s, &stats);
    CHECK_EQ_U(stats.failed_batches, 1);
    CHECK_EQ_U(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);

    struct sent retry = {0};
    sent_calls = 0;
    append(f.s, room, a, "one", "b1", 0, &retry);
    run_until(&f, &sent_calls, 1);
    CHECK_EQ_U(retry.st, STATUS_OK);
    CHECK(!retry.duplicate);
    CHECK_EQ_U(retry.seq, 1);
    fixture_stop(&f);
}

static void stop_loop(uv_timer_t *t)
{
    uv_stop(t->loop);
}

static off_t file_size(const struct fixture *f, const char *suffix)
{
    char path[200];
    struct stat sb;
    snprintf(path, sizeof(path), "%s/kolab.db%s", f->dir, suffix);
    return stat(path, &sb) == 0 ? sb.st_size : -1;
}

/* More than SQLite's default autocheckpoint (1000 pages) goes into the WAL;
 * no commit copies it into the main file, the background checkpoint does. */
static void test_background_checkpoint(void)
{
    enum { N = 1200, BODY = 3000 };
    struct fixture f;
    fixture_start(&f);
    uint64_t a = user_make(f.s, "ann");
    uint64_t room = group_make(f.s, a, NULL, 0);
    static char body[BODY];
    memset(body, 'k', sizeof(body));
    struct sent *r = calloc(N, sizeof(*r));
    sent_calls = 0;
    for (int i = 0; i < N; i++) {
        char cid[16];
        snprintf(cid, sizeof(cid), "w%d", i);
        store_append(f.s, room, a, "text", body, BODY, cid, strlen(cid), 0, on_sent, &r[i]);
    }
    run_until(&f, &sent_calls, N);
    CHECK_EQ_U(r[N - 1].seq, N);
    free(r);

    struct store_stats stats;
    store_stats(f.s, &stats);
    CHECK(file_size(&f, "-wal") > (off_t)N * BODY);
    if (stats.checkpoints == 0) {
        CHECK(file_size(&f, "") < (off_t)N * BODY / 4);
    }

    uv_timer_t stopper;
    uv_timer_init(&f.loop, &stopper);
    uv_timer_start(&stopper, stop_loop, 2500, 0);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&stopper, NULL);
    store_stats(f.s, &stats);
    CHECK(stats.checkpoints >= 1);
    CHECK(file_size(&f, "") > (off_t)N * BODY);
    fixture_stop(&f);
}

static struct fixture *closing_fixture;

static void close_now(uv_timer_t *t)
{
    store_close(closing_fixture->s);
    closing_fixture->s = NULL;
    uv_close((uv_handle_t *)t, NULL);
}

/* store_close right after the checkpoint timer queued its work: close must
 * wait for the pool thread, and the store is freed only after the work's
 * completion callback has run (ASan and TSan builds catch the alternative). */
static void test_close_during_checkpoint(void)
{
    enum { N = 1200, BODY = 3000 };
    struct fixture f;
    fixture_start(&f);
    uint64_t a = user_make(f.s, "ann");
    uint64_t room = group_make(f.s, a, NULL, 0);
    static char body[BODY];
    memset(body, 'q', sizeof(body));
    for (int i = 0; i < N; i++) {
        char cid[16];
        snprintf(cid, sizeof(cid), "q%d", i);
        store_append(f.s, room, a, "text", body, BODY, cid, strlen(cid), 0, NULL, NULL);
    }
    store_flush(f.s);

    /* Due at the same moment as the checkpoint tick, and started later, so
     * libuv runs it right after the tick. */
    uint64_t due = f.opened_ms + 1000;
    uint64_t now = uv_now(&f.loop);
    closing_fixture = &f;
    uv_timer_t closer;
    uv_timer_init(&f.loop, &closer);
    uv_timer_start(&closer, close_now, due > now ? due - now : 0, 0);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    CHECK(f.s == NULL);

    fixture_open_store(&f);
    CHECK_EQ_U(room_last_seq(f.s, room), N);
    fixture_stop(&f);
}

/* Not an assertion: prints how fast batched appends go on this machine. */
static void test_append_throughput(void)
{
    enum { ROOMS = 10, N = 100000 };
    struct fixture f;
    fixture_start(&f);
    uint64_t a = user_make(f.s, "ann");
    uint64_t rooms[ROOMS];
    for (int i = 0; i < ROOMS; i++) {
        rooms[i] = group_make(f.s, a, NULL, 0);
    }
    struct sent *r = calloc(N, sizeof(*r));
    char body[] = "Selamat pagi, stok beras sudah datang, silakan ambil di koperasi.";

    sent_calls = 0;
    uint64_t t0 = uv_hrtime();
    for (int i = 0; i < N; i++) {
        char cid[16];
        snprintf(cid, sizeof(cid), "t%d", i);
        store_append(f.s, rooms[i % ROOMS], a, "text", body, sizeof(body) - 1, cid, strlen(cid), 0,
                     on_sent, &r[i]);
    }
    run_until(&f, &sent_calls, N);
    double secs = (double)(uv_hrtime() - t0) / 1e9;
    CHECK_EQ_U(sent_calls, N);
    CHECK_EQ_U(r[N - 1].seq, N / ROOMS);
    printf("     %d appends in %.3f s: %.0f appends/s\n", N, secs, N / secs);
    free(r);
    fixture_stop(&f);
}

TEST_MAIN(TEST_CASE(test_open_fresh), TEST_CASE(test_migrate_from_empty),
          TEST_CASE(test_migrate_current_is_noop), TEST_CASE(test_migrate_newer_refused),
          TEST_CASE(test_users), TEST_CASE(test_tokens), TEST_CASE(test_rooms),
          TEST_CASE(test_membership), TEST_CASE(test_batch_many_rooms), TEST_CASE(test_batch_timer),
          TEST_CASE(test_idempotent_send), TEST_CASE(test_idempotency_key),
          TEST_CASE(test_failing_op_in_batch), TEST_CASE(test_failing_write_rolled_back),
          TEST_CASE(test_edit_delete), TEST_CASE(test_read_markers), TEST_CASE(test_history),
          TEST_CASE(test_since), TEST_CASE(test_summaries), TEST_CASE(test_survives_reopen),
          TEST_CASE(test_busy_batch_unavailable), TEST_CASE(test_background_checkpoint),
          TEST_CASE(test_close_during_checkpoint), TEST_CASE(test_append_throughput))
