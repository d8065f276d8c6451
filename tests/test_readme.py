"""Every command the README and the docs show runs, in the guide's order (the example data of
docs/usage.md, the README's monthly cycle, then docs/new_county.md), on a copy of the project, and
succeeds or fails exactly as they say (`# exit 2`). The two set-up commands (`make report`, `make
test`) are the exception; the cron line's command (docs/operations.md) is run too. A shown command this
test cannot run is a failure, and a ```sh block in any other page is one too."""

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from kpi.core import paths
from kpi.metadata.registry import Registry
from tests.support import shell_kpi, user_environment, warm_kernels

pytestmark = pytest.mark.integration
ROOT = paths.ROOT
VENV_BIN = Path(sys.executable).parent
#: the pages whose ```sh blocks run, in the order a newcomer follows them
GUIDE = ["docs/usage.md", "README.md", "docs/new_county.md"]
SCHEDULE = "docs/operations.md"  # the cron line


def blocks(language: str, page: str = "README.md") -> list[list[str]]:
    """The lines of each ```language block of ``page``."""
    text = (ROOT / page).read_text(encoding="utf-8")
    return [block.strip("\n").splitlines() for block in re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)]


def commands() -> list[tuple[str, int]]:
    """(command, expected exit code) of every line of every ```sh block of the guide but the set-up one."""
    found = []
    for block in _guide_blocks():
        for line in block:
            command, _, comment = line.partition("  #")
            if command.strip():
                found.append((command.strip(), 2 if re.match(r"\s*exit 2\b", comment) else 0))
    return found


def _guide_blocks() -> list[list[str]]:
    """The guide's ```sh blocks, in order, without the README's set-up one (make report, make test)."""
    found = []
    for page in GUIDE:
        page_blocks = blocks("sh", page)
        found += page_blocks[1:] if page == "README.md" else page_blocks
    return found


def test_every_sh_block_of_the_docs_is_in_the_guide():
    """A command shown in a ```sh block anywhere is run by this test: no page but the guide's has one."""
    pages = ["README.md", *(p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "docs").glob("*.md")))]
    assert [page for page in pages if blocks("sh", page) and page not in GUIDE] == []


def test_the_readme_names_its_commands_plainly():
    assert blocks("sh")[0] == [line for line in blocks("sh")[0] if line.startswith(("make report", "make test"))]
    listed = commands()
    assert len(listed) >= 15
    for command, _ in listed:
        assert not re.search(r"\b(FILE|DIR|YYYY|NAME)\b|…|\[", command), (
            f"placeholder in a runnable README line: {command}"
        )
        assert command.startswith((".venv/bin/kpi ", ".venv/bin/papermill ", "cp ")), command


# ---------------------------------------------------------------- inputs the README's commands name
def _fill_form(form: Path, out: Path, scale: float = 1.0) -> None:
    workbook = openpyxl.load_workbook(form)
    sheet = workbook.active
    registry = Registry.load(paths.RAW)
    for row in range(5, sheet.max_row + 1):
        region = sheet.cell(row, 1).value
        for column in range(2, sheet.max_column + 1, 2):
            if sheet.cell(4, column).value is None:
                continue  # the 全县 form has only the indicators the county owes
            indicator = registry.resolve_indicator(sheet.cell(4, column).value)
            if region == "全县":
                value = 11.0 if indicator == "hitech_investment_growth" else None
            else:
                value = round(scale * (registry.indicator_order[indicator] + registry.region_order[region]) / 10, 2)
                if registry.indicator(indicator)["kind"] == "count":
                    value = round(value * 10)  # a count is whole
            sheet.cell(row, column, value)
    out.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(out)


def _annex_xlsx(project: Path) -> None:
    workbook = openpyxl.Workbook()
    with open(paths.RAW / "annex_2023.csv", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            workbook.active.append([cell.replace("2023年", "2026年") for cell in row])
    (project / "incoming").mkdir(exist_ok=True)
    workbook.save(project / "incoming" / "2026年晾晒表.xlsx")


def _inbox(project: Path) -> None:
    forms = project / "reports" / "forms" / "2026-01"
    for form in forms.glob("报送表_2026-01_*.xlsx"):
        if not form.stem.endswith(("汇总", "东渡镇")):
            _fill_form(form, project / "inbox" / "2026-01" / form.name)


def _late(project: Path) -> None:
    forms = project / "reports" / "forms" / "2026-01"
    _fill_form(forms / "报送表_2026-01_东渡镇.xlsx", project / "inbox" / "2026-01-late" / "东渡镇.xlsx")
    _fill_form(forms / "报送表_2026-01_壶山镇.xlsx", project / "inbox" / "2026-01-late" / "壶山镇更正.xlsx", scale=1.5)


def _february(project: Path) -> None:
    """February as offices send it: 壶山镇's CSV under its official name in 万元, 东渡镇's own vertical sheet
    with furniture, 新建镇's R&D typed in 万元 into the 亿元 column (×10⁴), 东方镇's growth 0.5 without a %."""
    inbox = project / "inbox" / "2026-02"
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "壶山镇.csv").write_text(
        "时期,2026-02\n区域,规上工业企业研发费用（万元）,新增发明专利（件）\n壶山镇人民政府,8000,18\n填报人：张三,电话：123\n",
        encoding="gb18030",
    )
    workbook = openpyxl.Workbook()
    for row in (
        ["东渡镇2026年1-2月科技创新指标完成情况"],
        ["填报单位：东渡镇人民政府", None, "填报日期：2026年3月3日"],
        ["序号", "指标", "单位", "本月累计", "备注"],
        [1, "规上工业企业研发费用", "万元", 12000, None],
        [2, "新增发明专利", "件", 20, None],
        ["填报人：李四", None, "联系电话：0578-3000000"],
    ):
        workbook.active.append(row)
    workbook.save(inbox / "东渡镇.xlsx")
    (inbox / "新建镇.csv").write_text("时期,2026-02\n区域,规上工业企业研发费用\n新建镇,10000\n", encoding="utf-8")
    (inbox / "东方镇.csv").write_text("时期,2026-02\n区域,高新技术产业投资增长\n东方镇,0.5\n", encoding="utf-8")
    resent = project / "inbox" / "2026-02-resent"
    resent.mkdir(parents=True, exist_ok=True)
    (resent / "新建镇（更正）.csv").write_text(
        "时期,2026-02\n区域,规上工业企业研发费用（亿元）\n新建镇,1.0\n", encoding="utf-8"
    )


def _annual(project: Path) -> None:
    workbook = openpyxl.load_workbook(project / "reports" / "forms" / "2025-annual" / "年度数据表_2025.xlsx")
    sheet = workbook.active
    for row in range(5, sheet.max_row + 1):
        if sheet.cell(row, 2).value == "hitech_enterprises_stock":
            sheet.cell(row, 8, 180)
    workbook.save(project / "inbox" / "年度数据_2025.xlsx")


def _district(project: Path) -> None:
    """The second county's plan and annex, as a new county's analyst has them (tests/fixtures/second_county)."""
    fixtures = ROOT / "tests" / "fixtures" / "second_county"
    (project / "incoming").mkdir(exist_ok=True)
    shutil.copy(fixtures / "plan.txt", project / "incoming" / "云岭区方案.txt")
    shutil.copy(fixtures / "annex_2025.csv", project / "incoming" / "2025年云岭区晾晒表.csv")


def _district_june(project: Path) -> None:
    from tests.second_county import fill

    form = project / "yunling" / "reports" / "forms" / "2025-06" / "报送表_2025-06_汇总.xlsx"
    fill(form, project / "inbox" / "yunling-2025-06" / "汇总.xlsx", "2025-06")


PREPARE = {
    "incoming/2026年晾晒表.xlsx": _annex_xlsx,
    "inbox/2026-01 ": _inbox,
    "inbox/2026-01-late": _late,
    "inbox/年度数据_2025.xlsx": _annual,
    "inbox/2026-02 ": _february,
    "incoming/云岭区方案.txt": _district,
    "inbox/yunling-2025-06 ": _district_june,
}


def run(command: str, project: Path, env=None) -> subprocess.CompletedProcess:
    """``command`` as printed, in bash in ``project``: ``.venv/bin/kpi`` is the kpi command as the other tests
    run it (:func:`tests.support.shell_kpi`; the cron line's ``make report`` runs the installed one), and the
    notebooks' kernels are theirs too (:func:`tests.support.warm_kernels`)."""
    command = command.replace(".venv/bin/", f"{VENV_BIN}/").replace(f"{VENV_BIN}/kpi ", f"{shell_kpi()} ")
    return subprocess.run(
        ["bash", "-c", command],
        cwd=project,
        capture_output=True,
        text=True,
        env=user_environment(warm_kernels() | (env or {})),
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("readme") / "jinyun-139"
    shutil.copytree(ROOT / "data" / "raw", target / "data" / "raw")
    shutil.copytree(ROOT / "data" / "example", target / "data" / "example")
    shutil.copytree(ROOT / "notebooks", target / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ROOT / "scripts", target / "scripts")
    for name in ("kpi.toml", "kpi.county.toml", "Makefile", "pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, target / name)
    return target


def test_every_readme_command_does_what_the_readme_says(project):
    # the cron line's `make report` runs scripts/setup.sh in the copy with this venv: one older than
    # pyproject.toml would be re-installed from the copy (which has no kpi/) and left unable to import kpi
    current = subprocess.run(
        ["bash", "scripts/setup.sh", "--check"], cwd=ROOT, env={**os.environ, "VENV": str(VENV_BIN.parent)}
    )
    assert current.returncode == 0, (
        "the venv is older than pyproject.toml: run `bash scripts/setup.sh` (make test does)"
    )
    prepared = set()
    cron = [line for block in blocks("cron", SCHEDULE) for line in block if not line.startswith("#")]
    assert len(cron) == 1
    cron_command = cron[0].split("&&", 1)[1].strip()
    ran = []
    for command, expected in commands():
        for marker, prepare in PREPARE.items():
            if marker in command + " " and marker not in prepared:
                prepare(project)
                prepared.add(marker)
        if command.startswith("cp kpi.county.toml"):  # before leaving the example data: the cron line
            result = run(cron_command, project, env={"VENV": str(VENV_BIN.parent)})
            log = (project / "reports" / "cron.log").read_text(encoding="utf-8")
            assert result.returncode == 0 and "全部报告已是最新" in log, (cron_command, log[-3000:])
            ran.append(cron_command)
        result = run(command, project)
        assert result.returncode == expected, (command, result.stdout[-2000:], result.stderr[-3000:])
        assert "Traceback" not in result.stderr, command
        if expected == 2:
            assert "修改方法 / fix" in result.stderr, command
        ran.append(command)
    assert set(PREPARE) == prepared  # every input the README names was made and used
    assert cron_command in ran
    # what the commands were said to produce is there
    assert (project / "reports" / "monthly" / "2023-09" / "晾晒表_2023-09.xlsx").exists()
    assert len(list((project / "reports" / "monthly").glob("2025-*/leaderboard_2025-*.csv"))) == 12
    assert (project / "reports" / "2025-Q4" / "index.html").read_text(encoding="utf-8").count("季度报告</a>") == 9
    assert (project / "yunling" / "reports" / "monthly" / "2025-06" / "情况通报_2025-06.docx").exists()
    assert (project / "yunling" / "reports" / "monthly" / "2025-03" / "晾晒表_2025-03.xlsx").exists()  # rehearsed
    assert (project / "data" / "county" / "corrections.csv").exists()
    assert (project / "reports" / "monthly" / "2026-01" / "报送情况_2026-01.csv").exists()
    assert (project / "data" / "county" / "county_annual.csv").exists()
    stored = pd.read_csv(project / "data" / "county" / "progress.csv", dtype={"period": str})
    february = stored[stored["period"] == "2026-02"].set_index(["region", "indicator_id"])["value"]
    assert february.to_dict() == {
        ("壶山镇", "rd_expense_above_scale"): 0.8,  # 8000 万元
        ("壶山镇", "new_invention_patents"): 18,
        ("东渡镇", "rd_expense_above_scale"): 1.2,  # 12000 万元, its own sheet
        ("东渡镇", "new_invention_patents"): 20,
        ("新建镇", "rd_expense_above_scale"): 1.0,  # the corrected file, not 10000
        ("东方镇", "hitech_investment_growth"): 0.5,  # accepted as written
    }
    held = pd.read_csv(project / "data" / "county" / "held.csv", dtype=str).set_index("source_file")["status"]
    assert held.to_dict() == {"新建镇.csv": "已更正", "东方镇.csv": "已确认"}
    for name in ("progress_example.csv", "annex_2024_example.csv", "county_annual_example.csv"):  # make-example
        assert (project / "data" / "example" / name).read_bytes() == (paths.EXAMPLE / name).read_bytes()
