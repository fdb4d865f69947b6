"""Author-year citations a reader can tell apart: where two sources share their author-year label
("NVIDIA, 2024", "Touvron et al., 2023"), ``references.bib`` gives each a ``yearsuffix`` (a, b, ...)
and this referencing style prints it after the year in the text ("NVIDIA, 2024a"). It is the
``author_year`` style of sphinxcontrib-bibtex with that one change, registered as
``llmcost_author_year`` (``bibtex_reference_style`` in ``_config.yml``); ``tests/test_book_text.py``
fails when one label still points at two sources.
"""

from __future__ import annotations

from dataclasses import dataclass

from pybtex.style.template import field, first_of, join, node, optional
from sphinx.application import Sphinx
from sphinxcontrib.bibtex.plugin import register_plugin
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle
from sphinxcontrib.bibtex.style.referencing.basic_author_year import (
    BasicAuthorYearParentheticalReferenceStyle,
    BasicAuthorYearTextualReferenceStyle,
)
from sphinxcontrib.bibtex.style.template import join2, post_text, pre_text, reference

STYLE_NAME = "llmcost_author_year"


@node
def year_with_suffix(children, data):
    """The entry's year followed by its ``yearsuffix`` field where it has one ("2024a")."""
    assert not children
    return first_of[optional[join[field("year"), optional[field("yearsuffix")]]], "n.d."].format_data(data)


@dataclass
class Parenthetical(BasicAuthorYearParentheticalReferenceStyle):
    """(Author, 2024a)."""

    def inner(self, role_name: str):
        return join2(sep1=self.pre_text_sep, sep2=self.post_text_sep)[
            pre_text,
            reference[join(sep=self.author_year_sep)[self.person.author_or_editor_or_title(full="s" in role_name), year_with_suffix]],
            post_text,
        ]


@dataclass
class Textual(BasicAuthorYearTextualReferenceStyle):
    """Author (2024a)."""

    def inner(self, role_name: str):
        return join(sep=self.text_reference_sep)[
            self.person.author_or_editor_or_title(full="s" in role_name),
            join[self.bracket.left,
                 join2(sep1=self.pre_text_sep, sep2=self.post_text_sep)[pre_text, reference[year_with_suffix], post_text],
                 self.bracket.right],
        ]


@dataclass
class DisambiguatedAuthorYear(AuthorYearReferenceStyle):
    """sphinxcontrib-bibtex's author-year style with :func:`year_with_suffix` in its two main forms."""

    def __post_init__(self):
        super().__post_init__()
        self.styles[0] = Parenthetical(bracket=self.bracket_parenthetical, person=self.person, author_year_sep=self.author_year_sep,
                                       pre_text_sep=self.pre_text_sep, post_text_sep=self.post_text_sep)
        self.styles[1] = Textual(bracket=self.bracket_textual, person=self.person, text_reference_sep=self.text_reference_sep,
                                 pre_text_sep=self.pre_text_sep, post_text_sep=self.post_text_sep)
        self.role_style.update((role, style) for style in self.styles[:2] for role in style.role_names())


def setup(app: Sphinx) -> dict:
    register_plugin("sphinxcontrib.bibtex.style.referencing", STYLE_NAME, DisambiguatedAuthorYear)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
