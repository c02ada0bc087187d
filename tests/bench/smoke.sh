#!/usr/bin/env bash
# A tiny profile of the benchmarks, run by scripts/test to keep the load
# generator, the peers and the run script working: `tests/bench/run smoke`
# (which installs the peers' packages and Mosquitto where they are missing)
# runs a fan-out to 50 on kolabd and on each peer, then kolabd alone through
# the pairs, connect-storm and resume-storm scenarios, each on a fresh server.
# Every run must deliver every message without an error. Nothing here checks
# a timing.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec tests/bench/run smoke
