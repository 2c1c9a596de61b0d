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
# The shared-notes editor (Yjs, y-websocket, CodeMirror 6) is bundled with esbuild from
# trellis/notes/frontend: its package.json pins the packages, package-lock.json the rest.

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

collab() {  # bundle the notes editor into one minified ES module
  local source="$root/trellis/notes/frontend" dest="$root/trellis/notes/static/notes/vendor"
  mkdir -p "$dest" "$work/collab"
  cp "$source/package.json" "$source/package-lock.json" "$source/collab-entry.js" "$work/collab/"
  (cd "$work/collab" && npm ci --silent --no-audit --no-fund >/dev/null 2>&1 \
    && ./node_modules/.bin/esbuild collab-entry.js --bundle --format=esm --minify \
      --target=es2020 --legal-comments=eof --log-level=warning --outfile=collab.min.js)
  cp "$work/collab/collab.min.js" "$dest/collab.min.js"
  node -e '
    const lock = require(process.argv[1]).packages;
    const names = Object.keys(require(process.argv[2]).dependencies);
    for (const name of names) {
      const role = name === "esbuild" ? "builds" : "bundled in";
      console.log(`${name}@${lock["node_modules/" + name].version} ${role} notes/vendor/collab.min.js`);
    }
  ' "$work/collab/package-lock.json" "$work/collab/package.json"
  printf 'notes collab bundle %s %s\n' "trellis/notes/static/notes/vendor/collab.min.js" \
    "$(sha256sum "$dest/collab.min.js" | cut -d' ' -f1)"
  rm -rf "$work/collab"
}

{
  echo "# Written by scripts/vendor.sh; do not edit by hand."
  fetch htmx.org "$HTMX" dist/htmx.min.js "$out/htmx.min.js"
  fetch axe-core "$AXE" axe.min.js "$testout/axe.min.js"
  # The UMD build: a classic <script> defines the global ICAL.
  fetch ical.js "$ICALJS" dist/ical.es5.min.cjs "$calendarstestout/ical.min.js"
  collab
} > "$out/VENDORED.txt"
cat "$out/VENDORED.txt"
