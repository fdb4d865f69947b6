"""The book's machinery: reader-grade numbers and tables, glue, charts and figures, sliders, the
chapters' parameter checks, editions and the formula page. Imports every layer below it (never
the CLI). Importing this package loads numpy only; charts, figures and sliders load altair."""

from .tables import (
    BIBTEX_KEY,
    CHART_DIGITS,
    CITATION_COLUMNS,
    DENOISE_DIGITS,
    NO_BREAK_CLASS,
    NUMBER_CELL_CLASS,
    cite_text,
    dated_price,
    format_number,
    glue_all,
    glue_number,
    glued_values,
    mark_number_cells,
    price_text,
    round_floats,
    round_significant,
    table,
)
from .editions import EditionFailed, edition
