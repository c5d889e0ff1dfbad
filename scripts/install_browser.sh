#!/usr/bin/env bash
# Installs Debian's Chromium and ChromeDriver (packages chromium, chromium-driver) for the
# browser tests and screenshots, when they are missing. Needs root or sudo.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    exit 0
fi
echo "installing Debian's chromium and chromium-driver…" >&2
sudo_=""
if [ "$(id -u)" != 0 ]; then sudo_=sudo; fi
$sudo_ apt-get install -y chromium chromium-driver >/dev/null 2>&1 || {
    $sudo_ apt-get update >/dev/null
    $sudo_ apt-get install -y chromium chromium-driver >/dev/null
}
command -v chromium >/dev/null && command -v chromedriver >/dev/null
