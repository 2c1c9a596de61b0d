#!/usr/bin/env bash
# Refresh the vendored front-end files from the npm registry.
# Versions are pinned here; the file list and sha256 sums are written to
# trellis/core/static/vendor/VENDORED.txt so a change shows up in review.
#   scripts/vendor.sh            fetch the pinned versions
#   HTMX=2.0.12 scripts/vendor.sh   try another version
set -euo pipefail
HTMX=${HTMX:-2.0.11}
AXE=${AXE:-4.14.1}
# ical.js: the independent iCalendar parser the calendar tests check our .ics output with.
ICALJS=${ICALJS:-2.2.1}

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/trellis/core/static/vendor"
testout="$root/trellis/core/tests/vendor"
calendarstestout="$root/trellis/calendars/tests/vendor"
mkdir -p "$out" "$testout" "$calendarstestout"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() {  # fetch PACKAGE VERSION PATH-IN-TARBALL DESTINATION
  local package=$1 version=$2 inner=$3 dest=$4
  (cd "$work" && npm pack --silent "$package@$version" >/dev/null 2>&1)
  local tarball
  tarball=$(ls "$work"/*.tgz | head -n1)
  tar -xzf "$tarball" -C "$work" "package/$inner"
  cp "$work/package/$inner" "$dest"
  rm -rf "$work"/*
  printf '%s@%s %s %s\n' "$package" "$version" "$inner" "$(sha256sum "$dest" | cut -d' ' -f1)"
}

{
  echo "# Written by scripts/vendor.sh; do not edit by hand."
  fetch htmx.org "$HTMX" dist/htmx.min.js "$out/htmx.min.js"
  fetch axe-core "$AXE" axe.min.js "$testout/axe.min.js"
  # The UMD build: a classic <script> defines the global ICAL.
  fetch ical.js "$ICALJS" dist/ical.es5.min.cjs "$calendarstestout/ical.min.js"
} > "$out/VENDORED.txt"
cat "$out/VENDORED.txt"
