"""The ``kpi`` command. Bad input prints one clear message and exits 2, never a traceback."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kpi import atomic, paths
from kpi.errors import InputError


def _cmd_ingest(args) -> int:
    from kpi.ingest import run_ingest

    result = run_ingest(Path(args.raw), Path(args.processed), Path(args.progress) if args.progress else None)
    for path in result.written:
        print(f"wrote {path}")
    failed = int((~result.sum_checks["ok"]).sum())
    print(f"annex targets: {len(result.annex)} ({', '.join(map(str, sorted(result.annex['year'].unique())))}); "
          f"progress rows: {len(result.progress)}; plan targets: {len(result.plan_targets)}; "
          f"全县 = Σ regions checks failed: {failed}")
    if result.progress["is_example"].any():
        print("注意：进度数据为示例数据（非官方）/ note: progress data are EXAMPLE data, not official")
    return 0


def _cmd_make_example(args) -> int:
    from kpi.example_data import write_example

    for path in write_example(Path(args.raw), seed=args.seed):
        print(f"wrote {path}")
    return 0


def _cmd_report(args) -> int:
    from kpi.batch import run_batch, summary_table
    from kpi.ingest import run_ingest

    if (args.year is None) != (args.quarter is None):
        raise InputError("--year 与 --quarter 需同时给出 / give both --year and --quarter, or neither",
                         fix="例如 --year 2025 --quarter 4；都不给则用数据中最近的完整季度")
    if args.scheduler and args.executor != "dask":
        raise InputError("--scheduler 只与 --executor dask 一起使用 / --scheduler needs --executor dask",
                         fix="加上 --executor dask")
    progress = Path(args.progress) if args.progress else None
    run_ingest(Path(args.raw), Path(args.processed), progress)
    result = run_batch(args.year, args.quarter, args.regions, args.jobs, args.force, Path(args.out), Path(args.raw),
                       progress, analysis=not args.no_analysis, executor=args.executor, scheduler=args.scheduler)
    print(summary_table(result))
    if result.executed == 0 and not result.failures:
        print(f"{result.out_dir}: 全部报告已是最新，未重新运行 / all reports up to date, nothing executed")
    for path in result.written:
        print(f"wrote {path}")
    if result.failures:
        names = ", ".join(f.key for f in result.failures)
        print(f"失败 / failed: {names}（出错的笔记本保存在 {result.out_dir / 'failed'}）", file=sys.stderr)
        for failure in result.failures:
            print(f"--- {failure.key}\n{failure.message[-1500:]}", file=sys.stderr)
        return 1
    return 0


def _periods(text: str) -> list[str]:
    """``2023-09`` → one period; ``2023`` → the twelve months of 2023."""
    from kpi.parsing import parse_period

    if text.isdigit() and len(text) == 4:
        from kpi.progress import periods_of_year

        return periods_of_year(int(text))
    try:
        return [parse_period(text)]
    except ValueError:
        raise InputError("--period 应为 YYYY-MM 或 YYYY / --period must be YYYY-MM or YYYY", value=text,
                         fix="例如 --period 2023-09，或 --period 2023 生成全年各月") from None


def _cmd_leaderboard(args) -> int:
    from kpi.excel import write_leaderboard_xlsx
    from kpi.ingest import read_annex, read_progress
    from kpi.progress import LEADERBOARD_COLUMNS, score
    from kpi.registry import Registry

    periods = _periods(args.period)
    year = int(periods[0][:4])
    raw = Path(args.raw)
    registry = Registry.load(raw)
    targets_path = Path(args.targets) if args.targets else paths.annex_path(year, raw)
    if not args.targets and not targets_path.exists():
        from kpi.ingest import annex_files

        years = [int(p.name[6:10]) for p in annex_files(raw)]
        raise InputError(f"没有 {year} 年的晾晒表指标 / no annex targets for {year}; 现有年份：{years}",
                         file=raw, value=args.period, fix="用 --targets 指定该年度的晾晒表文件")
    targets = read_annex(targets_path, registry)
    if year not in set(targets["year"]):
        raise InputError(f"指标文件是 {sorted(set(targets['year']))} 年的，不是 {year} 年 / targets are for another year",
                         file=args.targets, fix="用 --targets 指定该年度的晾晒表")
    progress = read_progress(Path(args.progress) if args.progress else raw / "example" / "progress_example.csv", registry)
    available = set(progress["period"])
    periods = [p for p in periods if p in available] if len(periods) > 1 else periods
    if not periods or periods[0] not in available:
        raise InputError(f"进度数据中没有 {args.period} / no progress data for that period",
                         file=args.progress, value=args.period,
                         fix=f"可用时期：{min(available)} 至 {max(available)}")
    board = score(targets, progress, registry, periods)
    out = Path(args.out)
    for period in periods:
        rows = atomic.formula_safe(board.loc[board["period"] == period, LEADERBOARD_COLUMNS], exclude=("comparator",))
        csv_path = atomic.write_csv(out / f"leaderboard_{period}.csv", rows, float_format="%.6g")
        xlsx_path = write_leaderboard_xlsx(board, registry, period, out / f"晾晒表_{period}.xlsx")
        print(f"wrote {csv_path}\nwrote {xlsx_path}")
    if board["is_example"].any():
        print("注意：进度为示例数据（非官方）/ note: built on EXAMPLE data, not official")
    return 0


def _cmd_extract_targets(args) -> int:
    import pandas as pd

    from kpi.extract import annex_csv, compare, extract, fill_years, read_text

    outputs = [Path(p).resolve() for p in (args.out, args.annex_out) if p]
    for output in outputs:
        if output.is_relative_to(paths.RAW.resolve()):
            raise InputError("草稿不能写入 data/raw（原始数据只由人工审核后放入）/ drafts never go into data/raw",
                             file=output, fix="写到别处，例如 --out /tmp/draft.csv，审核后再手工合并")
    text = read_text(Path(args.plan))
    draft, annex = extract(text)
    draft = fill_years(draft, text)
    if args.out:
        atomic.write_csv(Path(args.out), atomic.formula_safe(draft, exclude=("comparator",)))
        flagged = int((draft["review"] != "").sum())
        print(f"wrote {args.out}: {len(draft)} targets, {flagged} flagged for review（请人工审核 / review before use）")
    if args.annex_out and annex:
        atomic.write_text(Path(args.annex_out), annex_csv(annex))
        print(f"wrote {args.annex_out}: annex table, {len(annex)} rows")
    if args.compare:
        result = compare(draft, pd.read_csv(args.compare))
        print(f"reference {result['reference']}, draft {result['draft']}, matched {result['matched']}")
        print(f"recall {result['recall']:.1%}  precision {result['precision']:.1%}  basis agreement {result['basis_agreement']:.1%}")
        if result["missed"]:
            print("missed:", ", ".join(result["missed"]))
        if result["extra"]:
            print("extra:", ", ".join(result["extra"]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kpi", description="缙云县“139”科技创新体系建设工程：指标进度、晾晒表与报告")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="读取并校验 data/raw，写出 data/processed 的整洁表")
    ingest.add_argument("--raw", default=str(paths.RAW))
    ingest.add_argument("--processed", default=str(paths.PROCESSED))
    ingest.add_argument("--progress", help="进度文件（默认：示例数据 data/raw/example/progress_example.csv）")
    ingest.set_defaults(func=_cmd_ingest)

    example = sub.add_parser("make-example", help="重新生成示例数据（固定种子，结果逐字节相同）")
    example.add_argument("--raw", default=str(paths.RAW))
    example.add_argument("--seed", type=int, default=139)
    example.set_defaults(func=_cmd_make_example)

    board = sub.add_parser("leaderboard", help="填写晾晒表：完成率、序时进度、排名 → CSV 与 xlsx")
    board.add_argument("--period", required=True, help="YYYY-MM，或 YYYY 表示全年每个月")
    board.add_argument("--targets", help="晾晒表指标文件（默认：该年度的附件）")
    board.add_argument("--progress", help="进度文件（默认：示例数据）")
    board.add_argument("--raw", default=str(paths.RAW))
    board.add_argument("--out", default=str(paths.REPORTS))
    board.set_defaults(func=_cmd_leaderboard)

    extract = sub.add_parser("extract-targets", help="从方案文本中提取量化目标草稿（供人工审核）")
    extract.add_argument("plan", help="方案文本（.txt UTF-8/GB18030，或 .docx）")
    extract.add_argument("--out", help="草稿 CSV（plan_targets.csv 的列，另加 confidence、review）")
    extract.add_argument("--annex-out", help="附件晾晒表草稿 CSV（官方版式）")
    extract.add_argument("--compare", help="与已审核的 plan_targets.csv 比较，输出召回率与准确率")
    extract.set_defaults(func=_cmd_extract_targets)

    report = sub.add_parser("report", help="季度报告：ingest，然后为全县和各区域运行报告笔记本，写出 reports/YYYY-QN/")
    report.add_argument("--year", type=int, help="年份（默认：数据中最近的完整季度）")
    report.add_argument("--quarter", type=int, choices=[1, 2, 3, 4], help="季度 1—4")
    report.add_argument("--regions", nargs="+", default=["all"], help="all（默认），或一个或多个区域名")
    report.add_argument("--jobs", type=int, default=None, help="同时运行的笔记本数（默认：CPU 核数）")
    report.add_argument("--force", action="store_true", help="即使输入、参数和代码未变也重新运行")
    report.add_argument("--no-analysis", action="store_true", help="只生成季度报告，不运行 01—03 分析笔记本")
    report.add_argument("--executor", choices=["local", "dask"], default="local",
                        help="local：本机多进程（默认）；dask：Dask 分布式集群")
    report.add_argument("--scheduler", help="Dask 调度器地址，如 tcp://10.0.0.5:8786（不给则在本机起 LocalCluster）")
    report.add_argument("--raw", default=str(paths.RAW))
    report.add_argument("--processed", default=str(paths.PROCESSED))
    report.add_argument("--progress", help="进度文件（默认：示例数据）")
    report.add_argument("--out", default=str(paths.REPORTS))
    report.set_defaults(func=_cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    import warnings

    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            code = args.func(args)
        for warning in caught:
            if type(warning.message).__module__.startswith("kpi"):
                print(f"注意 / warning: {warning.message}", file=sys.stderr)
        return code
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
