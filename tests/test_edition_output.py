"""`llmcost book --out` never deletes what it did not write, and Ctrl-C loses nothing.

An edition is built beside its target and moved into place when complete; it replaces only a
folder that an earlier edition wrote (llmcost.folders.MARKER lists its files). Every other
target is refused before anything runs, with exit status 2 and one line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from llmcost.book import editions as edition_module
from llmcost import folders
from llmcost.book.editions import EditionFailed
from llmcost.core.validate import InputError

ROOT = Path(__file__).resolve().parents[1]


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time (ns)."""
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            if path.is_file():
                stat = path.stat()
                files[str(path.relative_to(folder))] = (stat.st_size, stat.st_mtime_ns)
    return files


def book(*argv: str, cwd: Path = ROOT, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "llmcost.cli", "book", "--chapters", "00", *argv],
                          capture_output=True, text=True, timeout=timeout, cwd=cwd)


def old_edition(folder: Path) -> Path:
    """A folder as an earlier edition left it: pages and the marker listing them."""
    (folder / "chapters").mkdir(parents=True)
    (folder / "index.html").write_text("<p>old edition</p>", encoding="utf-8")
    (folder / "chapters" / "00_intro.html").write_text("<p>old intro</p>", encoding="utf-8")
    folders.write_marker(folder)
    return folder


def assert_refused(proc, says: str) -> None:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and says in lines[0], proc.stderr


@pytest.mark.parametrize(("target", "says"), [
    ("data", "is inside the repository"),
    ("llmcost", "is inside the repository"),
    (".git", "is inside the repository"),
    (".", "would replace the repository"),
    ("..", "would replace the repository"),
    ("/", "would replace the repository"),
    ("_build", "would replace the published build"),
    ("_build/html", "would replace the published build"),
    ("_build/html/chapters", "is inside the published build"),
    ("chapters", "is inside the repository"),
])
def test_protected_folders_are_refused_and_untouched(target, says):
    watched = ROOT / "data" if target in ("/", ".", "..") else (ROOT / target)
    before = snapshot(watched)  # {} for a folder that is not there (a fresh clone has no _build)
    top = sorted(os.listdir("/"))
    proc = book("--out", target)
    assert_refused(proc, says)
    assert snapshot(watched) == before
    assert sorted(os.listdir("/")) == top
    assert not list(ROOT.glob(f"**/{folders.TEMPORARY_PREFIX}*"))


def test_a_folder_holding_a_users_file_is_refused_and_kept(tmp_path):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("my notes", encoding="utf-8")
    (target / "sub").mkdir()
    (target / "sub" / "thesis.tex").write_text("chapter 1", encoding="utf-8")
    before = snapshot(target)
    proc = book("--out", str(target))
    assert_refused(proc, "holds files that llmcost book did not write (e.g. notes.txt)")
    assert snapshot(target) == before
    assert sorted(os.listdir(tmp_path)) == ["mine"]


def test_an_earlier_edition_with_a_users_file_added_is_refused(tmp_path):
    target = old_edition(tmp_path / "edition")
    (target / "chapters" / "my-notes.md").write_text("keep me", encoding="utf-8")
    before = snapshot(target)
    assert_refused(book("--out", str(target)), "e.g. chapters/my-notes.md")
    assert snapshot(target) == before


@pytest.mark.parametrize("where", ["home", "tmp"])
def test_home_and_tmp_are_refused(where, tmp_path):
    folder = Path.home() if where == "home" else Path(os.environ.get("TMPDIR", "/tmp"))
    if not any(folder.iterdir()):
        pytest.skip(f"{folder} is empty here")
    sentinel = tmp_path / "sentinel" if where == "home" else Path(folder) / f"llmcost-sentinel-{os.getpid()}"
    if where == "tmp":
        sentinel.write_text("mine", encoding="utf-8")
    top = set(os.listdir(folder))  # other programs may add files meanwhile, never may this one delete
    try:
        proc = book("--out", str(folder))
        says = "would replace the repository" if ROOT.is_relative_to(folder.resolve()) else "did not write"
        assert_refused(proc, says)
        if where == "home":
            assert top <= set(os.listdir(folder))
        else:
            assert sentinel.read_text(encoding="utf-8") == "mine"
    finally:
        if where == "tmp":
            sentinel.unlink()


def test_a_file_and_an_unwritable_place_are_refused_before_the_build(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("mine", encoding="utf-8")
    started = time.monotonic()
    assert_refused(book("--out", str(notes)), "exists and is not a folder")
    assert notes.read_text(encoding="utf-8") == "mine"
    assert_refused(book("--out", str(notes / "edition")), "cannot write in")
    assert_refused(book("--out", "/proc/llmcost-edition"), "cannot write in /proc")
    assert time.monotonic() - started < 60, "refusing a target must not wait for a build"


def test_a_link_to_a_folder_is_refused(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    assert_refused(book("--out", str(tmp_path / "link")), "exists and is not a folder")


def test_check_target_accepts_new_empty_and_marked_folders(tmp_path):
    protected = edition_module.PROTECTED
    assert folders.check_target(tmp_path / "new" / "deeper", "--out", protected) == (tmp_path / "new" / "deeper").resolve()
    (tmp_path / "empty").mkdir()
    assert folders.check_target(tmp_path / "empty", "--out", protected) == (tmp_path / "empty").resolve()
    assert folders.check_target(old_edition(tmp_path / "old"), "--out", protected) == (tmp_path / "old").resolve()
    beside_the_book = ROOT / "_build" / "what-if-never-built"
    assert folders.check_target(beside_the_book, "--out", protected) == beside_the_book
    assert not list(tmp_path.glob(f"{folders.TEMPORARY_PREFIX}*")), "the write probe left a folder"


def test_a_forged_marker_does_not_make_a_folder_replaceable(tmp_path):
    target = tmp_path / "forged"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    (target / folders.MARKER).write_text("anything\nnotes.txt\n", encoding="utf-8")
    with pytest.raises(InputError, match="did not write"):
        folders.check_target(target, "--out", edition_module.PROTECTED)


def test_move_into_place_replaces_an_earlier_edition_whole(tmp_path):
    target = old_edition(tmp_path / "edition")
    with folders.staging_beside(target) as staging:
        new = staging / "html"
        (new / "chapters").mkdir(parents=True)
        (new / "index.html").write_text("<p>new</p>", encoding="utf-8")
        (new / "chapters" / "05_gpu_days_cost.html").write_text("<p>new 5</p>", encoding="utf-8")
        folders.move_into_place(new, target, staging)
    assert (target / "index.html").read_text(encoding="utf-8") == "<p>new</p>"
    assert not (target / "chapters" / "00_intro.html").exists()
    assert sorted(folders.written_files(target)) == [folders.MARKER, "chapters/05_gpu_days_cost.html", "index.html"]
    assert sorted(os.listdir(tmp_path)) == ["edition"], "a temporary folder was left"
    folders.check_target(target, "--out", edition_module.PROTECTED)  # the next edition may replace it


def test_ctrl_c_during_the_replace_step_leaves_one_whole_edition(tmp_path, monkeypatch):
    """SIGINT is held back between the two renames: the folder is the new edition, whole."""
    target = old_edition(tmp_path / "edition")
    rename = os.rename
    calls = []

    def interrupted_rename(source, destination):
        if not calls:
            os.kill(os.getpid(), signal.SIGINT)
        calls.append(destination)
        rename(source, destination)

    monkeypatch.setattr(folders.os, "rename", interrupted_rename)
    with pytest.raises(KeyboardInterrupt):
        with folders.staging_beside(target) as staging:
            new = staging / "html"
            new.mkdir()
            (new / "index.html").write_text("<p>new</p>", encoding="utf-8")
            folders.move_into_place(new, target, staging)
    assert len(calls) == 2, "the interrupt came between the renames"
    assert (target / "index.html").read_text(encoding="utf-8") == "<p>new</p>"
    assert sorted(os.listdir(tmp_path)) == ["edition"]


def test_a_failed_chapter_leaves_the_earlier_edition_as_it_was(tmp_path, monkeypatch):
    target = old_edition(tmp_path / "edition")
    before = snapshot(target)
    monkeypatch.setattr(edition_module, "_run_chapters", lambda *args: {"00_intro": "ZeroDivisionError: boom"})
    with pytest.raises(EditionFailed, match=r"chapter 00_intro failed: ZeroDivisionError: boom; nothing was written"):
        edition_module.edition({"mfu": 0.4}, chapters=["00"], out=target, jobs=1)
    assert snapshot(target) == before
    assert sorted(os.listdir(tmp_path)) == ["edition"]


def test_a_failed_edition_exits_1_not_2(tmp_path, monkeypatch, capsys):
    from llmcost import cli

    monkeypatch.setattr(edition_module, "_run_chapters", lambda *args: {"00_intro": "ZeroDivisionError: boom"})
    assert cli.main(["book", "--chapters", "00", "--out", str(tmp_path / "e")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("llmcost book: failed: chapter 00_intro failed")


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def test_ctrl_c_during_a_build_exits_130_at_once_and_keeps_the_old_edition(tmp_path):
    target = old_edition(tmp_path / "edition")
    before = snapshot(target)
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "llmcost.cli", "book", "--chapters", "00", "05", "--jobs", "2",
                             "--set", "mfu=0.4", "--out", str(target)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        kernels = []
        while time.monotonic() < deadline and proc.poll() is None:
            kernels = [p for p in _descendants(proc.pid) if "ipykernel" in " ".join(p.cmdline())]
            if kernels:
                break
            time.sleep(0.2)
        assert kernels, "no chapter kernel started"
        time.sleep(1.0)
        started = _descendants(proc.pid)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        interrupted = time.monotonic()
        _, err = proc.communicate(timeout=30)
        took = time.monotonic() - interrupted
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "llmcost book: interrupted; nothing was replaced", err
    assert "Traceback" not in err
    assert took < 15, f"exiting took {took:.1f} s"
    assert snapshot(target) == before
    assert sorted(os.listdir(tmp_path)) == ["edition", "tmp"], "a temporary folder was left beside the target"
    assert not os.listdir(tmp_path / "tmp"), "a temporary folder was left in TMPDIR"
    time.sleep(0.5)
    alive = [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"processes left running: {[p.cmdline()[:3] for p in alive]}"
