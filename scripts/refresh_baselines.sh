#!/usr/bin/env bash
# Re-execute chapters in place so that their committed outputs become the new nbval baseline.
#
#   scripts/refresh_baselines.sh                       # every chapters/*.ipynb
#   scripts/refresh_baselines.sh chapters/00_intro.ipynb ...
#   scripts/refresh_baselines.sh --check [chapters...]  # the nbval regression test instead:
#       re-runs the chapters and fails if any output differs from the committed one
#
# Run it after scripts/build_book.sh or scripts/test.sh has set up the environment (.venv, or
# $LLMCOST_VENV). Each chapter runs top to bottom in a fresh kernel of that environment, with
# its own folder as the working directory (as jupyter-book and nbval run it), with its default
# parameters. Volatile metadata
# (execution timestamps, papermill records, widget state) is dropped and cell ids are kept, so a
# second run leaves `git diff` empty. A chapter that raises stops the script (non-zero exit)
# and its file is left untouched.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup_env.sh
PY="$(venv_dir "$ROOT")/bin/python"
export PATH="$(dirname "$PY"):$PATH" PYTHONHASHSEED=0 PYTHONNOUSERSITE=1 MPLBACKEND=Agg JUPYTER_PLATFORM_DIRS=1

CHECK=0
if [[ "${1:-}" == "--check" ]]; then
    CHECK=1
    shift
fi
if [[ $# -eq 0 ]]; then
    set -- chapters/*.ipynb
fi

if [[ "$CHECK" == "1" ]]; then
    # nbval starts each chapter's kernel in the chapter's folder, from this venv (current env).
    exec "$PY" -m pytest -p no:cacheprovider --nbval --nbval-current-env \
        --nbval-sanitize-with tests/nbval_sanitize.cfg "$@"
fi

"$PY" - "$@" <<'PYEOF'
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

VOLATILE_CELL_KEYS = ("execution", "papermill", "collapsed", "scrolled")
VOLATILE_NB_KEYS = ("papermill", "widgets")

for name in sys.argv[1:]:
    path = Path(name).resolve()
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    for cell in nb.cells:
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
    for key in VOLATILE_NB_KEYS:
        nb.metadata.pop(key, None)
    nb.metadata.get("language_info", {}).pop("version", None)  # the patch release differs between machines
    nbformat.validate(nb)
    text = nbformat.writes(nb)
    text += "" if text.endswith("\n") else "\n"
    if path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
        state = "updated"
    else:
        state = "unchanged"
    print(f"refresh_baselines: {path.relative_to(Path.cwd())}: {state} ({time.perf_counter() - start:.1f} s)")
PYEOF
