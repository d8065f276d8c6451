"""The ``kpi`` commands that start and check a project: ``init`` (a new county's project from its plan's
text and annex) and ``check`` (what is still to review). :mod:`kpi.cli.main` registers them."""

from __future__ import annotations

from pathlib import Path

from kpi.core.errors import ConfigError


def add_project_commands(sub, common) -> None:
    """Register ``kpi init`` and ``kpi check`` (``sub``: the ``kpi`` subparsers; ``common``: --config)."""
    init = sub.add_parser("init", help="新建一个县的项目：从方案文本（和晾晒表）草拟 kpi.toml 与登记表，逐项标明待审核")
    init.add_argument("folder", help="新项目的文件夹（不存在或为空）")
    init.add_argument("--plan", required=True, help="方案文本（.txt UTF-8/GB18030，或 .docx）")
    init.add_argument("--annex", help="当年晾晒表（.xlsx/.xls/.csv，官方版式）：指标、区域与总计行由此草拟")
    init.set_defaults(func=_cmd_init)

    check = sub.add_parser("check", parents=[common], help="检查项目能否加载，列出草拟登记表中仍待审核的项")
    check.add_argument("--reviewed", nargs="+", metavar="FILE:KEY", help="记录已审核的项（文件:键），或 all")
    check.set_defaults(func=_cmd_check)


def _cmd_init(args) -> int:
    from kpi.project.init import init_project, pending

    written = init_project(Path(args.folder), Path(args.plan), Path(args.annex) if args.annex else None)
    for path in written:
        print(f"wrote {path}")
    left = pending(Path(args.folder).resolve() / "kpi.toml")
    print(f"项目已建立，可以加载；待审核 {len(left)} 项：cd {args.folder} && kpi check（docs/new_county.md）")
    return 0


def _cmd_check(args) -> int:
    from kpi.metadata import config as project
    from kpi.project.init import mark_reviewed, pending

    path = project.find_config(getattr(args, "config", None))
    if path is None or not path.exists():
        raise ConfigError(
            "找不到项目文件 kpi.toml / no project file", file=path, fix="在项目文件夹中运行，或用 --config"
        )
    if args.reviewed:
        print(f"已记录审核 {mark_reviewed(path.resolve(), args.reviewed)} 项")
    left = pending(path.resolve())
    if left.empty:
        print("项目可以加载；没有待审核的项。")
        return 0
    print(f"项目可以加载；待审核 {len(left)} 项（核对后：kpi check --reviewed 文件:键，或 all）：")
    for row in left.itertuples():
        print(f"  {row.file}:{row.key}  [{row.column}]  {row.why}")
    return 0
