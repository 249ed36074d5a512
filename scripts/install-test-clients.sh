#!/usr/bin/env bash
# Installs the Debian programs the tests drive:
#   python3-libtorrent (used with /usr/bin/python3), aria2 (aria2c), transmission-cli: the real
#   BitTorrent clients of src/e2e/real-clients.test.ts;
#   chromium: the headless browser of the stats page and WebTorrent tests (driven by the npm
#   package playwright-core with executablePath /usr/bin/chromium).
# Idempotent: does nothing when they are all present; runs `apt-get update` only when
# something is missing. Needs root (or sudo) and Debian's package archive.
set -euo pipefail

PACKAGES=(python3-libtorrent aria2 transmission-cli chromium)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-test-clients: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "install-test-clients: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Check that what the tests run actually works.
/usr/bin/python3 -c 'import libtorrent' || {
  echo 'install-test-clients: /usr/bin/python3 cannot import libtorrent' >&2
  exit 1
}
aria2c --version >/dev/null
transmission-cli --version >/dev/null 2>&1
/usr/bin/chromium --version >/dev/null
echo "install-test-clients: libtorrent $(/usr/bin/python3 -c 'import libtorrent; print(libtorrent.__version__)'), $(aria2c --version | head -n 1), $(transmission-cli --version 2>&1 | head -n 1), $(/usr/bin/chromium --version)"
