/*
 * The process-wide state every module may read: the loop, the store and the
 * configuration. main fills it at start-up, in that order, and it lives
 * until exit. Loop thread only.
 */
#ifndef KOLAB_APP_H
#define KOLAB_APP_H

#include <stdbool.h>
#include <uv.h>

#include "config.h"
#include "store.h"

struct app {
    uv_loop_t *loop;
    struct store *store;
    const struct config *cfg;
    /* This process's name in `hello`: host name and pid. */
    char node[96];
    bool tls;
    bool shutting_down;
};

extern struct app app;

#endif
