"""The ``kpi`` command. Where the data is comes from ``kpi.toml`` (see :mod:`kpi.metadata.config`); options
override it for one run. Bad input prints one clear message and exits 2, never a traceback."""

from __future__ import annotations

import argparse
import os
import sys

from kpi.cli.common import project_config, show_library_messages
from kpi.cli.intake import add_intake_commands
from kpi.cli.project import add_project_commands
from kpi.core.errors import ConfigError, KpiError


def _ingest(cfg, quiet: bool = False):
    from kpi.ingest.pipeline import run_ingest
    from kpi.ingest.processed import load_processed

    result = run_ingest(cfg)
    if not quiet:
        for notice in result.notices:
            print(notice)
    return result, load_processed(cfg.processed)


def _cmd_ingest(args) -> int:
    cfg = project_config(args)
    result, _ = _ingest(cfg)
    for path in result.written:
        print(f"wrote {path}")
    failed = int((~result.sum_checks["ok"]).sum())
    years = ", ".join(map(str, sorted(result.annex["year"].unique())))
    print(
        f"annex targets: {len(result.annex)} ({years}); progress rows: {len(result.progress)}; "
        f"county annual rows: {len(result.county_annual)}; plan targets: {len(result.plan_targets)}; "
        f"total = Σ regions checks failed: {failed}"
    )
    print(f"project file: {cfg.path}")
    if (
        result.progress["is_example"].any()
        or result.annex["is_example"].any()
        or result.county_annual["is_example"].any()
    ):
        print("注意：输入含示例数据（非官方）/ note: inputs include EXAMPLE data, not official")
    return 0


def _cmd_report(args) -> int:
    from kpi.ingest.processed import load_processed, snapshot_processed
    from kpi.publish.batch import run_batch, summary_table

    if (args.year is None) != (args.quarter is None):
        raise ConfigError(
            "--year 与 --quarter 需同时给出 / give both --year and --quarter, or neither",
            fix="例如 --year 2025 --quarter 4；都不给则用数据中最近的完整季度",
        )
    if args.scheduler and args.executor != "dask":
        raise ConfigError(
            "--scheduler 只与 --executor dask 一起使用 / --scheduler needs --executor dask", fix="加上 --executor dask"
        )
    cfg = project_config(args)
    regions = _check_report_options(args, cfg)  # every option checked before anything is written
    _ingest(cfg)
    # the batch reads a snapshot: an ingest during it (a collect, a notebook opened) cannot reach it
    processed = load_processed(snapshot_processed(cfg.processed))
    result = run_batch(
        processed,
        cfg,
        args.year,
        args.quarter,
        regions,
        args.jobs,
        args.force,
        analysis=not args.no_analysis,
        executor=args.executor,
        scheduler=args.scheduler,
        wait_seconds=args.wait,
    )
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


def _check_report_options(args, cfg) -> list[str]:
    """Year, quarter, regions (aliases resolved, each once) and jobs, checked against the registry."""
    from kpi.metadata.registry import Registry
    from kpi.metrics.quarterly import validate_parameters
    from kpi.publish.batch_plan import selected_regions

    registry = Registry.load(cfg.registry)
    if args.year is not None:
        validate_parameters(args.year, args.quarter, registry.total_name, registry)
    if args.jobs is not None and not 1 <= args.jobs <= 256:
        raise ConfigError("--jobs 应为 1—256 / --jobs must be 1 to 256", value=args.jobs, fix="例如 --jobs 2")
    return selected_regions(args.regions, registry)


def _cmd_leaderboard(args) -> int:
    from kpi.outputs.month_documents import annex_documents, month_csv
    from kpi.outputs.monthly import month_board, periods_to_publish

    cfg = project_config(args)
    _, processed = _ingest(cfg)
    periods = periods_to_publish(processed, args.period)
    boards = {}
    for period in periods:  # check every month before writing any
        boards[period] = month_board(processed, period)
    for period, board in boards.items():
        out_dir = cfg.monthly_dir(period)
        table = month_csv(board, period, out_dir)
        documents = annex_documents(board, processed, period, out_dir, cfg.organisation, cfg.publication)
        for path in [table, *documents]:
            print(f"wrote {path}")
        composite = board[(board["period"] == period) & (board["indicator_id"] == "composite") & board["rank"].notna()]
        ranking = "、".join(f"{r.region}{r.rank_change or ''}" for r in composite.sort_values("rank").itertuples())
        none = "无：没有区域报齐全部指标（综合得分只在报齐时计算）/ none: no region has reported every indicator"
        print(f"{period} 综合排名 / composite ranking: {ranking or none}")
    if any(bool(b["is_example"].any()) for b in boards.values()):
        print("注意：含示例数据（非官方）/ note: built on EXAMPLE data, not official")
    return 0


def _add_report(sub, common, inputs) -> None:
    """``kpi report``: the quarter's batch, its options."""
    report = sub.add_parser(
        "report",
        parents=[common],
        help="季度报告：ingest，然后为总计行（全县/全区）和各区域运行报告笔记本，写出 reports/YYYY-QN/",
    )
    report.add_argument("--year", type=int, help="年份（默认：数据中最近的完整季度）")
    report.add_argument("--quarter", type=int, choices=[1, 2, 3, 4], help="季度 1—4")
    report.add_argument("--regions", nargs="+", default=["all"], help="all（默认），或一个或多个区域名")
    report.add_argument("--jobs", type=int, default=None, help="同时运行的笔记本数（默认：CPU 核数）")
    report.add_argument("--force", action="store_true", help="即使输入、参数和代码未变也重新运行")
    report.add_argument("--no-analysis", action="store_true", help="只生成季度报告，不运行 01—03 分析笔记本")
    report.add_argument(
        "--wait",
        type=float,
        default=None,
        metavar="SECONDS",
        help="另一个 report 正在运行时最多等待的秒数（默认 3600，或环境变量 KPI_LOCK_TIMEOUT）",
    )
    report.add_argument(
        "--executor",
        choices=["local", "dask"],
        default="local",
        help="local：本机多进程（默认）；dask：Dask 分布式集群",
    )
    report.add_argument("--scheduler", help="Dask 调度器地址，如 tcp://10.0.0.5:8786（不给则在本机起 LocalCluster）")
    inputs(report)
    report.add_argument("--out", help="报告根文件夹（默认：kpi.toml 的 [output] reports）")
    report.set_defaults(func=_cmd_report)


def build_parser() -> argparse.ArgumentParser:
    """The ``kpi`` command line: ingest, leaderboard and report here, the intake commands from
    :mod:`kpi.cli.intake`; every command takes ``--config``."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        default=argparse.SUPPRESS,
        help="项目文件（默认：当前目录或上级目录中的 kpi.toml，或环境变量 KPI_CONFIG）",
    )
    parser = argparse.ArgumentParser(
        prog="kpi",
        parents=[common],
        description="一个县的科技创新方案：指标进度、晾晒表与报告。县名、方案与数据位置见 kpi.toml；新县用 kpi init。",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def inputs(p, progress=True):
        p.add_argument(
            "--raw", help="登记表文件夹（代替 kpi.toml 的 registry，其中列出的文件随之改用此文件夹中的同名文件）"
        )
        p.add_argument("--processed", help="处理后数据的文件夹（代替 kpi.toml 的 [output] processed）")
        if progress:
            p.add_argument("--progress", nargs="+", help="进度文件或文件夹（代替 kpi.toml 的 [data] progress）")

    ingest = sub.add_parser(
        "ingest", parents=[common], help="读取并校验 kpi.toml 列出的输入，写出 data/processed 的整洁表"
    )
    inputs(ingest)
    ingest.set_defaults(func=_cmd_ingest)

    board = sub.add_parser(
        "leaderboard", parents=[common], help="某月的晾晒表：完成率、序时进度、排名及排名变化 → CSV 与 xlsx"
    )
    board.add_argument("--period", required=True, help="YYYY-MM，或 YYYY 表示该年已有数据的每个月")
    inputs(board)
    board.add_argument("--out", help="报告根文件夹（默认：kpi.toml 的 [output] reports）；写入其下 monthly/YYYY-MM/")
    board.set_defaults(func=_cmd_leaderboard)

    _add_report(sub, common, inputs)

    add_intake_commands(sub, common)
    add_project_commands(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``kpi`` command: its exit code (0 done; 2 bad input or configuration, with one clear
    message; 3 nothing found; 1 a run that could not finish, a fault or a file system error; 130
    interrupted); never a traceback unless ``KPI_DEBUG=1``."""
    import warnings

    args = build_parser().parse_args(argv)
    show_library_messages()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            code = args.func(args)
        for warning in caught:
            if type(warning.message).__module__.startswith("kpi"):
                print(f"注意 / warning: {warning.message}", file=sys.stderr)
        return code
    except KpiError as exc:  # input, configuration or run: its message, and its kind's exit code
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("已中断 / interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a full disk, a read-only folder, a file that cannot be read: one line, no traceback
        if os.environ.get("KPI_DEBUG"):
            raise
        where = f"：{exc.filename}" if getattr(exc, "filename", None) else ""
        print(
            f"文件系统错误 / file system error{where}\n  问题 / problem: {exc.strerror or exc}\n"
            "  修改方法 / fix: 检查磁盘空间和该路径的读写权限后重试；已发布的报告和数据未被改动",
            file=sys.stderr,
        )
        return 1
    except Exception as exc:  # a fault, not bad input: said in one message (KPI_DEBUG=1 shows the traceback)
        if os.environ.get("KPI_DEBUG"):
            raise
        print(
            f"内部错误 / internal error: {type(exc).__name__}: {exc}\n"
            "  已发布的报告和数据未被改动；用 KPI_DEBUG=1 重跑可看到完整的出错位置",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
