"""kpi — progress tracking for a county's “139” S&T plan (“139”科技创新体系建设工程); the county
is named in the project file (``[county] name`` in kpi.toml), its regions and indicators in data/raw.

A flow of stages (kpi.core … kpi.cli), each a folder; docs/architecture.md lists every module.
"""

from kpi.core.errors import ConfigError, InputError, KpiError, RunError

__version__ = "0.1.0"

__all__ = ["KpiError", "InputError", "ConfigError", "RunError", "__version__"]
