"""What every ``kpi`` command shares: what the user sees of the library's messages, the project file
with the run's overrides, and the month or year it is asked for."""

from __future__ import annotations

import logging
import sys

from kpi.core.errors import ConfigError


def project_config(args):
    """The project file with this run's overrides, checked: no output inside the raw folder."""
    from kpi.core.paths import ensure_apart, ensure_outside
    from kpi.metadata import config as project

    cfg = project.load(getattr(args, "config", None)).with_overrides(
        registry=getattr(args, "raw", None),
        processed=getattr(args, "processed", None),
        reports=getattr(args, "out", None),
        progress=getattr(args, "progress", None),
    )
    ensure_outside(cfg.processed, cfg.registry, "processed tables")
    ensure_outside(cfg.reports, cfg.registry, "reports")
    ensure_outside(cfg.store, cfg.registry, "the store")
    for path, what in ((cfg.processed, "processed 文件夹"), (cfg.reports, "reports 文件夹")):
        ensure_apart(path, cfg.store, what, "存储文件夹 store")
        ensure_apart(path, cfg.registry, what, "原始数据文件夹 registry")
    return cfg


def month_or_year(args, example: str):
    """``--period YYYY-MM`` (normalised) or ``--year YYYY``: exactly one of them."""
    from kpi.outputs.monthly import month_option

    if (args.period is None) == (args.year is None):
        raise ConfigError(
            "给出 --period YYYY-MM（月度）或 --year YYYY（年度）之一 / give --period or --year", fix=f"例如 {example}"
        )
    if args.year is not None:
        if not 2000 <= args.year <= 2100:
            raise ConfigError("--year 应为四位年份 / --year must be a year", value=args.year, fix="例如 --year 2025")
        return None, args.year
    return month_option(args.period), None


class _Terminal(logging.Handler):
    """The library's messages as the user sees them: progress on stdout, warnings on stderr, each as said
    (the streams looked up as each message comes, so that a caller's redirection holds)."""

    def emit(self, record: logging.LogRecord) -> None:
        """One message, on its stream."""
        stream = sys.stderr if record.levelno >= logging.WARNING else sys.stdout
        print(self.format(record), file=stream, flush=True)


def show_library_messages() -> None:
    """The ``kpi`` package's log (``logging``: the library never prints) shown on the terminal, from
    INFO up; once per process."""
    package = logging.getLogger("kpi")
    if not any(isinstance(handler, _Terminal) for handler in package.handlers):
        package.addHandler(_Terminal())
        package.setLevel(logging.INFO)
