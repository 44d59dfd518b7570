#!/usr/bin/env bash
# Installs the real components the tests run against (Debian packages). Idempotent; needs root (or sudo) when
# something is missing. Nothing is skipped: a test whose component is missing fails and says why.
set -euo pipefail
need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
# pyzmq (on libzmq) from Debian, for /usr/bin/python3: the independent ZeroMQ peer of the zmq-pull/zmq-push tests.
/usr/bin/python3 -c 'import zmq' >/dev/null 2>&1 || need+=(python3-zmq)
# liblz4 (the LZ4 library JLab's evio links): the EVIO tests check our LZ4 records against it.
ldconfig -p 2>/dev/null | grep -q 'liblz4.so.1 ' || need+=(liblz4-1)
# Chromium and its WebDriver (headless, driven by Selenium): the browser tests of the live web view.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
[ ${#need[@]} -eq 0 ] && exit 0

echo "installing test dependencies: ${need[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "error: need root or sudo to install ${need[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# The package's own service is not used: the tests start private Prometheus servers in the foreground.
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
