#!/usr/bin/env bash
# Debian packages the test suite needs and pip cannot provide:
#   promtool (package prometheus) for the alert-rule tests and the Prometheus integration test;
#   chromium, chromedriver and fonts for the browser tests.
# Installed when missing and we are root (CI, fresh machines); otherwise we say what to install.
set -euo pipefail

need=()
command -v promtool >/dev/null || need+=(prometheus)
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
[[ -d /usr/share/fonts/truetype/liberation ]] || need+=(fonts-liberation)

((${#need[@]})) || exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "make test needs these Debian packages: ${need[*]} (sudo apt-get install -y ${need[*]})" >&2
  exit 1
fi
echo "Installing Debian packages: ${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
