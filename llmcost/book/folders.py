"""Writing a folder the user named without ever losing what they own.

An edition of the book (``llmcost book --out DIR``) is written to a temporary folder beside
``DIR`` and moved into place only when it is complete. It replaces ``DIR`` only when an earlier
edition wrote it: that edition left :data:`MARKER` there, listing every file it wrote, and the
folder holds nothing else. Any other non-empty folder, a file, a protected folder (the
repository, its sources, the published build) or a folder that contains one of them is refused
before anything runs, in one line. Ctrl-C at any point leaves either the old folder or the new
one whole, and no temporary folder behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

from ..core.validate import InputError

MARKER = ".llmcost-edition"
"""The file an edition leaves in its folder: a header line, then every file it wrote, one
relative POSIX path a line. Its presence (and nothing unlisted beside it) lets the next edition
replace the folder."""

MARKER_HEADER = "llmcost book edition: the files below were written by llmcost book; it may replace this folder"
TEMPORARY_PREFIX = ".llmcost-tmp-"
"""Prefix of the temporary folder written beside the target (hidden, and named so that a
left-over one is recognisable)."""


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def written_files(folder: Path) -> set[str]:
    """Every file under ``folder`` as a relative POSIX path (symbolic links count as files)."""
    found = set()
    for root, dirs, files in os.walk(folder):
        base = Path(root)
        found.update((base / name).relative_to(folder).as_posix() for name in files)
        found.update((base / name).relative_to(folder).as_posix() for name in dirs if (base / name).is_symlink())
    return found


def write_marker(folder: Path) -> None:
    """Record in ``folder`` that an edition wrote it, with the list of its files."""
    files = sorted(written_files(folder) - {MARKER})
    (folder / MARKER).write_text("\n".join([MARKER_HEADER, *files, ""]), encoding="utf-8")


def _unlisted(folder: Path) -> list[str]:
    """Files of ``folder`` that its marker does not list (all of them when it has no marker)."""
    marker = folder / MARKER
    listed = set()
    if marker.is_file() and not marker.is_symlink():
        lines = marker.read_text(encoding="utf-8", errors="replace").splitlines()
        if lines and lines[0] == MARKER_HEADER:
            listed = set(lines[1:]) | {MARKER}
    return sorted(written_files(folder) - listed) if listed else sorted(os.listdir(folder))


def check_target(out, option: str, protected: list[tuple[str, Path, Path | None]]) -> Path:
    """The absolute path ``out`` if an edition may be written there, else an InputError in one line.

    protected: (description, folder, allowed) triples: the target must neither be ``folder``,
    nor hold it, nor lie inside it unless strictly below ``allowed`` (None: nowhere). A target
    that exists must be a folder that is empty or was written by an edition (its marker lists
    every file); the nearest folder that exists above it must take a new folder (tried).
    """
    target = Path(os.path.abspath(Path(out).expanduser()))
    resolved = target.resolve()
    for what, folder, _ in protected:
        if _is_within(folder.resolve(), resolved):
            raise InputError(f"{option} {out} would replace {what} ({folder.resolve()}); choose a new or empty folder")
    for what, folder, allowed in protected:
        folder = folder.resolve()
        below_allowed = allowed is not None and resolved != allowed.resolve() and _is_within(resolved, allowed.resolve())
        if _is_within(resolved, folder) and not below_allowed:
            raise InputError(f"{option} {out} is inside {what} ({folder}); choose a folder outside it")
    if resolved.exists() or target.is_symlink():
        if target.is_symlink() or not resolved.is_dir():
            raise InputError(f"{option} {out} exists and is not a folder; give a new or empty folder")
        if not os.access(resolved, os.R_OK | os.X_OK):
            raise InputError(f"{option} {out} cannot be read: give a folder you may write to")
        foreign = _unlisted(resolved)
        if foreign:
            raise InputError(f"{option} {out} holds files that llmcost book did not write (e.g. {foreign[0]}); "
                             "it replaces only a folder an earlier edition wrote: give a new or empty folder")
    parent = resolved.parent
    while not parent.exists():
        parent = parent.parent
    try:  # the build writes beside the target: try it now rather than after minutes of work
        os.rmdir(tempfile.mkdtemp(prefix=TEMPORARY_PREFIX, dir=parent))
    except OSError as exc:
        raise InputError(f"{option} {out}: cannot write in {parent} ({exc.strerror or exc}); give a folder you may write to") from None
    return resolved


@contextmanager
def staging_beside(target: Path):
    """A new temporary folder in ``target``'s parent (created if missing), removed on exit."""
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{TEMPORARY_PREFIX}{target.name}-", dir=target.parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _no_interrupt():
    """Hold back Ctrl-C (SIGINT) inside the block and act on it when the block ends. Python runs
    signal handlers in the main thread only, so this replaces the handler there (blocking the
    signal would not do: the kernel may hand it to another thread, such as a progress bar's)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received and callable(previous):
            previous(signal.SIGINT, None)
        elif received and previous == signal.SIG_DFL:
            raise KeyboardInterrupt


def move_into_place(new: Path, target: Path, staging: Path) -> None:
    """Replace ``target`` by the complete folder ``new`` (both in ``staging``'s parent).

    The old folder is first renamed into ``staging`` (removed with it), then ``new`` renamed to
    ``target``: two renames on one file system, with Ctrl-C held back between them, so that
    ``target`` is always whole. The caller checked ``target`` with :func:`check_target`.
    """
    write_marker(new)
    with _no_interrupt():
        if target.exists():
            if _unlisted(target):  # changed since it was checked: keep it
                raise InputError(f"{target} changed during the build and holds files llmcost book did not write; nothing was replaced")
            os.rename(target, staging / "replaced")
        os.rename(new, target)
