#!/bin/sh
# Rasa container entrypoint.
#   train  - train models/current.tar.gz unless the volume already holds it, then exit
#   run    - serve models/current.tar.gz (trained first if missing)
# Both first build the spaCy catalog pipeline (var/spacy_catalog, named in config.yml) from the
# shop DB at SHOP_DB_URL; it is rebuilt only when the catalog's vocabulary changed.
# Settings come only from the environment (docker/.env.example); the API and action tokens are
# required (and checked further by the channels, shop/secrets.py).
set -eu
MODEL=/app/models/current.tar.gz

python -m catalog_index.spacy_pipeline

train_if_missing() {
  if [ -s "$MODEL" ] && [ "${RASA_FORCE_TRAIN:-0}" != "1" ]; then
    echo "using $MODEL from the models volume"
  else
    rasa train --fixed-model-name current --out /app/models
  fi
}

case "${1:-run}" in
  train)
    train_if_missing
    ;;
  run)
    : "${RASA_API_TOKEN:?set RASA_API_TOKEN (see docker/.env.example)}"
    : "${SHOP_ACTION_TOKEN:?set SHOP_ACTION_TOKEN (see docker/.env.example)}"
    train_if_missing
    # SANIC_WORKERS processes in this container, sharing its port (ops/workers.py).
    SANIC_WORKERS=$(python -m ops.workers credentials.yml)
    export SANIC_WORKERS
    eval "$(python -m ops.workers --tf-env)"  # one TF thread per worker (RASA_TF_THREADS)
    exec rasa run --enable-api --auth-token="$RASA_API_TOKEN" \
      --cors "${RASA_CORS_ORIGINS:-*}" --port "${RASA_PORT:-5005}" \
      --model "$MODEL" --endpoints endpoints.yml --credentials credentials.yml
    ;;
  *)
    exec "$@"
    ;;
esac
