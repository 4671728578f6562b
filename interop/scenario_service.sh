# shellcheck shell=bash
# Scenario a, sourced by run.sh: nbwss sim + nbwss serve + endpoint.py.
#
# run.sh provides NBWSS, PY, INTEROP, WORK, start_background, wait_until,
# wait_for_exit, json_true, pass, fail and count_results. This file registers
# endpoint.py with the service (first with a wrong token, then with the right
# one), queues notifications once endpoint.py is ready for them, and checks the
# service's view through `nbwss servers list` and `nbwss status`. The protocol
# checks themselves run in endpoint.py.

SERVICE_TOKEN="interop-token-$RANDOM-$RANDOM"
SIM_API_KEY="interop-api-key-$RANDOM-$RANDOM"
MAX_INBOUND_BYTES=65536
HARD_MAX_INBOUND_BYTES=131072
MAX_RESPONSE_BYTES=8192
RESEND_SECONDS=2

# The items queued with `nbwss notify --file`, in the NOTIFICATION payload format.
NOTIFY_FILE_ITEMS='[
 {"notificationType": "INFO", "object": "JOB", "data": [
  {"jobId": 144, "parentJobId": 144, "jobType": "BACKUP", "state": "DONE", "status": 0,
   "startTime": 1700000000, "policyName": "vmware2", "policyType": "VMWARE",
   "scheduleType": "ST_FULL", "clientName": "vm1.example.com"}]},
 {"notificationType": "INFO", "object": "IMAGE", "data": [
  {"backupId": "vm1.example.com_1700000000", "clientName": "vm1.example.com",
   "clientType": "VMWARE", "backupTime": 1700000000, "createdTime": 1700000100,
   "operationId": "CREATE"}]}
]'
# The item that the `nbwss notify --object JOB ...` flags below describe.
NOTIFY_FLAG_ITEM='{"notificationType": "INFO", "object": "JOB", "data": [
  {"jobId": 145, "parentJobId": 145, "jobType": "RESTORE", "state": "ACTIVE", "status": 0,
   "startTime": 1700000200, "policyName": "", "policyType": "STANDARD",
   "scheduleType": "ST_FULL", "clientName": "files01.example.com"}]}'

# service_cli ARGS...: run the nbwss admin command line against this scenario's service.
service_cli() {
    local command=$1
    shift
    timeout 60 "$NBWSS" "$command" --config-dir "$SERVICE_DIR/config" --data-dir "$SERVICE_DIR/data" "$@"
}

connection_state_is() {
    json_true service_cli servers list --json -- \
        "any(s['hostName'] == '127.0.0.1' and s['connection']['state'] == '$1' for s in j['servers'])"
}

backlog_is_zero() {
    json_true service_cli status --json -- \
        "[g['backlog'] for g in j['groups'] if g['groupId'] == 'interop'] == [0]"
}

start_simulator_and_service() {
    start_background sim "$NBWSS" sim --listen 127.0.0.1:0 --cert-out "$SERVICE_DIR/sim.pem" \
        --api-key "$SIM_API_KEY" --job-interval 3600 --phase 3600
    SIM_PID=$LAST_PID
    if ! wait_until 30 grep -q 'listening on https://' "$WORK/sim.out"; then
        fail "nbwss sim starts" "no listening line in $WORK/sim.out"
        return 1
    fi
    SIM_URL=$(grep -o 'https://127\.0\.0\.1:[0-9]*' "$WORK/sim.out" | head -n 1)

    start_background serve "$NBWSS" serve --config-dir "$SERVICE_DIR/config" --data-dir "$SERVICE_DIR/data" \
        --set "command.upstreamUrl=$SIM_URL" \
        --set "command.upstreamCaFile=$SERVICE_DIR/sim.pem" \
        --set admin.listen=127.0.0.1:0 \
        --set "notification.scheduledRate=$RESEND_SECONDS" \
        --set "connection.maxInboundMessageBytes=$MAX_INBOUND_BYTES" \
        --set "connection.hardMaxInboundMessageBytes=$HARD_MAX_INBOUND_BYTES" \
        --set "command.maxResponseBytes=$MAX_RESPONSE_BYTES" \
        --set connect.responseTimeout=5 \
        --set keepAlive.scheduledRate=1 \
        --set keepAlive.maxPongMissAllowed=2 \
        --set connection.retryDelay=1 \
        --set connectionInfo.period=5
    if ! wait_until 60 service_cli status --json; then
        fail "nbwss serve starts and nbwss status reaches it" "see $WORK/serve.err"
        return 1
    fi
    pass "nbwss serve starts and nbwss status reaches it"
}

register_wrong_token_then_right_one() {
    local fingerprint=$1
    if service_cli servers add --file "$STATE_DIR/details-wrong-token.json" --accept-fingerprint "$fingerprint" \
        >"$WORK/add-wrong.out" 2>&1; then
        pass "servers add with a pinned fingerprint (wrong token)"
    else
        fail "servers add with a pinned fingerprint (wrong token)" "$(tail -n 3 "$WORK/add-wrong.out")"
    fi
    if wait_until 60 connection_state_is REJECTED; then
        pass "servers list shows REJECTED after valid false"
    else
        fail "servers list shows REJECTED after valid false" "$(service_cli servers list 2>&1 | tail -n 3)"
    fi
    if service_cli servers remove 127.0.0.1 >"$WORK/remove.out" 2>&1; then
        pass "servers remove of the rejected endpoint"
    else
        fail "servers remove of the rejected endpoint" "$(tail -n 3 "$WORK/remove.out")"
    fi
    if service_cli servers add --file "$STATE_DIR/details.json" --accept-fingerprint "$fingerprint" \
        >"$WORK/add.out" 2>&1; then
        pass "servers add with a pinned fingerprint (right token)"
    else
        fail "servers add with a pinned fingerprint (right token)" "$(tail -n 3 "$WORK/add.out")"
    fi
    if wait_until 60 connection_state_is CONNECTED; then
        pass "servers list shows CONNECTED after valid true"
    else
        fail "servers list shows CONNECTED after valid true" "$(service_cli servers list 2>&1 | tail -n 3)"
    fi
}

queue_notifications() {
    if echo "$NOTIFY_FILE_ITEMS" | service_cli notify --file - >"$WORK/notify-file.out" 2>&1; then
        pass "nbwss notify --file - queues a JOB and an IMAGE item"
    else
        fail "nbwss notify --file - queues a JOB and an IMAGE item" "$(tail -n 3 "$WORK/notify-file.out")"
    fi
    if service_cli notify --object JOB --job-id 145 --job-type RESTORE --state ACTIVE --status 0 \
        --policy-type STANDARD --schedule-type ST_FULL --start-time 1700000200 \
        --client-name files01.example.com >"$WORK/notify-flags.out" 2>&1; then
        pass "nbwss notify --object JOB queues one item"
    else
        fail "nbwss notify --object JOB queues one item" "$(tail -n 3 "$WORK/notify-flags.out")"
    fi
}

# check_add_rejected NAME DETAILS_JSON: `servers add` of DETAILS_JSON must fail.
check_add_rejected() {
    local file=$SERVICE_DIR/invalid-details.json
    echo "$2" >"$file"
    if service_cli servers add --file "$file" --accept-fingerprint "$FINGERPRINT" >"$WORK/add-invalid.out" 2>&1; then
        fail "servers add rejects $1" "it was added: $(tail -n 2 "$WORK/add-invalid.out")"
        service_cli servers remove "$(json_field "$2" hostName)" >/dev/null 2>&1
    else
        pass "servers add rejects $1"
    fi
}

json_field() {
    "$PY" -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

check_registry_input_rules() {
    local url
    url=$(json_field "$(cat "$STATE_DIR/details.json")" url)
    check_add_rejected "a ws:// URL" \
        "{\"hostName\": \"localhost\", \"url\": \"${url/wss:/ws:}\", \"groupId\": \"interop-invalid\", \"priority\": 0, \"token\": \"x\"}"
    check_add_rejected "a token with leading whitespace" \
        "{\"hostName\": \"localhost\", \"url\": \"${url/127.0.0.1/localhost}\", \"groupId\": \"interop-invalid\", \"priority\": 0, \"token\": \" x\"}"
}

check_show_token() {
    if service_cli servers show-token 127.0.0.1 2>&1 | grep -qF -- "$SERVICE_TOKEN"; then
        pass "servers show-token prints the registered token"
    else
        fail "servers show-token prints the registered token" "token not in the output"
    fi
}

# Secrets must not reach the service's logs, console output or store in clear text.
check_secrets_not_written() {
    local name secret
    for name in SERVICE_TOKEN SIM_API_KEY; do
        secret=${!name}
        if grep -rlF -- "$secret" "$SERVICE_DIR/data" "$WORK/serve.out" "$WORK/serve.err" >"$WORK/leak.out" 2>/dev/null; then
            fail "$name not written by the service" "found in $(tr '\n' ' ' <"$WORK/leak.out")"
        else
            pass "$name not written by the service"
        fi
    done
}

check_service_console() {
    local debug_lines
    debug_lines=$(sed 's/\x1b\[[0-9;]*m//g' "$WORK/serve.err" | grep -c ' DEBUG ')
    if ((debug_lines == 0)); then
        pass "serve prints no DEBUG lines at the default log.level=info"
    else
        fail "serve prints no DEBUG lines at the default log.level=info" \
            "$debug_lines DEBUG lines in $WORK/serve.err, first: $(sed 's/\x1b\[[0-9;]*m//g' "$WORK/serve.err" | grep -m 1 ' DEBUG ' | cut -c 1-160)"
    fi
    local errors
    errors=$(cat "$WORK/serve.out" "$WORK/serve.err" | sed 's/\x1b\[[0-9;]*m//g' | grep -E '^Error| ERROR ')
    if [[ -z $errors ]]; then
        pass "serve prints no ERROR line"
    else
        fail "serve prints no ERROR line" "$(head -n 1 <<<"$errors" | cut -c 1-160)"
    fi
}

stop_simulator() {
    kill "$SIM_PID" 2>/dev/null
    wait "$SIM_PID" 2>/dev/null
    return 0
}

# change_state deactivate|activate: run `nbwss servers <action> 127.0.0.1`.
change_state() {
    if service_cli servers "$1" 127.0.0.1 >"$WORK/$1.out" 2>&1; then
        pass "servers $1"
    else
        fail "servers $1" "$(tail -n 3 "$WORK/$1.out")"
    fi
}

# perform_requested_actions PID SECONDS: until PID exits, perform each action
# that endpoint.py requests with a NAME.request file, then write NAME.done.
perform_requested_actions() {
    local pid=$1 deadline=$((SECONDS + $2)) request name
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
        for request in "$STATE_DIR"/*.request; do
            [[ -e $request ]] || continue
            name=$(basename "$request" .request)
            [[ -e $STATE_DIR/$name.done ]] && continue
            case $name in
            notify) queue_notifications ;;
            stop-upstream) stop_simulator ;;
            deactivate | activate) change_state "$name" ;;
            *) fail "endpoint.py requests a known action" "unknown action $name" ;;
            esac
            touch "$STATE_DIR/$name.done"
        done
        sleep 0.2
    done
}

run_service_scenario() {
    echo "== scenario a: endpoint.py against nbwss serve"
    SERVICE_DIR=$WORK/service
    STATE_DIR=$SERVICE_DIR/state
    mkdir -p "$SERVICE_DIR/config" "$SERVICE_DIR/data" "$STATE_DIR"
    start_simulator_and_service || return

    local expected=$SERVICE_DIR/expected-notifications.json
    "$PY" -c "import json, sys; print(json.dumps(json.loads(sys.argv[1]) + [json.loads(sys.argv[2])]))" \
        "$NOTIFY_FILE_ITEMS" "$NOTIFY_FLAG_ITEM" >"$expected"

    start_background endpoint "$PY" "$INTEROP/endpoint.py" --state-dir "$STATE_DIR" \
        --token "$SERVICE_TOKEN" --upstream-url "$SIM_URL" --upstream-ca "$SERVICE_DIR/sim.pem" \
        --api-key "$SIM_API_KEY" --expected-notifications "$expected" \
        --max-inbound-bytes "$MAX_INBOUND_BYTES" --hard-max-inbound-bytes "$HARD_MAX_INBOUND_BYTES" \
        --max-response-bytes "$MAX_RESPONSE_BYTES" --resend-limit $((RESEND_SECONDS * 10)) \
        --quiet-window $((RESEND_SECONDS * 4))
    local endpoint_pid=$LAST_PID
    if ! wait_until 60 test -s "$STATE_DIR/fingerprint"; then
        fail "endpoint.py starts" "see $WORK/endpoint.err"
        return
    fi
    FINGERPRINT=$(cat "$STATE_DIR/fingerprint")
    check_registry_input_rules
    register_wrong_token_then_right_one "$FINGERPRINT"
    check_show_token
    perform_requested_actions "$endpoint_pid" 600
    wait_for_exit "$endpoint_pid" 30
    grep -E '^(PASS|FAIL|NOTE) ' "$WORK/endpoint.out"
    count_results "$WORK/endpoint.out"
    if ((EXIT_STATUS != 0)); then
        echo "endpoint.py exited with status $EXIT_STATUS; log in $WORK/endpoint.err"
    fi
    if wait_until 30 backlog_is_zero; then
        pass "status shows an empty backlog after the acknowledgements"
    else
        fail "status shows an empty backlog after the acknowledgements" "$(service_cli status 2>&1 | sed -n 3,6p)"
    fi
    check_secrets_not_written
    check_service_console
}
