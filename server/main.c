/*
 * kolabd: start-up and shutdown order.
 *
 * Start: configuration, logger, loop, store (migrations, demo seed), the
 * features' request tables, then the network. Stop (SIGINT or SIGTERM):
 * refuse new connections, commit what is queued, close every WebSocket with
 * 1001 once its queue is sent, then take everything down in reverse order
 * and exit 0.
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "accounts.h"
#include "app.h"
#include "calls.h"
#include "chat.h"
#include "cluster.h"
#include "config.h"
#include "demo.h"
#include "ratelimit.h"
#include "log.h"
#include "mentoring.h"
#include "net.h"
#include "session.h"
#include "store.h"

#define SHUTDOWN_GRACE_MS 2000
/* Allocations at least this large get a mapping of their own (see main). */
#define MMAP_THRESHOLD (1024 * 1024)

struct app app;

static struct config config;
static uv_signal_t sigint_handle;
static uv_signal_t sigterm_handle;

static void shutdown_finished(void)
{
    session_stop();
    ratelimit_stop();
    calls_stop();
    mentoring_stop();
    cluster_stop();
    store_close(app.store);
    app.store = NULL;
    net_destroy();
    uv_close((uv_handle_t *)&sigint_handle, NULL);
    uv_close((uv_handle_t *)&sigterm_handle, NULL);
}

static void on_signal(uv_signal_t *handle, int signum)
{
    if (app.shutting_down) {
        return;
    }
    app.shutting_down = true;
    log_info("main", "stopping", "signal=%d", signum);

    /* Commit first, so the replies to acknowledged writes are queued
     * before the connections close. */
    store_flush(app.store);
    net_shutdown(SHUTDOWN_GRACE_MS, shutdown_finished);
}

static int run_server(void)
{
    bool created = false;
    char host[64] = "kolab";

    gethostname(host, sizeof(host) - 1);
    snprintf(app.node, sizeof(app.node), "%s-%d", host, (int)getpid());
    app.loop = uv_default_loop();
    app.cfg = &config;
    app.tls = config.tls_cert[0] != '\0';

    if (store_open(app.loop, config.data_dir, &app.store, &created) != STATUS_OK) {
        log_error("main", "could not open the store", "dir=%s", config.data_dir);
        return 1;
    }
    if (created && config.demo && demo_seed(app.store) != STATUS_OK) {
        log_error("main", "could not seed demo data", NULL);
    }
    accounts_init();
    chat_init();
    calls_init();
    mentoring_init();
    if (cluster_start(config.redis) != STATUS_OK) {
        log_error("main", "bad --redis address", NULL);
        store_close(app.store);
        uv_run(app.loop, UV_RUN_DEFAULT);
        return 1;
    }
    net_raise_fd_limit();
    if (net_start() != STATUS_OK) {
        store_close(app.store);
        uv_run(app.loop, UV_RUN_DEFAULT);
        return 1;
    }

    session_start();
    ratelimit_start();
    uv_signal_init(app.loop, &sigint_handle);
    uv_signal_start(&sigint_handle, on_signal, SIGINT);
    uv_signal_init(app.loop, &sigterm_handle);
    uv_signal_start(&sigterm_handle, on_signal, SIGTERM);

    uv_run(app.loop, UV_RUN_DEFAULT);
    /* lws may still hold handles that close on further turns. */
    uv_run(app.loop, UV_RUN_DEFAULT);
    uv_loop_close(app.loop);
    log_info("main", "stopped", NULL);
    return 0;
}

/* Creates or migrates the database, and seeds it when new, once for all
 * workers and on a loop of its own: the workers' loops start after fork. */
static int prepare_store(void)
{
    uv_loop_t loop;
    struct store *store = NULL;
    bool created = false;

    uv_loop_init(&loop);
    if (store_open(&loop, config.data_dir, &store, &created) != STATUS_OK) {
        log_error("main", "could not open the store", "dir=%s", config.data_dir);
        return 1;
    }
    if (created && config.demo && demo_seed(store) != STATUS_OK) {
        log_error("main", "could not seed demo data", NULL);
    }
    store_close(store);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return 0;
}

static pid_t start_worker(const sigset_t *blocked)
{
    pid_t pid = fork();
    if (pid == 0) {
        sigprocmask(SIG_UNBLOCK, blocked, NULL);
        exit(run_server());
    }
    if (pid < 0) {
        log_error("main", "could not start a worker", NULL);
    }
    return pid;
}

/* Reaps exited workers; while running, starts a new one in each place. */
static unsigned reap_workers(pid_t *pids, unsigned n, bool stopping, const sigset_t *blocked)
{
    unsigned alive = 0;
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (unsigned i = 0; i < n; i++) {
            if (pids[i] == pid) {
                /* Only an exit nobody asked for is worth a warning. */
                log_emit(stopping ? LOG_INFO : LOG_WARN, "main", "worker exited",
                         "pid=%d status=%d", (int)pid, status);
                pids[i] = stopping ? 0 : start_worker(blocked);
            }
        }
    }
    for (unsigned i = 0; i < n; i++) {
        alive += pids[i] > 0;
    }
    return alive;
}

/*
 * --workers N: N processes share the port (SO_REUSEPORT), the data
 * directory and the Redis bus; this parent only starts them, starts a new
 * one where one dies, and passes SIGINT and SIGTERM on.
 */
static int run_workers(void)
{
    pid_t pids[64] = {0};
    sigset_t blocked;
    bool stopping = false;

    if (prepare_store() != 0) {
        return 1;
    }
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGINT);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGCHLD);
    sigprocmask(SIG_BLOCK, &blocked, NULL);
    for (unsigned i = 0; i < config.workers; i++) {
        pids[i] = start_worker(&blocked);
    }
    log_info("main", "workers started", "count=%u", config.workers);

    for (;;) {
        int sig = 0;
        sigwait(&blocked, &sig);
        if (sig != SIGCHLD && !stopping) {
            stopping = true;
            for (unsigned i = 0; i < config.workers; i++) {
                if (pids[i] > 0) {
                    kill(pids[i], SIGTERM);
                }
            }
        }
        if (reap_workers(pids, config.workers, stopping, &blocked) == 0 && stopping) {
            return 0;
        }
    }
}

/* `kolabd user add [--data DIR] --role ROLE [--name NAME] USERNAME`, with the
 * password read from the first line of standard input. */
static int run_user_add(int argc, char **argv)
{
    const char *role = NULL, *name = NULL, *username = NULL;
    for (int i = 3; i < argc; i++) {
        bool has_value = i + 1 < argc;
        if (strcmp(argv[i], "--role") == 0 && has_value) {
            role = argv[++i];
        } else if (strcmp(argv[i], "--name") == 0 && has_value) {
            name = argv[++i];
        } else if (strcmp(argv[i], "--data") == 0 && has_value) {
            snprintf(config.data_dir, sizeof(config.data_dir), "%s", argv[++i]);
        } else if (argv[i][0] != '-' && username == NULL) {
            username = argv[i];
        } else {
            fprintf(stderr, "kolabd user add: unexpected %s\n", argv[i]);
            return 2;
        }
    }
    if (role == NULL || username == NULL) {
        fprintf(stderr, "usage: kolabd user add [--data DIR] --role ROLE [--name NAME] "
                        "USERNAME < password\n");
        return 2;
    }

    char password[512];
    if (fgets(password, sizeof(password), stdin) == NULL) {
        fprintf(stderr, "kolabd user add: no password on standard input\n");
        return 2;
    }
    password[strcspn(password, "\r\n")] = '\0';

    uv_loop_t *loop = uv_default_loop();
    struct store *store = NULL;
    bool created = false;
    const char *why = NULL;
    if (store_open(loop, config.data_dir, &store, &created) != STATUS_OK) {
        fprintf(stderr, "kolabd user add: cannot open the store in %s\n", config.data_dir);
        return 1;
    }
    enum status st =
        accounts_create_user(store, username, name ? name : username, role, password, &why);
    memset(password, 0, sizeof(password));
    store_close(store);
    uv_run(loop, UV_RUN_DEFAULT);
    if (st != STATUS_OK) {
        fprintf(stderr, "kolabd user add: %s\n", why);
        return 1;
    }
    printf("created %s (%s)\n", username, role);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "user") == 0 && (argc < 3 || strcmp(argv[2], "add") != 0)) {
        fprintf(stderr, "usage: kolabd user add [--data DIR] --role ROLE [--name NAME] USERNAME"
                        " < password\n");
        return 2;
    }
    bool user_add = argc >= 3 && strcmp(argv[1], "user") == 0 && strcmp(argv[2], "add") == 0;
    enum status st = config_load(&config, argv[0], user_add ? 1 : argc, argv, 1);
    if (st == STATUS_NOT_FOUND) {
        return 0;
    }
    if (st != STATUS_OK) {
        return 2;
    }
    log_set_level(config.log_level);
    signal(SIGPIPE, SIG_IGN);
    /* A file-size limit (ulimit -f) then fails the write with EFBIG, which
     * the store reports like a full disk, instead of killing the process. */
    signal(SIGXFSZ, SIG_IGN);
    /* Each password hash borrows 16 MiB for scrypt on a thread-pool thread.
     * glibc would raise its mmap threshold after the first such free and
     * keep the later ones in the threads' arenas: about 64 MiB held for
     * good after a few logins. A fixed threshold maps and unmaps them. */
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);

    if (user_add) {
        return run_user_add(argc, argv);
    }
    return config.workers > 1 ? run_workers() : run_server();
}
