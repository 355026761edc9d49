# shellcheck shell=bash
# Installs the Debian packages the test suite drives for real, and only those that are missing,
# so that a repeated local run neither touches apt nor waits for `apt-get update`.
# Sourced by scripts/test; defines ensure_system_packages.

# Prints the Debian package to install for each missing tool, one per line.
_missing_system_packages() {
  command -v redis-server >/dev/null 2>&1 || echo redis-server
  [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || echo chromium
  _deb_installed fonts-noto-cjk || echo fonts-noto-cjk
  # soffice alone is not enough: converting to xlsx needs the Calc filters.
  _deb_installed libreoffice-calc-nogui || _deb_installed libreoffice-calc || echo libreoffice-calc-nogui
  [ -x "$(pg_bin_dir)/initdb" ] || echo postgresql-15
}

_deb_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# Directory holding initdb/pg_ctl (PostgreSQL 15 as on Debian 12; PG_BIN overrides).
pg_bin_dir() {
  echo "${PG_BIN:-/usr/lib/postgresql/15/bin}"
}

# Installs whatever _missing_system_packages reports, with apt-get (as root, or through sudo).
ensure_system_packages() {
  local missing
  missing=$(_missing_system_packages | tr '\n' ' ')
  [ -z "${missing// /}" ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "scripts/test: missing system packages ($missing) and not root: install them first." >&2
      return 1
    }
    sudo=(sudo -n)
  fi
  echo "scripts/test: installing system packages: $missing" >&2
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=300)
  local log
  log=$(mktemp "${TMPDIR:-/tmp}/chosa-apt.XXXXXX.log")
  # shellcheck disable=SC2086 # word splitting of the package list is wanted
  if ! { "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends $missing; } \
      </dev/null >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "scripts/test: apt-get failed (full log: $log)" >&2
    return 1
  fi
  rm -f "$log"
}
