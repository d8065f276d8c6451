"""A month's returns collected (``kpi collect FILE|DIR … --period``): every file accounted for, every
value either stored, held for a person, or refused with its file named.

1. Every file of a folder is read, refused (with why) or ignored by a printed rule (:func:`kpi.metadata.sources.ignore_rule`);
   all files are checked before anything is written, and all problems are reported in one run.
2. A file for another month is refused, never stored under this one; its fix is the command that
   collects it under its own month (the period it names comes from its title, 时期, sheet or file name,
   never a filing date: :mod:`kpi.inputs.form_context`).
3. Each value is checked for sense (:mod:`kpi.metadata.plausibility`). An implausible one is **held** in
   the store's ``held`` table (待确认, exported to ``held.csv``) and not published until ``--accept FILE:CELL`` (已确认) or a new file
   that replaces it (已更正); nothing is silently changed.
4. The rest is merged into the store (:func:`kpi.store.collect.merge`: new values, logged corrections), each
   value with its file, sha256, sheet, row, column and when the file came in (its modification time,
   or ``--received``). ``--dry-run`` does all of it and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import NamedTuple

import pandas as pd
from openpyxl.utils import get_column_letter

from kpi.core import atomic
from kpi.core.errors import InputError
from kpi.core.formatting import BEIJING, beijing_now, chinese_time
from kpi.inputs.submissions import Submission, read_submission
from kpi.metadata.config import Config
from kpi.metadata.plausibility import check_values
from kpi.metadata.registry import Registry
from kpi.store.collect import (
    ACCEPTED,
    ACCEPTED_BY,
    HELD,
    HELD_COLUMNS,
    STORE_COLUMNS,
    SUPERSEDED,
    CollectResult,
    changed_rows,
    describe,
    keep_files,
    merge,
    open_store,
    ordered,
    record_files,
    submission_files,
)
from kpi.store.database import replace_rows, replace_table

KEY = ["period", "region", "indicator_id"]


def _one_month(path: Path, registry: Registry, period: str) -> Submission:
    """One file read and checked for ``period``: a file for another month, or with no value, is refused."""
    submission = read_submission(path, registry, period)
    values = submission.values
    wrong = values[values["period"] != period]
    if not wrong.empty:
        own = wrong.iloc[0]["period"]
        raise InputError(
            f"这是 {own} 的报送表，不是 {period} / a form for another month",
            file=path,
            sheet=wrong.iloc[0]["sheet"] or None,
            row=int(wrong.iloc[0]["row"]) or None,
            value=own,
            fix=f'本次不收此文件。若它确是 {own} 的表，单独收集：kpi collect "{path}" --period {own}；'
            "若时期写错了，改正表中的时期后重新发回",
        )
    if values.empty:
        raise InputError(
            "报送表中没有任何数值 / the form holds no values",
            file=path,
            fix="填写后保存再发回；若确实无数据，不必收集此文件",
        )
    return submission


def cell_refs(values: pd.DataFrame) -> pd.Series:
    """Each value's cell as a person finds it: ``C5`` (a CSV's ``第 3 列`` too), the sheet first when the
    file has several (``3月!C5``); a long table's row has no cell: ``区域/indicator_id``."""
    column = values["column"].astype(str)
    number = column.str.extract(r"第 (\d+) 列", expand=False)
    letters = column.where(number.isna(), number.fillna("1").astype(int).map(get_column_letter))
    refs = letters + values["row"].astype(str)
    refs = refs.where(values["row"].astype(int) > 0, values["region"] + "/" + values["indicator_id"])
    several = values.groupby("source_file")["sheet"].transform("nunique") > 1
    return refs.where(~several, values["sheet"] + "!" + refs)


def _accepted(incoming: pd.DataFrame, accept: list[str]) -> pd.Series:
    """Which incoming values an ``--accept FILE:CELL`` (or ``--accept FILE``: all its held values) names;
    a key that names no held value is an error (nothing is accepted by mistake)."""
    chosen = pd.Series(False, index=incoming.index)
    for key in accept:
        file, _, cell = key.rpartition(":") if ":" in key else (key, "", "")
        match = (incoming["source_file"] == Path(file).name) & (incoming["hold_reason"] != "")
        if cell:
            match &= incoming["cell"] == cell
        if not match.any():
            raise InputError(
                "--accept 没有对应的待确认数值 / --accept names no held value",
                value=key,
                fix="照抄 kpi collect 列出的“文件:单元格”，例如 --accept 某某镇.xlsx:C5",
            )
        chosen |= match
    return chosen


def _received_times(paths: list[Path], given: dt.datetime | None) -> dict[Path, str]:
    """When each file came in: ``given`` (``--received``), else the file's modification time (Beijing)."""
    if given is not None:
        return {p: given.isoformat() for p in paths}
    return {p: dt.datetime.fromtimestamp(p.stat().st_mtime, BEIJING).replace(microsecond=0).isoformat() for p in paths}


def _identity(frame: pd.DataFrame) -> pd.Series:
    """One held value's identity: its cell of one file (by hash), for its period, region and indicator."""
    columns = ["period", "region", "indicator_id", "source_sha256", "cell"]
    return pd.Series(
        ["|".join(map(str, row)) for row in frame[columns].itertuples(index=False)], index=frame.index, dtype=object
    )


def _held_log(
    held_before: pd.DataFrame,
    checked: pd.DataFrame,
    held: pd.Series,
    accepted: pd.Series,
    stored_keys: pd.DataFrame,
    now: str,
) -> pd.DataFrame:
    """``held.csv`` after this collection: new holds 待确认 (once each), accepted ones 已确认, pending
    ones whose cell a newly stored value replaced 已更正 (with that value's file)."""
    rows = checked.assign(
        value=checked["value"].map(lambda v: f"{v:.10g}"),
        likely_value=checked["likely_value"].map(lambda v: "" if pd.isna(v) else f"{v:.10g}"),
        reason=checked["hold_reason"],
        status="",
        resolved_at="",
        resolution="",
    )
    new_holds = rows[held].assign(status=HELD)
    new_accepts = rows[accepted].assign(status=ACCEPTED, resolved_at=now, resolution=ACCEPTED_BY)
    log = held_before.copy()
    log_id = _identity(log)
    accepted_id = set(_identity(new_accepts))
    pending = log["status"] == HELD
    log.loc[pending & log_id.isin(accepted_id), ["status", "resolved_at", "resolution"]] = [ACCEPTED, now, ACCEPTED_BY]
    latest = stored_keys.drop_duplicates(KEY, keep="last")  # two files for one cell: the later one stands
    replaced = log[KEY].merge(latest, on=KEY, how="left")["source_file"]
    superseded = pending & ~log_id.isin(accepted_id) & replaced.notna().to_numpy()
    log.loc[superseded, "status"] = SUPERSEDED
    log.loc[superseded, "resolved_at"] = now
    log.loc[superseded, "resolution"] = "新文件 " + replaced[superseded.to_numpy()].to_numpy()
    known = set(log_id)
    fresh = pd.concat([new_holds, new_accepts], ignore_index=True)
    fresh = fresh[~_identity(fresh).isin(known)]
    return pd.concat([log, fresh[HELD_COLUMNS]], ignore_index=True)[HELD_COLUMNS]


def _read_all(paths: list[Path], registry: Registry, period: str):
    """Every file read and checked before anything is written: ``([(path, sha256, submission)…],
    [(path, error)…])``; one file's problem never stops the others being read."""
    read, refused = [], []
    for path in paths:
        try:
            read.append((path, atomic.file_sha256(path), _one_month(path, registry, period)))
        except InputError as error:
            refused.append((path, error))
    return read, refused


class Settled(NamedTuple):
    """What a collection does to the store's tables, worked out before anything is written."""

    checked: pd.DataFrame  # every incoming value with its hold reason and likely value
    current: pd.DataFrame  # the store's progress before it
    publish: pd.DataFrame  # the values stored
    merged: pd.DataFrame  # the progress after it
    corrections: pd.DataFrame
    added: int
    unchanged: int
    log: pd.DataFrame  # the held log after it
    held: pd.Series  # which of ``checked`` are held
    accepted: pd.Series  # which of ``checked`` were accepted


def _settle(checked: pd.DataFrame, accept: list[str], current: pd.DataFrame, held_before: pd.DataFrame, at: str):
    """The :class:`Settled` outcome of ``checked`` values over the store's ``current`` progress (pure)."""
    accepted = _accepted(checked, list(accept))
    held = (checked["hold_reason"] != "") & ~accepted
    publish = checked[~held].rename(columns={"sheet": "source_sheet", "row": "source_row", "column": "source_column"})
    publish = publish.assign(is_example=False, _at=at)
    merged, corrections, added, unchanged = merge(current, publish, KEY, describe)
    log = _held_log(held_before, checked, held, accepted, publish[KEY + ["source_file"]], at)
    return Settled(checked, current, publish, merged[STORE_COLUMNS], corrections, added, unchanged, log, held, accepted)


def collect(
    config: Config,
    registry: Registry,
    files: list[str | Path],
    period: str,
    now: dt.datetime | None = None,
    targets: pd.DataFrame | None = None,
    accept: list[str] = (),
    dry_run: bool = False,
    received: dt.datetime | None = None,
) -> CollectResult:
    """Collect a month's returns (see the module docstring) in one transaction of the store.
    ``targets``: the annex targets the plausibility check compares with (``year, region, indicator_id,
    target``; none: that check is skipped)."""
    now = now or beijing_now()
    at = now.isoformat()
    paths, ignored = submission_files(files)
    result = CollectResult(period, [], ignored=ignored, dry_run=dry_run)
    read, result.refused = _read_all(paths, registry, period)
    result.received = [p for p, _, _ in read]
    if not read:
        return result
    times = _received_times(result.received, received)
    incoming = pd.concat(
        [s.values.assign(source_file=p.name, source_sha256=h, received_at=times[p]) for p, h, s in read],
        ignore_index=True,
    )
    incoming["cell"] = cell_refs(incoming)
    targets = pd.DataFrame(columns=["year", "region", "indicator_id", "target"]) if targets is None else targets
    store = open_store(config)

    def settle(connection=None) -> Settled:
        current = store.frame("progress", connection)
        known = current.assign(value=current["value"].astype(float))
        checked = check_values(incoming, known, targets, registry, config.plausibility_checks())
        return _settle(checked, accept, current, store.frame("held", connection), at)

    if dry_run:
        settled = settle()
    else:
        digests = {p: h for p, h, _ in read}
        with store.writing("kpi collect") as connection:  # every write below commits together, or none
            kept = keep_files(config, list(digests.items()), period)
            settled = settle(connection)
            replace_rows(connection, "progress", changed_rows(settled.merged, settled.current, KEY))
            replace_rows(connection, "corrections", settled.corrections)
            replace_table(connection, "held", settled.log)
            record_files(connection, kept, digests, period, times, at)
        result.written += [copy for _, copy in kept] + store.export()
    result.new_values, result.corrections, result.unchanged = settled.added, settled.corrections, settled.unchanged
    result.held, result.accepted = settled.checked[settled.held], settled.checked[settled.accepted]
    result.stored = settled.publish
    result.notices = [n for _, _, s in read for n in s.notices]
    result.status = submission_status(ordered(settled.merged, registry), registry, period, settled.log)
    result.notices += _unread_store(config)
    return result


def _unread_store(config: Config) -> list[str]:
    """A notice when the project file does not read what collect stores."""
    export = config.store_progress
    if export in config.progress or config.store in config.progress:
        return []
    return [
        f"注意：kpi.toml 的 [data] progress 未包含 {export}，报表不会用到本次收集的数据 / the project file does not read the store yet"
    ]


def _rerun(files: list[str], period: str, accept: str) -> str:
    """The command that collects the same files again, accepting one held value."""
    import shlex

    return " ".join(
        ["kpi collect", *map(shlex.quote, map(str, files)), "--period", period, "--accept", shlex.quote(accept)]
    )


def refusal_report(result: CollectResult) -> list[str]:
    """The files refused, each with its whole error (file, row, column, value, fix): for stderr."""
    if not result.refused:
        return []
    lines = [f"拒收 {len(result.refused)} 个文件（未存入；改正后重新收集）/ refused, nothing of them stored:"]
    return lines + ["  " + str(error).replace("\n", "\n  ") for _, error in result.refused]


def collection_report(result: CollectResult, files: list[str], registry: Registry) -> list[str]:
    """What ``kpi collect`` prints: every file read or ignored (its rule; refusals: :func:`refusal_report`),
    the values stored, corrected and held (each with why, the likely value and the command to accept
    it), and, in a dry run, what would be stored per region and indicator."""
    names = registry.by_id["name_zh"]
    lines = [f"读取 {len(result.received)} 个文件 / read: " + ("、".join(p.name for p in result.received) or "无")]
    if result.ignored:
        lines.append(f"忽略 {len(result.ignored)} 个文件 / ignored:")
        lines += [f"  {path.name}：{rule}" for path, rule in result.ignored]
    lines.append(
        f"新增 {result.new_values} 个数值，更正 {len(result.corrections)} 个，相同 {result.unchanged} 个，"
        f"暂缓 {len(result.held)} 个 / {result.new_values} new, {len(result.corrections)} corrected, "
        f"{result.unchanged} unchanged, {len(result.held)} held"
    )
    lines += [
        f"  更正 / corrected: {r.key}: {r.old_value} → {r.new_value}（{r.new_source}）"
        for r in result.corrections.itertuples()
    ]
    if len(result.held):
        lines.append("暂缓发布（待确认，未存入）/ held for a person, not stored:")
    for row in result.held.itertuples():
        key = f"{row.source_file}:{row.cell}"
        likely = "" if pd.isna(row.likely_value) else f"；可能应为 / likely {row.likely_value:.6g}"
        lines += [
            f"  {key}  {row.region} {names[row.indicator_id]} {row.period} = {row.value:.6g}（表中：{row.raw}）",
            f"    原因 / why: {row.hold_reason}{likely}",
            f"    确认无误 / if right: {_rerun(files, result.period, key)}",
            "    有误 / if wrong: 请报送单位改正后重新发回，再收集（新文件取代此值）",
        ]
    lines += [
        f"  已确认 / accepted: {r.source_file}:{r.cell} {r.region} {names[r.indicator_id]} = {r.value:.6g}"
        for r in result.accepted.itertuples()
    ]
    if result.dry_run and result.stored is not None and not result.stored.empty:
        table = result.stored.assign(指标=result.stored["indicator_id"].map(names))
        table = table.pivot_table(index="region", columns="指标", values="value", aggfunc="first", sort=False)
        lines += ["试运行：将存入以下数值（未写任何文件）/ dry run, would store:", table.to_string(na_rep="")]
    elif result.dry_run:
        lines.append("试运行：没有可存入的数值（未写任何文件）/ dry run: nothing to store")
    return lines


def submission_status(
    store: pd.DataFrame, registry: Registry, period: str, held: pd.DataFrame | None = None
) -> pd.DataFrame:
    """报送情况 of ``period``: per region, indicators reported, those missing, those held for a person
    (待确认, from ``held.csv``), the files and when the last one came in. 全县 owes only the indicators
    that do not sum from the regions (for the others the leaderboard takes the regions' total)."""
    rows = store[store["period"] == period]
    pending = (
        held[(held["period"] == period) & (held["status"] == "待确认")]
        if held is not None
        else pd.DataFrame(columns=["region", "indicator_id"])
    )
    indicators = registry.indicators
    names = dict(zip(indicators["indicator_id"], indicators["name_zh"]))
    table = []
    for region in registry.region_names:
        due = (
            indicators["indicator_id"][~indicators["sums_to_county"]]
            if region == registry.total_name
            else indicators["indicator_id"]
        )
        own = rows[rows["region"] == region]
        waiting = set(pending.loc[pending["region"] == region, "indicator_id"]) - set(own["indicator_id"])
        missing = [names[i] for i in due if i not in set(own["indicator_id"]) and i not in waiting]
        if not missing:
            state = "待确认" if waiting else "已报送"
        else:
            state = "未报送" if own.empty and not waiting else "部分报送"
        last = max(own["received_at"]) if not own.empty else ""
        table.append(
            {
                "区域": region,
                "状态": state,
                "已报指标数": f"{len(set(due) & set(own['indicator_id']))}/{len(due)}",
                "缺报指标": ("全部" if own.empty and not waiting else "、".join(missing)) if missing else "",
                "待确认指标": "、".join(names[i] for i in due if i in waiting),
                "来源文件": "、".join(sorted(set(own["source_file"]))),
                "最近报送时间": chinese_time(last) if last else "",
            }
        )
    return pd.DataFrame(table)


def write_status(status: pd.DataFrame, period: str, out_dir: Path) -> Path:
    """报送情况 of ``period`` as ``报送情况_YYYY-MM.csv`` in ``out_dir`` (UTF-8 with BOM, atomically)."""
    return atomic.write_csv(out_dir / f"报送情况_{period}.csv", atomic.formula_safe(status), for_people=True)
