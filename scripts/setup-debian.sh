#!/usr/bin/env bash
# Installs the system packages and Python test clients senate-live needs on Debian 12.
# Idempotent: quick when everything is already there. Run as root (or through sudo).
set -euo pipefail

packages=(
  pkg-config libavformat-dev libavcodec-dev libavutil-dev  # the FFmpeg libraries we link
  libavfilter-dev libswscale-dev libswresample-dev         # decode → deinterlace/scale/resample → encode (transcoding, ladder)
  libsqlite3-dev                                           # SQLite for the event log (GRDB links it)
  ffmpeg                                                   # ffmpeg/ffprobe: test clients and fixtures
  tesseract-ocr                                            # reads the burned-in clock back (Benchmarks/latency.sh)
  curl                                                     # raw HTTP paths in the traversal test
  python3 python3-pip                                      # the independent m3u8 playlist parser
  chromium chromium-driver fonts-thai-tlwg                 # the browser tests of the web pages (Selenium), Thai glyphs
  nginx                                                    # the caching edge test (config/nginx-edge.conf)
  postgresql                                               # the multi-node test (shared event log; its own cluster)
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  # Packages with services (nginx, postgresql) must not start them here: the tests run their own on loopback, and a
  # busy port 80 would fail the install. policy-rc.d answers "not now" for the length of the install.
  added_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo_cmd tee /usr/sbin/policy-rc.d > /dev/null
    $sudo_cmd chmod +x /usr/sbin/policy-rc.d
    added_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" || status=$?
  [ -n "$added_policy" ] && $sudo_cmd rm -f /usr/sbin/policy-rc.d
  [ -z "${status:-}" ] || exit "$status"
fi

# Test clients from PyPI, into the python3 first on PATH (the one the tests run).
# http-ece (with cryptography) is the other end of Web Push: it decrypts what the server encrypts.
python3 -c "import m3u8, websockets, selenium, schemathesis, http_ece, cryptography" 2>/dev/null || python3 -m pip install --quiet m3u8 websockets selenium schemathesis http-ece cryptography
