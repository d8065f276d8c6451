"""A cell's text as every reader compares it: NFKC (full-width digits, letters and punctuation to ASCII)
and no whitespace at all. The lowest piece of the readers: :mod:`kpi.core.units` and :mod:`kpi.core.parsing` use it."""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

#: what a spreadsheet runs as a formula when a cell's text starts with it
FORMULA_PREFIXES = ("=", "+", "-", "@")
#: the apostrophe every CSV and xlsx writer puts before such text (:func:`kpi.core.atomic.safe_cell`), as a
#: person types it in Excel: a reader takes it away again
MARKED_FORMULA = re.compile(r"^'(?=[=+\-@])")


def normalize_text(value: Any) -> str:
    """NFKC (full-width digits, letters and punctuation to ASCII), no whitespace at all.

    Region and indicator names never contain meaningful spaces, so ``"壶山 镇 "`` is ``"壶山镇"``; the
    apostrophe the project's exports put before text starting with ``=``, ``+``, ``-`` or ``@`` goes.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return MARKED_FORMULA.sub("", re.sub(r"\s+", "", text))
