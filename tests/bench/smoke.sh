#!/usr/bin/env bash
# A tiny profile of build/loadgen, run by scripts/test to keep the tool
# working: each scenario starts its own kolabd and must deliver every message
# without an error. Nothing here checks a timing.
set -euo pipefail
cd "$(dirname "$0")/../.."
LOADGEN=${LOADGEN:-build/loadgen}
KOLABD=${KOLABD:-build/kolabd}

run() {
    echo "-- loadgen $*"
    "$LOADGEN" --start --kolabd "$KOLABD" --timeout 60 "$@" | tail -n 1
}

run --scenario fanout --conns 50 --messages 200
run --scenario pairs --conns 20 --messages 100
run --scenario fanout --conns 20 --publishers 2 --messages 100 --rate 500
run --scenario connect-storm --conns 100
run --scenario resume-storm --conns 20 --messages 50
