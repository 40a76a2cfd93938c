#!/usr/bin/env bash
# Starts the action server, the Rasa server and the web apps; stops them all on Ctrl-C.
# Secrets: generated once per install into var/secrets.env (mode 0600, shop/secrets.py); a
# variable already set in the environment wins over the file.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var/log
VENV=.venv
exports=$($VENV/bin/python -m shop.secrets ensure var/secrets.env)
eval "$exports"

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# Listens on ACTION_HOST (127.0.0.1 by default) and obeys only calls carrying SHOP_ACTION_TOKEN.
$VENV/bin/python -m actions.server > var/log/actions.log 2>&1 &
pids+=($!)
# Rasa forks SANIC_WORKERS server processes sharing its port (ops/workers.py: 0 = one per
# core; 1 with the in-memory lock store or Telegram polling). The conversation locks they
# share are a SQLite file beside the tracker DB (ops/lock_store.py).
SANIC_WORKERS=$($VENV/bin/python -m ops.workers credentials.yml)
export SANIC_WORKERS
# One TensorFlow thread per worker (RASA_TF_THREADS): the workers are the parallelism.
eval "$($VENV/bin/python -m ops.workers --tf-env)"
$VENV/bin/rasa run --enable-api --auth-token="$RASA_API_TOKEN" --cors "*" \
  --port "${RASA_PORT:-5005}" --model models/current.tar.gz \
  --endpoints endpoints.yml --credentials credentials.yml > var/log/rasa.log 2>&1 &
rasa_pid=$!
pids+=($rasa_pid)
# The web apps run from their own virtualenv on a maintained aiohttp (see the Makefile).
WEB_PY=.venv-web/bin/python
[ -x "$WEB_PY" ] || WEB_PY=$VENV/bin/python
for app in web console; do
  if [ -f "$app/__main__.py" ]; then
    $WEB_PY -m "$app" > "var/log/$app.log" 2>&1 &
    pids+=($!)
  fi
done

# Ready when every worker has loaded the model and accepts connections.
rasa_ready() {
  curl -sf "http://localhost:${RASA_PORT:-5005}/status?token=$RASA_API_TOKEN" >/dev/null &&
    [ "$($VENV/bin/python -m ops.workers --serving "$rasa_pid")" -ge "$SANIC_WORKERS" ]
}
printf 'Waiting for the Rasa server'
until rasa_ready; do
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo; echo "a process exited; see var/log/"; exit 1; }; done
  printf '.'; sleep 2
done
cat <<MSG

Ready.
  Chat over REST:   curl -s localhost:${RASA_PORT:-5005}/webhooks/rest/webhook -d '{"sender":"my-own-random-id","message":"where is my order?"}'
  Rasa HTTP API:    http://localhost:${RASA_PORT:-5005} (token: RASA_API_TOKEN in var/secrets.env)
  Rasa workers:     $SANIC_WORKERS (SANIC_WORKERS; each loads the model)
  Action server:    http://${ACTION_HOST:-127.0.0.1}:${ACTION_PORT:-5055}/health (only Rasa may call /webhook)
  Logs:             var/log/
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
