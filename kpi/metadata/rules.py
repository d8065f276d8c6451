"""This project's conventions for filling the 晾晒表, and 序时进度 (time-proportional progress).

The plan asks for a 晾晒 (三(五) 强化考核评价) but sets no rule for filling it: the 基本序时 band,
the composite's bounds and the pacing of 序时 are **this project's conventions**. ``[rules]`` and
``[pacing]`` in kpi.toml may state others, and every output says which it applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from kpi.core.facts import POINT_IN_TIME
from kpi.core.formatting import level_words  # the kinds' words, said once

if TYPE_CHECKING:
    from kpi.metadata.registry import Registry


@dataclass(frozen=True)
class Rules:
    """This project's conventions for filling the 晾晒表 (the plan sets none); ``[rules]`` in kpi.toml
    may state others: the 基本序时 band in percentage points, and the bounds of each indicator's
    completion inside the composite."""

    near_tolerance_points: float = 5.0
    composite_cap_percent: float = 150.0
    composite_floor_percent: float = 0.0

    @property
    def near_tolerance(self) -> float:
        """The 基本序时 band as a fraction (5 points → 0.05)."""
        return self.near_tolerance_points / 100

    def describe(self, kinds=("growth",)) -> str:
        """The composite's rule in the words printed under every table, for indicators of ``kinds`` (an
        indicators table's ``kind`` column: a ratio's and a rank's completion are said only where used)."""

        kinds = set(kinds)
        level = level_words(kinds)[0]  # 增长类, or e.g. 增长、比率、位次类
        extra = "".join(
            text
            for kind, text in (("ratio", "比率类按“实际值 ÷ 目标”计；"), ("rank", "位次类按“目标位次 ÷ 实际位次”计；"))
            if kind in kinds
        )
        return (
            f"综合得分 = 各指标完成率的加权平均（各项不低于{self.composite_floor_percent:g}%、不高于{self.composite_cap_percent:g}%；"
            f"增长类指标按“实际增幅 ÷ 目标增幅”计，负增长计为0%；{extra}权重默认相等），仅对全部指标均已报送的区域计算；"
            f"综合序时进度为各指标序时进度的同权平均（{level}指标按100%计）。本项目约定，非方案规定。"
        )


DEFAULT_RULES = Rules()


NEAR_TOLERANCE = DEFAULT_RULES.near_tolerance


def time_share_matrix(periods: list[str], registry: Registry) -> np.ndarray:
    """序时进度 as a (period × indicator) array: month / 12, or the indicator's pacing profile when
    ``indicators.csv`` names one; NaN for a point-in-time indicator (growth, ratio, rank), judged against its target."""
    months = np.array([int(p[5:7]) for p in periods])
    profiles = registry.pacing_profiles.set_index(["profile", "month"])["time_share"]
    columns = []
    for indicator in registry.indicators.itertuples():
        if indicator.kind in POINT_IN_TIME:
            columns.append(np.full(len(months), np.nan))
        elif indicator.pacing_profile == "linear":
            columns.append(months / 12.0)
        else:
            columns.append(profiles.loc[indicator.pacing_profile].reindex(months).to_numpy(float))
    return np.column_stack(columns) if columns else np.empty((len(months), 0))
