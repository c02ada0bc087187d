/*
 * Unit tests of the store's mentoring tables (store_mentoring.c) against a
 * real SQLite file in a temporary directory. A second store opened on the
 * same directory stands in for a second kolabd process sharing the file;
 * a raw SQLite connection stands in for someone looking at the file from
 * outside, and sets times the tests need to know exactly.
 */
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <uv.h>

#include "check.h"
#include "store_mentoring.h"

/* ---- fixture ------------------------------------------------------------ */

struct fixture {
    uv_loop_t loop;
    char root[64];
    char dir[96];
    struct store *s;
    /* The users every test starts with. */
    uint64_t umkm;
    uint64_t koperasi;
    uint64_t m1;
    uint64_t m2;
    uint64_t m3;
    uint64_t moderator;
    uint64_t admin;
};

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static uint64_t user_make(struct store *s, const char *username, const char *role)
{
    struct store_user u;
    CHECK_EQ_U(store_user_create(s, username, username, role, "rec", &u), STATUS_OK);
    return u.id;
}

static void fixture_dir(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    uv_loop_init(&f->loop);
    snprintf(f->root, sizeof(f->root), "/tmp/kolab-mstore-XXXXXX");
    if (mkdtemp(f->root) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(f->dir, sizeof(f->dir), "%s/data", f->root);
}

static void fixture_open(struct fixture *f)
{
    CHECK_EQ_U(store_open(&f->loop, f->dir, &f->s, NULL), STATUS_OK);
    if (f->s == NULL) {
        exit(1);
    }
}

/* A fresh store with two businesses, three mentors (m1 < m2 < m3 by id,
 * named so that by name they sort m3, m1, m2), a moderator and an admin. */
static void fixture_start(struct fixture *f)
{
    fixture_dir(f);
    fixture_open(f);
    f->umkm = user_make(f->s, "ayu", "umkm");
    f->koperasi = user_make(f->s, "wayan", "koperasi");
    f->m1 = user_make(f->s, "made", "mentor");
    f->m2 = user_make(f->s, "nyoman", "mentor");
    f->m3 = user_make(f->s, "komang", "mentor");
    f->moderator = user_make(f->s, "putu", "moderator");
    f->admin = user_make(f->s, "gede", "admin");
}

static void store_close_run(struct fixture *f, struct store *s)
{
    store_close(s);
    uv_run(&f->loop, UV_RUN_DEFAULT);
}

static void fixture_stop(struct fixture *f)
{
    if (f->s != NULL) {
        store_close_run(f, f->s);
        f->s = NULL;
    }
    CHECK_EQ_U(uv_loop_close(&f->loop), 0);
    nftw(f->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static sqlite3 *raw_open(const struct fixture *f)
{
    char path[160];
    sqlite3 *db = NULL;
    snprintf(path, sizeof(path), "%s/kolab.db", f->dir);
    if (sqlite3_open(path, &db) != SQLITE_OK) {
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

/* Runs one formatted statement on the file from outside. */
static void raw_exec(const struct fixture *f, const char *fmt, unsigned long long a,
                     unsigned long long b)
{
    char sql[256];
    snprintf(sql, sizeof(sql), fmt, a, b);
    sqlite3 *db = raw_open(f);
    CHECK_EQ_U(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static long long raw_count(const struct fixture *f, const char *sql)
{
    sqlite3 *db = raw_open(f);
    long long v = raw_int(db, sql);
    sqlite3_close(db);
    return v;
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A string of `n` 'x', in a buffer the caller frees. */
static char *filler(size_t n)
{
    char *p = malloc(n + 1);
    memset(p, 'x', n);
    p[n] = '\0';
    return p;
}

/* ---- shortcuts -------------------------------------------------------------- */

static uint64_t request_new(struct fixture *f, uint64_t business, const char *topic)
{
    struct store_mrequest r;
    CHECK_EQ_U(store_mrequest_create(f->s, business, topic, "Need help", &r), STATUS_OK);
    return r.id;
}

static void profile(struct fixture *f, uint64_t mentor, const char *const *topics, size_t n,
                    bool available)
{
    struct store_mentor m;
    CHECK_EQ_U(store_mentor_set(f->s, mentor, topics, n, &available, &m), STATUS_OK);
}

/* A request of `business` offered to and accepted by `mentor`; its room. */
static uint64_t request_active(struct fixture *f, uint64_t business, uint64_t mentor,
                               const char *topic, uint64_t *room)
{
    struct store_mrequest r;
    uint64_t id = request_new(f, business, topic);
    CHECK_EQ_U(store_mrequest_offer(f->s, id, mentor, f->moderator, &r), STATUS_OK);
    CHECK_EQ_U(store_mrequest_accept(f->s, id, mentor, "Pembukuan: ayu", &r), STATUS_OK);
    *room = r.room;
    return id;
}

static uint32_t position_of(struct fixture *f, uint64_t id)
{
    struct store_mrequest r;
    CHECK_EQ_U(store_mrequest_get(f->s, id, &r), STATUS_OK);
    return r.position;
}

static bool is_member(struct fixture *f, uint64_t room, uint64_t user)
{
    bool member = false;
    CHECK_EQ_U(store_member_get(f->s, room, user, &member, NULL), STATUS_OK);
    return member;
}

/* Collects what a request callback is given. */
struct requests {
    int n;
    uint64_t id[32];
    uint32_t position[32];
};

static void on_request(void *ud, const struct store_mrequest *r)
{
    struct requests *v = ud;
    if (v->n < 32) {
        v->id[v->n] = r->id;
        v->position[v->n] = r->position;
    }
    v->n++;
}

/* ---- migrations ------------------------------------------------------------ */

/* Migration step 1 exactly as released; step 2 must build on it. */
static const char schema_v1[] = "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) "
                                "WITHOUT ROWID;"
                                "CREATE TABLE users (id INTEGER PRIMARY KEY,"
                                "  username TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
                                "  role TEXT NOT NULL, password TEXT NOT NULL,"
                                "  created_ts INTEGER NOT NULL);"
                                "CREATE TABLE tokens (hash BLOB PRIMARY KEY,"
                                "  user INTEGER NOT NULL REFERENCES users(id),"
                                "  expires_ts INTEGER NOT NULL) WITHOUT ROWID;"
                                "CREATE INDEX tokens_expiry ON tokens(expires_ts);"
                                "CREATE INDEX tokens_user ON tokens(user);"
                                "CREATE TABLE rooms (id INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
                                "  title TEXT NOT NULL,"
                                "  creator INTEGER NOT NULL REFERENCES users(id),"
                                "  last_seq INTEGER NOT NULL DEFAULT 0,"
                                "  created_ts INTEGER NOT NULL, dm_key TEXT UNIQUE);"
                                "CREATE TABLE members (room INTEGER NOT NULL REFERENCES rooms(id),"
                                "  user INTEGER NOT NULL REFERENCES users(id),"
                                "  last_read INTEGER NOT NULL DEFAULT 0,"
                                "  joined_ts INTEGER NOT NULL, PRIMARY KEY (room, user))"
                                "  WITHOUT ROWID;"
                                "CREATE INDEX members_user ON members(user, room);"
                                "CREATE TABLE messages (room INTEGER NOT NULL REFERENCES rooms(id),"
                                "  seq INTEGER NOT NULL, sender INTEGER NOT NULL,"
                                "  ts INTEGER NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL,"
                                "  client_id TEXT, reply_to INTEGER, edited_ts INTEGER,"
                                "  deleted INTEGER NOT NULL DEFAULT 0,"
                                "  PRIMARY KEY (room, seq), UNIQUE (room, sender, client_id));"
                                "INSERT INTO meta VALUES ('epoch', '0123456789abcdef');"
                                "INSERT INTO users VALUES (1, 'ayu', 'Ni Luh Ayu', 'umkm', 'r', 5);"
                                "INSERT INTO users VALUES (2, 'made', 'Made', 'mentor', 'r', 5);"
                                "INSERT INTO rooms VALUES (1, 'group', 'Old', 1, 1, 6, NULL);"
                                "INSERT INTO members VALUES (1, 1, 1, 6);"
                                "INSERT INTO messages VALUES (1, 1, 1, 7, 'text', 'halo', 'c1',"
                                "  NULL, NULL, 0);"
                                "PRAGMA user_version = 1;";

static void test_migrate_from_v1(void)
{
    struct fixture f;
    fixture_dir(&f);
    CHECK_EQ_U(mkdir(f.dir, 0700), 0);
    sqlite3 *db = raw_open(&f);
    CHECK_EQ_U(sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL), SQLITE_OK);
    CHECK_EQ_U(sqlite3_exec(db, schema_v1, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    bool created = true;
    CHECK_EQ_U(store_open(&f.loop, f.dir, &f.s, &created), STATUS_OK);
    CHECK(!created);
    CHECK_EQ_U(store_schema_version(), 2);
    CHECK_STR(store_epoch(f.s), "0123456789abcdef");
    CHECK_EQ_U(raw_count(&f, "PRAGMA user_version"), 2);
    CHECK_EQ_U(raw_count(&f, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                             "('mentoring_requests', 'mentoring_routes', 'mentors', "
                             "'mentor_topics', 'mentoring_sessions', 'mentoring_notes', "
                             "'mentoring_actions', 'calls')"),
               8);

    /* The old rows are all there and the new tables work with them. */
    struct store_user u;
    CHECK_EQ_U(store_user_by_name(f.s, "ayu", &u, NULL, 0), STATUS_OK);
    CHECK_STR(u.name, "Ni Luh Ayu");
    CHECK(is_member(&f, 1, 1));
    CHECK_EQ_U(raw_count(&f, "SELECT count(*) FROM messages WHERE body = 'halo'"), 1);
    struct store_mrequest r;
    CHECK_EQ_U(store_mrequest_create(f.s, 1, "bookkeeping", "Buku kas", &r), STATUS_OK);
    CHECK_EQ_U(r.business.id, 1);
    struct store_mentor m;
    CHECK_EQ_U(store_mentor_get(f.s, 2, &m), STATUS_OK);
    CHECK(!m.available);
    fixture_stop(&f);
}

static void test_fresh_is_v2_and_reopens(void)
{
    struct fixture f;
    fixture_start(&f);
    CHECK_EQ_U(raw_count(&f, "PRAGMA user_version"), 2);
    uint64_t id = request_new(&f, f.umkm, "export");
    store_close_run(&f, f.s);
    fixture_open(&f);
    struct store_mrequest r;
    CHECK_EQ_U(store_mrequest_get(f.s, id, &r), STATUS_OK);
    CHECK_STR(r.topic, "export");
    fixture_stop(&f);
}

/* ---- requests ---------------------------------------------------------------- */

static void test_status_names(void)
{
    CHECK_STR(store_mstatus_name(MSTATUS_WAITING), "waiting");
    CHECK_STR(store_mstatus_name(MSTATUS_CANCELLED), "cancelled");
    CHECK_STR(store_mstatus_name(MSTATUS_ANY), "");
    CHECK_EQ_U(store_mstatus_bit("active"), MSTATUS_ACTIVE);
    CHECK_EQ_U(store_mstatus_bit("nope"), 0);
    CHECK_EQ_U(store_mstatus_bit(NULL), 0);
}

static void test_create_and_positions(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t before = wall_ms();
    struct store_mrequest r;
    CHECK_EQ_U(store_mrequest_create(f.s, f.umkm, "bookkeeping", "Buku kas", &r), STATUS_OK);
    CHECK(r.id > 0);
    CHECK_EQ_U(r.business.id, f.umkm);
    CHECK_STR(r.business.username, "ayu");
    CHECK_STR(r.business.role, "umkm");
    CHECK_STR(r.topic, "bookkeeping");
    CHECK_STR(r.description, "Buku kas");
    CHECK_EQ_U(r.status, MSTATUS_WAITING);
    CHECK_EQ_U(r.mentor.id, 0);
    CHECK_EQ_U(r.room, 0);
    CHECK_EQ_U(r.position, 1);
    CHECK(r.created_ts >= before && r.created_ts <= wall_ms());
    CHECK_EQ_U(r.queued_ts, r.created_ts);
    CHECK_EQ_U(r.assigned_ts, 0);
    CHECK_EQ_U(r.rating, 0);

    uint64_t b = request_new(&f, f.koperasi, "export");
    uint64_t c = request_new(&f, f.umkm, "haki");
    CHECK_EQ_U(position_of(&f, b), 2);
    CHECK_EQ_U(position_of(&f, c), 3);

    /* Two requests queued in the same millisecond are ordered by id. */
    raw_exec(&f, "UPDATE mentoring_requests SET queued_ts = %llu WHERE id IN (%llu)", 1000, c);
    raw_exec(&f, "UPDATE mentoring_requests SET queued_ts = %llu WHERE id = %llu", 1000, b);
    CHECK_EQ_U(position_of(&f, b), 1);
    CHECK_EQ_U(position_of(&f, c), 2);
    CHECK_EQ_U(position_of(&f, r.id), 3);

    struct requests q = {0};
    CHECK_EQ_U(store_mrequest_queue(f.s, on_request, &q), STATUS_OK);
    CHECK_EQ_U(q.n, 3);
    CHECK_EQ_U(q.id[0], b);
    CHECK_EQ_U(q.id[1], c);
    CHECK_EQ_U(q.id[2], r.id);
    CHECK_EQ_U(q.position[2], 3);

    CHECK_EQ_U(store_mrequest_get(f.s, 9999, &r), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_mrequest_create(f.s, 9999, "export", "x", &r), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_mrequest_create(f.s, f.umkm, "", "x", &r), STATUS_BAD_REQUEST);
    CHECK_EQ_U(store_mrequest_create(f.s, f.umkm, "Export!", "x", &r), STATUS_BAD_REQUEST);
    CHECK_EQ_U(store_mrequest_create(f.s, f.umkm, NULL, "x", &r), STATUS_BAD_REQUEST);
    CHECK_EQ_U(store_mrequest_create(f.s, f.umkm, "export", NULL, &r), STATUS_BAD_REQUEST);
    fixture_stop(&f);
}

static void test_offer_decline_back_in_place(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t a = request_new(&f, f.umkm, "bookkeeping");
    uint64_t b = request_new(&f, f.koperasi, "bookkeeping");
    uint64_t c = request_new(&f, f.umkm, "bookkeeping");

    uint64_t before = wall_ms();
    struct store_mrequest r;
    CHECK_EQ_U(store_mrequest_offer(f.s, a, f.m1, f.moderator, &r), STATUS_OK);
    CHECK_EQ_U(r.status, MSTATUS_OFFERED);
    CHECK_EQ_U(r.mentor.id, f.m1);
    CHECK_STR(r.mentor.username, "made");
    CHECK_EQ_U(r.position, 0);
    CHECK(r.assigned_ts >= before);
    CHECK_EQ_U(r.first_assigned_ts, r.assigned_ts);
    uint64_t first = r.first_assigned_ts;
    CHECK_EQ_U(position_of(&f, b), 1);
    CHECK_EQ_U(position_of(&f, c), 2);

    /* Offering an offered request again moves it; the first offer stays. */
    raw_exec(&f, "UPDATE mentoring_requests SET assigned_ts = %llu WHERE id = %llu", first - 5000,
             a);
    raw_exec(&f, "UPDATE mentoring_requests SET first_assigned_ts = %llu WHERE id = %llu",
             first - 5000, a);
    CHECK_EQ_U(store_mrequest_offer(f.s, a, f.m2, 0, &r), STATUS_OK);
    CHECK_EQ_U(r.mentor.id, f.m2);
    CHECK_EQ_U(r.first_assigned_ts, first - 5000);
    CHECK(r.assigned_ts >= first);

    /* Only the offered mentor declines; then it is back at the front. */
    CHECK_EQ_U(store_mrequest_decline(f.s, a, f.m1, "busy", &r), STATUS_FORBIDDEN);
    CHECK_EQ_U(store_mrequest_decline(f.s, a, f.m2, "Sedang penuh", &r), STATUS_OK);
    CHECK_EQ_U(r.status, MSTATUS_WAITING);
    CHECK_EQ_U(r.mentor.id, 0);
    CHECK_EQ_U(r.position, 1);
    CHECK_STR(r.note, "Sedang penuh");
    CHECK_EQ_U(r.first_assigned_ts, first - 5000);
    CHECK_EQ_U(position_of(&f, b), 2);
    CHECK_EQ_U(position_of(&f, c), 3);
    CHECK_EQ_U(store_mrequest_decline(f.s, a, f.m2, "again", &r), STATUS_CONFLICT);

    /* Every step is in the history. */
    CHECK_EQ_U(raw_count(&f, "SELECT count(*) FROM mentoring_routes WHERE kind = 'offer'"), 2);
    CHECK_EQ_U(raw_count(&f, "SELECT count(*) FROM mentoring_routes WHERE kind = 'decline' "
                             "AND note = 'Sedang penuh' AND actor = mentor"),
               1);
    CHECK_EQ_U(raw_count(&f, "SELECT actor FROM mentoring_routes ORDER BY id LIMIT 1"),
               f.moderator);

    /* Offers go to mentors only, and only from waiting or offered. */
    CHECK_EQ_U(store_mrequest_offer(f.s, a, f.umkm, f.moderator, &r), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_mrequest_offer(f.s, a, 9999, f.moderator, &r), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_mrequest_offer(f.s, 9999, f.m1, f.moderator, &r), STATUS_NOT_FOUND);
    fixture_stop(&f);
}

static void test_pick(void)
{
    struct fixture f;
    fixture_start(&f);
    const char *books[] = {"bookkeeping", "licensing"};
    const char *other[] = {"export"};
    uint64_t id = request_new(&f, f.umkm, "bookkeeping");
    uint64_t mentor = 0;

    /* Nobody is available for the topic yet. */
    CHECK_EQ_U(store_mrequest_pick(f.s, id, "bookkeeping", &mentor), STATUS_NOT_FOUND);
    profile(&f, f.m1, books, 2, false);
    profile(&f, f.m3, other, 1, true);
    CHECK_EQ_U(store_mrequest_pick(f.s, id, "bookkeeping", &mentor), STATUS_NOT_FOUND);

    /* A tie is broken by the lower id. */
    profile(&f, f.m1, books, 2, true);
    profile(&f, f.m2, books, 1, true);
    CHECK_EQ_U(store_mrequest_pick(f.s, id, "bookkeeping", &mentor), STATUS_OK);
    CHECK_EQ_U(mentor, f.m1);

    /* Load decides first: m1 holds one, so m2 is picked. */
    struct store_mrequest r;
    uint64_t held = request_new(&f, f.koperasi, "licensing");
    CHECK_EQ_U(store_mrequest_offer(f.s, held, f.m1, 0, &r), STATUS_OK);
    CHECK_EQ_U(store_mrequest_pick(f.s, id, "bookkeeping", &mentor), STATUS_OK);
    CHECK_EQ_U(mentor, f.m2);

    /* A cancelled request no longer counts, so it is a tie again. */
    CHECK_EQ_U(store_mrequest_cancel(f.s, held, f.koperasi, &r), STATUS_OK);
    CHECK_EQ_U(store_mrequest_pick(f.s, id, "bookkeeping", &mentor), STATUS_OK);
    CHECK_EQ_U(mentor, f.m1);

    /* Whoever declined this request is never picked for it again. */
    CHECK_EQ_U(store_mrequest_offer(f.s, id, f.m1, 0, &r), STATUS_OK);
    CHECK_EQ_U(store_mrequest_decline(f.s, id, f.m1, "no time", &r), STATUS_OK);
    CHECK_EQ_U(store_mrequest_pick(f.s, id, "bookkeeping", &mentor), STATUS_OK);
    CHECK_EQ_U(mentor, f.m2);
    CHECK_EQ_U(store_mrequest_offer(f.s, id, f.m2, 0, &r), STATUS_OK);
    CHECK_EQ_U(store_mrequest_decline(f.s, id, f.m2, "no time", &r), STATUS_OK);
    CHECK_EQ_U(store_mrequest_pick(f.s, id, "bookkeeping", &mentor), STATUS_NOT_FOUND);

    /* But for another request m1 is still the pick. */
    uint64_t fresh = request_new(&f, f.koperasi, "bookkeeping");
    CHECK_EQ_U(store_mrequest_pick(f.s, fresh, "bookkeeping", &mentor), STATUS_OK);
    CHECK_EQ_U(mentor, f.m1);

    /* A moderator may still offer it to a decliner by name. */
    CHECK_EQ_U(store_mrequest_offer(f.s, id, f.m1, f.moderator, &r), STATUS_OK);
    fixture_stop(&f);
}

static void test_accept_makes_room(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t id = request_new(&f, f.umkm, "bookkeeping");
    struct store_mrequest r;

    /* Nobody can accept a waiting request. */
    CHECK_EQ_U(store_mrequest_accept(f.s, id, f.m1, "t", &r), STATUS_CONFLICT);
    CHECK_EQ_U(store_mrequest_offer(f.s, id, f.m1, f.moderator, &r), STATUS_OK);
    CHECK_EQ_U(store_mrequest_accept(f.s, id, f.m2, "t", &r), STATUS_FORBIDDEN);
    CHECK_EQ_U(store_mrequest_accept(f.s, 9999, f.m1, "t", &r), STATUS_NOT_FOUND);
    char *long_title = filler(STORE_TITLE_MAX + 1);
    CHECK_EQ_U(store_mrequest_accept(f.s, id, f.m1, long_title, &r), STATUS_TOO_LARGE);
    free(long_title);
    CHECK_EQ_U(raw_count(&f, "SELECT count(*) FROM rooms"), 0);

    uint64_t before = wall_ms();
    CHECK_EQ_U(store_mrequest_accept(f.s, id, f.m1, "Pembukuan: Ni Luh Ayu", &r), STATUS_OK);
    CHECK_EQ_U(r.status, MSTATUS_ACTIVE);
    CHECK(r.room != 0);
    CHECK(r.accepted_ts >= before);
    CHECK_EQ_U(r.mentor.id, f.m1);

    struct store_room room;
    CHECK_EQ_U(store_room_get(f.s, r.room, &room), STATUS_OK);
    CHECK_STR(room.kind, "mentoring");
    CHECK_STR(room.title, "Pembukuan: Ni Luh Ayu");
    CHECK_EQ_U(room.creator, f.umkm);
    CHECK(is_member(&f, r.room, f.umkm));
    CHECK(is_member(&f, r.room, f.m1));
    CHECK_EQ_U(raw_count(&f, "SELECT count(*) FROM members"), 2);

    struct store_mrequest by_room;
    CHECK_EQ_U(store_mrequest_by_room(f.s, r.room, &by_room), STATUS_OK);
    CHECK_EQ_U(by_room.id, id);
    CHECK_EQ_U(store_mrequest_by_room(f.s, 9999, &by_room), STATUS_NOT_FOUND);

    /* Accepting twice, declining or offering an active one: conflicts. */
    CHECK_EQ_U(store_mrequest_accept(f.s, id, f.m1, "t", &r), STATUS_CONFLICT);
    CHECK_EQ_U(store_mrequest_decline(f.s, id, f.m1, "late", &r), STATUS_CONFLICT);
    CHECK_EQ_U(store_mrequest_offer(f.s, id, f.m2, f.moderator, &r), STATUS_CONFLICT);
    CHECK_EQ_U(store_mrequest_cancel(f.s, id, f.umkm, &r), STATUS_CONFLICT);
    CHECK_EQ_U(raw_count(&f, "SELECT count(*) FROM rooms"), 1);
    fixture_stop(&f);
}

static void test_transfer(void)
{
    struct fixture f;
    fixture_start(&f);
    struct store_mrequest r;
    uint64_t from = 0;
    uint64_t id = request_new(&f, f.umkm, "export");

    /* Not while waiting. */
    CHECK_EQ_U(store_mrequest_transfer(f.s, id, f.moderator, f.m2, "n", &from, &r),
               STATUS_CONFLICT);

    /* While offered: the offer moves, and counts as a new one. */
    CHECK_EQ_U(store_mrequest_offer(f.s, id, f.m1, f.moderator, &r), STATUS_OK);
    raw_exec(&f, "UPDATE mentoring_requests SET assigned_ts = %llu WHERE id = %llu", 1000, id);
    CHECK_EQ_U(store_mrequest_transfer(f.s, id, f.m1, f.m2, "Lebih cocok", &from, &r), STATUS_OK);
    CHECK_EQ_U(from, f.m1);
    CHECK_EQ_U(r.status, MSTATUS_OFFERED);
    CHECK_EQ_U(r.mentor.id, f.m2);
    CHECK_STR(r.note, "Lebih cocok");
    CHECK(r.assigned_ts > 1000);

    /* Who may not: the old mentor now, a business, a stranger mentor. */
    CHECK_EQ_U(store_mrequest_transfer(f.s, id, f.m1, f.m3, "n", &from, &r), STATUS_FORBIDDEN);
    CHECK_EQ_U(store_mrequest_transfer(f.s, id, f.umkm, f.m3, "n", &from, &r), STATUS_FORBIDDEN);
    CHECK_EQ_U(store_mrequest_transfer(f.s, id, 9999, f.m3, "n", &from, &r), STATUS_FORBIDDEN);
    /* To whom not: a non-mentor, nobody, the current mentor. */
    CHECK_EQ_U(store_mrequest_transfer(f.s, id, f.m2, f.koperasi, "n", &from, &r),
               STATUS_NOT_FOUND);
    CHECK_EQ_U(store_mrequest_transfer(f.s, id, f.m2, 9999, "n", &from, &r), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_mrequest_transfer(f.s, id, f.m2, f.m2, "n", &from, &r), STATUS_CONFLICT);
    CHECK_EQ_U(store_mrequest_transfer(f.s, 9999, f.m2, f.m3, "n", &from, &r), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_mrequest_transfer(f.s, id, f.m2, f.m3, NULL, &from, &r), STATUS_BAD_REQUEST);

    /* While active: membership moves in the same call. */
    CHECK_EQ_U(store_mrequest_accept(f.s, id, f.m2, "Ekspor: ayu", &r), STATUS_OK);
    uint64_t room = r.room;
    uint64_t assigned = r.assigned_ts;
    CHECK_EQ_U(store_mrequest_transfer(f.s, id, f.moderator, f.m3, "Cuti", &from, &r), STATUS_OK);
    CHECK_EQ_U(from, f.m2);
    CHECK_EQ_U(r.status, MSTATUS_ACTIVE);
    CHECK_EQ_U(r.mentor.id, f.m3);
    CHECK_EQ_U(r.room, room);
    CHECK_EQ_U(r.assigned_ts, assigned);
    CHECK(!is_member(&f, room, f.m2));
    CHECK(is_member(&f, room, f.m3));
    CHECK(is_member(&f, room, f.umkm));

    /* An admin may too; and the new mentor may pass it on. */
    CHECK_EQ_U(store_mrequest_transfer(f.s, id, f.admin, f.m1, "n", &from, &r), STATUS_OK);
    CHECK_EQ_U(from, f.m3);
    CHECK_EQ_U(store_mrequest_transfer(f.s, id, f.m1, f.m2, "n", &from, &r), STATUS_OK);
    CHECK(is_member(&f, room, f.m2));
    CHECK(!is_member(&f, room, f.m1));
    CHECK(!is_member(&f, room, f.m3));
    CHECK_EQ_U(raw_count(&f, "SELECT count(*) FROM mentoring_routes WHERE kind = 'transfer'"), 4);

    /* Closed: no more transfers. */
    CHECK_EQ_U(store_mrequest_close(f.s, id, f.umkm, 5, "", &r), STATUS_OK);
    CHECK_EQ_U(store_mrequest_transfer(f.s, id, f.moderator, f.m1, "n", &from, &r),
               STATUS_CONFLICT);
    fixture_stop(&f);
}

static void test_cancel_and_close(void)
{
    struct fixture f;
    fixture_start(&f);
    struct store_mrequest r;

    /* Cancel: only its business, only while waiting or offered. */
    uint64_t a = request_new(&f, f.umkm, "haki");
    CHECK_EQ_U(store_mrequest_cancel(f.s, a, f.koperasi, &r), STATUS_FORBIDDEN);
    CHECK_EQ_U(store_mrequest_cancel(f.s, 9999, f.umkm, &r), STATUS_NOT_FOUND);
    uint64_t before = wall_ms();
    CHECK_EQ_U(store_mrequest_cancel(f.s, a, f.umkm, &r), STATUS_OK);
    CHECK_EQ_U(r.status, MSTATUS_CANCELLED);
    CHECK_EQ_U(r.position, 0);
    CHECK(r.closed_ts >= before);
    CHECK_EQ_U(store_mrequest_cancel(f.s, a, f.umkm, &r), STATUS_CONFLICT);
    CHECK_EQ_U(store_mrequest_offer(f.s, a, f.m1, f.moderator, &r), STATUS_CONFLICT);

    /* Cancelled while offered: the mentor is kept, the load is not. */
    uint64_t b = request_new(&f, f.umkm, "haki");
    CHECK_EQ_U(store_mrequest_offer(f.s, b, f.m1, f.moderator, &r), STATUS_OK);
    CHECK_EQ_U(store_mrequest_cancel(f.s, b, f.umkm, &r), STATUS_OK);
    CHECK_EQ_U(r.mentor.id, f.m1);
    struct store_mentor m;
    CHECK_EQ_U(store_mentor_get(f.s, f.m1, &m), STATUS_OK);
    CHECK_EQ_U(m.load, 0);
    CHECK_EQ_U(store_mrequest_accept(f.s, b, f.m1, "t", &r), STATUS_CONFLICT);

    /* Close: only its business, only while active, rating 1-5. */
    uint64_t room = 0;
    uint64_t c = request_active(&f, f.umkm, f.m1, "haki", &room);
    CHECK_EQ_U(store_mrequest_close(f.s, c, f.koperasi, 4, "", &r), STATUS_FORBIDDEN);
    CHECK_EQ_U(store_mrequest_close(f.s, c, f.umkm, 0, "", &r), STATUS_BAD_REQUEST);
    CHECK_EQ_U(store_mrequest_close(f.s, c, f.umkm, 6, "", &r), STATUS_BAD_REQUEST);
    CHECK_EQ_U(store_mrequest_close(f.s, 9999, f.umkm, 4, "", &r), STATUS_NOT_FOUND);
    uint64_t waiting = request_new(&f, f.umkm, "haki");
    CHECK_EQ_U(store_mrequest_close(f.s, waiting, f.umkm, 4, "", &r), STATUS_CONFLICT);
    CHECK_EQ_U(store_mrequest_close(f.s, c, f.umkm, 4, "Sangat membantu", &r), STATUS_OK);
    CHECK_EQ_U(r.status, MSTATUS_CLOSED);
    CHECK_EQ_U(r.rating, 4);
    CHECK_STR(r.comment, "Sangat membantu");
    CHECK(r.closed_ts >= r.accepted_ts);
    CHECK_EQ_U(r.room, room);
    CHECK_EQ_U(r.mentor.id, f.m1);
    CHECK_EQ_U(store_mrequest_close(f.s, c, f.umkm, 5, "", &r), STATUS_CONFLICT);
    CHECK_EQ_U(store_mrequest_cancel(f.s, c, f.umkm, &r), STATUS_CONFLICT);

    /* A missing comment is an empty one. */
    uint64_t d = request_active(&f, f.umkm, f.m2, "haki", &room);
    CHECK_EQ_U(store_mrequest_close(f.s, d, f.umkm, 3, NULL, &r), STATUS_OK);
    CHECK_STR(r.comment, "");
    fixture_stop(&f);
}

static void test_lists(void)
{
    struct fixture f;
    fixture_start(&f);
    struct store_mrequest r;
    uint64_t a = request_new(&f, f.umkm, "export");
    uint64_t b = request_new(&f, f.koperasi, "export");
    uint64_t c = request_new(&f, f.umkm, "export");
    CHECK_EQ_U(store_mrequest_offer(f.s, b, f.m1, 0, &r), STATUS_OK);
    CHECK_EQ_U(store_mrequest_offer(f.s, c, f.m1, 0, &r), STATUS_OK);
    CHECK_EQ_U(store_mrequest_accept(f.s, c, f.m1, "t", &r), STATUS_OK);

    struct requests v = {0};
    CHECK_EQ_U(store_mrequest_list(f.s, MSTATUS_ANY, 0, 0, 200, on_request, &v), STATUS_OK);
    CHECK_EQ_U(v.n, 3);
    CHECK_EQ_U(v.id[0], c);
    CHECK_EQ_U(v.id[2], a);
    CHECK_EQ_U(v.position[2], 1);

    v = (struct requests){0};
    CHECK_EQ_U(store_mrequest_list(f.s, MSTATUS_ANY, f.umkm, 0, 200, on_request, &v), STATUS_OK);
    CHECK_EQ_U(v.n, 2);
    CHECK_EQ_U(v.id[0], c);
    CHECK_EQ_U(v.id[1], a);

    v = (struct requests){0};
    CHECK_EQ_U(
        store_mrequest_list(f.s, MSTATUS_OFFERED | MSTATUS_ACTIVE, 0, f.m1, 200, on_request, &v),
        STATUS_OK);
    CHECK_EQ_U(v.n, 2);
    CHECK_EQ_U(v.id[0], c);
    CHECK_EQ_U(v.id[1], b);

    v = (struct requests){0};
    CHECK_EQ_U(store_mrequest_list(f.s, MSTATUS_ACTIVE, f.umkm, f.m1, 200, on_request, &v),
               STATUS_OK);
    CHECK_EQ_U(v.n, 1);
    CHECK_EQ_U(v.id[0], c);

    v = (struct requests){0};
    CHECK_EQ_U(store_mrequest_list(f.s, MSTATUS_WAITING, 0, 0, 200, on_request, &v), STATUS_OK);
    CHECK_EQ_U(v.n, 1);
    CHECK_EQ_U(v.id[0], a);

    v = (struct requests){0};
    CHECK_EQ_U(store_mrequest_list(f.s, MSTATUS_ANY, 0, 0, 2, on_request, &v), STATUS_OK);
    CHECK_EQ_U(v.n, 2);
    v = (struct requests){0};
    CHECK_EQ_U(store_mrequest_list(f.s, MSTATUS_CLOSED, 0, 0, 200, on_request, &v), STATUS_OK);
    CHECK_EQ_U(v.n, 0);
    fixture_stop(&f);
}

/* The queue's callback may offer what it is given, as auto-assign does. */
struct walker {
    struct store *s;
    uint64_t mentor;
    int seen;
    enum status st;
};

static void offer_each(void *ud, const struct store_mrequest *r)
{
    struct walker *w = ud;
    struct store_mrequest out;
    w->seen++;
    if (r->status != MSTATUS_WAITING || r->position != 1) {
        w->st = STATUS_INTERNAL;
        return;
    }
    enum status st = store_mrequest_offer(w->s, r->id, w->mentor, 0, &out);
    if (st != STATUS_OK) {
        w->st = st;
    }
}

static void test_queue_walk_writes(void)
{
    struct fixture f;
    fixture_start(&f);
    for (int i = 0; i < 5; i++) {
        request_new(&f, f.umkm, "export");
    }
    struct walker w = {f.s, f.m1, 0, STATUS_OK};
    CHECK_EQ_U(store_mrequest_queue(f.s, offer_each, &w), STATUS_OK);
    CHECK_EQ_U(w.seen, 5);
    CHECK_EQ_U(w.st, STATUS_OK);
    struct store_mentor m;
    CHECK_EQ_U(store_mentor_get(f.s, f.m1, &m), STATUS_OK);
    CHECK_EQ_U(m.load, 5);
    struct requests q = {0};
    CHECK_EQ_U(store_mrequest_queue(f.s, on_request, &q), STATUS_OK);
    CHECK_EQ_U(q.n, 0);
    fixture_stop(&f);
}

/* Two stores on one file, as two processes: one offer, two accepts. */
static void test_two_processes_one_winner(void)
{
    struct fixture f;
    fixture_start(&f);
    struct store *other = NULL;
    CHECK_EQ_U(store_open(&f.loop, f.dir, &other, NULL), STATUS_OK);

    struct store_mrequest r;
    uint64_t id = request_new(&f, f.umkm, "export");
    CHECK_EQ_U(store_mrequest_offer(f.s, id, f.m1, 0, &r), STATUS_OK);
    CHECK_EQ_U(store_mrequest_accept(f.s, id, f.m1, "t", &r), STATUS_OK);
    CHECK_EQ_U(store_mrequest_accept(other, id, f.m1, "t", &r), STATUS_CONFLICT);
    CHECK_EQ_U(raw_count(&f, "SELECT count(*) FROM rooms"), 1);

    struct store_call c;
    CHECK_EQ_U(store_call_start(other, r.room, f.umkm, &c), STATUS_OK);
    uint64_t call = c.id;
    CHECK_EQ_U(store_call_start(f.s, r.room, f.m1, &c), STATUS_CONFLICT);
    CHECK_EQ_U(store_call_end(f.s, call, "missed", &c), STATUS_OK);
    CHECK_EQ_U(store_call_end(other, call, "missed", &c), STATUS_CONFLICT);

    store_close_run(&f, other);
    fixture_stop(&f);
}

static void test_too_large(void)
{
    struct fixture f;
    fixture_start(&f);
    struct store_mrequest r;
    char *desc = filler(STORE_DESCRIPTION_MAX + 1);
    char *reason = filler(STORE_REASON_MAX + 1);
    char *comment = filler(STORE_COMMENT_MAX + 1);
    char *topic = filler(STORE_TOPIC_MAX + 1);
    uint64_t from = 0;

    CHECK_EQ_U(store_mrequest_create(f.s, f.umkm, "export", desc, &r), STATUS_TOO_LARGE);
    CHECK_EQ_U(store_mrequest_create(f.s, f.umkm, topic, "x", &r), STATUS_TOO_LARGE);
    desc[STORE_DESCRIPTION_MAX] = '\0';
    CHECK_EQ_U(store_mrequest_create(f.s, f.umkm, "export", desc, &r), STATUS_OK);
    CHECK_EQ_U(strlen(r.description), STORE_DESCRIPTION_MAX);
    CHECK_EQ_U(store_mrequest_offer(f.s, r.id, f.m1, 0, &r), STATUS_OK);
    CHECK_EQ_U(store_mrequest_decline(f.s, r.id, f.m1, reason, &r), STATUS_TOO_LARGE);
    CHECK_EQ_U(store_mrequest_transfer(f.s, r.id, f.m1, f.m2, reason, &from, &r), STATUS_TOO_LARGE);
    reason[STORE_REASON_MAX] = '\0';
    CHECK_EQ_U(store_mrequest_transfer(f.s, r.id, f.m1, f.m2, reason, &from, &r), STATUS_OK);
    CHECK_EQ_U(strlen(r.note), STORE_REASON_MAX);
    CHECK_EQ_U(store_mrequest_accept(f.s, r.id, f.m2, "t", &r), STATUS_OK);
    CHECK_EQ_U(store_mrequest_close(f.s, r.id, f.umkm, 5, comment, &r), STATUS_TOO_LARGE);
    comment[STORE_COMMENT_MAX] = '\0';
    CHECK_EQ_U(store_mrequest_close(f.s, r.id, f.umkm, 5, comment, &r), STATUS_OK);
    CHECK_EQ_U(strlen(r.comment), STORE_COMMENT_MAX);
    CHECK_EQ_U(store_mrequest_pick(f.s, r.id, topic, &from), STATUS_TOO_LARGE);
    free(desc);
    free(reason);
    free(comment);
    free(topic);
    fixture_stop(&f);
}

/* ---- mentors, settings, roles --------------------------------------------- */

struct mentors_seen {
    int n;
    uint64_t id[8];
    uint32_t load[8];
};

static void on_mentor(void *ud, const struct store_mentor *m)
{
    struct mentors_seen *v = ud;
    if (v->n < 8) {
        v->id[v->n] = m->user.id;
        v->load[v->n] = m->load;
    }
    v->n++;
}

static void test_mentor_profiles(void)
{
    struct fixture f;
    fixture_start(&f);
    struct store_mentor m;

    /* A mentor without a profile: unavailable, no topics. */
    CHECK_EQ_U(store_mentor_get(f.s, f.m1, &m), STATUS_OK);
    CHECK_EQ_U(m.user.id, f.m1);
    CHECK_STR(m.user.role, "mentor");
    CHECK(!m.available);
    CHECK_EQ_U(m.topic_count, 0);
    CHECK_EQ_U(m.load, 0);
    CHECK_EQ_U(store_mentor_get(f.s, f.umkm, &m), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_mentor_get(f.s, 9999, &m), STATUS_NOT_FOUND);
    bool yes = true;
    CHECK_EQ_U(store_mentor_set(f.s, f.umkm, NULL, 0, &yes, &m), STATUS_NOT_FOUND);

    /* Topics come back sorted, repeats once. */
    const char *topics[] = {"packaging", "digital_marketing", "export", "packaging"};
    CHECK_EQ_U(store_mentor_set(f.s, f.m1, topics, 4, NULL, &m), STATUS_OK);
    CHECK(!m.available);
    CHECK_EQ_U(m.topic_count, 3);
    CHECK_STR(m.topics[0], "digital_marketing");
    CHECK_STR(m.topics[1], "export");
    CHECK_STR(m.topics[2], "packaging");

    /* Availability alone keeps the topics; topics alone keep availability. */
    CHECK_EQ_U(store_mentor_set(f.s, f.m1, NULL, 0, &yes, &m), STATUS_OK);
    CHECK(m.available);
    CHECK_EQ_U(m.topic_count, 3);
    const char *one[] = {"haki"};
    CHECK_EQ_U(store_mentor_set(f.s, f.m1, one, 1, NULL, &m), STATUS_OK);
    CHECK(m.available);
    CHECK_EQ_U(m.topic_count, 1);
    CHECK_STR(m.topics[0], "haki");
    CHECK_EQ_U(store_mentor_set(f.s, f.m1, one, 0, NULL, &m), STATUS_OK);
    CHECK_EQ_U(m.topic_count, 0);

    /* Refusals change nothing. */
    const char *all[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    CHECK_EQ_U(store_mentor_set(f.s, f.m1, all, 8, NULL, &m), STATUS_TOO_LARGE);
    CHECK_EQ_U(store_mentor_set(f.s, f.m1, all, 7, NULL, &m), STATUS_OK);
    CHECK_EQ_U(m.topic_count, 7);
    const char *bad[] = {"export", "a,b"};
    CHECK_EQ_U(store_mentor_set(f.s, f.m1, bad, 2, NULL, &m), STATUS_BAD_REQUEST);
    const char *null_topic[] = {NULL};
    CHECK_EQ_U(store_mentor_set(f.s, f.m1, null_topic, 1, NULL, &m), STATUS_BAD_REQUEST);
    CHECK_EQ_U(store_mentor_get(f.s, f.m1, &m), STATUS_OK);
    CHECK_EQ_U(m.topic_count, 7);

    /* The list is by name (komang, made, nyoman); load is counted. */
    const char *ex[] = {"export"};
    profile(&f, f.m2, ex, 1, true);
    profile(&f, f.m1, ex, 1, false);
    struct store_mrequest r;
    uint64_t id = request_new(&f, f.umkm, "export");
    CHECK_EQ_U(store_mrequest_offer(f.s, id, f.m2, 0, &r), STATUS_OK);
    struct mentors_seen v = {0};
    CHECK_EQ_U(store_mentors(f.s, NULL, on_mentor, &v), STATUS_OK);
    CHECK_EQ_U(v.n, 3);
    CHECK_EQ_U(v.id[0], f.m3);
    CHECK_EQ_U(v.id[1], f.m1);
    CHECK_EQ_U(v.id[2], f.m2);
    CHECK_EQ_U(v.load[2], 1);
    v = (struct mentors_seen){0};
    CHECK_EQ_U(store_mentors(f.s, "export", on_mentor, &v), STATUS_OK);
    CHECK_EQ_U(v.n, 2);
    CHECK_EQ_U(v.id[0], f.m1);
    CHECK_EQ_U(v.id[1], f.m2);
    v = (struct mentors_seen){0};
    CHECK_EQ_U(store_mentors(f.s, "haki", on_mentor, &v), STATUS_OK);
    CHECK_EQ_U(v.n, 0);
    fixture_stop(&f);
}

static void test_settings(void)
{
    struct fixture f;
    fixture_start(&f);
    bool on = true;
    CHECK_EQ_U(store_setting_get_bool(f.s, "auto_assign", false, &on), STATUS_OK);
    CHECK(!on);
    CHECK_EQ_U(store_setting_get_bool(f.s, "auto_assign", true, &on), STATUS_OK);
    CHECK(on);
    CHECK_EQ_U(store_setting_put_bool(f.s, "auto_assign", true), STATUS_OK);
    CHECK_EQ_U(store_setting_get_bool(f.s, "auto_assign", false, &on), STATUS_OK);
    CHECK(on);
    CHECK_EQ_U(store_setting_put_bool(f.s, "auto_assign", false), STATUS_OK);
    CHECK_EQ_U(store_setting_get_bool(f.s, "auto_assign", true, &on), STATUS_OK);
    CHECK(!on);

    /* Settings never touch the epoch, and survive a reopen. */
    CHECK_EQ_U(store_setting_put_bool(f.s, "epoch", true), STATUS_OK);
    char epoch[STORE_EPOCH_LEN + 1];
    snprintf(epoch, sizeof(epoch), "%s", store_epoch(f.s));
    store_close_run(&f, f.s);
    fixture_open(&f);
    CHECK_STR(store_epoch(f.s), epoch);
    CHECK_EQ_U(store_setting_get_bool(f.s, "epoch", false, &on), STATUS_OK);
    CHECK(on);

    char *key = filler(65);
    CHECK_EQ_U(store_setting_put_bool(f.s, key, true), STATUS_TOO_LARGE);
    CHECK_EQ_U(store_setting_put_bool(f.s, "", true), STATUS_BAD_REQUEST);
    free(key);
    fixture_stop(&f);
}

static void test_users_by_role(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t ids[8];
    size_t n = 0;
    const char *staff[] = {"moderator", "admin", NULL};
    CHECK_EQ_U(store_users_by_role(f.s, staff, ids, 8, &n), STATUS_OK);
    CHECK_EQ_U(n, 2);
    CHECK_EQ_U(ids[0], f.moderator);
    CHECK_EQ_U(ids[1], f.admin);

    const char *mentors[] = {"mentor", NULL};
    CHECK_EQ_U(store_users_by_role(f.s, mentors, ids, 2, &n), STATUS_OK);
    CHECK_EQ_U(n, 2);
    CHECK_EQ_U(ids[0], f.m1);
    CHECK_EQ_U(ids[1], f.m2);
    const char *none[] = {NULL};
    CHECK_EQ_U(store_users_by_role(f.s, none, ids, 8, &n), STATUS_OK);
    CHECK_EQ_U(n, 0);
    fixture_stop(&f);
}

/* ---- sessions, notes, actions --------------------------------------------- */

struct sessions_seen {
    int n;
    uint64_t id[40];
};

static void on_session(void *ud, const struct store_msession *v)
{
    struct sessions_seen *seen = ud;
    if (seen->n < 40) {
        seen->id[seen->n] = v->id;
    }
    seen->n++;
}

static void test_sessions(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t room = 0;
    uint64_t req = request_active(&f, f.umkm, f.m1, "export", &room);
    uint64_t start = wall_ms() + 3600 * 1000;
    struct store_msession v;

    CHECK_EQ_U(store_msession_add(f.s, req, room, f.m1, start, 60, "Rencana ekspor", &v),
               STATUS_OK);
    CHECK(v.id > 0);
    CHECK_EQ_U(v.room, room);
    CHECK_EQ_U(v.request, req);
    CHECK_EQ_U(v.starts_ts, start);
    CHECK_EQ_U(v.duration_min, 60);
    CHECK_STR(v.agenda, "Rencana ekspor");
    CHECK(!v.cancelled);
    CHECK_EQ_U(v.created_by, f.m1);
    CHECK_EQ_U(v.updated_ts, v.created_ts);
    uint64_t later = v.id;
    CHECK_EQ_U(store_msession_add(f.s, req, room, f.umkm, start - 60000, 30, "Awal", &v),
               STATUS_OK);
    uint64_t earlier = v.id;

    struct sessions_seen seen = {0};
    CHECK_EQ_U(store_msessions(f.s, room, on_session, &seen), STATUS_OK);
    CHECK_EQ_U(seen.n, 2);
    CHECK_EQ_U(seen.id[0], earlier);
    CHECK_EQ_U(seen.id[1], later);

    /* Partial updates keep the other fields. */
    CHECK_EQ_U(store_msession_update(f.s, later, 0, 90, NULL, &v), STATUS_OK);
    CHECK_EQ_U(v.starts_ts, start);
    CHECK_EQ_U(v.duration_min, 90);
    CHECK_STR(v.agenda, "Rencana ekspor");
    CHECK_EQ_U(store_msession_update(f.s, later, start + 1000, 0, "Baru", &v), STATUS_OK);
    CHECK_EQ_U(v.starts_ts, start + 1000);
    CHECK_EQ_U(v.duration_min, 90);
    CHECK_STR(v.agenda, "Baru");
    CHECK_EQ_U(store_msession_get(f.s, later, &v), STATUS_OK);
    CHECK_STR(v.agenda, "Baru");

    /* Cancel once; a cancelled session cannot change. */
    CHECK_EQ_U(store_msession_cancel(f.s, earlier, &v), STATUS_OK);
    CHECK(v.cancelled);
    CHECK_EQ_U(store_msession_cancel(f.s, earlier, &v), STATUS_CONFLICT);
    CHECK_EQ_U(store_msession_update(f.s, earlier, start, 0, NULL, &v), STATUS_CONFLICT);
    CHECK_EQ_U(store_msession_cancel(f.s, 9999, &v), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_msession_update(f.s, 9999, start, 0, NULL, &v), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_msession_get(f.s, 9999, &v), STATUS_NOT_FOUND);

    /* Refusals: wrong room, unknown request, bad values. */
    CHECK_EQ_U(store_msession_add(f.s, req, room + 1, f.m1, start, 60, "a", &v), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_msession_add(f.s, 9999, room, f.m1, start, 60, "a", &v), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_msession_add(f.s, req, room, f.m1, start, 0, "a", &v), STATUS_BAD_REQUEST);
    CHECK_EQ_U(store_msession_add(f.s, req, room, f.m1, start, 24 * 60 + 1, "a", &v),
               STATUS_BAD_REQUEST);
    CHECK_EQ_U(store_msession_update(f.s, later, 0, 24 * 60 + 1, NULL, &v), STATUS_BAD_REQUEST);
    CHECK_EQ_U(store_msession_add(f.s, req, room, f.m1, start, 60, NULL, &v), STATUS_BAD_REQUEST);
    char *agenda = filler(STORE_AGENDA_MAX + 1);
    CHECK_EQ_U(store_msession_add(f.s, req, room, f.m1, start, 60, agenda, &v), STATUS_TOO_LARGE);
    CHECK_EQ_U(store_msession_update(f.s, later, 0, 0, agenda, &v), STATUS_TOO_LARGE);
    free(agenda);

    /* A request not active yet has no sessions. */
    struct store_mrequest r;
    uint64_t waiting = request_new(&f, f.koperasi, "export");
    CHECK_EQ_U(store_msession_add(f.s, waiting, 0, f.m1, start, 60, "a", &v), STATUS_CONFLICT);

    /* After close: nothing changes any more. */
    CHECK_EQ_U(store_mrequest_close(f.s, req, f.umkm, 5, "", &r), STATUS_OK);
    CHECK_EQ_U(store_msession_add(f.s, req, room, f.m1, start, 60, "a", &v), STATUS_CONFLICT);
    CHECK_EQ_U(store_msession_update(f.s, later, start, 0, NULL, &v), STATUS_CONFLICT);
    CHECK_EQ_U(store_msession_cancel(f.s, later, &v), STATUS_CONFLICT);
    CHECK_EQ_U(raw_count(&f, "SELECT count(*) FROM mentoring_sessions"), 2);
    fixture_stop(&f);
}

static void test_reminders(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t room = 0;
    uint64_t req = request_active(&f, f.umkm, f.m1, "export", &room);
    uint64_t now = wall_ms();
    uint64_t lead = 15 * 60000;
    struct store_msession v;

    CHECK_EQ_U(store_msession_add(f.s, req, room, f.m1, now + 10 * 60000, 60, "soon", &v),
               STATUS_OK);
    uint64_t soon = v.id;
    CHECK_EQ_U(store_msession_add(f.s, req, room, f.m1, now + 30 * 60000, 60, "later", &v),
               STATUS_OK);
    uint64_t later = v.id;
    CHECK_EQ_U(store_msession_add(f.s, req, room, f.m1, now - 5 * 60000, 60, "running", &v),
               STATUS_OK);
    uint64_t running = v.id;
    CHECK_EQ_U(store_msession_add(f.s, req, room, f.m1, now - 120 * 60000, 30, "over", &v),
               STATUS_OK);
    CHECK_EQ_U(store_msession_add(f.s, req, room, f.m1, now + 60000, 30, "off", &v), STATUS_OK);
    CHECK_EQ_U(store_msession_cancel(f.s, v.id, &v), STATUS_OK);

    /* Due: starting within the lead or running; not later, ended, cancelled. */
    struct sessions_seen seen = {0};
    CHECK_EQ_U(store_msession_claim_reminders(f.s, now, lead, on_session, &seen), STATUS_OK);
    CHECK_EQ_U(seen.n, 2);
    CHECK((seen.id[0] == soon && seen.id[1] == running) ||
          (seen.id[0] == running && seen.id[1] == soon));

    /* Claimed once: never again, from this store or another one. */
    struct store *other = NULL;
    CHECK_EQ_U(store_open(&f.loop, f.dir, &other, NULL), STATUS_OK);
    seen = (struct sessions_seen){0};
    CHECK_EQ_U(store_msession_claim_reminders(f.s, now, lead, on_session, &seen), STATUS_OK);
    CHECK_EQ_U(store_msession_claim_reminders(other, now, lead, on_session, &seen), STATUS_OK);
    CHECK_EQ_U(seen.n, 0);

    /* Rescheduling clears the reminder; moving into the lead makes it due. */
    CHECK_EQ_U(store_msession_update(f.s, soon, now + 5 * 60000, 0, NULL, &v), STATUS_OK);
    CHECK_EQ_U(store_msession_update(f.s, later, now + 14 * 60000, 0, NULL, &v), STATUS_OK);
    CHECK_EQ_U(store_msession_claim_reminders(other, now, lead, on_session, &seen), STATUS_OK);
    CHECK_EQ_U(seen.n, 2);
    CHECK_EQ_U(store_msession_claim_reminders(f.s, now, lead, on_session, &seen), STATUS_OK);
    CHECK_EQ_U(seen.n, 2);
    store_close_run(&f, other);

    /* More than one batch is all claimed in one call. */
    for (int i = 0; i < 40; i++) {
        CHECK_EQ_U(store_msession_add(f.s, req, room, f.m1, now + 60000 + (uint64_t)i, 30, "b", &v),
                   STATUS_OK);
    }
    seen = (struct sessions_seen){0};
    CHECK_EQ_U(store_msession_claim_reminders(f.s, now, lead, on_session, &seen), STATUS_OK);
    CHECK_EQ_U(seen.n, 40);
    seen = (struct sessions_seen){0};
    CHECK_EQ_U(store_msession_claim_reminders(f.s, now, lead, on_session, &seen), STATUS_OK);
    CHECK_EQ_U(seen.n, 0);

    /* A closed mentorship is not reminded. */
    CHECK_EQ_U(store_msession_add(f.s, req, room, f.m1, now + 60000, 30, "last", &v), STATUS_OK);
    struct store_mrequest r;
    CHECK_EQ_U(store_mrequest_close(f.s, req, f.umkm, 5, "", &r), STATUS_OK);
    CHECK_EQ_U(store_msession_claim_reminders(f.s, now, lead, on_session, &seen), STATUS_OK);
    CHECK_EQ_U(seen.n, 0);
    CHECK(running != 0);
    fixture_stop(&f);
}

struct notes_seen {
    int n;
    uint64_t id[8];
};

static void on_note(void *ud, const struct store_note *n)
{
    struct notes_seen *v = ud;
    if (v->n < 8) {
        v->id[v->n] = n->id;
    }
    v->n++;
}

static void test_notes(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t room = 0;
    uint64_t req = request_active(&f, f.umkm, f.m1, "export", &room);
    struct store_note n;

    CHECK_EQ_U(store_note_add(f.s, req, room, f.m1, "Pasar Jepang", &n), STATUS_OK);
    CHECK_EQ_U(n.author, f.m1);
    CHECK_EQ_U(n.room, room);
    CHECK_EQ_U(n.request, req);
    CHECK_STR(n.body, "Pasar Jepang");
    uint64_t first = n.id;
    CHECK_EQ_U(store_note_add(f.s, req, room, f.m1, "Dokumen", &n), STATUS_OK);
    CHECK_EQ_U(store_note_edit(f.s, first, "Pasar Jepang dan Korea", &n), STATUS_OK);
    CHECK_STR(n.body, "Pasar Jepang dan Korea");
    CHECK(n.updated_ts >= n.created_ts);
    CHECK_EQ_U(store_note_get(f.s, first, &n), STATUS_OK);
    CHECK_STR(n.body, "Pasar Jepang dan Korea");

    struct notes_seen v = {0};
    CHECK_EQ_U(store_notes(f.s, room, on_note, &v), STATUS_OK);
    CHECK_EQ_U(v.n, 2);
    CHECK_EQ_U(v.id[0], first);

    char *body = filler(STORE_NOTE_MAX + 1);
    CHECK_EQ_U(store_note_add(f.s, req, room, f.m1, body, &n), STATUS_TOO_LARGE);
    CHECK_EQ_U(store_note_edit(f.s, first, body, &n), STATUS_TOO_LARGE);
    body[STORE_NOTE_MAX] = '\0';
    CHECK_EQ_U(store_note_edit(f.s, first, body, &n), STATUS_OK);
    CHECK_EQ_U(strlen(n.body), STORE_NOTE_MAX);
    free(body);
    CHECK_EQ_U(store_note_edit(f.s, 9999, "x", &n), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_note_get(f.s, 9999, &n), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_note_add(f.s, req, room, f.m1, NULL, &n), STATUS_BAD_REQUEST);

    struct store_mrequest r;
    CHECK_EQ_U(store_mrequest_close(f.s, req, f.umkm, 4, "", &r), STATUS_OK);
    CHECK_EQ_U(store_note_add(f.s, req, room, f.m1, "late", &n), STATUS_CONFLICT);
    CHECK_EQ_U(store_note_edit(f.s, first, "late", &n), STATUS_CONFLICT);
    fixture_stop(&f);
}

struct actions_seen {
    int n;
    uint64_t id[8];
};

static void on_action(void *ud, const struct store_action *a)
{
    struct actions_seen *v = ud;
    if (v->n < 8) {
        v->id[v->n] = a->id;
    }
    v->n++;
}

static void test_actions(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t room = 0;
    uint64_t req = request_active(&f, f.umkm, f.m1, "export", &room);
    struct store_action a;

    CHECK_EQ_U(store_action_add(f.s, req, room, f.m1, "Urus NIB", f.umkm, "2025-03-01", &a),
               STATUS_OK);
    CHECK_STR(a.text, "Urus NIB");
    CHECK_EQ_U(a.owner, f.umkm);
    CHECK_STR(a.due, "2025-03-01");
    CHECK(!a.done);
    CHECK_EQ_U(a.created_by, f.m1);
    uint64_t id = a.id;
    CHECK_EQ_U(store_action_add(f.s, req, room, f.m1, "Kirim contoh", f.m1, NULL, &a), STATUS_OK);
    CHECK_STR(a.due, "");

    /* Each field alone; the others stay. */
    bool done = true;
    CHECK_EQ_U(store_action_update(f.s, id, NULL, 0, NULL, &done, &a), STATUS_OK);
    CHECK(a.done);
    CHECK_STR(a.text, "Urus NIB");
    CHECK_EQ_U(a.owner, f.umkm);
    CHECK_STR(a.due, "2025-03-01");
    CHECK_EQ_U(store_action_update(f.s, id, "Urus NIB online", 0, NULL, NULL, &a), STATUS_OK);
    CHECK_STR(a.text, "Urus NIB online");
    CHECK(a.done);
    CHECK_EQ_U(store_action_update(f.s, id, NULL, f.m1, "", NULL, &a), STATUS_OK);
    CHECK_EQ_U(a.owner, f.m1);
    CHECK_STR(a.due, "");
    CHECK_STR(a.text, "Urus NIB online");
    done = false;
    CHECK_EQ_U(store_action_update(f.s, id, NULL, 0, "2025-04-01", &done, &a), STATUS_OK);
    CHECK(!a.done);
    CHECK_STR(a.due, "2025-04-01");
    CHECK_EQ_U(store_action_get(f.s, id, &a), STATUS_OK);
    CHECK_STR(a.due, "2025-04-01");
    CHECK_EQ_U(a.owner, f.m1);

    struct actions_seen v = {0};
    CHECK_EQ_U(store_actions(f.s, room, on_action, &v), STATUS_OK);
    CHECK_EQ_U(v.n, 2);
    CHECK_EQ_U(v.id[0], id);

    /* Refusals. */
    CHECK_EQ_U(store_action_update(f.s, id, NULL, 9999, NULL, NULL, &a), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_action_update(f.s, 9999, "x", 0, NULL, NULL, &a), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_action_update(f.s, id, NULL, 0, "2025-04-011", NULL, &a), STATUS_TOO_LARGE);
    char *text = filler(STORE_ACTION_MAX + 1);
    CHECK_EQ_U(store_action_add(f.s, req, room, f.m1, text, f.umkm, "", &a), STATUS_TOO_LARGE);
    CHECK_EQ_U(store_action_update(f.s, id, text, 0, NULL, NULL, &a), STATUS_TOO_LARGE);
    free(text);
    CHECK_EQ_U(store_action_add(f.s, req, room, f.m1, "x", 0, "", &a), STATUS_BAD_REQUEST);
    CHECK_EQ_U(store_action_add(f.s, req, room, f.m1, "x", 9999, "", &a), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_action_get(f.s, id, &a), STATUS_OK);
    CHECK_EQ_U(a.owner, f.m1);

    struct store_mrequest r;
    CHECK_EQ_U(store_mrequest_close(f.s, req, f.umkm, 4, "", &r), STATUS_OK);
    CHECK_EQ_U(store_action_update(f.s, id, NULL, 0, NULL, &done, &a), STATUS_CONFLICT);
    CHECK_EQ_U(store_action_add(f.s, req, room, f.m1, "x", f.umkm, "", &a), STATUS_CONFLICT);
    fixture_stop(&f);
}

/* ---- calls ------------------------------------------------------------------ */

static void test_calls(void)
{
    struct fixture f;
    fixture_start(&f);
    uint64_t room = 0;
    uint64_t req = request_active(&f, f.umkm, f.m1, "export", &room);
    struct store_call c;

    CHECK_EQ_U(store_call_current(f.s, room, &c), STATUS_NOT_FOUND);
    uint64_t before = wall_ms();
    CHECK_EQ_U(store_call_start(f.s, room, f.umkm, &c), STATUS_OK);
    CHECK_STR(c.state, "ringing");
    CHECK_EQ_U(c.room, room);
    CHECK_EQ_U(c.started_by, f.umkm);
    CHECK(c.started_ts >= before);
    CHECK_EQ_U(c.accepted_ts, 0);
    CHECK_STR(c.end_reason, "");
    uint64_t id = c.id;

    /* One current call per room. */
    CHECK_EQ_U(store_call_start(f.s, room, f.m1, &c), STATUS_CONFLICT);
    CHECK_EQ_U(store_call_current(f.s, room, &c), STATUS_OK);
    CHECK_EQ_U(c.id, id);

    CHECK_EQ_U(store_call_accept(f.s, id, &c), STATUS_OK);
    CHECK_STR(c.state, "active");
    CHECK(c.accepted_ts >= c.started_ts);
    CHECK_EQ_U(store_call_accept(f.s, id, &c), STATUS_CONFLICT);
    CHECK_EQ_U(store_call_start(f.s, room, f.m1, &c), STATUS_CONFLICT);

    CHECK_EQ_U(store_call_end(f.s, id, "hangup", &c), STATUS_OK);
    CHECK_STR(c.state, "ended");
    CHECK_STR(c.end_reason, "hangup");
    CHECK(c.ended_ts >= c.accepted_ts);
    CHECK_EQ_U(store_call_end(f.s, id, "hangup", &c), STATUS_CONFLICT);
    CHECK_EQ_U(store_call_accept(f.s, id, &c), STATUS_CONFLICT);
    CHECK_EQ_U(store_call_current(f.s, room, &c), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_call_get(f.s, id, &c), STATUS_OK);
    CHECK_STR(c.state, "ended");

    /* A new call after the last one ended; a ringing one may end too. */
    CHECK_EQ_U(store_call_start(f.s, room, f.m1, &c), STATUS_OK);
    CHECK(c.id != id);
    CHECK_EQ_U(store_call_end(f.s, c.id, "disconnected", &c), STATUS_OK);
    CHECK_STR(c.end_reason, "disconnected");
    CHECK_EQ_U(store_call_start(f.s, room, f.m1, &c), STATUS_OK);
    CHECK_EQ_U(store_call_end(f.s, c.id, "this reason is too long", &c), STATUS_TOO_LARGE);
    CHECK_EQ_U(store_call_end(f.s, c.id, NULL, &c), STATUS_BAD_REQUEST);
    CHECK_EQ_U(store_call_end(f.s, c.id, "closed", &c), STATUS_OK);

    CHECK_EQ_U(store_call_get(f.s, 9999, &c), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_call_accept(f.s, 9999, &c), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_call_end(f.s, 9999, "hangup", &c), STATUS_NOT_FOUND);
    CHECK_EQ_U(store_call_start(f.s, 9999, f.m1, &c), STATUS_NOT_FOUND);

    /* Not in a closed mentorship. */
    struct store_mrequest r;
    CHECK_EQ_U(store_mrequest_close(f.s, req, f.umkm, 5, "", &r), STATUS_OK);
    CHECK_EQ_U(store_call_start(f.s, room, f.m1, &c), STATUS_CONFLICT);
    fixture_stop(&f);
}

/* ---- figures ------------------------------------------------------------------ */

struct figures_seen {
    int n;
    struct store_mfigures row[4];
};

static void on_figures(void *ud, const struct store_mfigures *fig)
{
    struct figures_seen *v = ud;
    if (v->n < 4) {
        v->row[v->n] = *fig;
    }
    v->n++;
}

static void check_figures(const struct store_mfigures *fig, const char *topic, uint64_t requests,
                          uint64_t assigned, uint64_t wait_s, uint64_t held, uint64_t ratings,
                          uint64_t rating_sum)
{
    CHECK_STR(fig->topic, topic);
    CHECK_EQ_U(fig->requests, requests);
    CHECK_EQ_U(fig->assigned, assigned);
    CHECK_EQ_U(fig->wait_total_s, wait_s);
    CHECK_EQ_U(fig->sessions_held, held);
    CHECK_EQ_U(fig->ratings, ratings);
    CHECK_EQ_U(fig->rating_sum, rating_sum);
}

static void test_figures(void)
{
    struct fixture f;
    fixture_start(&f);
    struct store_mrequest r;
    struct store_msession v;
    uint64_t now = wall_ms();
    uint64_t hour = 3600 * 1000;

    struct figures_seen seen = {0};
    CHECK_EQ_U(store_mfigures(f.s, 0, on_figures, &seen), STATUS_OK);
    CHECK_EQ_U(seen.n, 1);
    check_figures(&seen.row[0], "", 0, 0, 0, 0, 0, 0);

    /* bookkeeping: one active with sessions, then closed rated 4 ... */
    uint64_t room = 0;
    uint64_t a = request_active(&f, f.umkm, f.m1, "bookkeeping", &room);
    CHECK_EQ_U(store_msession_add(f.s, a, room, f.m1, now - 3 * hour, 60, "held", &v), STATUS_OK);
    CHECK_EQ_U(store_msession_add(f.s, a, room, f.m1, now - 2 * hour, 60, "off", &v), STATUS_OK);
    CHECK_EQ_U(store_msession_cancel(f.s, v.id, &v), STATUS_OK);
    CHECK_EQ_U(store_msession_add(f.s, a, room, f.m1, now - 30 * 60000, 60, "running", &v),
               STATUS_OK);
    CHECK_EQ_U(store_msession_add(f.s, a, room, f.m1, now + hour, 60, "future", &v), STATUS_OK);
    CHECK_EQ_U(store_mrequest_close(f.s, a, f.umkm, 4, "", &r), STATUS_OK);
    /* ... one offered then declined, one never offered. */
    uint64_t b = request_new(&f, f.koperasi, "bookkeeping");
    CHECK_EQ_U(store_mrequest_offer(f.s, b, f.m2, 0, &r), STATUS_OK);
    CHECK_EQ_U(store_mrequest_decline(f.s, b, f.m2, "no", &r), STATUS_OK);
    request_new(&f, f.umkm, "bookkeeping");
    /* export: one active with two held sessions, closed rated 5. */
    uint64_t d = request_active(&f, f.koperasi, f.m3, "export", &room);
    CHECK_EQ_U(store_msession_add(f.s, d, room, f.m3, now - 5 * hour, 30, "1", &v), STATUS_OK);
    CHECK_EQ_U(store_msession_add(f.s, d, room, f.m3, now - 4 * hour, 30, "2", &v), STATUS_OK);
    CHECK_EQ_U(store_mrequest_close(f.s, d, f.koperasi, 5, "", &r), STATUS_OK);

    /* Known times: created at 1000 s (export at 5000 s), first offers 60 s,
     * 120 s and 30.5 s later. */
    raw_exec(&f, "UPDATE mentoring_requests SET created_ts = %llu WHERE topic = 'bookkeeping'",
             1000000, 0);
    raw_exec(&f, "UPDATE mentoring_requests SET created_ts = %llu WHERE topic = 'export'", 5000000,
             0);
    raw_exec(&f, "UPDATE mentoring_requests SET first_assigned_ts = %llu WHERE id = %llu", 1060000,
             a);
    raw_exec(&f, "UPDATE mentoring_requests SET first_assigned_ts = %llu WHERE id = %llu", 1120000,
             b);
    raw_exec(&f, "UPDATE mentoring_requests SET first_assigned_ts = %llu WHERE id = %llu", 5030500,
             d);

    seen = (struct figures_seen){0};
    CHECK_EQ_U(store_mfigures(f.s, 0, on_figures, &seen), STATUS_OK);
    CHECK_EQ_U(seen.n, 3);
    check_figures(&seen.row[0], "bookkeeping", 3, 2, 180, 1, 1, 4);
    check_figures(&seen.row[1], "export", 1, 1, 30, 2, 1, 5);
    check_figures(&seen.row[2], "", 4, 3, 210, 3, 2, 9);

    /* Since 2000 s: only export's request. */
    seen = (struct figures_seen){0};
    CHECK_EQ_U(store_mfigures(f.s, 2000000, on_figures, &seen), STATUS_OK);
    CHECK_EQ_U(seen.n, 2);
    check_figures(&seen.row[0], "export", 1, 1, 30, 2, 1, 5);
    check_figures(&seen.row[1], "", 1, 1, 30, 2, 1, 5);
    fixture_stop(&f);
}

TEST_MAIN(TEST_CASE(test_status_names), TEST_CASE(test_migrate_from_v1),
          TEST_CASE(test_fresh_is_v2_and_reopens), TEST_CASE(test_create_and_positions),
          TEST_CASE(test_offer_decline_back_in_place), TEST_CASE(test_pick),
          TEST_CASE(test_accept_makes_room), TEST_CASE(test_transfer),
          TEST_CASE(test_cancel_and_close), TEST_CASE(test_lists),
          TEST_CASE(test_queue_walk_writes), TEST_CASE(test_two_processes_one_winner),
          TEST_CASE(test_too_large), TEST_CASE(test_mentor_profiles), TEST_CASE(test_settings),
          TEST_CASE(test_users_by_role), TEST_CASE(test_sessions), TEST_CASE(test_reminders),
          TEST_CASE(test_notes), TEST_CASE(test_actions), TEST_CASE(test_calls),
          TEST_CASE(test_figures))
