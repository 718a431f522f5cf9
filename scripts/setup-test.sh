#!/usr/bin/env bash
# setup-test.sh — install everything crlf's test suite uses, on a fresh Debian machine (run as root).
#
# Idempotent: a second run installs nothing new and takes a few seconds.
#   1. Debian packages the interop tests drive (skipped when already present):
#        nginx-light  client interop, static-file comparisons     curl          curl_check.sh, e2e tests
#        wrk          load/smoke                                  apache2-utils ab (load_check.sh)
#        nghttp2-client h2load (load_check.sh)                     chromium, chromium-driver  browser_check.py
#        openssl      test certificates (TLS server and client tests)
#        gcc, pythonX.Y-dev  build crlf's optional C helpers (WebSocket masking, src/crlf/websocket/_speedups.c;
#                            request-head splitting, src/crlf/protocol/_speedups.c)
#   2. .venv in the repo (python3 -m venv) with crlf editable, its extras, and the `dev` dependency
#      group of pyproject.toml (the one list of test and lint tools).
#   3. The judges' venv ($JUDGES_VENV, default /tmp/judges/venv, where tests/judges/*.sh and
#      ../shared/judges/*.sh look): redbot 2.7.1 (redbot_check.sh), kosoku 0.1.0 (ws_conformance.sh),
#      websockets (browser_check.py).
#
# Env: CRLF_SKIP_APT=1 skips step 1 (no root / offline); PYTHON picks the interpreter (default python3.11
# when present, else python3); VENV overrides .venv.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
JUDGES_VENV="${JUDGES_VENV:-/tmp/judges/venv}"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1
log() { printf '[setup-test] %s\n' "$*" >&2; }
start=$(date +%s)

# Drop pip's noise about configured-but-absent local indexes.
pip_q() { "$1" -m pip -q "${@:2}" 2> >(grep -v "is ignored: it is neither" >&2); }

# --- 1. Debian packages -------------------------------------------------------------------------
# program -> package; only missing programs are installed.
declare -A APT=(
  [nginx]=nginx-light [curl]=curl [wrk]=wrk [ab]=apache2-utils [h2load]=nghttp2-client
  [chromium]=chromium [chromedriver]=chromium-driver [taskset]=util-linux [openssl]=openssl
  [gcc]=gcc
)
if [ "${CRLF_SKIP_APT:-0}" != 1 ]; then
  need=()
  for prog in "${!APT[@]}"; do
    command -v "$prog" >/dev/null 2>&1 || need+=("${APT[$prog]}")
  done
  # The Python headers the C helper compiles against: pythonX.Y-dev for the interpreter used.
  if ! "$PY" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))'; then
    need+=("$("$PY" -c 'import sys; print("python%d.%d-dev" % sys.version_info[:2])')")
  fi
  if ((${#need[@]})); then
    if [ "$(id -u)" != 0 ]; then
      log "not root: cannot apt-get install ${need[*]} (the interop tests that need them will skip)"
    else
      log "apt-get install ${need[*]}"
      apt_install() { apt-get install -y -qq --no-install-recommends "$@" ca-certificates >/dev/null; }
      # nginx-light is not in every Debian release: fall back to plain nginx. A failure here is
      # loud but not fatal: the tests that need a missing program skip, saying which.
      apt-get update -qq || log "WARNING: apt-get update failed"
      apt_install "${need[@]}" || apt_install "${need[@]/nginx-light/nginx}" \
        || log "WARNING: apt-get install ${need[*]} failed; interop tests needing them will skip"
    fi
  fi
  # The tests start their own nginx on 127.0.0.1 ports from their own config; never the packaged
  # service (a Debian postinst may have started one on port 80: leave it, the tests don't use 80).
fi

# --- 2. the project venv ------------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV"
  "$PY" -m venv "$VENV"
fi
# pip >= 25.1 understands --group (PEP 735 dependency groups).
if ! "$VENV/bin/python" -c 'import sys, pip; sys.exit(tuple(map(int, pip.__version__.split(".")[:2])) < (25, 1))'; then
  pip_q "$VENV/bin/python" install --upgrade pip
fi
# Reinstall only when pyproject.toml changed since the last successful install (idempotent and fast).
stamp="$VENV/.crlf-setup-stamp"
want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! "$VENV/bin/python" -c 'import crlf' 2>/dev/null; then
  log "pip install -e '.[multipart,brotli]' --group dev"
  (cd "$ROOT" && pip_q "$VENV/bin/python" install -e ".[multipart,brotli]" --group dev)
  echo "$want" > "$stamp"
fi

# --- 3. the judges' venv ------------------------------------------------------------------------
if ! "$JUDGES_VENV/bin/python" -c 'import redbot, websockets' 2>/dev/null || [ ! -x "$JUDGES_VENV/bin/kosoku" ]; then
  log "creating the judges' venv $JUDGES_VENV (redbot, kosoku, websockets)"
  [ -x "$JUDGES_VENV/bin/python" ] || "$PY" -m venv "$JUDGES_VENV"
  pip_q "$JUDGES_VENV/bin/python" install "redbot==2.7.1" "kosoku==0.1.0" "websockets>=15"
fi

log "ready in $(( $(date +%s) - start ))s: $("$VENV/bin/python" --version), $VENV"
