"""The project's own input error: names file, sheet, row, column and value, and says how to fix it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_VALUE_SHOWN = 200  # characters of a value a message prints


@dataclass
class InputError(Exception):
    """Bad input. ``row`` is the 1-based row a person sees in Excel or a text editor."""

    problem: str
    file: str | Path | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: Any = None
    fix: str | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    @classmethod
    def wrong_year(cls, found: int, wanted: int, what: str, fix: str, **location) -> "InputError":
        """A file of another year than the one asked for: ``这是 2024 年的<what>，不是 2025 年``."""
        return cls(
            f"这是 {found} 年的{what}，不是 {wanted} 年 / a file for another year ({found}, not {wanted})",
            fix=fix,
            **location,
        )

    def location(self) -> str:
        """Where the problem is, in the reader's words: 文件 …，工作表 …，第 N 行，第 X 列."""
        parts = []
        if self.file is not None:
            parts.append(f"文件 {self.file}")
        if self.sheet:
            parts.append(f"工作表 {self.sheet}")
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column is not None:
            parts.append(f"列 {self.column}")
        return "，".join(parts)

    def __str__(self) -> str:
        text = "输入数据错误 / input error"
        where = self.location()
        if where:
            text += f"：{where}"
        text += f"\n  问题 / problem: {self.problem}"
        if self.value is not None:
            shown = repr(self.value)
            if len(shown) > MAX_VALUE_SHOWN:  # a 200 KB cell is named, not printed
                shown = f"{shown[:MAX_VALUE_SHOWN]}…（共 {len(shown):,} 个字符 / {len(shown):,} characters）"
            text += f"\n  值 / value: {shown}"
        if self.fix:
            text += f"\n  修改方法 / fix: {self.fix}"
        return text
