#!/usr/bin/env bash
# Installs the Debian packages the test suite uses for real: PostgreSQL, Redis, Chromium,
# nginx (`nginx -t` on the compose config), npm (the widget's front-end dependencies) and the
# Noto CJK fonts (without them Chromium draws the widget's Chinese text as boxes in screenshots).
set -euo pipefail
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null || need+=(redis-server)
command -v chromium >/dev/null || need+=(chromium)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v npm >/dev/null || need+=(nodejs npm)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}"
fi
