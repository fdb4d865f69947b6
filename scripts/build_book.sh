#!/usr/bin/env bash
# Build the llmcost book strictly into _build/html, from a clean state.
#
#   scripts/build_book.sh            # creates .venv if missing, installs requirements.txt, builds
#   LLMCOST_SKIP_INSTALL=1 scripts/build_book.sh   # reuse the current .venv as it is
#   PYTHON=python3.13 scripts/build_book.sh        # with another supported Python (3.11-3.13)
#
# Then prints the book into _build/html/llmcost-book.pdf with Debian's Chromium (installed with
# apt-get when missing and this runs as root; without it, the HTML alone).
#
# Fails (non-zero exit) on any Sphinx warning (-W, -n), any notebook exception
# (nb_execution_raise_on_error) and any stderr output of a chapter (stderr_output: warn).
# The build log, and the traceback of a chapter that raised, stay in _build/html/reports/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=scripts/setup_env.sh
source scripts/setup_env.sh
# The kernel that executes the chapters must be this venv's python (setup_env puts it first on PATH).
setup_env "$ROOT"
# Deterministic hashing and no user site or config leaking into the build.
export PYTHONHASHSEED=0 PYTHONNOUSERSITE=1 MPLBACKEND=Agg
export JUPYTER_PLATFORM_DIRS=1

rm -rf _build
mkdir -p _build
start=$(date +%s)
set +e
"$VENV/bin/jupyter-book" build . --builder html -W -n --keep-going 2>&1 | tee _build/build.log
status=${PIPESTATUS[0]}
set -e
end=$(date +%s)

# Keep the evidence in the build: the full log and, when a chapter raised, Sphinx's saved
# traceback (nb_execution_raise_on_error aborts the build and writes it to $TMPDIR).
mkdir -p _build/html/reports
cp _build/build.log _build/html/reports/build.log
{ grep -ao '[^ ]*sphinx-err-[A-Za-z0-9_]*\.log' _build/build.log || true; } | sort -u | while read -r saved; do
    cp "$saved" _build/html/reports/ 2>/dev/null || true
done
if [[ "$status" -ne 0 ]]; then
    echo "build_book: the book build FAILED (exit $status); log and tracebacks in _build/html/reports/" >&2
    exit "$status"
fi

# jupyter-book's exit status is the gate; these checks guard against a build that "passed"
# without producing the book.
test -f _build/html/index.html
test -f _build/html/_static/llmcost-vega.js
echo "build_book: built _build/html in $((end - start)) s"

# The whole book as one PDF, printed offline by Chromium (scripts/build_pdf.py); without Chromium
# the HTML stands and its Start-here page says how to get the PDF.
if ensure_chromium; then
    "$VENV/bin/python" scripts/build_pdf.py _build/html
else
    echo "build_book: no PDF (Chromium is missing); the HTML book is complete" >&2
fi
