#!/usr/bin/env bash
# Run the Python NBWSS peers against nbwss, end to end on loopback.
#
# Scenario a: nbwss sim + nbwss serve + endpoint.py (Python endpoint).
# Scenario b: nbwss endpoint + backup_server.py (Python service side).
#
# Usage: interop/run.sh [all|service|endpoint]   (default: all)
# Set NBWSS_BIN=/path/to/nbwss to test that binary instead of building one.
#
# It creates a venv in target/interop-venv with pinned websockets and
# cryptography from PyPI, builds the nbwss binary, runs both scenarios and
# prints "N passed, M failed" as its last line. The exit status is 1 when any
# check failed. Logs stay in the temporary work folder named at the start
# when a check failed, and are deleted otherwise.
# Every wait is bounded, and the EXIT trap stops every process started here.

# shellcheck source-path=SCRIPTDIR
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
INTEROP=$ROOT/interop
VENV=$ROOT/target/interop-venv
# NBWSS_BIN names an already built nbwss binary and skips `cargo build`.
NBWSS=${NBWSS_BIN:-$ROOT/target/debug/nbwss}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nbwss-interop.XXXXXX")
PY=$VENV/bin/python
# Keep __pycache__ folders out of the source tree.
export PYTHONDONTWRITEBYTECODE=1

PIDS=()
PASSED=0
FAILED=0

stop_processes() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    PIDS=()
}
trap stop_processes EXIT
# Turn Ctrl-C and kill into a normal exit, so that the EXIT trap runs.
trap 'exit 130' INT TERM

pass() {
    echo "PASS [run.sh] $1"
    PASSED=$((PASSED + 1))
}

fail() {
    echo "FAIL [run.sh] $1: $2"
    FAILED=$((FAILED + 1))
}

# Add the PASS and FAIL lines of a Python peer's output to the totals.
count_results() {
    local passed failed
    passed=$(grep -c '^PASS ' "$1")
    failed=$(grep -c '^FAIL ' "$1")
    PASSED=$((PASSED + passed))
    FAILED=$((FAILED + failed))
}

# start_background NAME COMMAND...: run COMMAND with output in $WORK/NAME.out and .err.
start_background() {
    local name=$1
    shift
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    PIDS+=($!)
    LAST_PID=$!
}

# wait_until SECONDS COMMAND...: poll COMMAND every 0.2 s until it succeeds.
wait_until() {
    local limit=$1
    shift
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            return 1
        fi
        sleep 0.2
    done
}

# wait_for_exit PID SECONDS: wait for a process to end and set EXIT_STATUS (124 on timeout).
wait_for_exit() {
    local pid=$1 deadline=$((SECONDS + $2))
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            kill "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            EXIT_STATUS=124
            return
        fi
        sleep 0.5
    done
    wait "$pid"
    EXIT_STATUS=$?
}

# json_true COMMAND... -- EXPRESSION: run COMMAND and evaluate a Python expression on its JSON output `j`.
json_true() {
    local args=()
    while [[ $1 != "--" ]]; do
        args+=("$1")
        shift
    done
    shift
    "${args[@]}" | "$PY" -c "import json, sys; j = json.load(sys.stdin); sys.exit(0 if ($1) else 1)"
}

setup() {
    echo "work folder: $WORK"
    if [[ ! -x $PY ]]; then
        python3 -m venv "$VENV" || return 1
    fi
    "$PY" -m pip install --quiet --disable-pip-version-check websockets==17.4 cryptography==50.0.2 || return 1
    if [[ -z ${NBWSS_BIN:-} ]]; then
        (cd "$ROOT" && cargo build -p nbwss) || return 1
    fi
}

SCENARIOS=${1:-all}
case $SCENARIOS in
all | service | endpoint) ;;
*)
    echo "unknown scenario '$SCENARIOS'; expected all, service or endpoint" >&2
    exit 2
    ;;
esac

if ! setup; then
    fail "setup" "venv, pip install or cargo build failed"
    echo "$PASSED passed, $FAILED failed"
    exit 1
fi

# shellcheck source=scenario_service.sh
source "$INTEROP/scenario_service.sh"
# shellcheck source=scenario_endpoint.sh
source "$INTEROP/scenario_endpoint.sh"

if [[ $SCENARIOS == all || $SCENARIOS == service ]]; then
    run_service_scenario
    stop_processes
fi
if [[ $SCENARIOS == all || $SCENARIOS == endpoint ]]; then
    run_endpoint_scenario
    stop_processes
fi

if ((FAILED > 0)); then
    echo "logs: $WORK"
    echo "$PASSED passed, $FAILED failed"
    exit 1
fi
rm -rf "$WORK"
echo "$PASSED passed, $FAILED failed"
