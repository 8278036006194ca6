"""Every main page meets WCAG 2.1 AA as far as axe-core can tell.

axe-core (installed from npm into tests/browser/node by `scripts/bootstrap
--test`) is injected into each page and run with the WCAG 2.0/2.1 A and AA
rules; a page passes with no violation at all. A failure lists each rule, its
impact, the elements it found and what is wrong with them.
"""

import io
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from evaluations.models import Filing
from evaluations.services.excel import SHEET_FUNDS, filing_workbook
from evaluations.services.workflow import filing_transition
from tests.factories import UserFactory, officer_of, reviewer_of
from tests.helpers import import_example, make_submittable

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

AXE = Path(__file__).resolve().parent / "node" / "node_modules" / "axe-core" / "axe.min.js"
RUN_AXE_JS = """() => axe.run(document, {
  runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
  resultTypes: ["violations"],
}).then((results) => results.violations.map((violation) => ({
  id: violation.id,
  impact: violation.impact,
  help: violation.help,
  nodes: violation.nodes.map((node) => ({
    target: node.target.join(" "),
    message: node.failureSummary,
  })),
})))"""
PHONE = {"width": 390, "height": 844}
OFFICE = {"width": 1366, "height": 768}
# Every tab of a filing: 概览, 部门基本情况, 年度资金, 附件1, 附件2, 附件3, 自评报告, 填报信息.
PARTS = ["overview", "profile", "funds", "basic", "scores", "projects", "report", "contact"]
# The pages forbid inline scripts (Content-Security-Policy); the test's own
# injected axe is let through, the page's policy is unchanged otherwise.
AXE_CONTEXT = {"bypass_csp": True}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def axe_script():
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run scripts/bootstrap --test (npm install of axe-core).")
    return AXE


def describe(violations):
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}: {node['message']}")
    return "\n".join(lines)


def assert_accessible(person, name, axe_script):
    """Run axe on the page the person has open; screenshot it for the record."""
    person.page.add_script_tag(path=str(axe_script))
    violations = person.page.evaluate(RUN_AXE_JS)
    person.screenshot(f"axe-{name}")
    assert violations == [], f"{name} ({person.page.url}):\n{describe(violations)}"


def visit(person, path, name, axe_script):
    person.goto(path)
    assert_accessible(person, name, axe_script)


def changed_workbook(filing):
    """The filing's workbook with one figure changed, for a preview with a change."""
    book = openpyxl.load_workbook(io.BytesIO(filing_workbook(filing=filing)))
    book[SHEET_FUNDS]["E3"] = 12
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def test_every_page_of_an_officer_passes_axe(open_browser, axe_script):
    filing = import_example("junshan-2023")
    officer_of(filing.department, username="officer")
    project = filing.projects.get()
    officer = open_browser(viewport=OFFICE, **AXE_CONTEXT)
    page = officer.page

    visit(officer, "/accounts/login/", "login", axe_script)
    officer.log_in("officer")
    assert_accessible(officer, "my-filings", axe_script)
    for part in PARTS:
        visit(officer, f"/filings/{filing.pk}/{part}/", f"part-{part}", axe_script)
    visit(officer, f"/filings/{filing.pk}/projects/{project.pk}/", "project", axe_script)
    visit(officer, f"/filings/{filing.pk}/history/", "history", axe_script)

    visit(officer, f"/filings/{filing.pk}/import-xlsx/", "excel-upload", axe_script)
    page.get_by_label("Excel 工作簿（.xlsx）").set_input_files(
        {"name": "自评.xlsx", "mimeType": XLSX, "buffer": changed_workbook(filing)}
    )
    officer.submit(page.get_by_role("button", name="上传并预览"))
    expect(page.get_by_role("button", name="确认导入（1 处修改）")).to_be_visible()
    assert_accessible(officer, "excel-preview", axe_script)

    phone = open_browser(viewport=PHONE, is_mobile=True, has_touch=True, **AXE_CONTEXT)
    phone.log_in("officer")
    visit(phone, f"/filings/{filing.pk}/scores/", "part-scores-phone", axe_script)


def test_every_page_of_the_bureau_and_the_public_passes_axe(open_browser, axe_script):
    filing = make_submittable(import_example("junshan-2023"))
    officer = officer_of(filing.department, username="officer")
    reviewer = reviewer_of(filing.department.jurisdiction, username="reviewer")
    UserFactory(username="admin", is_superuser=True, is_staff=True)
    filing = filing_transition(filing=filing, to=Filing.Status.SUBMITTED, actor=officer)

    bureau = open_browser(viewport=OFFICE, **AXE_CONTEXT)
    bureau.log_in("reviewer")
    visit(bureau, "/filings/review/", "dashboard", axe_script)
    visit(bureau, f"/filings/{filing.pk}/overview/", "review-overview", axe_script)
    visit(bureau, f"/filings/{filing.pk}/scores/", "review-scores", axe_script)
    visit(bureau, f"/filings/{filing.pk}/history/", "review-history", axe_script)
    visit(bureau, "/filings/import/", "import", axe_script)

    filing = filing_transition(filing=filing, to=Filing.Status.APPROVED, actor=reviewer)
    filing_transition(filing=filing, to=Filing.Status.PUBLISHED, actor=reviewer)
    visitor = open_browser(**AXE_CONTEXT)
    visit(visitor, "/gongkai/", "public", axe_script)
    published = visitor.page.locator("tbody tr", has_text=filing.department.name)
    expect(published.get_by_role("link", name="下载 PDF")).to_be_visible()

    admin = open_browser(**AXE_CONTEXT)
    admin.log_in("admin")
    visit(admin, "/departments/users/", "users", axe_script)


# The focus ring of the focused element: its style and width, and its contrast
# with the background it is drawn on (the first opaque one outside the element,
# since the ring sits outside it).
FOCUS_RING_JS = """() => {
  const luminance = (colour) => {
    const [r, g, b] = colour.match(/[\\d.]+/g).slice(0, 3).map((value) => {
      const channel = Number(value) / 255;
      return channel <= 0.04045 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const opaque = (colour) => !/rgba\\(.*, 0\\)$/.test(colour) && colour !== "transparent";
  const field = document.activeElement;
  const style = getComputedStyle(field);
  let behind = "rgb(255, 255, 255)";
  for (let parent = field.parentElement; parent; parent = parent.parentElement) {
    const background = getComputedStyle(parent).backgroundColor;
    if (opaque(background)) { behind = background; break; }
  }
  const [light, dark] = [luminance(style.outlineColor), luminance(behind)].sort((a, b) => b - a);
  return {
    visible: field.matches(":focus-visible"),
    style: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    contrast: Math.round(((light + 0.05) / (dark + 0.05)) * 100) / 100,
    colours: [style.outlineColor, behind],
  };
}"""


def test_the_focus_ring_stands_out_from_what_surrounds_it(open_browser):
    filing = import_example("junshan-2023")
    officer_of(filing.department, username="officer")
    officer = open_browser(viewport=OFFICE)
    page = officer.page
    officer.log_in("officer")
    officer.goto(f"/filings/{filing.pk}/scores/")
    page.keyboard.press("Tab")  # the keyboard is in use: focus is shown as for Tab
    menu = page.get_by_role("navigation", name="主导航")
    breadcrumb = page.get_by_role("navigation", name="面包屑")
    controls = {
        "主导航链接": menu.get_by_role("link", name="我的填报"),
        "面包屑链接": breadcrumb.get_by_role("link", name="我的填报"),
        "按钮": page.get_by_role("link", name="下载 Excel"),
        "表格中的输入框": page.get_by_label("第2行 一级指标", exact=True),
        "复选框": page.get_by_label("删除第2行"),
        "保存草稿": page.get_by_role("button", name="保存草稿"),
    }
    weak = {}
    for name, control in controls.items():
        control.focus()
        ring = page.evaluate(FOCUS_RING_JS)
        shown = ring["visible"] and ring["style"] == "solid" and ring["width"] >= 2
        if not shown or ring["contrast"] < 3:
            weak[name] = ring
    assert weak == {}
