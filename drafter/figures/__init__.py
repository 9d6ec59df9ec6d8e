"""This period's figures, facts and names: the only numbers a draft may carry.

A figures file is YAML, JSON, CSV or .xlsx:

.. code-block:: yaml

    title: 2024年青禾村驻村工作总结      # optional
    organisation: 青禾村驻村工作队         # optional
    period: 2024年                         # optional
    figures:
      - {name: 新建改造农村公路, value: 12.6, unit: 公里, section: work}
      - {name: 脱贫户人均纯收入, value: 15200, unit: 元}
    facts:                                  # issue 7: this period's work, no numbers
      - 成立村红白理事会
      - {text: 村史馆建成开放, section: work}
    names: [青禾村, 青禾村股份经济合作社]   # proper names that may appear

A bare YAML/JSON list of figures is accepted. CSV and .xlsx take the columns
``name,value,unit[,section,id,role]`` (header row required; CSV in UTF-8 with or
without BOM, or GB18030). In an .xlsx, a merged cell's value stands in every
cell it covers (a unit merged over two rows is the unit of both). Values accept full-width digits and thousands
separators (normalised), a value written with its unit (``4.5公里``) when
the unit matches or is absent, ranges (``2-3``, ``2至3``, ``2～3``: the
draft must state the range, e.g. 每组由2至3人组成) and approximations as a
report writes them (``500余``, ``20多``, ``约30``, ``30以上``: compared by
their number). Every error names the file and the figure (row or
index) and field; a table row left without any unit is loaded as a bare number
and reported in :attr:`FigureSet.warnings`.

The package: :mod:`~drafter.figures.model` (the types), :mod:`~drafter.figures.values`
(reading one value), :mod:`~drafter.figures.loading` (a file, up to its first
error) and :mod:`~drafter.figures.rows` (every row with its error, for the page).
"""

from drafter.figures.loading import figures_from_data, load_figures
from drafter.figures.model import ROLES, Fact, Figure, FigureSet, format_decimal
from drafter.figures.rows import FigureRow, check_rows, read_figure_rows
from drafter.figures.values import parse_value, range_high

__all__ = ["ROLES", "Fact", "Figure", "FigureRow", "FigureSet", "check_rows", "figures_from_data", "format_decimal",
           "load_figures", "parse_value", "range_high", "read_figure_rows"]
