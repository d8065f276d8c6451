"""The ``kpi`` commands that take data in: ``template`` (the forms sent out), ``collect`` (the forms
sent back), ``import-annex`` (a year's 晾晒表), ``extract-targets`` (a plan's text) and
``make-example`` (the seeded example). :mod:`kpi.cli.main` registers them and runs them."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from kpi.cli.collect import cmd_alias, cmd_collect
from kpi.cli.common import month_or_year, project_config
from kpi.core.errors import ConfigError, InputError


def add_intake_commands(sub, common) -> None:
    """Register the intake commands' parsers (``sub``: the ``kpi`` subparsers; ``common``: --config)."""

    template = sub.add_parser(
        "template", parents=[common], help="生成报送表：--period 月度（每个区域一份及汇总表），--year 年度数据（总计）"
    )
    template.add_argument("--period", help="月度报送表的时期 YYYY-MM")
    template.add_argument("--year", type=int, help="年度数据表的年份")
    template.add_argument("--forms", help="写到此文件夹（默认：reports/forms/YYYY-MM/）")
    template.add_argument("--raw", help=argparse.SUPPRESS)
    template.add_argument("--out", help=argparse.SUPPRESS)
    template.set_defaults(func=_cmd_template)

    collect = sub.add_parser(
        "collect", parents=[common], help="收集发回的报送表（文件或文件夹），合并入数据库（store），写出报送情况"
    )
    collect.add_argument("files", nargs="+", help="发回的 .xlsx/.csv 文件，或存放它们的文件夹")
    collect.add_argument("--period", help="月度报送的时期 YYYY-MM（表中时期不符则拒收）")
    collect.add_argument("--year", type=int, help="年度数据表的年份")
    collect.add_argument(
        "--accept",
        action="append",
        default=[],
        metavar="FILE:CELL",
        help="确认一个被暂缓的数值（照抄列出的“文件:单元格”）",
    )
    collect.add_argument("--dry-run", action="store_true", help="只检查并列出将存入的数值，不写任何文件")
    collect.add_argument("--received", help="文件收到的时间（默认：文件的修改时间），如 2026-04-03 10:00")
    collect.add_argument("--raw", help=argparse.SUPPRESS)
    collect.add_argument("--out", help=argparse.SUPPRESS)
    collect.set_defaults(func=cmd_collect)

    alias = sub.add_parser("alias", parents=[common], help="登记本县的别名：表中的写法 → 登记表中的区域或指标")
    alias.add_argument("alias", nargs="?", help="表中的写法，例如 某某镇人民政府")
    alias.add_argument("name", nargs="?", help="登记表中的名称，例如 某某镇")
    alias.add_argument("--indicator", action="store_true", help="这是指标的别名（默认：区域）")
    alias.add_argument("--raw", help=argparse.SUPPRESS)
    alias.set_defaults(func=cmd_alias)

    annex = sub.add_parser("import-annex", parents=[common], help="校验并导入某年的晾晒表指标（附件），供 ingest 使用")
    annex.add_argument("file", help="该年的晾晒表 .xlsx 或 .csv（附件格式）")
    annex.add_argument("--year", type=int, required=True, help="年份，须与表题中的年份一致")
    annex.add_argument("--raw", help=argparse.SUPPRESS)
    annex.set_defaults(func=_cmd_import_annex)

    extract = sub.add_parser("extract-targets", parents=[common], help="从方案文本中提取量化目标草稿（供人工审核）")
    extract.add_argument("plan", help="方案文本（.txt UTF-8/GB18030，或 .docx）")
    extract.add_argument("--out", help="草稿 CSV（plan_targets.csv 的列，另加 confidence、review）")
    extract.add_argument("--annex-out", help="附件晾晒表草稿 CSV（官方版式）")
    extract.add_argument("--compare", help="与已审核的 plan_targets.csv 比较，输出召回率与准确率")
    extract.set_defaults(func=_cmd_extract_targets)

    example = sub.add_parser("make-example", parents=[common], help="重新生成示例数据（固定种子，结果逐字节相同）")
    example.add_argument("--raw", help="登记表文件夹（默认：kpi.toml 的 registry）")
    example.add_argument("--out", help="示例数据文件夹（默认：kpi.toml 的 [data] example）")
    example.add_argument("--seed", type=int, default=139)
    example.set_defaults(func=_cmd_make_example)


def _cmd_make_example(args) -> int:
    from kpi.example.dataset import made_for, write_example
    from kpi.metadata import config as project
    from kpi.store.collect import project_registry

    cfg = project.load(getattr(args, "config", None))
    out = Path(args.out) if args.out else cfg.example
    if out is None:
        raise ConfigError(
            "没有示例数据文件夹 / no example folder",
            file=cfg.path,
            fix='在 kpi.toml 的 [data] 中写 example = "示例数据文件夹"，或用 --out 指定',
        )
    registry = Path(args.raw) if args.raw else cfg.registry
    if args.seed < 0:
        raise ConfigError("种子应为非负整数 / the seed must be 0 or more", value=args.seed, fix="例如 --seed 139")
    if made_for(project_registry(replace(cfg, registry=registry))):
        written = write_example(registry, out, cfg.plan.headline, seed=args.seed)
    else:  # another county: example returns on its own registry and imported annex, to rehearse with
        written = _rehearsal(cfg, out, args.seed)
        print(f"示例数据（非官方）：演练时用 --progress {written[0]} 代替 kpi.toml 的 progress")
    for path in written:
        print(f"wrote {path}")
    return 0


def _rehearsal(cfg, out: Path, seed: int) -> list[Path]:
    """:mod:`kpi.example.rehearsal` on the project's registry and every annex its kpi.toml lists."""
    from kpi.core.paths import ensure_outside
    from kpi.example.rehearsal import write_rehearsal
    from kpi.ingest.pipeline import read_annex_sources
    from kpi.store.collect import project_registry

    ensure_outside(out, cfg.registry, "the example data")
    registry = project_registry(cfg)
    targets, _, _ = read_annex_sources(cfg, registry)
    if targets.empty:
        raise InputError(
            "还没有晾晒表指标，无法生成演练数据 / no annex targets yet",
            file=cfg.path,
            fix="先导入当年晾晒表：kpi import-annex 晾晒表.xlsx --year 2025",
        )
    return write_rehearsal(targets, registry, out, seed)


def _cmd_template(args) -> int:
    from kpi.core import atomic
    from kpi.outputs.forms import annual_form, form_filename, monthly_form, previous_period
    from kpi.store.collect import project_registry

    period, year = month_or_year(args, "kpi template --period 2026-01")
    cfg = project_config(args)
    if args.forms:
        from kpi.core.paths import ensure_outside

        ensure_outside(Path(args.forms), cfg.registry, "forms")
    registry = project_registry(cfg)
    written = []
    if period:
        previous = _known_progress(cfg, registry, previous_period(period))
        out = Path(args.forms) if args.forms else cfg.forms_dir(period)
        for region, slug in zip(registry.region_names, registry.regions["slug"]):
            workbook = monthly_form(registry, period, [region], previous, cfg.plan, cfg.organisation)
            written.append(atomic.save_document(workbook, out / form_filename(period, region, slug)))
        workbook = monthly_form(registry, period, registry.region_names, previous, cfg.plan, cfg.organisation)
        written.append(atomic.save_document(workbook, out / f"报送表_{period}_汇总.xlsx"))
    else:
        from kpi.metrics.trajectory import annual_series
        from kpi.store.collect import stored

        out = Path(args.forms) if args.forms else cfg.reports / "forms" / f"{year}-annual"
        known = stored(cfg, "county_annual")
        known = (
            known.assign(year=known["year"].astype(int), value=known["value"].astype(float))
            if not known.empty
            else known
        )
        workbook = annual_form(annual_series(registry.plan_targets), year, known, cfg.plan, cfg.organisation)
        written.append(atomic.save_document(workbook, out / f"年度数据表_{year}.xlsx"))
    for path in written:
        print(f"wrote {path}")
    return 0


def _known_progress(cfg, registry, period: str):
    """The progress already known for ``period`` (from the store, else the configured sources)."""
    import pandas as pd

    from kpi.ingest.pipeline import read_progress_sources
    from kpi.store.collect import stored

    store = stored(cfg, "progress")
    if not store.empty:
        rows = store[store["period"] == period]
        return rows.assign(value=rows["value"].astype(float))
    files = cfg.sources("progress")
    if not files:
        return pd.DataFrame(columns=["period", "region", "indicator_id", "value"])
    progress = read_progress_sources(files, registry, cfg.path)
    return progress[progress["period"] == period]


def _cmd_import_annex(args) -> int:
    from kpi.store.collect import import_annex, project_registry

    cfg = project_config(args)
    registry = project_registry(cfg)
    for path in import_annex(cfg, registry, Path(args.file), args.year):
        print(f"wrote {path}")
    if cfg.store_annex not in cfg.annex:
        print(
            f"注意：kpi.toml 的 [data] annex 未包含 {cfg.store_annex}，ingest 不会读到它 / add the store's annex folder"
        )
    return 0


def _print_comparison(draft, reference_path: Path) -> None:
    """Recall, precision and basis agreement of a draft against a reviewed plan_targets.csv."""
    import pandas as pd

    from kpi.extract.targets import compare

    reference = pd.read_csv(reference_path, dtype=str, keep_default_na=False)
    missing = {"name_zh", "target_value", "basis"} - set(reference.columns)
    if missing:
        raise InputError(
            f"--compare 文件缺少列 {sorted(missing)} / not a plan_targets table",
            file=reference_path,
            fix="给出 plan_targets.csv 格式的文件（name_zh、target_value、basis 等列）",
        )
    result = compare(draft, pd.read_csv(reference_path))
    print(f"reference {result['reference']}, draft {result['draft']}, matched {result['matched']}")
    print(
        f"recall {result['recall']:.1%}  precision {result['precision']:.1%}  basis agreement {result['basis_agreement']:.1%}"
    )
    if result["missed"]:
        print("missed:", ", ".join(result["missed"]))
    if result["extra"]:
        print("extra:", ", ".join(result["extra"]))


def _cmd_extract_targets(args) -> int:
    from kpi.core import atomic
    from kpi.extract.targets import annex_csv, extract, fill_years, read_text, why_nothing
    from kpi.metadata import config as project

    registry_dir = project.load(getattr(args, "config", None)).registry
    for output in [Path(p) for p in (args.out, args.annex_out) if p]:
        if output.resolve().is_relative_to(registry_dir.resolve()):
            raise ConfigError(
                "草稿不能写入 data/raw（原始数据只由人工审核后放入）/ drafts never go into data/raw",
                file=output,
                fix="写到别处，例如 --out /tmp/draft.csv，审核后再手工合并",
            )
    plan = Path(args.plan)
    if not plan.is_file():
        raise ConfigError(
            "方案文本不存在或不是文件 / the plan is not a file", file=plan, fix="给出 .txt 或 .docx 文件的路径"
        )
    if args.compare and not Path(args.compare).is_file():
        raise ConfigError(
            "--compare 文件不存在 / the reference file does not exist",
            file=args.compare,
            fix="给出已审核的 plan_targets.csv，例如 data/raw/plan_targets.csv",
        )
    text = read_text(plan)
    draft, annex = extract(text)
    draft = fill_years(draft, text)
    if draft.empty and not annex:
        print(
            f"没有找到量化目标 / no targets found in {plan}\n  可能原因 / likely reason: {why_nothing(text)}",
            file=sys.stderr,
        )
        return 3
    if args.out:
        atomic.write_csv(Path(args.out), atomic.formula_safe(draft, exclude=("comparator",)))
        flagged = int((draft["review"] != "").sum())
        print(f"wrote {args.out}: {len(draft)} targets, {flagged} flagged for review（请人工审核 / review before use）")
    if args.annex_out and annex:
        atomic.write_text(Path(args.annex_out), annex_csv(annex))
        print(f"wrote {args.annex_out}: annex table, {len(annex)} rows")
    if args.compare:
        _print_comparison(draft, Path(args.compare))
    return 0
