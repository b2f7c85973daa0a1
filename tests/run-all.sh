#!/usr/bin/env bash
# The whole test suite, from a fresh clone on a fresh Debian machine: installs what the tests need, then runs them.
# README "Run the tests" and .ci/run call exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# The .NET 10 SDK comes with the machine image (Debian does not package it); say so plainly when it is missing.
if ! command -v dotnet >/dev/null 2>&1 || ! dotnet --list-sdks | grep -q '^10\.'; then
  echo "tests/run-all.sh: the .NET 10 SDK is required (dotnet --list-sdks shows none); install it and run again" >&2
  exit 1
fi

# The browser test (tests/FhirBridge.BrowserTests) drives Debian's Chromium at /usr/bin/chromium through Playwright;
# Playwright's own browser download is never used. Install it when missing (as root), or say plainly what is needed.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "tests/run-all.sh: installing Debian's chromium for the browser test" >&2
    apt_log=$(mktemp)
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >"$apt_log" 2>&1; then
      tail -n 5 "$apt_log" >&2
      echo "tests/run-all.sh: could not install chromium (apt-get install -y chromium failed); the browser test needs /usr/bin/chromium" >&2
      exit 1
    fi
    rm -f "$apt_log"
  else
    echo "tests/run-all.sh: the browser test needs Debian's chromium at /usr/bin/chromium: run 'apt-get install -y chromium' as root, then run again" >&2
    exit 1
  fi
fi

# The PostgreSQL store's tests need a server where they may create databases (FHIRBRIDGE_TEST_POSTGRES, an Npgsql
# connection string). Unless one is given, start a throw-away one from Debian's postgresql (installed when missing, as
# root), on a free port of 127.0.0.1, and remove it at exit. It never silently falls back to skipping those tests.
pg_dir=""
pg_bin=""
cleanup() {
  if [ -n "$pg_dir" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir" stop -m fast >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
  if [ -n "${out:-}" ]; then
    rm -rf "$out"
  fi
}
trap cleanup EXIT

if [ -z "${FHIRBRIDGE_TEST_POSTGRES:-}" ]; then
  find_pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | while read -r d; do [ -x "$d/initdb" ] && echo "$d"; done | sort -V | tail -n 1; }
  pg_bin=$(find_pg_bin)
  if [ -z "$pg_bin" ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "tests/run-all.sh: the PostgreSQL store's tests need a server: run 'apt-get install -y postgresql' as root, or set FHIRBRIDGE_TEST_POSTGRES to an Npgsql connection string of a server where tests may create databases, then run again" >&2
      exit 1
    fi
    echo "tests/run-all.sh: installing Debian's postgresql for the PostgreSQL store's tests" >&2
    apt_log=$(mktemp)
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >"$apt_log" 2>&1; then
      tail -n 5 "$apt_log" >&2
      echo "tests/run-all.sh: could not install postgresql (apt-get install -y postgresql failed); the PostgreSQL store's tests need it" >&2
      exit 1
    fi
    rm -f "$apt_log"
    pg_bin=$(find_pg_bin)
    if [ -z "$pg_bin" ]; then
      echo "tests/run-all.sh: postgresql is installed but no /usr/lib/postgresql/*/bin/initdb was found" >&2
      exit 1
    fi
  fi
  # initdb refuses to run as root, so the server runs as the postgres user (which needs root to switch to).
  if [ "$(id -u)" -ne 0 ]; then
    echo "tests/run-all.sh: starting a throw-away PostgreSQL needs root (to run it as the postgres user); run as root, or set FHIRBRIDGE_TEST_POSTGRES to an Npgsql connection string of a server where tests may create databases" >&2
    exit 1
  fi
  pg_dir=$(mktemp -d /tmp/fhirbridge-pg.XXXXXX)
  chown postgres "$pg_dir"
  if ! initdb_log=$(runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir" -A trust -U postgres 2>&1); then
    printf '%s\n' "$initdb_log" | tail -n 20 >&2
    echo "tests/run-all.sh: initdb failed for the throw-away PostgreSQL" >&2
    exit 1
  fi
  # A free port: bind to port 0 and take what the kernel gives (a default cluster may already have 5432).
  pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || true)
  if [ -z "$pg_port" ]; then
    for p in $(seq 54320 54400); do
      if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then pg_port=$p; break; fi
    done
  fi
  # fsync off: the data is thrown away; max_connections up for test classes running in parallel, each with its pool.
  if ! runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir" \
      -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c fsync=off -c max_connections=300" \
      -l "$pg_dir/log" -w start >/dev/null; then
    tail -n 20 "$pg_dir/log" >&2
    echo "tests/run-all.sh: could not start the throw-away PostgreSQL on 127.0.0.1:$pg_port (its log is above)" >&2
    exit 1
  fi
  export FHIRBRIDGE_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres"
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Tests must not depend on the machine's zone or culture (standards: time is an input).
export TZ=Pacific/Chatham LANG=C.UTF-8

out=$(mktemp -d)
dotnet build FhirBridge.sln -c Release -warnaserror 2>&1 | tail -n 3
set +e
dotnet test FhirBridge.sln -c Release --no-build --logger "console;verbosity=minimal" 2>&1 | tee "$out/test.log"
status=${PIPESTATUS[0]}
set -e

# One plain closing line for the whole suite, summed over the test projects.
awk '/^(Passed|Failed)!/ {
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1));
         if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$out/test.log"
exit "$status"
