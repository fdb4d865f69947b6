# Set-up shared by scripts/build_book.sh and scripts/test.sh (sourced, not run).
#
# Picks a supported Python (3.11, 3.12 or 3.13), creates the virtual environment if it is
# missing or was made by another Python, and installs requirements.txt (pinned by
# constraints.txt; it installs llmcost itself, editable) unless LLMCOST_SKIP_INSTALL=1.
#
#   PYTHON=python3.12 bash scripts/test.sh     # use this interpreter (a name or a path)
#   LLMCOST_VENV=/tmp/venv-3.12 ...            # put the environment there (default .venv; a
#                                              # relative path is under the repository)
#
# Afterwards VENV is the environment's absolute path and its bin/ is first on PATH.

SUPPORTED_PYTHONS="3.11 3.12 3.13"

# The X.Y version of an interpreter, or nothing if it does not run (a pyenv shim for a
# version that is not selected exits non-zero).
python_version() {
    "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null
}

# Prints the path of a working interpreter of version $1 (e.g. 3.12), or fails: python3.X on
# PATH, else one that pyenv installed.
find_python() {
    local candidate
    for candidate in "$(command -v "python$1" || true)" \
        "$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$1".*/bin/python"$1" 2>/dev/null | sort -V | tail -n 1)"; do
        if [[ -n "$candidate" && "$(python_version "$candidate")" == "$1" ]]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# The environment's folder for the repository $1: $LLMCOST_VENV (absolute, or relative to $1), or $1/.venv.
venv_dir() {
    local venv="${LLMCOST_VENV:-.venv}"
    [[ "$venv" == /* ]] && echo "$venv" || echo "$1/$venv"
}

# ensure_chromium: Debian's chromium and chromium-driver (the browser test, the book's PDF), installed
# with apt-get when missing and this runs as root; returns 1, saying so, when they are still missing.
ensure_chromium() {
    if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
        if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
            echo "setup: installing Debian chromium and chromium-driver"
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
        fi
    fi
    if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
        echo "setup: /usr/bin/chromium or /usr/bin/chromedriver missing; install Debian's chromium chromium-driver" >&2
        return 1
    fi
}

setup_env() {
    local root="$1" python version wanted
    if [[ -n "${PYTHON:-}" ]]; then
        python="$(command -v "$PYTHON" || true)"
    else
        for wanted in $SUPPORTED_PYTHONS; do
            python="$(find_python "$wanted" || true)"
            [[ -n "$python" ]] && break
        done
        python="${python:-$(command -v python3 || true)}"
    fi
    version="$(python_version "${python:-none}" || true)"
    if [[ -z "$version" || " $SUPPORTED_PYTHONS " != *" $version "* ]]; then
        echo "setup: need Python 3.11, 3.12 or 3.13; ${PYTHON:-python3.11/python3.12/python3.13/python3} is ${version:-not a working interpreter}. Set PYTHON=/path/to/python3.X" >&2
        return 2
    fi

    VENV="$(venv_dir "$root")"
    if [[ -x "$VENV/bin/python" && "$(python_version "$VENV/bin/python")" != "$version" ]]; then
        echo "setup: $VENV was made by Python $(python_version "$VENV/bin/python"); recreating it with $version"
        rm -rf "$VENV"
    fi
    if [[ ! -x "$VENV/bin/python" ]]; then
        echo "setup: creating $VENV with $python (Python $version)"
        "$python" -m venv "$VENV"
    fi
    if [[ "${LLMCOST_SKIP_INSTALL:-0}" != "1" ]]; then
        echo "setup: installing requirements.txt into $VENV"
        # The machine's pip configuration may name find-links folders that do not exist; pip
        # warns about each and goes on: only errors are worth showing.
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/requirements.txt" \
            2> >(grep -v "^WARNING: Location '.*' is ignored" >&2)
    fi
    export PATH="$VENV/bin:$PATH"
}
