#!/usr/bin/env bash
# Install uv from PyPI when it is missing; works on a fresh Debian with only python3.
set -euo pipefail
if command -v uv >/dev/null 2>&1 || [ -x "$HOME/.local/bin/uv" ]; then exit 0; fi
if ! python3 -m pip --version >/dev/null 2>&1; then
  SUDO=$( [ "$(id -u)" = 0 ] || echo sudo )
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq python3-pip
fi
python3 -m pip install --quiet --user uv 2>/dev/null \
  || python3 -m pip install --quiet --user --break-system-packages uv
