"""``kpi collect`` and ``kpi alias``: a month's (or a year's) returns taken into the store, and the
county's own names for its regions and indicators. :mod:`kpi.cli.intake` registers them."""

from __future__ import annotations

from kpi.cli.common import month_or_year, project_config
from kpi.core.errors import ConfigError, InputError


def cmd_alias(args) -> int:
    """``kpi alias [ALIAS NAME] [--indicator]``: register the county's own name for a region (or an
    indicator) in the store; without arguments, list them. Returns the exit code."""
    from kpi.core.formatting import beijing_now
    from kpi.store.collect import add_alias, project_registry, stored

    cfg = project_config(args)
    if args.alias is None:
        table = stored(cfg, "aliases")
        print(table.to_string(index=False) if not table.empty else "尚未登记别名 / no aliases yet")
        return 0
    if args.name is None:
        raise ConfigError(
            "给出别名和它所指的名称 / give the alias and the name", fix="例如 kpi alias 某某镇人民政府 某某镇"
        )
    kind = "indicator" if args.indicator else "region"
    path = add_alias(cfg, project_registry(cfg), args.alias, args.name, kind, beijing_now())
    print(f"登记别名 / alias: {args.alias} → {args.name}（{path}）")
    return 0


def _received_option(text: str | None):
    import datetime as dt

    from kpi.core.formatting import BEIJING

    if text is None:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("/", "-")).replace(tzinfo=BEIJING)
    except ValueError:
        raise ConfigError(
            "--received 应为日期时间 / not a date", value=text, fix='例如 --received "2026-04-03 10:00"'
        ) from None


def _annex_targets(cfg, registry):
    """The annex targets the plausibility check compares with; None (that check skipped) without any."""
    from kpi.ingest.pipeline import read_annex_sources

    try:
        return read_annex_sources(cfg, registry)[0]
    except InputError:
        return None


def cmd_collect(args) -> int:
    """``kpi collect FILE|DIR … --period|--year``: read every file, store what is sure, hold what is
    not, refuse what cannot be read; exit 2 when a file was refused, else 0."""
    from kpi.store.collect import collect_annual, project_registry
    from kpi.store.returns import collect, write_status

    period, year = month_or_year(args, "kpi collect 回收表文件夹 --period 2026-01")
    cfg = project_config(args)
    registry = project_registry(cfg)
    if year is not None:
        from kpi.metrics.trajectory import annual_series

        result = collect_annual(cfg, annual_series(registry.plan_targets), args.files, year)
    else:
        result = collect(
            cfg,
            registry,
            args.files,
            period,
            targets=_annex_targets(cfg, registry),
            accept=args.accept,
            dry_run=args.dry_run,
            received=_received_option(args.received),
        )
        if not args.dry_run and result.status is not None:
            result.written.append(write_status(result.status, period, cfg.monthly_dir(period)))
    _print_collection(result, args, registry)
    return 2 if result.refused else 0


def _print_collection(result, args, registry) -> None:
    import sys

    from kpi.store.returns import collection_report, refusal_report

    if result.refused:
        print("\n".join(refusal_report(result)), file=sys.stderr)
    if result.period and args.year is None:
        print("\n".join(collection_report(result, args.files, registry)))
    else:
        print(f"读取 {len(result.received)} 个文件 / read: " + "、".join(p.name for p in result.received))
        print(
            f"新增 {result.new_values} 个数值，更正 {len(result.corrections)} 个，相同 {result.unchanged} 个"
            f" / {result.new_values} new, {len(result.corrections)} corrected, {result.unchanged} unchanged"
        )
    for notice in result.notices:
        print(notice)
    if result.status is not None:
        print(f"\n报送情况 / submissions {result.period}:")
        print(result.status[["区域", "状态", "已报指标数", "缺报指标", "待确认指标"]].to_string(index=False))
        missing = result.status.loc[result.status["状态"] != "已报送", "区域"].tolist()
        print("未报齐 / incomplete: " + ("、".join(missing) if missing else "无 / none"))
    for path in result.written:
        print(f"wrote {path}")
