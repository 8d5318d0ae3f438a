#!/usr/bin/env bash
# check-format.sh -- fails if any C file differs from what clang-format makes of it.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null ||
  { echo "check-format: clang-format is not installed: run scripts/setup.sh" >&2; exit 2; }
bad=0
while IFS= read -r f; do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "not clang-formatted: $f (run: clang-format -i $f)"
    bad=1
  fi
done < <(git ls-files '*.c' '*.h' '*.cc' '*.cpp')
exit $bad
