"""A cell's text as every reader compares it: NFKC (full-width digits, letters and punctuation to ASCII)
and no whitespace at all. The lowest piece of the readers: :mod:`kpi.units` and :mod:`kpi.parsing` use it."""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any


def normalize_text(value: Any) -> str:
    """NFKC (full-width digits, letters and punctuation to ASCII), no whitespace at all.

    Region and indicator names never contain meaningful spaces, so ``"壶山 镇 "`` is ``"壶山镇"``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", "", text)
