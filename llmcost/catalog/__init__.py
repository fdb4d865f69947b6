"""Catalog: the sourced datasets loaded and checked, lookups by name, peak rates and the book-wide
defaults. Imports core only."""
