"""云岭区, the second county of tests/test_second_county.py (the project's own invention): its regions, its
annex targets and the returns its offices send for May and June, worked by hand (see that test's table).
Also used by tests/test_readme.py, which follows the new-county walk-through (docs/new_county.md) with the same returns."""

from pathlib import Path

import openpyxl

REGIONS = ["云山街道", "岭南街道", "青溪街道", "白石镇", "枫林镇", "松岗镇", "桃源镇", "石门乡", "龙潭乡"]
REGIONS += ["云岭经济开发区", "云岭高新园区"]
TARGETS = {  # each region's annex target (annex_2025.csv), in REGIONS' order
    "规上工业企业研发费用": [0.42, 0.35, 0.28, 0.61, 0.55, 0.30, 0.22, 0.08, 0.06, 2.10, 1.85],
    "高新技术产业投资": [1.2, 0.9, 0.8, 1.5, 1.3, 0.7, 0.6, 0.2, 0.2, 6.5, 5.1],
    "新增高新技术企业": [3, 2, 2, 4, 4, 2, 2, 1, 1, 10, 9],
    "新增科技型中小企业": [8, 6, 6, 10, 9, 5, 5, 2, 2, 20, 17],
    "技术合同成交额": [0.40, 0.30, 0.25, 0.50, 0.45, 0.25, 0.20, 0.05, 0.05, 2.40, 2.15],
    "每万人发明专利拥有量": [15] * 9 + [40] * 2,
}
RATIO = {"2025-05": [2.8, 2.4, 2.5, 3.1, 2.2, 2.7, 2.5, 1.9, 2.0, 3.6, 3.4]}
RATIO["2025-06"] = [2.6, *RATIO["2025-05"][1:]]
RANK = {"2025-05": [7, 9, 10, 4, 7, 8, 11, 6, 3, 1, 2]}
RANK["2025-06"] = [5, *RANK["2025-05"][1:]]
TOTAL_OWN = {"研发投入强度": 2.9, "高新技术产业增加值增长": 10, "科技创新指数位次": 28, "每万人发明专利拥有量": 20}


def value(name: str, period: str, i: int) -> float:
    """A region's June (or May) year-to-date value: amounts at 50 % (40 % in May), counts and the patent
    ratio at target, growth 10 %, the R&D ratio and the rank from the table above."""
    share = 0.5 if period.endswith("06") else 0.4
    if name in ("研发投入强度", "科技创新指数位次"):
        return (RATIO if name == "研发投入强度" else RANK)[period][i]
    if name == "高新技术产业增加值增长":
        return 10
    if name in ("新增高新技术企业", "新增科技型中小企业", "每万人发明专利拥有量"):
        return TARGETS[name][i]
    return round(TARGETS[name][i] * share, 6)


def fill(form: Path, out: Path, period: str) -> None:
    """The combined form as an office returns it: every white cell filled, the grey ones left."""
    workbook = openpyxl.load_workbook(form)
    sheet = workbook.active
    header = [str(c.value or "") for c in sheet[4]]
    for row in sheet.iter_rows(min_row=5):
        region = row[0].value
        for j, label in enumerate(header[1:], start=1):
            name = label.split("（")[0]
            if label.startswith("上期") or row[j].value is not None:
                continue
            if region == "全区":
                row[j].value = TOTAL_OWN.get(name)
            elif region in REGIONS:
                row[j].value = value(name, period, REGIONS.index(region))
    out.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(out)
