#!/usr/bin/env bash
# Run every test of llmcost: unit, property, data, CLI and audit tests; the nbval regression of
# the chapters; papermill re-runs with new parameters; and the headless-Chromium check of the
# freshly built book.
#
#   scripts/test.sh                 # sets up .venv, installs Chromium if missing, builds, tests
#   scripts/test.sh -k cli          # extra arguments go to pytest
#   scripts/test.sh --no-book       # without the book: no build, no browser (library, data,
#                                   # CLI, nbval and papermill tests)
#   PYTHON=python3.12 LLMCOST_VENV=.venv-3.12 scripts/test.sh   # under another Python
#
# Needs Python 3.11, 3.12 or 3.13 and, for the browser test, Debian's chromium +
# chromium-driver (installed by scripts/build_book.sh with apt-get when missing and this runs as root).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTEST=(-m pytest tests chapters --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-current-env
    -p no:cacheprovider --durations=10)
export PYTHONHASHSEED=0

# --no-book may come anywhere among the arguments; the others go to pytest.
NO_BOOK=0
ARGS=()
for arg in "$@"; do
    if [[ "$arg" == "--no-book" ]]; then NO_BOOK=1; else ARGS+=("$arg"); fi
done
set -- ${ARGS[@]+"${ARGS[@]}"}

if [[ "$NO_BOOK" == "1" ]]; then
    # shellcheck source=scripts/setup_env.sh
    source scripts/setup_env.sh
    setup_env "$ROOT"
    # The tests of the built book (tests/conftest.py: book_html) are skipped, not failed.
    export LLMCOST_NO_BOOK=1
    exec "$VENV/bin/python" "${PYTEST[@]}" --ignore=tests/test_book_browser.py "$@"
fi

# Builds into _build/html with its PDF (and sets up the venv, and chromium); the browser test reads that build.
bash scripts/build_book.sh

source scripts/setup_env.sh
VENV="$(venv_dir "$ROOT")"
export PATH="$VENV/bin:$PATH"
"$VENV/bin/python" "${PYTEST[@]}" "$@"
