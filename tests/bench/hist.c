/* The load generator's latency histogram; see hist.h. */
#include "hist.h"

static unsigned hist_bucket(uint64_t us)
{
    if (us < HIST_LINEAR) {
        return (unsigned)us;
    }
    unsigned e = 63 - (unsigned)__builtin_clzll(us);
    if (e > 40) {
        return HIST_BUCKETS - 1;
    }
    return HIST_LINEAR + (e - 7) * HIST_SUB + (unsigned)((us >> (e - 6)) & (HIST_SUB - 1));
}

/* The middle of bucket `b`, in microseconds. */
static double hist_value(unsigned b)
{
    if (b < HIST_LINEAR) {
        return b;
    }
    unsigned e = 7 + (b - HIST_LINEAR) / HIST_SUB;
    uint64_t sub = (b - HIST_LINEAR) % HIST_SUB;
    uint64_t width = (uint64_t)1 << (e - 6);
    return (double)(((uint64_t)1 << e) + sub * width) + (double)width / 2;
}

void hist_add(struct hist *h, uint64_t ns)
{
    uint64_t us = ns / 1000;
    h->count[hist_bucket(us)]++;
    h->n++;
    if (us > h->max_us) {
        h->max_us = us;
    }
}

double hist_quantile_ms(const struct hist *h, double q)
{
    if (h->n == 0) {
        return 0;
    }
    uint64_t rank = (uint64_t)(q * (double)h->n);
    if (rank >= h->n) {
        rank = h->n - 1;
    }
    uint64_t seen = 0;
    for (unsigned b = 0; b < HIST_BUCKETS; b++) {
        seen += h->count[b];
        if (seen > rank) {
            return hist_value(b) / 1000.0;
        }
    }
    return (double)h->max_us / 1000.0;
}
