"""The project's errors, by kind, after papermill's small hierarchy: :class:`KpiError` and under it

- :class:`InputError`: what a person sent or wrote is wrong (a cell, a form, a file): fix the input;
- :class:`ConfigError`: the project file (kpi.toml) or a command's options are wrong: fix the setting;
- :class:`RunError`: the run could not finish though what it was given is fine (the store or the report
  lock stayed busy, a Dask scheduler did not answer, a computed table failed its own schema): retry, or
  report it.

Each names file, sheet, row, column and value where it has them, and says how to fix it. The ``kpi``
command prints the message and exits with the kind's code (docs/bad_input.md, "errors and exit codes")."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

MAX_VALUE_SHOWN = 200  # characters of a value a message prints


@dataclass
class KpiError(Exception):
    """The base of the project's errors. ``row`` is the 1-based row a person sees in Excel or an editor."""

    heading: ClassVar[str] = "错误 / error"
    exit_code: ClassVar[int] = 1

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
    def wrong_year(cls, found: int, wanted: int, what: str, fix: str, **location) -> "KpiError":
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
        text = self.heading
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


class InputError(KpiError):
    """What a person sent or wrote is wrong: a cell, a form, a file, a name. Exit code 2."""

    heading = "输入数据错误 / input error"
    exit_code = 2


class ConfigError(KpiError):
    """The project file (kpi.toml) or a command's options are wrong, or a package they need is missing.
    Exit code 2."""

    heading = "项目配置错误 / configuration error"
    exit_code = 2


class RunError(KpiError):
    """The run could not finish though its input is fine: a lock that stayed busy, a scheduler that did
    not answer, a computed table that failed its schema (a fault of the code). Exit code 1."""

    heading = "运行错误 / run error"
    exit_code = 1
