"""Analysis: the claims audit, calibration against published figures, trends and techniques.
Imports running, formulas, catalog and core; never the book."""
