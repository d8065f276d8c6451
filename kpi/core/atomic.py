"""Atomic writes: write to a temporary file in the same folder, fsync, then rename over the target.
A failed or killed run leaves either the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from kpi.core.faults import fault_point
from kpi.core.text import FORMULA_PREFIXES


@contextlib.contextmanager
def atomic_path(target: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` atomically."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=suffix or (target.suffix + ".tmp"), dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a published file must be readable (0644)
        fault_point("atomic-before-replace")  # a kill here leaves the target as it was, and a temporary file
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def sweep_temporary(folder: Path) -> None:
    """The temporary files (:func:`atomic_path`'s ``.name.xxxx.tmp``) a killed writer left under ``folder``,
    removed. Call it only under the lock every writer of ``folder`` holds: none of them is then in flight."""
    for leftover in Path(folder).rglob(".*.tmp") if Path(folder).exists() else []:
        leftover.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(target: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically (temp file, then rename); the path written."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text(target: str | Path, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``target`` atomically; the path written."""
    return write_bytes(target, text.encode("utf-8"))


def write_csv(target: str | Path, frame: pd.DataFrame, for_people: bool = False, **kwargs) -> Path:
    """CSV, ``\\n`` line ends, no index. Machine tables in plain UTF-8 (stable bytes for diffs and
    hashes); ``for_people``: UTF-8 with BOM, so that Excel on Chinese Windows reads it right."""
    kwargs.setdefault("index", False)
    kwargs.setdefault("lineterminator", "\n")
    with atomic_path(target) as tmp:
        frame.to_csv(tmp, encoding="utf-8-sig" if for_people else "utf-8", **kwargs)
    return Path(target)


def write_parquet(target: str | Path, frame: pd.DataFrame) -> Path:
    """Parquet (pyarrow, no index): a machine table keeps its types (no dtypes patched back on load) and the
    same frame gives the same bytes under the same library versions."""
    with atomic_path(target) as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow")
    return Path(target)


def safe_cell(value: object) -> object:
    """One cell as a spreadsheet must receive it: text that Excel would run as a formula (``=``,
    ``+``, ``-``, ``@``) gets a leading apostrophe; numbers and everything else pass unchanged.
    Every CSV and xlsx writer of the project goes through this function."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def formula_safe(frame: pd.DataFrame, exclude: tuple[str, ...] = ()) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) get a leading
    apostrophe, so an exported CSV opened in Excel shows them as text (no formula injection).
    Numbers are untouched; ``exclude`` names columns of a closed vocabulary (e.g. comparators)."""
    safe = frame.copy()
    for column in safe.columns:
        dtype = safe[column].dtype
        textual = (
            pd.api.types.is_string_dtype(dtype)
            or pd.api.types.is_object_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype)
        )
        if column in exclude or not textual:
            continue
        text = safe[column].astype(object)  # a Categorical refuses both ``~`` and new values in ``where``
        safe_text = text.map(safe_cell)
        if not safe_text.equals(text):
            safe[column] = safe_text
    return safe


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes (hex): how every input, table and published file is fingerprinted."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def save_document(document, target: str | Path) -> Path:
    """An openpyxl workbook or a python-docx document saved to ``target`` atomically (both ``.save``)."""
    with atomic_path(target) as tmp:
        document.save(str(tmp))
    return Path(target)


def copy_into(source: Path, target: Path) -> Path:
    """Copy a file atomically (temp file, then rename)."""
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
    return target
