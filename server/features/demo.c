#include "demo.h"

#include <stdio.h>
#include <string.h>

#include "accounts.h"
#include "log.h"
#include "store_mentoring.h"

#define DEMO_PASSWORD "kolab-demo"

struct demo_user {
    const char *username;
    const char *name;
    const char *role;
};

static const struct demo_user demo_users[] = {
    {"ayu", "Ni Luh Ayu Lestari (Endek Lestari)", "umkm"},
    {"made", "I Made Wirawan (Mentor Pemasaran Digital)", "mentor"},
    {"putu", "Putu Ananda (Mahasiswa)", "student"},
    {"wayan", "Wayan Sudarma (Koperasi Sari Mertha)", "koperasi"},
    {"dinas", "Komang Dewi (Dinas Koperasi dan UMKM)", "moderator"},
    {"komang", "Komang Ari Santika (Mentor Keuangan dan Perizinan)", "mentor"},
};

struct demo_line {
    unsigned from;
    const char *body;
};

static const struct demo_line dm_lines[] = {
    {0, "Om Swastiastu, Pak Made. Saya Ayu dari Endek Lestari, kami menjual kain endek "
        "tenun Sidemen."},
    {1, "Om Swastiastu, Bu Ayu. Senang berkenalan. Apa yang bisa saya bantu?"},
    {0, "Penjualan online kami masih sepi. Foto produk sudah ada, tapi jarang yang bertanya."},
    {1, "Coba mulai dengan foto kain di bawah cahaya pagi dan cerita singkat tentang motifnya. "
        "Pembeli suka tahu asal-usul endek."},
    {0, "Baik, Pak. Minggu ini saya coba untuk motif cepuk dan patra."},
};

static const struct demo_line group_lines[] = {
    {1, "Selamat datang di grup pendampingan UMKM Denpasar. Silakan perkenalkan usaha "
        "masing-masing."},
    {3, "Koperasi Sari Mertha, simpan pinjam dan pemasaran hasil tenun anggota."},
    {2, "Saya Putu, mahasiswa Sistem Informasi. Saya mencari tempat magang di UMKM."},
    {0, "Putu, Endek Lestari butuh bantuan mengelola toko online. Nanti kita ngobrol ya."},
};

/* The two mentors' topics, both available, and one waiting request, so
 * that the moderator's queue is not empty. */
static enum status seed_mentoring(struct store *store, uint64_t made, uint64_t komang,
                                  uint64_t wayan)
{
    static const char *const made_topics[] = {"digital_marketing", "packaging", "export"};
    static const char *const komang_topics[] = {"bookkeeping", "licensing", "haki", "other"};
    const bool available = true;
    struct store_mentor mentor;
    struct store_mrequest request;

    enum status st = store_mentor_set(store, made, made_topics, 3, &available, &mentor);
    if (st == STATUS_OK) {
        st = store_mentor_set(store, komang, komang_topics, 4, &available, &mentor);
    }
    if (st == STATUS_OK) {
        st = store_mrequest_create(store, wayan, "bookkeeping",
                                   "Pembukuan simpan pinjam anggota kami masih di buku tulis. "
                                   "Kami ingin mulai mencatat di komputer dan menyusun laporan "
                                   "bulanan untuk rapat anggota.",
                                   &request);
    }
    return st;
}

/* A sender has read the conversation up to the line they wrote, as someone
 * typing in the web client has: without this, the room list would show a
 * demo user unread messages older than their own last word. */
static void queued(void *ud, enum status st, const struct store_message *m, bool duplicate)
{
    struct store *store = ud;
    if (st != STATUS_OK) {
        log_warn("demo", "demo message not stored", "code=%s", status_code(st));
        return;
    }
    st = store_read(store, m->room, m->from, m->seq, NULL, NULL);
    if (st != STATUS_OK) {
        log_warn("demo", "demo read marker not moved", "code=%s", status_code(st));
    }
}

static enum status post_lines(struct store *store, uint64_t room, const uint64_t *ids,
                              const struct demo_line *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char client_id[32];
        snprintf(client_id, sizeof(client_id), "demo-%llu-%zu", (unsigned long long)room, i);
        enum status st =
            store_append(store, room, ids[lines[i].from], "text", lines[i].body,
                         strlen(lines[i].body), client_id, strlen(client_id), 0, queued, store);
        if (st != STATUS_OK) {
            return st;
        }
    }
    return STATUS_OK;
}

enum status demo_seed(struct store *store)
{
    uint64_t ids[sizeof(demo_users) / sizeof(demo_users[0])];
    struct store_user user;
    struct store_room dm, group;
    bool existed = false;

    for (size_t i = 0; i < sizeof(demo_users) / sizeof(demo_users[0]); i++) {
        const char *why = NULL;
        const struct demo_user *d = &demo_users[i];
        enum status st =
            accounts_create_user(store, d->username, d->name, d->role, DEMO_PASSWORD, &why);
        if (st == STATUS_OK || st == STATUS_CONFLICT) {
            st = store_user_by_name(store, d->username, &user, NULL, 0);
        }
        if (st != STATUS_OK) {
            return st;
        }
        ids[i] = user.id;
    }

    uint64_t mentor = ids[1];
    uint64_t others[] = {ids[0], ids[2], ids[3]};
    enum status st = store_room_create(store, "dm", "", ids[0], &mentor, 1, &dm, &existed);
    if (st == STATUS_OK) {
        st = store_room_create(store, "group", "Pendampingan UMKM Denpasar", ids[1], others, 3,
                               &group, &existed);
    }
    if (st == STATUS_OK) {
        st = post_lines(store, dm.id, ids, dm_lines, sizeof(dm_lines) / sizeof(dm_lines[0]));
    }
    if (st == STATUS_OK) {
        st = post_lines(store, group.id, ids, group_lines,
                        sizeof(group_lines) / sizeof(group_lines[0]));
    }
    if (st == STATUS_OK) {
        st = seed_mentoring(store, ids[1], ids[5], ids[3]);
    }
    if (st == STATUS_OK) {
        log_info("demo", "demo data seeded", "users=%zu",
                 sizeof(demo_users) / sizeof(demo_users[0]));
    }
    return st;
}
