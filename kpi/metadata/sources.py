"""Which files a list of inputs names: a file as it is, a folder as every data file in it. One rule
(:func:`ignore_rule`) for what is not data (a subfolder, an office lock file ``~$…``, a hidden file, a
file that is no spreadsheet), used by ``kpi ingest`` and by ``kpi collect``."""

from __future__ import annotations

from pathlib import Path

from kpi.core.errors import ConfigError

DATA_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls", ".et", ".ods", ".parquet")


def ignore_rule(path: Path) -> str | None:
    """Why a file in a folder of inputs is not read, or None when it may be data: one rule for
    ``kpi ingest``'s source folders and ``kpi collect``'s inbox (which prints it for each file)."""
    if path.is_dir():
        return "子文件夹不读取（只读这一层）/ a subfolder (not read)"
    if path.name.startswith("~$"):
        return "Excel/WPS 打开文件时留下的临时文件 / an office lock file"
    if path.name.startswith("."):
        return "隐藏文件 / a hidden file"
    if path.suffix.lower() not in DATA_SUFFIXES:
        return f"不是表格文件（{path.suffix or '无扩展名'}）/ not a spreadsheet"
    return None


def data_files_in(folder: Path) -> list[Path]:
    """The data files of a folder (.csv, .xlsx, .xls, .parquet…), sorted (:func:`ignore_rule`)."""
    return sorted(p for p in folder.iterdir() if ignore_rule(p) is None)


def expand_sources(
    sources: tuple[Path, ...], key: str, config_path: Path | None, optional_under: Path | None = None
) -> list[Path]:
    """Files named by a source list: a file as it is, a folder as every data file in it (sorted;
    hidden files and Excel's ``~$`` lock files skipped). A listed file must exist, except inside
    ``optional_under`` (the store: nothing collected yet); a folder may not exist yet."""
    files: list[Path] = []
    for source in sources:
        if source.is_dir():
            files += data_files_in(source)
        elif source.exists():
            files.append(source)
        elif source.suffix and not (optional_under and source.is_relative_to(optional_under)):
            raise ConfigError(
                f"kpi.toml 的 [data] {key} 列出的文件不存在 / a listed {key} file does not exist",
                file=config_path,
                value=str(source),
                fix="改正路径，或从 kpi.toml 中删去这一项",
            )
    return files
