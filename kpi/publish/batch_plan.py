"""What a quarterly batch will do, decided before anything runs: one job per report (全县, each
region, and the analysis notebooks), each with the parameters its notebook declares and a fingerprint
(notebook, ``kpi`` code, inputs, parameters); the quarter to report; and which jobs are current in the
published build and need not run again (:class:`BatchPlan`). :mod:`kpi.publish.batch` carries the plan out.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from kpi.core.errors import InputError, RunError
from kpi.core.formatting import beijing_now, beijing_timestamp
from kpi.ingest.processed import Processed
from kpi.metadata.config import Config
from kpi.metadata.identity import PlanIdentity
from kpi.metadata.registry import Registry
from kpi.metrics.quarterly import quarter_end, quarter_of, validate_parameters
from kpi.publish.builds import (
    BUILDS,
    clean_builds,
    code_fingerprint,
    code_version,
    intact_reports,
    job_files,
    published_build,
    read_manifest,
    sha256_of,
)
from kpi.publish.workers import Job

REPORT_NOTEBOOK = "04_quarterly_report.ipynb"


ANALYSIS_NOTEBOOKS = {
    "01_ingest": "01 数据读取与校验",
    "02_leaderboard": "02 晾晒表分析",
    "03_trajectories": "03 {toward}：目标轨迹",  # 迈向 the plan's target year
}


SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")


def notebook_parameters(notebook: Path) -> set[str]:
    """The names declared in a notebook's ``parameters`` cell (papermill's own reading of it)."""
    import papermill

    return set(papermill.inspect_notebook(str(notebook)))


def check_parameters(notebook: Path, parameters: dict) -> None:
    """Every parameter sent must be declared: papermill would inject an unknown one silently."""
    unknown = set(parameters) - notebook_parameters(notebook)
    if unknown:
        raise RunError(
            f"笔记本 {notebook.name} 没有声明参数 {sorted(unknown)} / parameters the notebook does not declare",
            file=notebook,
            value=sorted(unknown),
            fix="在该笔记本的 parameters 单元中声明它们，或不要传入",
        )


def _planned_reports(
    year: int, quarter: int, registry: Registry, out_dir: Path, notebooks: Path, base: dict, plan: PlanIdentity
):
    """``(key, title, region, notebook, output, parameters)`` of each region's report (the total row first,
    titled with the county's name)."""
    for region, slug in zip(registry.region_names, registry.regions["slug"]):
        if not SLUG.fullmatch(slug):  # region names reach file names only through checked slugs
            raise InputError(
                "区域 slug 只能含小写字母、数字和连字符",
                file=Path(base["processed_dir"]) / "regions.csv",
                column="slug",
                value=slug,
                fix="改为例如 lishui-hitech",
            )
        parameters = {"year": year, "quarter": quarter, "region": region, **base}
        yield (
            slug,
            f"{plan.reader_name(region, registry.total_name)}季度报告",
            region,
            notebooks / REPORT_NOTEBOOK,
            out_dir / f"{slug}.ipynb",
            parameters,
        )


def _planned_analysis(year: int, quarter: int, out_dir: Path, notebooks: Path, base: dict, toward: str):
    """The same for the three analysis notebooks, each with the parameters of the quarter; ``toward``:
    the heading toward the plan's targets (:attr:`PlanIdentity.toward`)."""
    extra = {
        "01_ingest": {},
        "02_leaderboard": {"period": quarter_end(year, quarter)},
        "03_trajectories": {"as_of_year": year},
    }
    for name, title in ANALYSIS_NOTEBOOKS.items():
        output = out_dir / "analysis" / f"{name}.ipynb"
        yield (
            f"analysis/{name}",
            title.format(toward=toward),
            None,
            notebooks / f"{name}.ipynb",
            output,
            {**base, **extra[name]},
        )


def plan_jobs(
    year: int,
    quarter: int,
    registry: Registry,
    out_dir: Path,
    processed_dir: Path,
    notebooks: Path,
    input_hash: str,
    code_hash: str,
    analysis: bool = True,
    project: Path | None = None,
    plan: PlanIdentity = PlanIdentity(),
) -> list[Job]:
    """One job per region report (全县 and every region) and, with ``analysis``, the three analysis
    notebooks; each notebook gets the processed folder and nothing else to read. A job's fingerprint
    covers its notebook, the code, the inputs and its parameters (not the time it was made)."""
    made_at, version = beijing_timestamp(), code_version()
    base = {"processed_dir": str(Path(processed_dir).resolve())}
    planned = list(_planned_reports(year, quarter, registry, out_dir, notebooks, base, plan))
    if analysis:
        planned += _planned_analysis(year, quarter, out_dir, notebooks, base, plan.toward)
    jobs, checked = [], set()
    for key, title, region, notebook, output, parameters in planned:
        fingerprint = sha256_of(
            notebook.read_bytes(),
            code_hash.encode(),
            input_hash.encode(),
            json.dumps(parameters, sort_keys=True, ensure_ascii=False).encode(),
        )
        if region is not None:
            parameters = {**parameters, "made_at": made_at, "code_version": version}
        if notebook not in checked:
            check_parameters(notebook, parameters)
            checked.add(notebook)
        document_title = f"{year}年第{quarter}季度 {title}"
        jobs.append(
            Job(
                key,
                title,
                region,
                str(notebook),
                str(output),
                parameters,
                fingerprint,
                str(project or ""),
                document_title,
            )
        )
    return jobs


def choose_quarter(processed: Processed, year: int | None, quarter: int | None) -> tuple[int, int, str]:
    """The quarter to report: the one asked for, else the latest whose closing month is in the data.
    A clear error when the data have no quarter-end month yet, or not that quarter's."""
    periods = sorted(processed.progress["period"].unique())
    if year is None or quarter is None:
        ends = [p for p in periods if int(p[5:7]) % 3 == 0]
        if not ends:
            raise InputError(
                f"进度数据中还没有季末月份（3、6、9、12月）/ no quarter-end month in the data yet "
                f"（现有：{'、'.join(periods) or '无'}）",
                file=processed.summary.get("config"),
                fix="季末月份的数据收集后再生成季度报告；月度晾晒表用 `kpi leaderboard --period YYYY-MM`",
            )
        year, quarter = quarter_of(ends[-1])
    year, quarter, _ = validate_parameters(year, quarter, processed.registry.total_name, processed.registry)
    period = quarter_end(year, quarter)
    processed.targets_for(year)  # the year's annex, or a clear error
    processed.require_period(period, "季末月份")
    return year, quarter, period


def selected_regions(regions: list[str] | None, registry: Registry) -> list[str]:
    """``all`` (or nothing) → every region; names and aliases resolved, each once, in annex order."""
    if not regions or regions == ["all"]:
        return registry.region_names
    wanted = {validate_parameters(2000, 1, region, registry)[2] for region in regions}
    return [region for region in registry.region_names if region in wanted]


@dataclass
class BatchPlan:
    """What one run of the batch is about: the quarter, its jobs, and what of it is already current."""

    name: str  # YYYY-QN
    period: str  # the quarter's last month
    root: Path  # the reports folder
    current: Path | None  # the published build, if any
    previous: dict  # its manifest
    intact: set[str]  # its files that still have the bytes the manifest recorded
    staging: Path  # the build this run assembles
    jobs: list[Job]
    chosen: list[Job]  # the jobs asked for (regions, analysis)
    todo: list[Job]  # … of which these are not current
    artifact_fingerprint: str
    artifacts_current: bool

    @property
    def link(self) -> Path:
        """``reports/YYYY-QN``: the link readers open, switched to a complete build."""
        return self.root / self.name

    @property
    def done_before(self) -> dict:
        """The manifest's entry of every report of the published build."""
        return self.previous.get("reports", {})

    @property
    def all_current(self) -> bool:
        """Nothing to do: every chosen report and the quarter's documents are as published."""
        return (
            self.current is not None
            and not self.todo
            and self.artifacts_current
            and {j.key for j in self.chosen} <= set(self.done_before)
        )


def plan_batch(processed: Processed, config: Config, year, quarter, regions, analysis: bool, force: bool) -> BatchPlan:
    """The run's :class:`BatchPlan`: the quarter, one job per report, and which are current — a report
    is current when its fingerprint (notebook, code, inputs, parameters) matches the manifest and its
    files still have the bytes the manifest recorded. Call it holding the report lock."""
    registry = processed.registry
    year, quarter, period = choose_quarter(processed, year, quarter)
    wanted = selected_regions(regions, registry)
    input_hash = sha256_of(json.dumps(processed.summary.get("sha256", {}), sort_keys=True).encode())
    code_hash = code_fingerprint()
    root, name = config.reports, f"{year}-Q{quarter}"
    current = published_build(root / name)
    clean_builds(root, current)
    previous = read_manifest(current)
    intact = intact_reports(current, previous)
    done_before = previous.get("reports", {})
    staging = root / BUILDS / f"{name}.{beijing_now():%Y%m%dT%H%M%S}.{os.getpid()}.partial"
    jobs = plan_jobs(
        year,
        quarter,
        registry,
        staging,
        processed.folder,
        config.notebooks,
        input_hash,
        code_hash,
        project=config.root,
        plan=processed.plan,
    )
    artifact_fingerprint = sha256_of(input_hash.encode(), code_hash.encode(), period.encode())

    def unchanged(job: Job) -> bool:
        entry = done_before.get(job.key, {})
        return (
            not force
            and entry.get("fingerprint") == job.fingerprint
            and entry.get("outcome") == "ok"
            and set(job_files(job, staging)[:2]) <= intact
        )

    chosen = [job for job in jobs if (job.region in wanted if job.region is not None else analysis)]
    artifacts = [f"晾晒表_{period}.xlsx", f"情况通报_{period}.docx", "index.html"]
    return BatchPlan(
        name=name,
        period=period,
        root=root,
        current=current,
        previous=previous,
        intact=intact,
        staging=staging,
        jobs=jobs,
        chosen=chosen,
        todo=[job for job in chosen if not unchanged(job)],
        artifact_fingerprint=artifact_fingerprint,
        artifacts_current=not force
        and previous.get("artifacts_fingerprint") == artifact_fingerprint
        and set(artifacts) <= intact,
    )
