#!/bin/sh
# Rasa container entrypoint.
#   train  - train models/current.tar.gz unless the volume already holds it, then exit
#   run    - serve models/current.tar.gz (trained first if missing)
# Settings come only from the environment (docker/.env.example); the API token is required.
set -eu
MODEL=/app/models/current.tar.gz

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
    train_if_missing
    exec rasa run --enable-api --auth-token "$RASA_API_TOKEN" \
      --cors "${RASA_CORS_ORIGINS:-*}" --port "${RASA_PORT:-5005}" \
      --model "$MODEL" --endpoints endpoints.yml --credentials credentials.yml
    ;;
  *)
    exec "$@"
    ;;
esac
