#!/usr/bin/env bash
# The installed package works, not only the checkout: packs odoops as npm would publish it,
# installs the tarball into a throwaway prefix (its dependencies from the registry, as a user
# gets them) and runs it from there, outside the repository: --version, template list, and
# the README's main job, odoops demo (which needs the fixture Odoo shipped in the package).
# Usage: bash .ci/pack-check.sh [--no-demo]   (npm run pack:check)
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d /tmp/odoops-pack-check.XXXXXX)"
trap 'rm -rf "$work"' EXIT

npm pack --silent --pack-destination "$work" >/dev/null
tarball="$(ls "$work"/odoops-*.tgz)"
echo "pack-check: $(basename "$tarball"), $(du -h "$tarball" | cut -f1)"
listing="$(tar -tzf "$tarball")"
stray="$( { printf '%s\n' "$listing" | grep -E '__pycache__|\.pyc$'; printf '%s\n' "$listing" | grep '^package/test/' | grep -v '^package/test/fixtures/odoo/'; } || true)"
if [ -n "$stray" ]; then
  echo "pack-check: the package holds files it should not:" >&2
  printf '%s\n' "$stray" >&2
  exit 1
fi
for needed in package/dist/index.js package/oclif.manifest.json package/test/fixtures/odoo/bin/odoo package/templates/plans/per-user.yaml; do
  printf '%s\n' "$listing" | grep -qxF "$needed" || { echo "pack-check: $needed is missing from the package" >&2; exit 1; }
done

npm install --global --prefix "$work/prefix" --no-audit --no-fund --loglevel=error "$tarball"
odoops="$work/prefix/bin/odoops"
export ODOOPS_CONFIG_DIR="$work/config" ODOOPS_DATA_DIR="$work/data" ODOOPS_CACHE_DIR="$work/cache"
cd "$work"   # nothing from the checkout may be reachable

"$odoops" --version
"$odoops" template list >/dev/null
# Hints name the installed example plans, not a checkout's templates/plans/.
examples="$("$odoops" plan list | sed -n 's/.*examples shipped with odoops: \(.*\))\.$/\1/p')"
case "$examples" in "$work"/prefix/*) ;; *) echo "pack-check: plan list names \"$examples\", not the installed examples" >&2; exit 1 ;; esac
"$odoops" plan validate "$examples/per-user.yaml" >/dev/null
if [ "${1:-}" != "--no-demo" ]; then
  "$odoops" demo
fi
echo "pack-check: ok"
