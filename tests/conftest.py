"""Shared fixtures of the book's tests: where the repository, the chapters and the built book are.

Only notebook and browser helpers live here; library tests need none of it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"


def in_ci() -> bool:
    """True on CI (``CI=true``), where a missing prerequisite must fail a test, not skip it."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> None:
    """Skip locally; fail on CI, where every prerequisite must be installed."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: not skipping)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root directory."""
    return ROOT


@pytest.fixture(scope="session")
def book_html() -> Path:
    """The built book (``_build/html``, or ``$LLMCOST_BOOK_HTML``); built by ``scripts/build_book.sh``."""
    if os.environ.get("LLMCOST_NO_BOOK") == "1":
        pytest.skip("scripts/test.sh --no-book: the built book is tested by the run that builds it")
    path = Path(os.environ.get("LLMCOST_BOOK_HTML", ROOT / "_build" / "html")).resolve()
    if not (path / "index.html").is_file():
        skip_or_fail(f"no built book at {path}: run scripts/build_book.sh first")
    return path


@pytest.fixture(scope="session")
def edition_html(tmp_path_factory) -> Path:
    """A one-chapter edition of the book (the intro on an H100 at 40 % MFU), built once per session."""
    from llmcost.book import edition

    return edition({"gpu": "b200", "mfu": 0.4}, chapters=["00_intro"], out=tmp_path_factory.mktemp("edition") / "html", jobs=1)
