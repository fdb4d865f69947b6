"""What each chapter computes, so that its cells are a few lines: a module per chapter (named after
it) holding that chapter's worked examples as dicts of glued values, its derived tables and its
chart builders, each with unit tests. Part of the book layer: imports analysis and below."""
