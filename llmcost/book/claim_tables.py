"""The claims audit as the book shows it: one reader-grade table per source document."""

from __future__ import annotations

from .tables import cite_text, format_like, format_number, table as book_table


def _and(items) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _with_unit(text: str, unit: str) -> str:
    return text if unit in ("1", "") else f"{text} {unit}"


def stated_texts(rows) -> list[str]:
    """Each claim's stated value of ``rows`` (rows of :func:`llmcost.audit.audit_table`) as the book
    writes it: with the digits it was stated with and its unit, a range as low–high."""
    return [_with_unit(f"{format_like(lo, lo)}–{format_like(hi, hi)}" if kind == "range" else format_like(value, value), unit)
            for value, lo, hi, unit, kind in zip(rows["stated_value"], rows["stated_low"], rows["stated_high"], rows["unit"], rows["kind"])]


def recomputed_texts(rows) -> list:
    """Each claim's recomputed value of ``rows`` with its unit, written beside the stated one
    (:func:`~llmcost.book.tables.format_like`); None where the claim is not recomputed."""
    return [_with_unit(format_like(value, stated), unit) if value == value else None
            for value, stated, unit in zip(rows["recomputed"], rows["stated_value"], rows["unit"])]


def reader_table(table, source: str, ids=None):
    """The claims of one source document (``source``, a BibTeX key; rows of :func:`llmcost.audit.audit_table`),
    or only those whose id is in ``ids``, as the book shows them, one row per claim: section,
    claim, stated value with its unit (a range as low–high), recomputed value, ratio, verdict with
    the claim's kind and, where it rests on a third party's figures, whose, explanation."""
    rows = table[(table["source"] == source) & (table["id"].isin(ids) if ids is not None else True)]
    shown = rows.assign(
        stated=stated_texts(rows),
        recomputed=recomputed_texts(rows),
        verdict=[f"{verdict} ({kind.replace('_', ' ')})" + (f"; rests on figures from {_and(cite_text(key) for key in third.split(';'))}" if third else "")
                 for verdict, kind, third in zip(rows["verdict"], rows["kind"], rows["third_party_sources"])],
    )
    return book_table(shown[["section", "claim", "stated", "recomputed", "ratio", "verdict", "note"]], {"ratio": "sig3"},
                      {"note": "explanation"})
