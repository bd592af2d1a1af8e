#!/usr/bin/env bash
# Fails when the generated command reference is stale: regenerates docs/commands/ and the
# README's topic list (npm run readme, from oclif.manifest.json and dist/, so run it after
# the build) and fails if that changed, added or removed anything under README.md or
# docs/commands/ compared with what is committed.
set -euo pipefail
cd "$(dirname "$0")/.."

# The reference is wrapped at oclif's default width (120) unless COLUMNS is exported.
env -u COLUMNS npm run --silent readme >/dev/null

changes="$(git status --porcelain --untracked-files=all -- README.md docs/commands)"
if [ -n "$changes" ]; then
  echo "ci: docs/commands is stale: run npm run readme and commit it" >&2
  printf '%s\n' "$changes" >&2
  exit 1
fi
