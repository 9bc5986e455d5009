#!/usr/bin/env bash
# Install the Debian packages gridmap needs, only those missing; quiet when nothing is.
#   scripts/install-system.sh          what `make run` needs (SpatiaLite, a Python that can load it)
#   scripts/install-system.sh --test   plus PostGIS for the running PostgreSQL and Chromium for browser tests
set -euo pipefail

# WeasyPrint (the notice PDF) lays out with Pango and embeds the Noto CJK fonts
want=(python3 python3-venv python3-dev libsqlite3-mod-spatialite nodejs npm libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk)
if [[ "${1:-}" == "--test" ]]; then
  want+=(chromium)
  # PostGIS must match the PostgreSQL server that runs here (postgresql-15 on Debian 12).
  if [[ -d /etc/postgresql ]]; then
    for v in $(ls /etc/postgresql); do want+=("postgresql-${v}-postgis-3"); done
  else
    want+=(postgresql postgis)
  fi
  # `gridmap backup`/`restore` on PostGIS run pg_dump/pg_restore (the server's own version when it is here).
  command -v pg_dump >/dev/null || want+=(postgresql-client)
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm may come from elsewhere than Debian (e.g. a preinstalled Node.js): accept any working binary.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<< "${missing[*]}"
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
