"""Loaders for the sourced CSV datasets shipped in ``llmcost/data`` (the repository's ``data/``).

Paths resolve from this file, never from the working directory. Lookups by name
(``model``, ``accelerator``) use the standard library so that the CLI does not pay for
importing pandas; the table loaders return pandas DataFrames. Both read every file through one
validating loader, once per process, which checks

* what ``datapackage.json`` states: every column present and no other; each cell of its type
  (numbers finite: no ``inf``, ``nan``, ``1e400``), non-empty where required, in its ``enum``,
  matching its ``pattern``, within ``minimum``/``maximum``, unique where marked; the primary
  key; the foreign keys between the files;
* what a Table Schema cannot state: no UTF-8 byte-order mark; at least one row under the
  header; in a long facts table exactly one ``primary`` row per (subject, quantity); no name or
  alias that names two ids; every BibTeX key cited (``source``, ``input_sources``) present in
  ``references.bib`` when that file sits beside the data directory (in the repository; an
  installed wheel ships no bibliography);
* the rules across cells, rows and files (:data:`_RULES`): each value of a long facts table of
  its quantity's type and within its plausible range (``quantities.csv``: ``type``,
  ``minimum``, ``maximum``); a column with ``constraintsByUnit`` within the range of its row's
  unit (``prices.usd``); ``gpus_per_instance`` given for instance prices and only for them;
  active parameters at most the total and key/value heads dividing the heads; a model's
  ``kind`` agreeing with its facts; every model, accelerator, quantity and API price a claim's
  inputs name present.

A file that passes is kept for later processes, keyed by a digest of every byte validation
depends on (``~/.cache/llmcost``; ``LLMCOST_NO_DATA_CACHE=1`` turns this off): the CLI then
starts about 10 ms sooner. A file that breaks a rule raises :class:`DataError` naming the file,
the line (header = line 1) and the column. The loader is written here rather than delegated to ``frictionless``, for speed
at start-up and for the rules above that a Table Schema cannot state: measured on this machine,
``frictionless.validate`` of the package takes about 500 ms after a 350 ms import, this loader
about 22 ms for every file (``tests/test_data.py`` still runs frictionless on the package, so
the two agree on what the schema states). :func:`use_data_dir` reads another copy of the data instead, e.g. an edited
or deliberately corrupted one.

Facts are stored long: one row per (subject, quantity) value with its unit and source.
Where sources disagree, exactly one row per (subject, quantity) is ``primary``; the wide
tables and the lookups use the primary value.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import os
import pickle
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..core.validate import DECIMAL_TEXT, WHOLE_NUMBER_TEXT, InputError, check_choice

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

SCHEMA_FILE = "datapackage.json"
"""The Frictionless data package in the data directory: columns, types, constraints, keys."""

BIBLIOGRAPHY = "references.bib"
"""The BibTeX file beside the data directory whose keys the rows cite."""

CITATION_COLUMNS = ("source", "input_sources", "third_party_sources")
"""Columns that hold BibTeX keys (``;``-separated)."""


class DataError(ValueError):
    """A data file breaks its schema or a rule of the datasets; the message names file, line and column."""


def _error(filename: str, line: int, column: str | None, message: str) -> DataError:
    where = f"{filename} line {line}" + (f", column {column}" if column else "")
    return DataError(f"{where}: {message}")


def _path(filename: str) -> Path:
    path = DATA_DIR / filename
    if not path.is_file():
        raise FileNotFoundError(f"llmcost data file {filename!r} not found in {DATA_DIR}")
    return path


def data_path(filename: str) -> Path:
    """Absolute path of a file in the data directory; a CSV the data package describes is validated first."""
    path = _path(filename)
    if filename in _resources():
        _table(filename)
    return path


@contextmanager
def use_data_dir(path):
    """Within the ``with`` block, read every dataset from ``path`` (a copy of ``data/``); yields it as a Path.

    The caches are emptied on entry and on exit, so the copy is validated when first used and
    the package's own data again afterwards. ``references.bib`` is looked for beside ``path``.
    """
    global DATA_DIR
    previous = DATA_DIR
    DATA_DIR = Path(path).absolute()
    _clear_caches()
    try:
        yield DATA_DIR
    finally:
        DATA_DIR = previous
        _clear_caches()


def check_all() -> tuple[str, ...]:
    """Validate every CSV that ``datapackage.json`` describes; returns their file names (DataError if one fails)."""
    for filename in _resources():
        _table(filename)
    return tuple(_resources())


# --- the validating loader ------------------------------------------------------------------


@lru_cache(maxsize=None)
def _resources() -> dict[str, dict]:
    """The resources of ``datapackage.json`` by file name, their fields checked to be readable here."""
    try:
        package = json.loads(_path(SCHEMA_FILE).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{SCHEMA_FILE} line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    resources = {resource["path"]: resource for resource in package["resources"]}
    for filename, resource in resources.items():
        for field in resource["schema"]["fields"]:
            stated = [field.get("constraints", {}), *field.get("constraintsByUnit", {}).values()]
            unknown = set().union(*stated) - _CONSTRAINTS
            if field.get("type", "string") not in _PARSERS or unknown:
                what = f"constraint {sorted(unknown)[0]!r}" if unknown else f"type {field['type']!r}"
                raise DataError(f"{SCHEMA_FILE}: {filename} column {field['name']} has {what}, which llmcost.datasets does not check")
    return resources


_BIB_ENTRY = re.compile(r"^[ \t]*@[ \t]*(\w+)[ \t]*[{(][ \t]*([^,\s]+)[ \t]*,", re.MULTILINE)


def bibliography_path() -> Path | None:
    """``references.bib`` beside the data directory, or None where there is none (a wheel)."""
    path = DATA_DIR.resolve().parent / BIBLIOGRAPHY
    return path if path.is_file() else None


@lru_cache(maxsize=None)
def _bib_keys() -> frozenset[str] | None:
    """The entry keys of :func:`bibliography_path`, or None where there is no bibliography."""
    path = bibliography_path()
    if path is None:
        return None
    entries = _BIB_ENTRY.findall(path.read_text(encoding="utf-8"))
    return frozenset(key for kind, key in entries if kind.lower() not in ("comment", "preamble", "string"))


class _CellError(Exception):
    """One cell's problem; the loader adds file, line and column."""




def _number(text: str, field: dict) -> float:
    if not DECIMAL_TEXT.fullmatch(text):
        special = text.strip().lstrip("+-").lower() in ("inf", "infinity", "nan")
        raise _CellError(f"{text!r} is not a {'finite ' if special else ''}number")
    value = float(text)
    if math.isinf(value):
        raise _CellError(f"{text!r} is not a finite number (too large for a float)")
    return value


def _integer(text: str, field: dict) -> int:
    if not WHOLE_NUMBER_TEXT.fullmatch(text):
        raise _CellError(f"{text!r} is not a whole number")
    return int(text)


def _boolean(text: str, field: dict) -> bool:
    true = field.get("trueValues", ["true", "True", "TRUE", "1"])
    false = field.get("falseValues", ["false", "False", "FALSE", "0"])
    if text in true or text in false:
        return text in true
    raise _CellError(f"{text!r} is not one of {', '.join(true + false)}")


def _json_number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    return value


def _object(text: str, field: dict) -> dict:
    try:
        value = json.loads(text, parse_float=_json_number, parse_constant=_json_number)
    except ValueError as exc:
        raise _CellError(f"{text!r} is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise _CellError(f"{text!r} is not a JSON object")
    return value


_PARSERS = {"string": lambda text, field: text, "number": _number, "integer": _integer, "boolean": _boolean, "object": _object}
_CONSTRAINTS = {"required", "unique", "enum", "pattern", "minimum", "maximum"}


@lru_cache(maxsize=None)
def _compiled(pattern: str) -> re.Pattern:
    """A schema ``pattern`` compiled once (re's own cache is a lookup per cell)."""
    return re.compile(pattern)


def _cell(field: dict, text: str):
    """The typed value of one cell (None when empty), or _CellError saying which constraint it breaks.

    ``field`` is a Table Schema field: its ``type`` and ``constraints`` are read, nothing else.
    """
    constraints = field.get("constraints", {})
    if text == "":
        if constraints.get("required"):
            raise _CellError("is empty, but the column requires a value")
        return None
    value = _PARSERS[field.get("type", "string")](text, field)
    if "enum" in constraints and value not in constraints["enum"]:
        raise _CellError(f"{text!r} is not one of {', '.join(map(str, constraints['enum']))}")
    if "pattern" in constraints and not _compiled(constraints["pattern"]).fullmatch(text):
        raise _CellError(f"{text!r} does not match the pattern {constraints['pattern']}")
    _check_bounds(value, text, constraints)
    return value


def _check_bounds(value, text: str, constraints: dict) -> None:
    """_CellError when ``value`` (typed from ``text``) is below ``minimum`` or above ``maximum``."""
    if "minimum" in constraints and value < constraints["minimum"]:
        raise _CellError(f"{text!r} is below the minimum {constraints['minimum']:g}")
    if "maximum" in constraints and value > constraints["maximum"]:
        raise _CellError(f"{text!r} is above the maximum {constraints['maximum']:g}")


def _read(filename: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the (line where it starts, cells) of each record of a UTF-8 CSV without BOM."""
    data = _path(filename).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        header = next(csv.reader([data.partition(b"\n")[0].decode("utf-8", "replace")]))
        before = data[data.rfind(b"\n", 0, exc.start) + 1 : exc.start].decode("utf-8", "replace")
        cell = max(1, len(next(csv.reader([before]), [])))
        column = header[cell - 1] if cell <= len(header) else f"#{cell}"
        raise _error(filename, line, column, f"byte {data[exc.start]:#x} is not UTF-8 ({exc.reason})") from None
    if text.startswith("\ufeff"):
        first = next(csv.reader([text[1:].partition("\n")[0]]), [""])[0]
        raise _error(filename, 1, first, "the file starts with a UTF-8 byte-order mark; save it as UTF-8 without one")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records = []
    try:
        header = next(reader, None)
        end = reader.line_num
        for cells in reader:
            records.append((end + 1, cells))
            end = reader.line_num
    except csv.Error as exc:
        raise _error(filename, reader.line_num, None, f"not valid CSV ({exc})") from None
    if header is None:
        raise _error(filename, 1, None, "the file is empty; it needs a header row")
    return header, records


def _check_header(filename: str, header: list[str], fields: dict[str, dict]) -> None:
    for position, name in enumerate(header):
        if name not in fields:
            raise _error(filename, 1, name or f"#{position + 1}", f"is not a column of {filename} in {SCHEMA_FILE} ({', '.join(fields)})")
        if header.index(name) != position:
            raise _error(filename, 1, name, "appears twice in the header")
    missing = [name for name in fields if name not in header]
    if missing:
        raise _error(filename, 1, missing[0], f"is missing from the header (the columns are {', '.join(fields)})")


def _key(names) -> list[str]:
    return [names] if isinstance(names, str) else list(names)


def _show(values: tuple) -> str:
    return repr(values[0]) if len(values) == 1 else repr(values)


def _check_unique(filename: str, schema: dict, values: list[dict], lines: list[int]) -> None:
    """Columns marked unique and the primary key: no two rows share a (non-empty) value."""
    keys = [[field["name"]] for field in schema["fields"] if field.get("constraints", {}).get("unique")]
    keys += [_key(schema["primaryKey"])] if "primaryKey" in schema else []
    for key in keys:
        seen: dict[tuple, int] = {}
        for line, row in zip(lines, values):
            value = tuple(row[name] for name in key)
            if None not in value and seen.setdefault(value, line) != line:
                raise _error(filename, line, ", ".join(key), f"{_show(value)} repeats line {seen[value]}; it must be unique")


def _check_foreign_keys(filename: str, schema: dict, values: list[dict], lines: list[int]) -> None:
    """Every (non-empty) foreign key names a row of the file it refers to."""
    by_name = {resource["name"]: path for path, resource in _resources().items()}
    for foreign in schema.get("foreignKeys", []):
        columns, target = _key(foreign["fields"]), foreign["reference"]
        target_file = by_name[target["resource"]] if target["resource"] else filename
        target_rows = _parsed(target_file).values if target_file != filename else values
        known = {tuple(row[name] for name in _key(target["fields"])) for row in target_rows}
        for line, row in zip(lines, values):
            value = tuple(row[name] for name in columns)
            if None not in value and value not in known:
                what = ", ".join(_key(target["fields"]))
                raise _error(filename, line, ", ".join(columns), f"{_show(value)} matches no {what} in {target_file}")


def _check_citations(filename: str, rows: list[dict], lines: list[int]) -> None:
    """Every BibTeX key cited is in references.bib, when that file is present."""
    keys = _bib_keys()
    columns = [column for column in CITATION_COLUMNS if rows and column in rows[0]]
    if keys is None or not columns:
        return
    for line, row in zip(lines, rows):
        for column in columns:
            for key in filter(None, row[column].split(";")):
                if key not in keys:
                    raise _error(filename, line, column, f"{key!r} is not a key in {BIBLIOGRAPHY}")


def normalize_name(name: str) -> str:
    """Case-fold a model or accelerator name; spaces and underscores become hyphens."""
    return "-".join(str(name).strip().lower().replace("_", " ").split())


def _names(filename: str, rows: list[dict], lines: list[int]) -> dict[str, str]:
    """Every normalized id, name and alias of an identity table -> its id; DataError if one names two ids."""
    index: dict[str, str] = {}
    where: dict[str, int] = {}
    for line, row in zip(lines, rows):
        for column in ("id", "name", "aliases"):
            for name in row[column].split(";") if column == "aliases" else [row[column]]:
                key = normalize_name(name)
                if not key:
                    continue
                if index.setdefault(key, row["id"]) != row["id"]:
                    raise _error(filename, line, column, f"{name!r} also names {index[key]!r} (line {where[key]}); a name must name one id")
                where.setdefault(key, line)
    return index


def _primary(filename: str, values: list[dict], lines: list[int]) -> tuple[dict[str, dict[str, float]], dict[tuple, int]]:
    """subject -> quantity -> primary value of a long facts table, and (subject, quantity) -> the
    primary row's line; DataError unless one row per pair is primary."""
    facts: dict[str, dict[str, float]] = {}
    first: dict[tuple, int] = {}
    primary: dict[tuple, int] = {}
    for line, row in zip(lines, values):
        pair = (row["subject"], row["quantity"])
        first.setdefault(pair, line)
        if row["primary"]:
            if pair in primary:
                raise _error(filename, line, "primary", f"a second primary row for {pair}; line {primary[pair]} is primary already")
            primary[pair] = line
            facts.setdefault(row["subject"], {})[row["quantity"]] = row["value"]
    for pair, line in first.items():
        if pair not in primary:
            raise _error(filename, line, "primary", f"no row for {pair} is primary; mark exactly one primary=true")
    return facts, primary


FACT_COLUMNS = {"subject", "quantity", "value", "primary"}
"""The columns of a long facts table (``model_facts.csv``, ``accelerator_specs.csv``)."""


@dataclass(frozen=True)
class _Table:
    """One validated data file."""

    types: dict[str, str]  # column -> Table Schema type, in file order
    rows: tuple[dict, ...]  # cells as text, as in the file
    values: tuple[dict, ...]  # cells typed (float, int, bool, dict, str), None when empty
    names: dict[str, str]  # identity tables: normalized id, name or alias -> id
    primary: dict[str, dict[str, float]]  # long facts tables: subject -> quantity -> primary value
    lines: tuple[int, ...]  # where each row starts in the file (header = line 1)
    primary_lines: dict[tuple, int]  # long facts tables: (subject, quantity) -> line of its primary row


@lru_cache(maxsize=None)
def _parsed(filename: str) -> _Table:
    """One data file checked on its own and against the files its foreign keys name, read once per
    process (DataError if it breaks a rule); :func:`_table` adds the rules across files."""
    resource = _resources().get(filename)
    if resource is None:
        raise DataError(f"{filename}: not described in {SCHEMA_FILE}")
    schema = resource["schema"]
    fields = {field["name"]: field for field in schema["fields"]}
    header, records = _read(filename)
    _check_header(filename, header, fields)
    if not records:
        raise _error(filename, 2, header[0], f"no rows under the header; every file of {SCHEMA_FILE} needs at least one")
    rows, values, lines = [], [], []
    # text columns that state no rule but "required": a non-empty cell is its own value
    free_text = {column for column in header if fields[column].get("type", "string") == "string"
                 and set(fields[column].get("constraints", {})) <= {"required"}}
    for line, cells in records:
        if len(cells) != len(header):
            column = header[len(cells)] if len(cells) < len(header) else f"#{len(cells)} (after {header[-1]})"
            raise _error(filename, line, column, f"the line has {len(cells)} cells, the header {len(header)}")
        row = dict(zip(header, cells))
        typed = {}
        for column, text in row.items():
            if text and column in free_text:
                typed[column] = text
                continue
            try:
                typed[column] = _cell(fields[column], text)
            except _CellError as exc:
                raise _error(filename, line, column, str(exc)) from None
        rows.append(row)
        values.append(typed)
        lines.append(line)
    _check_unique(filename, schema, values, lines)
    _check_foreign_keys(filename, schema, values, lines)
    _check_citations(filename, rows, lines)
    names = _names(filename, rows, lines) if {"id", "name", "aliases"} <= fields.keys() else {}
    primary, primary_lines = _primary(filename, values, lines) if FACT_COLUMNS <= fields.keys() else ({}, {})
    types = {column: fields[column].get("type", "string") for column in header}
    return _Table(types, tuple(rows), tuple(values), names, primary, tuple(lines), primary_lines)


@lru_cache(maxsize=None)
def _table(filename: str) -> _Table:
    """The validated contents of one data file, read once per process: :func:`_parsed`, then
    every rule of :data:`_RULES` that involves the file (DataError if one is broken). A table
    that an earlier process validated from the same bytes is read back instead (:func:`_validated`)."""
    table = _validated().get(filename)
    if table is None:
        table = _parsed(filename)
        _check_by_unit(filename)
        for rule in _RULES.get(filename, ()):
            rule()
        _remember(filename, table)
    return table


PACKAGE_DATA_DIR = DATA_DIR
"""The package's own data: only its tables are kept between processes (:func:`use_data_dir`'s
copies, edited or corrupted in tests, are always validated afresh)."""


def _cache_file() -> Path | None:
    """Where validated tables are kept between processes (``$XDG_CACHE_HOME/llmcost``, else
    ``~/.cache/llmcost``); None for another data directory or with ``LLMCOST_NO_DATA_CACHE=1``."""
    if DATA_DIR != PACKAGE_DATA_DIR or os.environ.get("LLMCOST_NO_DATA_CACHE") == "1":
        return None
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "llmcost" / "validated-data.pickle"


@lru_cache(maxsize=None)
def _content_key() -> str:
    """A digest of everything validation depends on: every file of the data directory, the
    bibliography, this module's code and the Python version."""
    import hashlib

    digest = hashlib.blake2b(digest_size=20)
    for path in sorted([*DATA_DIR.iterdir(), DATA_DIR.resolve().parent / BIBLIOGRAPHY, Path(__file__)]):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


@lru_cache(maxsize=None)
def _validated() -> dict:
    """The tables an earlier process validated from the same content (:func:`_content_key`), by
    file name; empty when there are none (a file that cannot be read is as good as none)."""
    path = _cache_file()
    if path is None or not path.is_file():
        return {}
    try:
        with path.open("rb") as handle:
            stored = pickle.load(handle)
    except Exception:  # noqa: BLE001 - a damaged cache is no cache
        return {}
    return dict(stored["tables"]) if isinstance(stored, dict) and stored.get("key") == _content_key() else {}


def _remember(filename: str, table: _Table) -> None:
    """Keep ``table`` (just validated) for later processes: written to a temporary file beside
    the cache file and moved into place; a cache that cannot be written is left alone."""
    path = _cache_file()
    if path is None:
        return
    tables = _validated()
    tables[filename] = table
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        with temporary.open("wb") as handle:
            pickle.dump({"key": _content_key(), "tables": tables}, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        pass


ON_CLEAR: list = []
"""Callables run whenever the data are read anew (:func:`use_data_dir`): the caches of records
that other layers build from the data (``llmcost.architecture``'s) register here."""


def _clear_caches() -> None:
    for cached in (_resources, _bib_keys, _parsed, _table, _check_facts, _record, _content_key, _validated):
        cached.cache_clear()
    for clear in ON_CLEAR:
        clear()


# --- rules across cells, rows and files -----------------------------------------------------


def _allowed(field: dict) -> str:
    """What a field with a type and a minimum and maximum allows, e.g. 'a whole number from 1 to 1000'."""
    kind = "a whole number" if field.get("type") == "integer" else "a number"
    constraints = field["constraints"]
    return f"{kind} from {constraints['minimum']:g} to {constraints['maximum']:g}"


def _check_by(filename: str, column: str, key: str, fields: dict[str, tuple[dict, str]]) -> None:
    """Each cell of ``column`` checked again by the field its row's ``key`` cell selects.

    fields: key value -> (a Table Schema field with ``name``, ``type``, ``minimum`` and
    ``maximum`` constraints, where that field is stated); a row whose key selects none is
    left alone.
    """
    table = _parsed(filename)
    for line, row, typed in zip(table.lines, table.rows, table.values):
        field, where = fields.get(typed[key], (None, ""))
        if field is None:
            continue
        try:
            if field["type"] == "number" and isinstance(typed[column], float):
                _check_bounds(typed[column], row[column], field["constraints"])  # parsed already
            else:
                _cell(field, row[column])
        except _CellError as exc:
            raise _error(filename, line, column, f"{exc}; {field['name']} is {_allowed(field)} ({where})") from None


def _check_plausible(filename: str) -> None:
    """Each ``value`` of a long facts table is of its quantity's type and within its plausible range,
    in its unit: the ``type``, ``minimum`` and ``maximum`` that ``quantities.csv`` gives it."""
    quantities = _parsed("quantities.csv")
    fields = {
        row["quantity"]: (
            {"name": f"{row['quantity']} in {row['unit']}", "type": row["type"],
             "constraints": {"minimum": row["minimum"], "maximum": row["maximum"]}},
            f"quantities.csv line {line}",
        )
        for line, row in zip(quantities.lines, quantities.values)
    }
    _check_by(filename, "value", "quantity", fields)


def _check_by_unit(filename: str) -> None:
    """Each column with ``constraintsByUnit`` in datapackage.json is within the constraints stated
    for its row's ``unit`` (a price per GPU-hour and one per accelerator bought differ 1e4-fold)."""
    for field in _resources()[filename]["schema"]["fields"]:
        by_unit = field.get("constraintsByUnit", {})
        where = f"{SCHEMA_FILE}, {filename} column {field['name']}"
        fields = {unit: ({"name": unit, "type": field["type"], "constraints": c}, where) for unit, c in by_unit.items()}
        if fields:
            _check_by(filename, field["name"], "unit", fields)


INSTANCE_UNIT = "usd_per_instance_hour"
"""The unit of ``prices.csv`` whose rows state ``gpus_per_instance``, and the only one."""


def _check_instance_counts() -> None:
    """prices.csv: ``gpus_per_instance`` (accelerators) is given for an instance price and for no other,
    so that a price relabelled per GPU (8x too dear for an 8-GPU instance) does not load."""
    table = _parsed("prices.csv")
    for line, row, typed in zip(table.lines, table.rows, table.values):
        count = row["gpus_per_instance"]
        if typed["unit"] == INSTANCE_UNIT and not count:
            raise _error("prices.csv", line, "gpus_per_instance",
                         f"is empty, but a {INSTANCE_UNIT} price needs its accelerators per instance (a whole number)")
        if typed["unit"] != INSTANCE_UNIT and count:
            raise _error("prices.csv", line, "gpus_per_instance",
                         f"{count!r} is given for a {typed['unit']} price; only a {INSTANCE_UNIT} price has "
                         "accelerators per instance (leave it empty)")


RELATIONS = (
    ("params_active", "must be at most", "params_total", lambda active, total: active <= total),
    ("kv_heads", "must divide", "heads", lambda kv_heads, heads: heads % kv_heads == 0),
)
"""(quantity, what it must be, other quantity, test) between two primary values of one model."""


def _check_relations() -> None:
    """model_facts.csv, primary values of each model: :data:`RELATIONS` hold (active parameters at
    most the total, in parameters; key/value heads a divisor of the query heads, counts)."""
    facts = _parsed("model_facts.csv")
    for subject, values in facts.primary.items():
        for quantity, must, other, holds in RELATIONS:
            if quantity in values and other in values and not holds(values[quantity], values[other]):
                line, other_line = (facts.primary_lines[subject, name] for name in (quantity, other))
                said = f"{quantity} {values[quantity]:g} of {subject} {must} its {other} {values[other]:g} (line {other_line})"
                raise _error("model_facts.csv", line, "value", said)


EXPERT_QUANTITIES = ("experts", "experts_routed", "experts_shared", "dense_layers", "dense_ffn_dim")
"""Quantities of model_facts.csv that only a mixture-of-experts model has."""


def _kind_problem(ident: str, kind: str, facts: _Table) -> str | None:
    """How a model's primary facts contradict its kind, or None: a dense model has no experts and
    uses every parameter (params_active == params_total where both are given); an moe model
    states params_active and params_total, active below total (parameters)."""
    values, lines = facts.primary.get(ident, {}), facts.primary_lines
    active, total = values.get("params_active"), values.get("params_total")
    if kind == "dense":
        experts = [quantity for quantity in EXPERT_QUANTITIES if quantity in values]
        if None not in (active, total) and active != total:
            return (f"{ident}'s params_active {active:g} (model_facts.csv line {lines[ident, 'params_active']}) "
                    f"differs from its params_total {total:g}; a dense model uses every parameter")
        if experts:
            first = experts[0]
            return f"model_facts.csv line {lines[ident, first]} gives {ident} {first} {values[first]:g}; a dense model has no experts"
        return None
    for name, value in (("params_active", active), ("params_total", total)):
        if value is None:
            return f"{ident} has no {name} in model_facts.csv; an moe model needs params_active below params_total"
    if active >= total:
        return (f"{ident}'s params_active {active:g} (model_facts.csv line {lines[ident, 'params_active']}) "
                f"is not below its params_total {total:g}, as an moe model's must be")
    return None


def _check_kinds() -> None:
    """models.csv: each model's ``kind`` agrees with its facts in model_facts.csv (:func:`_kind_problem`)."""
    models, facts = _parsed("models.csv"), _parsed("model_facts.csv")
    for line, row in zip(models.lines, models.values):
        problem = _kind_problem(row["id"], row["kind"], facts)
        if problem:
            raise _error("models.csv", line, "kind", f"{row['kind']!r}, but {problem}")


CLAIM_REFERENCES = {
    "model": "models.csv", "other_model": "models.csv", "from_model": "models.csv", "to_model": "models.csv",
    "gpu": "accelerators.csv", "quantity": "quantities.csv", "id": "api_prices.csv",
}
"""Inputs of a claim's recipe that name a row of another file: input -> that file. A model or
accelerator may be named by id, name or alias (as the lookups accept), anything else by its key."""


def _unnamed(filename: str, name) -> str | None:
    """None if ``name`` picks a row of ``filename`` (an id, name or alias of an identity table, compared
    as the lookups compare them; the key of another table), else what it would have to be."""
    table = _parsed(filename)
    if table.names:
        return None if normalize_name(str(name)) in table.names else "id, name or alias"
    key = _key(_resources()[filename]["schema"]["primaryKey"])[0]
    return None if any(row[key] == name for row in table.values) else key


def _check_claim_references() -> None:
    """claims.csv: every model, accelerator, quantity and API price that a claim's inputs name exists
    (:data:`CLAIM_REFERENCES`)."""
    claims = _parsed("claims.csv")
    for line, row in zip(claims.lines, claims.values):
        for name, target in CLAIM_REFERENCES.items():
            missing = _unnamed(target, row["inputs"][name]) if name in row["inputs"] else None
            if missing:
                raise _error("claims.csv", line, "inputs", f"{name} {row['inputs'][name]!r} is no {missing} in {target}")


@lru_cache(maxsize=None)
def _check_facts() -> None:
    """model_facts.csv on its own: plausible values (:func:`_check_plausible`), :data:`RELATIONS`;
    once per process (the readers of models.csv and of model_facts.csv both need it)."""
    _check_plausible("model_facts.csv")
    _check_relations()


def _check_kinds_where_facts_hold() -> None:
    """models.csv: :func:`_check_kinds`, unless model_facts.csv breaks a rule of its own, which its
    readers report: a name lookup (the CLI's ``--model``) does not fail on a fact it does not read."""
    try:
        _check_facts()
    except DataError:
        return
    _check_kinds()


_RULES = {
    "models.csv": (_check_kinds_where_facts_hold,),
    "model_facts.csv": (_check_facts, _check_kinds),
    "accelerator_specs.csv": (lambda: _check_plausible("accelerator_specs.csv"),),
    "prices.csv": (_check_instance_counts,),
    "claims.csv": (_check_claim_references,),
}
"""file -> the rules across cells, rows and files that every reader of it runs (besides
``constraintsByUnit``, which applies wherever datapackage.json states it)."""


def _rows(filename: str) -> tuple[dict, ...]:
    """The validated rows of a data file as dicts of text cells, in file order."""
    return _table(filename).rows


# --- lookups (standard library) -------------------------------------------------------------


def _resolve(filename: str, what: str, name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{what} must be a name, got {name!r}")
    key = normalize_name(name)
    index = _table(filename).names
    if key not in index:
        known = ", ".join(row["id"] for row in _rows(filename))
        raise InputError(f"unknown {what} {name!r}; known: {known}")
    return index[key]


def resolve_model(name: str) -> str:
    """Canonical model id for a name or alias (case-insensitive); lists known ids if unknown."""
    return _resolve("models.csv", "model", name)


def resolve_accelerator(name: str) -> str:
    """Canonical accelerator id for a name or alias (``A100``, ``a100-80gb``)."""
    return _resolve("accelerators.csv", "gpu", name)


@lru_cache(maxsize=None)
def _record(filename: str, facts_file: str, ident: str) -> dict:
    """One id's row and primary facts, built once per process (callers get a copy)."""
    row = next(r for r in _rows(filename) if r["id"] == ident)
    record = dict(row)
    record.update(_table(facts_file).primary.get(ident, {}))
    if filename == "models.csv" and "params_active" not in record and record.get("kind") == "dense" and "params_total" in record:
        record["params_active"] = record["params_total"]
    return record


def model(name: str) -> dict:
    """A model's identity and primary facts as a dict (numbers as floats; units in ``quantities.csv``).

    ``params_active`` equals ``params_total`` for dense models when the data do not list it.
    """
    return dict(_record("models.csv", "model_facts.csv", resolve_model(name)))


def accelerator_by_id(ident: str) -> dict:
    """:func:`accelerator` of a canonical id (from a model's record): no alias is resolved.
    InputError for anything that is not an id."""
    if ident not in accelerator_ids():
        raise InputError(f"{ident!r} is not an accelerator id; known: {', '.join(accelerator_ids())}")
    return dict(_record("accelerators.csv", "accelerator_specs.csv", ident))


def model_by_id(ident: str) -> dict:
    """:func:`model` of a canonical id (a constant of the code, such as ``palm-540b``): no alias
    is resolved. InputError for anything that is not an id."""
    if ident not in model_ids():
        raise InputError(f"{ident!r} is not a model id; known: {', '.join(model_ids())}")
    return dict(_record("models.csv", "model_facts.csv", ident))


def accelerator(name: str) -> dict:
    """An accelerator's identity and primary specs as a dict (TFLOP/s dense, GB, GB/s, W)."""
    return dict(_record("accelerators.csv", "accelerator_specs.csv", resolve_accelerator(name)))


def model_ids() -> list[str]:
    """Ids of every model in the dataset, in file order."""
    return [row["id"] for row in _rows("models.csv")]


def accelerator_ids() -> list[str]:
    """Ids of every accelerator in the dataset, in file order."""
    return [row["id"] for row in _rows("accelerators.csv")]


API_DIRECTIONS = ("input", "output")


def price_date(ident: str, table: str = "prices.csv") -> str:
    """The date (``YYYY-MM`` or ``YYYY-MM-DD``) of the row ``ident`` of ``prices.csv`` or ``api_prices.csv``."""
    table = check_choice("table", table, ("prices.csv", "api_prices.csv"))
    dates = {row["id"]: row["date"] for row in _table(table).values}
    if ident not in dates:
        raise InputError(f"unknown price {ident!r} in {table}; known: {', '.join(dates)}")
    return str(dates[ident])


def api_price(ident: str, direction: str = "output") -> float:
    """USD per 1M ``direction`` tokens (input or output) of one row of ``api_prices.csv``, by its id."""
    direction = check_choice("direction", direction, API_DIRECTIONS)
    prices = {row["id"]: row[f"usd_per_1m_{direction}"] for row in _table("api_prices.csv").values}
    if ident not in prices:
        raise InputError(f"unknown api price {ident!r}; known: {', '.join(prices)}")
    return prices[ident]


def claim_rows() -> tuple[dict, ...]:
    """The claims as plain dicts (``inputs`` parsed from JSON), without pandas."""
    table = _table("claims.csv")
    return tuple({**row, "inputs": copy.deepcopy(typed["inputs"])} for row, typed in zip(table.rows, table.values))


# --- pandas loaders -------------------------------------------------------------------------


def _frame(filename: str):
    """One validated data file as a DataFrame: typed columns in file order, empty cells NaN."""
    import pandas as pd

    table = _table(filename)
    columns = {}
    for column, kind in table.types.items():
        cells = [math.nan if row[column] is None else row[column] for row in table.values]
        columns[column] = copy.deepcopy(cells) if kind == "object" else cells
    return pd.DataFrame(columns)


def _wide(identity_file: str, facts_file: str):
    facts = _frame(facts_file)
    wide = facts[facts["primary"]].pivot(index="subject", columns="quantity", values="value")
    wide.columns.name = None
    return _frame(identity_file).merge(wide, left_on="id", right_index=True, how="left")


def models():
    """Every model: identity columns plus one column per quantity (primary values)."""
    table = _wide("models.csv", "model_facts.csv")
    if "params_active" in table and "params_total" in table:
        dense = table["kind"] == "dense"
        table.loc[dense, "params_active"] = table.loc[dense, "params_active"].fillna(table.loc[dense, "params_total"])
    return table


def accelerators():
    """Every accelerator: identity columns plus one column per spec (primary values)."""
    return _wide("accelerators.csv", "accelerator_specs.csv")


def model_facts():
    """Every model fact, long: subject, quantity, value, unit, source, locator, primary, note."""
    return _frame("model_facts.csv")


def published_value(subject: str, quantity: str, source: str, locator: str = "") -> float:
    """The one value of ``model_facts.csv`` for ``subject``'s ``quantity`` from ``source`` (a
    BibTeX key) whose locator contains ``locator``; raises, listing the candidates, unless
    exactly one row matches."""
    rows = [row for row in _rows("model_facts.csv")
            if row["subject"] == resolve_model(subject) and row["quantity"] == quantity and row["source"] == source]
    found = [row for row in rows if locator in (row["locator"] or "")]
    if len(found) != 1:
        where = "; ".join(repr(row["locator"]) for row in rows) or "none"
        raise KeyError(f"{len(found)} values of {quantity} for {subject} from {source} at a locator containing "
                       f"{locator!r}; its locators: {where}")
    return float(found[0]["value"])


def longest_context(ident: str) -> float | None:
    """The longest context, tokens, that ``model_facts.csv`` records for the model ``ident``: the
    final context of its long-context training where there is one (a non-primary ``context`` row;
    the primary one is the pre-training length), else its pre-training length; None without one."""
    values = [float(row["value"]) for row in _rows("model_facts.csv") if row["subject"] == ident and row["quantity"] == "context"]
    return max(values) if values else None


def accelerator_specs():
    """Every accelerator spec, long, with unit and source."""
    return _frame("accelerator_specs.csv")


def quantity_label(name: str) -> str:
    """A quantity's name for a reader (``co2_t`` -> ``training emissions``; its unit is in
    ``quantities.csv``); a name that is not a quantity (an input of a formula) with spaces for
    underscores."""
    for row in _rows("quantities.csv"):
        if row["quantity"] == name:
            return row["label"]
    return {"params": "parameters"}.get(name, name.replace("_", " "))


def quantities():
    """The controlled vocabulary of quantities and their units."""
    return _frame("quantities.csv")


def prices():
    """Accelerator rental and purchase prices with date and source."""
    return _frame("prices.csv")


def price_rows() -> tuple[dict, ...]:
    """The rows of ``prices.csv`` as dicts of typed values (``usd`` a float, ``gpus_per_instance``
    an int or None), in file order: the standard-library view of :func:`prices`."""
    return _table("prices.csv").values


def api_prices():
    """API prices per 1k tokens with date and source."""
    return _frame("api_prices.csv")


def technique_table():
    """The efficiency techniques of ``techniques.csv`` (validated like every file) as a DataFrame."""
    return _frame("techniques.csv")


def technique_rows() -> tuple[dict, ...]:
    """The rows of ``techniques.csv`` as dicts of text cells, in file order (no pandas)."""
    return _rows("techniques.csv")


def library_support():
    """Which training library supports which technique, with the documentation page that says so."""
    return _frame("library_support.csv")


def serving_measurements():
    """Published serving measurements and peer-tool figures, with the configuration each ran."""
    return _frame("serving_measurements.csv")


def claims():
    """Every numeric claim of the source documents, with the inputs (parsed JSON) that recompute it."""
    return _frame("claims.csv")
