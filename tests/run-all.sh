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

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Tests must not depend on the machine's zone or culture (standards: time is an input).
export TZ=Pacific/Chatham LANG=C.UTF-8

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
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
