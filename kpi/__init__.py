"""kpi — progress tracking for a county's “139” S&T plan (“139”科技创新体系建设工程); the county
is named in the project file (``[county] name`` in kpi.toml), its regions and indicators in data/raw.

One module per concern:

- :mod:`kpi.registry`   indicators, regions, plan targets (data/raw, the registry every step shares)
- :mod:`kpi.parsing`    cell-level parsing of hand-made spreadsheets (numbers, targets, periods)
- :mod:`kpi.ingest`     files into cell grids, ``read_annex``, ``read_county_annual``
- :mod:`kpi.progress_input` ``read_progress``: the monthly progress, at any scale
- :mod:`kpi.pipeline`   ``kpi ingest``: configured sources → data/processed
- :mod:`kpi.schemas`    a pandera schema for every tidy table
- :mod:`kpi.example_data` the seeded generator of the shipped *example* (示例) dataset
- :mod:`kpi.plots`      charts, with a CJK font so Chinese text renders
- :mod:`kpi.explore`    the explorer (notebooks/05_explore): trend, compare, drill-down, what-if
- :mod:`kpi.runner`     papermill runs of the report notebooks
- :mod:`kpi.cli`        the ``kpi`` command
"""

from kpi.errors import InputError

__version__ = "0.1.0"
EXAMPLE_LABEL = "示例数据（非官方，由种子生成器生成）/ example data, not official"

__all__ = ["InputError", "EXAMPLE_LABEL", "__version__"]
