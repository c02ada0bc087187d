/*
 * A pre-sized latency histogram for the load generator: log-linear buckets in
 * microseconds (exact below 128 us, then 64 buckets per power of two, so any
 * reported percentile is within about 1.6 % of the true value), up to 2^40 us.
 * Recording is a few instructions and never allocates. Single-threaded.
 */
#ifndef KOLAB_BENCH_HIST_H
#define KOLAB_BENCH_HIST_H

#include <stdint.h>

#define HIST_LINEAR  128
#define HIST_SUB     64
#define HIST_BUCKETS (HIST_LINEAR + (40 - 7 + 1) * HIST_SUB)

struct hist {
    uint64_t count[HIST_BUCKETS];
    uint64_t n;
    uint64_t max_us;
};

/* Records one sample of `ns` nanoseconds. */
void hist_add(struct hist *h, uint64_t ns);

/* The value in milliseconds below which a fraction `q` (0 to 1) of the
 * samples lie; 0 for an empty histogram. */
double hist_quantile_ms(const struct hist *h, double q);

#endif
