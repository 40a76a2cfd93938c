#!/bin/sh
# Runs once, on an empty data directory: the order DB next to the tracker DB (POSTGRES_DB).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -c "CREATE DATABASE \"${SHOP_DB_NAME}\""
