"""Permission-aware reads of filings, and the read model the web pages show.

A user sees the filings of the departments they are an officer of and of the
jurisdictions they review; a bureau administrator (or superuser) sees all.
Anything else does not exist for them: `filing_get_for_user` raises Http404,
never PermissionDenied, so another department's filing is not even leaked.
"""

import re
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse

from departments.models import Department, Membership
from departments.selectors import departments_officered_by, user_is_admin
from evaluations.models import Filing, FiscalYear
from evaluations.services.interchange import filing_document
from evaluations.services.scoring import document_score
from evaluations.services.validation import document_validate

PARTS = (
    ("overview", "概览"),
    ("profile", "部门基本情况"),
    ("funds", "年度资金"),
    ("basic", "附件1 基础数据表"),
    ("scores", "附件2 自评表"),
    ("projects", "附件3 项目支出"),
    ("report", "自评报告"),
    ("contact", "填报信息"),
)
PART_KEYS = tuple(key for key, _label in PARTS)


def _roles(user) -> set[str]:
    return set(user.memberships.values_list("role", flat=True))


def user_is_bureau_staff(*, user) -> bool:
    """Finance-bureau people: reviewers of a jurisdiction, administrators, superusers."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(
        _roles(user) & {Membership.Role.REVIEWER, Membership.Role.ADMIN}
    )


def user_role_labels(*, user) -> list[str]:
    """The role names shown in the navigation bar."""
    labels = [
        str(Membership.Role(role).label)
        for role in sorted(_roles(user))
        if role in Membership.Role.values
    ]
    if user.is_superuser and str(Membership.Role.ADMIN.label) not in labels:
        labels.append(str(Membership.Role.ADMIN.label))
    return labels


def departments_for_user(*, user) -> QuerySet[Department]:
    """The departments the user files for (officer memberships): the ones whose
    filings they may start and edit."""
    if not user.is_authenticated:
        return Department.objects.none()
    return departments_officered_by(user=user)


def filings_for_user(*, user) -> QuerySet[Filing]:
    """Every filing the user may read."""
    filings = Filing.objects.select_related(
        "department", "department__jurisdiction", "fiscal_year", "template"
    )
    if not user.is_authenticated:
        return filings.none()
    if user_is_admin(user=user):
        return filings
    officer_departments = Membership.objects.filter(user=user, role=Membership.Role.OFFICER).values(
        "department_id"
    )
    reviewed_jurisdictions = Membership.objects.filter(
        user=user, role=Membership.Role.REVIEWER
    ).values("jurisdiction_id")
    return filings.filter(
        Q(department_id__in=officer_departments)
        | Q(department__jurisdiction_id__in=reviewed_jurisdictions)
    )


def filing_get_for_user(*, user, pk: int) -> Filing:
    """The filing `pk` if the user may read it; Http404 otherwise."""
    filing = filings_for_user(user=user).filter(pk=pk).first()
    if filing is None:
        raise Http404("没有找到该填报。")
    return filing


def user_can_edit_filing(*, user, filing: Filing) -> bool:
    """Only the department's own officers (and superusers) write a filing; the
    bureau reads it. Whether the filing's status allows writing is the editing
    service's decision (`Filing.is_editable`)."""
    if user.is_superuser:
        return True
    return departments_for_user(user=user).filter(pk=filing.department_id).exists()


def user_may_import_for(*, user, jurisdiction_name: str) -> bool:
    """A reviewer imports filings of their own jurisdiction; administrators any."""
    if user_is_admin(user=user):
        return True
    return Membership.objects.filter(
        user=user, role=Membership.Role.REVIEWER, jurisdiction__name=jurisdiction_name
    ).exists()


# --- the read model of the pages -------------------------------------------


@dataclass
class FindingLink:
    code: str
    kind: str
    message: str
    where: str
    part: str
    anchor: str
    url: str


@dataclass
class FilingSummary:
    """Scores and findings of one filing as the summary panel shows them."""

    filing: Filing
    document: object
    score: object
    errors: list[FindingLink] = field(default_factory=list)
    warnings: list[FindingLink] = field(default_factory=list)
    indicator_results: dict = field(default_factory=dict)  # indicator pk -> IndicatorResult
    project_scores: dict = field(default_factory=dict)  # project pk -> TableScore
    project_indicator_results: dict = field(default_factory=dict)

    def part_counts(self) -> dict[str, dict[str, int]]:
        """Errors and warnings per part, for the overview's list of parts."""
        counts = {key: {"errors": 0, "warnings": 0} for key in PART_KEYS}
        for kind, findings in (("errors", self.errors), ("warnings", self.warnings)):
            for finding in findings:
                counts[finding.part][kind] += 1
        return counts


_PATH_TOKEN = re.compile(r"[.\[\]]+")


def where_anchor(where: str) -> str:
    """The HTML id of the element a `where` path points at: "indicators[4]" →
    "indicators-4", "basic_data.rows.vehicle" → "basic_data-rows-vehicle"."""
    return _PATH_TOKEN.sub("-", where).strip("-")


_PART_OF_ROOT = {
    "profile": "profile",
    "staffing": "profile",
    "funds": "funds",
    "basic_data": "basic",
    "overall_goal": "scores",
    "indicators": "scores",
    "projects": "projects",
    "report": "report",
    "contact": "contact",
}
_PROJECT_PATH = re.compile(r"^projects\[(\d+)\](?:\.(.*))?$")


def where_location(where: str, *, filing_pk: int, project_pks: list[int]) -> tuple[str, str, str]:
    """Map a finding's document path to (part, anchor, url) of the page and
    element where the officer fixes it. A project path (projects[i]…) leads to
    that project's own page; an unknown path to the overview."""
    match = _PROJECT_PATH.match(where or "")
    if match:
        index = int(match.group(1))
        rest = match.group(2) or ""
        if index < len(project_pks):
            url = reverse("evaluations:project_edit", args=[filing_pk, project_pks[index]])
            anchor = where_anchor(rest) if rest else "project"
            return "projects", anchor, f"{url}#{anchor}"
    root = re.split(r"[.\[]", where or "", maxsplit=1)[0]
    part = _PART_OF_ROOT.get(root, "overview")
    anchor = where_anchor(where) if part != "overview" else "findings"
    url = reverse("evaluations:filing_part", args=[filing_pk, part])
    return part, anchor, f"{url}#{anchor}"


def filing_summary(*, filing: Filing) -> FilingSummary:
    """Score and validate the saved filing, with each finding linked to the page
    and anchor of the field it concerns."""
    document = filing_document(filing=filing)
    template = filing.scoring_template
    score = document_score(document=document, template=template)
    findings = document_validate(document=document, template=template, score=score)
    projects = list(filing.projects.order_by("position", "pk"))
    project_pks = [project.pk for project in projects]
    summary = FilingSummary(filing=filing, document=document, score=score)
    for finding in findings:
        part, anchor, url = where_location(
            finding.where, filing_pk=filing.pk, project_pks=project_pks
        )
        link = FindingLink(
            code=finding.code,
            kind=finding.kind,
            message=finding.message,
            where=finding.where,
            part=part,
            anchor=anchor,
            url=url,
        )
        (summary.errors if finding.kind == "error" else summary.warnings).append(link)
    indicator_pks = list(
        filing.indicators.filter(project__isnull=True)
        .order_by("position", "pk")
        .values_list("pk", flat=True)
    )
    summary.indicator_results = dict(zip(indicator_pks, score.indicators, strict=False))
    for project, project_score in zip(projects, score.projects, strict=False):
        summary.project_scores[project.pk] = project_score
        pks = list(project.indicators.order_by("position", "pk").values_list("pk", flat=True))
        summary.project_indicator_results[project.pk] = dict(
            zip(pks, project_score.indicators, strict=False)
        )
    return summary


@dataclass
class YearRow:
    fiscal_year: FiscalYear
    filing: Filing | None  # its stored 总分 and 等次 are shown


@dataclass
class DepartmentYears:
    department: Department
    rows: list[YearRow]


def my_filings_for_user(*, user) -> list[DepartmentYears]:
    """Per department of the officer: every fiscal year that has a filing or is
    open for filing, newest first."""
    result = []
    years = list(FiscalYear.objects.order_by("-year"))
    for department in departments_for_user(user=user).select_related("jurisdiction"):
        filings = {
            filing.fiscal_year_id: filing
            for filing in Filing.objects.filter(department=department).select_related(
                "fiscal_year", "template", "department"
            )
        }
        rows = []
        for fiscal_year in years:
            filing = filings.get(fiscal_year.pk)
            if filing is None and not fiscal_year.is_open:
                continue
            rows.append(YearRow(fiscal_year=fiscal_year, filing=filing))
        result.append(DepartmentYears(department=department, rows=rows))
    return result


def bureau_filings_for_user(*, user) -> list[YearRow]:
    """The filings of the jurisdictions a bureau user oversees."""
    if not user_is_bureau_staff(user=user):
        return []
    officer_departments = departments_for_user(user=user).values("pk")
    filings = filings_for_user(user=user).exclude(department_id__in=officer_departments)
    return [
        YearRow(fiscal_year=filing.fiscal_year, filing=filing)
        for filing in filings.order_by(
            "-fiscal_year__year", "department__jurisdiction__name", "department__name"
        )
    ]


def indicator_groups(indicators: list) -> list[dict]:
    """Rows of an indicator table for the paper-like read-only rendering, with
    the rowspans of the merged 一级指标/二级指标 cells."""
    rows = [
        {"indicator": indicator, "level1_span": 0, "level2_span": 0} for indicator in indicators
    ]
    start1 = start2 = 0
    for index, row in enumerate(rows):
        indicator = row["indicator"]
        if index == 0 or indicator.level1 != rows[start1]["indicator"].level1:
            start1 = index
            start2 = index
        elif indicator.level2 != rows[start2]["indicator"].level2:
            start2 = index
        rows[start1]["level1_span"] += 1
        rows[start2]["level2_span"] += 1
    return rows
