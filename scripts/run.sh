#!/usr/bin/env bash
# Starts the action server, the Rasa server and the web apps; stops them all on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var/log
VENV=.venv
if [ -z "${RASA_API_TOKEN:-}" ]; then
  [ -s var/rasa_api_token ] || $VENV/bin/python -c "import secrets; print(secrets.token_urlsafe(24))" > var/rasa_api_token
  RASA_API_TOKEN=$(cat var/rasa_api_token)
fi
export RASA_API_TOKEN

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

$VENV/bin/python -m rasa_sdk --actions actions --port "${ACTION_PORT:-5055}" > var/log/actions.log 2>&1 &
pids+=($!)
$VENV/bin/rasa run --enable-api --auth-token "$RASA_API_TOKEN" --cors "*" \
  --port "${RASA_PORT:-5005}" --model models/current.tar.gz \
  --endpoints endpoints.yml --credentials credentials.yml > var/log/rasa.log 2>&1 &
pids+=($!)
for app in web console; do
  if [ -f "$app/__main__.py" ]; then
    $VENV/bin/python -m "$app" > "var/log/$app.log" 2>&1 &
    pids+=($!)
  fi
done

printf 'Waiting for the Rasa server'
until curl -sf "http://localhost:${RASA_PORT:-5005}/status?token=$RASA_API_TOKEN" >/dev/null; do
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo; echo "a process exited; see var/log/"; exit 1; }; done
  printf '.'; sleep 2
done
cat <<MSG

Ready.
  Chat over REST:   curl -s localhost:${RASA_PORT:-5005}/webhooks/rest/webhook -d '{"sender":"me","message":"where is my order?"}'
  Rasa HTTP API:    http://localhost:${RASA_PORT:-5005} (token in var/rasa_api_token)
  Action server:    http://localhost:${ACTION_PORT:-5055}/health
  Logs:             var/log/
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
