#!/usr/bin/env bash
# Installs what retaind needs to build and test on Debian 12: the system libraries
# (SQLite, libsystemd, OpenBLAS, LAPACKE), systemd's journald, promtool,
# node_exporter, PostgreSQL, Chromium (the report tests render `retaind report`
# headless and check the screenshot), and the Python packages the tests use as
# independent references (numpy, safetensors). Idempotent, and quiet when everything
# is already there.
set -euo pipefail

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

# prometheus (for promtool) and prometheus-node-exporter: the metrics tests check the
# textfile and the shipped alerting rules with the real tools. postgresql and openssl:
# the central-history tests start throwaway clusters, some with TLS.
packages=(libsqlite3-dev libsystemd-dev libopenblas-dev liblapacke-dev systemd procps prometheus prometheus-node-exporter
          postgresql openssl chromium)
python3 -m pip --version >/dev/null 2>&1 || packages+=(python3-pip)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: apt-get install ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! python3 -c "import numpy, safetensors" 2>/dev/null; then
  echo "setup: pip install numpy safetensors" >&2
  python3 -m pip install -q --disable-pip-version-check "numpy>=1.24" "safetensors>=0.4" \
    || python3 -m pip install -q --disable-pip-version-check --break-system-packages "numpy>=1.24" "safetensors>=0.4"
fi
