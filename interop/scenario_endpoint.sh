# shellcheck shell=bash
# Scenario b, sourced by run.sh: nbwss endpoint + backup_server.py.
#
# run.sh provides NBWSS, PY, INTEROP, WORK, start_background, wait_until,
# wait_for_exit, pass, fail and count_results. This file starts the reference
# endpoint with a tokens file, reads the addresses and the fingerprint that it
# prints, and runs backup_server.py, where the protocol checks are.

run_endpoint_scenario() {
    echo "== scenario b: backup_server.py against nbwss endpoint"
    local dir=$WORK/endpoint
    mkdir -p "$dir"
    local token="interop-endpoint-token-$RANDOM-$RANDOM"
    printf '# tokens accepted by the reference endpoint\n%s\n' "$token" >"$dir/tokens"

    start_background reference-endpoint "$NBWSS" endpoint --tokens-file "$dir/tokens" \
        --listen 127.0.0.1:0 --api-listen 127.0.0.1:0 --public-host 127.0.0.1 \
        --details-out "$dir/details.json"
    local out=$WORK/reference-endpoint.out
    if ! wait_until 30 grep -q 'notification stream:' "$out"; then
        fail "nbwss endpoint starts" "no address lines in $out"
        return
    fi
    local url fingerprint api_url
    url=$(grep -o 'wss://[^ ]*' "$out" | head -n 1)
    fingerprint=$(grep 'SHA-256' "$out" | grep -o '[0-9A-F][0-9A-F]\(:[0-9A-F][0-9A-F]\)\{31\}' | head -n 1)
    api_url=$(grep 'HTTP API:' "$out" | grep -o 'http://127\.0\.0\.1:[0-9]*' | head -n 1)
    if [[ -z $url || -z $fingerprint || -z $api_url ]]; then
        fail "nbwss endpoint prints its URL, fingerprint and HTTP API" "$(cat "$out")"
        return
    fi
    pass "nbwss endpoint prints its URL, fingerprint and HTTP API"

    start_background backup-server "$PY" "$INTEROP/backup_server.py" --url "$url" \
        --fingerprint "$fingerprint" --token "$token" --api-url "$api_url" --details "$dir/details.json"
    wait_for_exit "$LAST_PID" 300
    grep -E '^(PASS|FAIL|NOTE) ' "$WORK/backup-server.out"
    count_results "$WORK/backup-server.out"
    if ((EXIT_STATUS != 0)); then
        echo "backup_server.py exited with status $EXIT_STATUS; log in $WORK/backup-server.err"
    fi
}
