// Tests and benchmarks register many users, connect many sockets and send
// fast, all from 127.0.0.1: the abuse limits are set out of reach unless a
// test passes its own (flags win over these environment variables). A module
// of its own, with no side effects, so that the benchmark orchestrator can
// share it without server.mjs's exit handlers.
export const RELAXED_LIMITS = {
    KOLAB_REQ_RATE: '1000000',
    KOLAB_REQ_BURST: '1000000',
    KOLAB_MSG_RATE: '1000000',
    KOLAB_MSG_BURST: '1000000',
    KOLAB_CONNS_PER_IP: '1000000',
    KOLAB_CONN_RATE_PER_IP: '1000000',
    KOLAB_LOGIN_FAILURES_IP: '1000000',
    KOLAB_REGISTRATIONS_PER_IP: '1000000',
};
