#!/usr/bin/env bash
# One entry point for a fresh clone:  ./setup.sh demo  |  ./setup.sh test  |  ./setup.sh  (set-up only)
# Installs espeak-ng and ffmpeg (Debian, as root) when missing, makes .venv with narrate in it,
# then builds the sample audiobook (demo) or runs the test suite (test). Idempotent: a second run
# skips every step that is already done.
set -euo pipefail
cd "$(dirname "$0")"

need_system() {
  local missing=()
  command -v espeak-ng >/dev/null || missing+=(espeak-ng)
  command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
  # pyttsx3 loads the shared library by ctypes, not the CLI
  ldconfig -p 2>/dev/null | grep -q 'libespeak-ng\.so' || missing+=(libespeak-ng1)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "narrate needs the Debian packages: ${missing[*]}" >&2
    echo "Install them as root, then run this again:  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "installing ${missing[*]} ..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

need_browser() {
  # the studio's browser test drives Debian's chromium (tests/test_studio_browser.py); only `test` needs it
  command -v chromium >/dev/null && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "the studio's browser test needs Debian's chromium: sudo apt-get install -y chromium" >&2
    return 0
  fi
  echo "installing chromium (the studio's browser test) ..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null  # with its recommends (fonts), as tested
}

need_venv() {
  local stamp=.venv/.narrate-installed want
  want=$(cat pyproject.toml | sha256sum | cut -c1-16)
  if [ -x .venv/bin/narrate ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return 0; fi
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test,piper,hibari,dask]'
  echo "$want" > "$stamp"
}

need_bytecode() {
  # An editable install leaves narrate's modules uncompiled; where PYTHONDONTWRITEBYTECODE is set, every command
  # would then compile them again (~70 ms of each start). compileall writes only what is stale.
  .venv/bin/python -m compileall -q narrate >/dev/null
}

need_system
need_venv
need_bytecode
case "${1:-}" in
  demo) exec .venv/bin/narrate build stories/the-signal-keepers.md --voices voices.yaml -o out ;;
  test) shift; need_browser; exec .venv/bin/python -m pytest -q "$@" ;;
  "") echo "ready: .venv/bin/narrate" ;;
  *) echo "usage: ./setup.sh [demo|test]" >&2; exit 2 ;;
esac
