"""The ``kpi`` command. Bad input prints one clear message and exits 2, never a traceback."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kpi import paths
from kpi.errors import InputError

#: report notebooks run by ``kpi report``, in order, with their default parameters
REPORT_NOTEBOOKS = ("01_ingest.ipynb",)


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
    from kpi.ingest import run_ingest
    from kpi.runner import execute_notebook, notebook_to_html

    run_ingest(Path(args.raw), Path(args.processed))
    out = Path(args.out)
    for name in REPORT_NOTEBOOKS:
        executed = execute_notebook(paths.NOTEBOOKS / name, out / name,
                                    {"raw_dir": str(Path(args.raw).resolve()),
                                     "processed_dir": str(Path(args.processed).resolve())})
        html = notebook_to_html(executed, executed.with_suffix(".html"))
        print(f"wrote {executed}\nwrote {html}")
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

    report = sub.add_parser("report", help="ingest，然后运行报告笔记本，写出 reports/")
    report.add_argument("--raw", default=str(paths.RAW))
    report.add_argument("--processed", default=str(paths.PROCESSED))
    report.add_argument("--out", default=str(paths.REPORTS))
    report.set_defaults(func=_cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
