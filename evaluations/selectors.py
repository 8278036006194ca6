"""Permission-aware reads of filings, and the read model the web pages show.

A user sees the filings of the departments they are an officer of and of the
jurisdictions they review; a bureau administrator (or superuser) sees all.
Anything else does not exist for them: `filing_get_for_user` raises Http404,
never PermissionDenied, so another department's filing is not even leaked.
"""

import datetime
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from departments.models import Department, Jurisdiction, Membership
from departments.selectors import (
    departments_officered_by,
    jurisdictions_reviewed_by,
    user_department_ids,
    user_is_admin,
    user_is_officer_of,
    user_is_reviewer_of,
    user_jurisdiction_ids,
    user_roles,
)
from evaluations.core.document import quantize
from evaluations.core.scoring import document_score
from evaluations.core.validation import document_validate
from evaluations.models import (
    GRADE_INCOMPLETE,
    BasicDataRow,
    Building,
    Filing,
    FilingRevision,
    FilingTransition,
    FiscalYear,
    Funds,
    Indicator,
    Profile,
    Project,
    ProjectItem,
    Report,
)
from evaluations.services.changes import ADDED, REMOVED, Change, document_changes
from evaluations.services.interchange import document_to_dict, filing_document
from evaluations.services.summary import document_missing_parts, filing_document_current
from evaluations.services.workflow import restore_target
from evaluations.validators import MAX_YEAR, MIN_YEAR
from perfeval.params import parse_int

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
    return user_roles(user=user)


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
        "department", "department__jurisdiction", "fiscal_year__default_template", "template"
    )
    if not user.is_authenticated:
        return filings.none()
    if user_is_admin(user=user):
        return filings
    departments = user_department_ids(user=user)
    jurisdictions = user_jurisdiction_ids(user=user)
    if not departments and not jurisdictions:
        return filings.none()
    return filings.filter(
        Q(department_id__in=departments) | Q(department__jurisdiction_id__in=jurisdictions)
    )


def filing_get_for_user(*, user, pk: int) -> Filing:
    """The filing `pk` if the user may read it; Http404 otherwise."""
    # With the stored copy of its content, which every filing page reads, and
    # whether it has ever been returned (most never are: no query for the
    # banner). get(), not first(): first() would sort by Meta.ordering, whose
    # joins cost more to compile than the rest of the query.
    try:
        return (
            filings_for_user(user=user)
            .select_related("cache")
            .annotate(
                ever_returned=Exists(
                    FilingTransition.objects.filter(
                        filing=OuterRef("pk"), to_status=Filing.Status.RETURNED
                    )
                )
            )
            .get(pk=pk)
        )
    except Filing.DoesNotExist:
        raise Http404("没有找到该填报。") from None


def department_get_for_user(*, user, pk) -> Department:
    """A department the user files for or reviews (administrators: any), else
    Http404: anyone else is told nothing about the department."""
    department = Department.objects.select_related("jurisdiction").filter(pk=pk).first()
    if department is None or not (
        user_is_officer_of(user=user, department=department)
        or user_is_reviewer_of(user=user, jurisdiction=department.jurisdiction)
    ):
        raise Http404("没有找到该部门。")
    return department


def user_can_edit_filing(*, user, filing: Filing) -> bool:
    """Only the department's own officers write a filing (DOMAIN.md: not even
    administrators); the bureau reads it. Whether the filing's status allows
    writing is the editing service's decision (`Filing.is_editable`)."""
    return filing.department_id in user_department_ids(user=user)


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
class MissingLink:
    label: str
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
    # What the filing still lacks (services/summary.py: document_missing_parts).
    missing: list[MissingLink] = field(default_factory=list)
    project_grades: dict = field(default_factory=dict)  # project pk -> 等次 as shown

    @property
    def missing_parts(self) -> list[str]:
        """What is missing, in Chinese ("年度资金：全年预算数"); empty when complete."""
        return [item.label for item in self.missing]

    @property
    def is_complete(self) -> bool:
        return not self.missing

    @property
    def grade_shown(self) -> str:
        """等次 as the pages show it: 未完成 while anything is missing."""
        return self.score.grade if self.is_complete else GRADE_INCOMPLETE

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


def where_location(
    where: str, *, filing_pk: int, project_pks: list[int], urls: dict | None = None
) -> tuple[str, str, str]:
    """Map a finding's document path to (part, anchor, url) of the page and
    element where the officer fixes it. A project path (projects[i]…) leads to
    that project's own page; an unknown path to the overview. `urls` keeps the
    pages' URLs between calls for the same filing."""
    urls = {} if urls is None else urls
    match = _PROJECT_PATH.match(where or "")
    if match:
        index = int(match.group(1))
        rest = match.group(2) or ""
        if index < len(project_pks):
            key = ("project", project_pks[index])
            if key not in urls:
                urls[key] = reverse("evaluations:project_edit", args=[filing_pk, key[1]])
            anchor = where_anchor(rest) if rest else "project"
            return "projects", anchor, f"{urls[key]}#{anchor}"
    root = re.split(r"[.\[]", where or "", maxsplit=1)[0]
    part = _PART_OF_ROOT.get(root, "overview")
    anchor = where_anchor(where) if part != "overview" else "findings"
    if part not in urls:
        urls[part] = reverse("evaluations:filing_part", args=[filing_pk, part])
    return part, anchor, f"{urls[part]}#{anchor}"


def finding_links(*, filing: Filing, findings, project_pks: list[int] | None = None):
    """The validation `findings` of `filing`, each with the page and anchor of
    the field it concerns (see `where_location`)."""
    if project_pks is None:
        project_pks = list(filing.projects.order_by("position", "pk").values_list("pk", flat=True))
    links = []
    urls = {}
    for finding in findings:
        part, anchor, url = where_location(
            finding.where, filing_pk=filing.pk, project_pks=project_pks, urls=urls
        )
        links.append(
            FindingLink(
                code=finding.code,
                kind=finding.kind,
                message=finding.message,
                where=finding.where,
                part=part,
                anchor=anchor,
                url=url,
            )
        )
    return links


def filing_summary(*, filing: Filing, document=None, keys=None) -> FilingSummary:
    """Score and validate the saved filing, or `document` with its row `keys`
    standing for it (the live preview), with each finding and each missing
    part linked to the page and anchor of the field it concerns."""
    if document is None:
        document, keys = filing_document_current(filing=filing)
    template = filing.scoring_template
    score = document_score(document=document, template=template)
    findings = document_validate(document=document, template=template, score=score)
    summary = FilingSummary(filing=filing, document=document, score=score)
    for link in finding_links(filing=filing, findings=findings, project_pks=keys.projects):
        (summary.errors if link.kind == "error" else summary.warnings).append(link)
    summary.indicator_results = dict(zip(keys.indicators, score.indicators, strict=False))
    for project_pk, project_score in zip(keys.projects, score.projects, strict=False):
        summary.project_scores[project_pk] = project_score
        summary.project_indicator_results[project_pk] = dict(
            zip(keys.project_indicators.get(project_pk, []), project_score.indicators, strict=False)
        )
    urls = {}
    incomplete_projects = set()
    for part in document_missing_parts(document=document, findings=findings):
        _part, _anchor, url = where_location(
            part.where, filing_pk=filing.pk, project_pks=keys.projects, urls=urls
        )
        summary.missing.append(MissingLink(label=part.label, url=url))
        incomplete_projects.add(part.project)
    for index, (project_pk, project_score) in enumerate(summary.project_scores.items()):
        incomplete = index in incomplete_projects
        summary.project_grades[project_pk] = GRADE_INCOMPLETE if incomplete else project_score.grade
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


# --- the life cycle: last return, changes since, history ----------------------------


def filing_last_return(*, filing: Filing, with_snapshot: bool = False):
    """The latest move of `filing` to 已退回 (a return or a reopen) with its
    actor, or None. The stored snapshot is loaded only when asked for."""
    if getattr(filing, "ever_returned", None) is False:
        return None
    transitions = (
        FilingTransition.objects.filter(filing=filing, to_status=Filing.Status.RETURNED)
        .select_related("actor")
        .order_by("-created_at", "-pk")
    )
    if not with_snapshot:
        transitions = transitions.defer("snapshot")
    return transitions.first()


@dataclass(frozen=True)
class Withdrawal:
    """Why and by whom a filing is withdrawn, for the banner of its pages."""

    transition: FilingTransition | None  # None when set without the workflow
    restores_to_label: str


def filing_withdrawal(*, filing: Filing) -> Withdrawal | None:
    """The withdrawal of `filing` while it is 已撤销 (its latest move there,
    with the status 恢复 would give it back); None for any other status."""
    if filing.status != Filing.Status.WITHDRAWN:
        return None
    transition = (
        FilingTransition.objects.filter(filing=filing, to_status=Filing.Status.WITHDRAWN)
        .select_related("actor")
        .defer("snapshot")
        .order_by("-created_at", "-pk")
        .first()
    )
    return Withdrawal(
        transition=transition,
        restores_to_label=str(Filing.Status(restore_target(filing=filing)).label),
    )


def _revision_at(*, filing: Filing, moment) -> FilingRevision | None:
    """The revision in force at `moment`: the latest one written by then."""
    return (
        FilingRevision.objects.filter(filing=filing, created_at__lte=moment)
        .order_by("-version")
        .first()
    )


def filing_changes_since_return(*, filing: Filing) -> tuple[FilingTransition | None, list[Change]]:
    """The latest return of `filing` and every field that differs between the
    revision in force when it was returned and the latest revision
    (自上次退回以来的修改); (None, []) when the filing was never returned.

    A return made before revisions existed (migration 0011) compares the
    document its transition stored instead."""
    last_return = filing_last_return(filing=filing, with_snapshot=True)
    if last_return is None:
        return None, []
    at_return = _revision_at(filing=filing, moment=last_return.created_at)
    before = at_return.document if at_return is not None else last_return.snapshot
    if before is None:
        return last_return, []
    latest = FilingRevision.objects.filter(filing=filing).order_by("-version").first()
    if latest is not None:
        after = latest.document
    else:
        after = document_to_dict(document=filing_document(filing=filing))
    return last_return, _changes_between(filing=filing, before=before, after=after)


def _changes_between(*, filing: Filing, before: dict, after: dict) -> list[Change]:
    """What differs between two documents of `filing`, labelled from its form
    template: the Hunan layout's change list, or a generic template's."""
    if filing.layout != "generic":
        return document_changes(before=before, after=after)
    from evaluations.core.generic import generic_changes, generic_document_from_json
    from evaluations.services.form_templates import filing_form_template

    template = filing_form_template(filing).template()
    return generic_changes(
        generic_document_from_json(before, template),
        generic_document_from_json(after, template),
        template,
    )


@dataclass(frozen=True)
class HistoryField:
    label: str
    old: str | None
    new: str | None


@dataclass
class HistoryEntry:
    """One line of 历史记录: a status change, a version of the content, or (saved
    before versions were kept) a change of one saved row."""

    at: datetime.datetime
    actor: str
    kind: str  # "transition", "create", "update" or "delete"
    title: str
    comment: str = ""
    fields: list[HistoryField] = field(default_factory=list)


_PART_MODELS = (Profile, Funds, BasicDataRow, ProjectItem, Building, Project, Indicator, Report)
# One row per filing: named by the model alone, not by its (long) __str__.
_SINGLE_PARTS = {Filing, Profile, Funds, Report}
# Shown by the transition rows (status), not content (positions are renumbered
# on every save), or computed and stored by services (editable=False).
_HISTORY_HIDDEN = {"status", "position", "filing", "project", "id"}
_ACTIONS = {
    LogEntry.Action.CREATE: ("create", "新增"),
    LogEntry.Action.UPDATE: ("update", "修改"),
    LogEntry.Action.DELETE: ("delete", "删除"),
}


def _actor_name(user) -> str:
    if user is None:
        return "系统"
    return user.get_full_name() or user.get_username()


def _history_value(model_field, value) -> str | None:
    if value is None or value in ("None", ""):
        return None
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    kind = model_field.get_internal_type()
    if kind == "BooleanField":
        return {"True": "是", "False": "否"}.get(value, value)
    if kind == "DecimalField":
        try:
            return str(quantize(Decimal(value)))
        except InvalidOperation:
            return value
    return value


def _history_fields(model, changes: dict) -> list[HistoryField]:
    fields = []
    for name, values in changes.items():
        if not isinstance(values, list | tuple) or len(values) != 2:
            continue
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:  # a field removed since: show it by its name
            fields.append(HistoryField(label=name, old=values[0], new=values[1]))
            continue
        if name in _HISTORY_HIDDEN or not model_field.editable or model_field.is_relation:
            continue
        fields.append(
            HistoryField(
                label=str(model_field.verbose_name),
                old=_history_value(model_field, values[0]),
                new=_history_value(model_field, values[1]),
            )
        )
    return fields


def _history_entry(entry: LogEntry) -> HistoryEntry | None:
    model = entry.content_type.model_class()
    kind, verb = _ACTIONS.get(entry.action, ("update", "记录"))
    if model is None:
        return HistoryEntry(
            at=entry.timestamp, actor=_actor_name(entry.actor), kind=kind, title=verb
        )
    name = str(model._meta.verbose_name)
    title = f"{verb} {name}" if model in _SINGLE_PARTS else f"{verb} {name}「{entry.object_repr}」"
    fields = _history_fields(model, entry.changes_dict) if kind == "update" else []
    if kind == "update" and not fields:
        return None  # only hidden columns changed (a status change, renumbering)
    return HistoryEntry(
        at=entry.timestamp, actor=_actor_name(entry.actor), kind=kind, title=title, fields=fields
    )


def filing_log_entries(*, filing: Filing) -> QuerySet[LogEntry]:
    """django-auditlog's entries of `filing` and of all its parts, newest first,
    in one query: parts tag their entries with the filing's id (FilingPart);
    entries written before that are found through the parts that still exist."""
    types = ContentType.objects.get_for_models(Filing, *_PART_MODELS)
    condition = Q(additional_data__filing_id=filing.pk) | Q(
        content_type=types[Filing], object_id=filing.pk
    )
    for model in _PART_MODELS:
        condition |= Q(
            content_type=types[model],
            object_id__in=model.objects.filter(filing=filing).values("pk"),
        )
    return (
        LogEntry.objects.filter(condition)
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")
    )


# What a change of a whole row says after its label.
_ROW_CHANGES = {ADDED: "（新增行）", REMOVED: "（删除行）"}


def _revision_actor(revision: FilingRevision) -> str:
    # The stored name outlives a deleted account.
    return _actor_name(revision.actor) if revision.actor_id else revision.actor_name


def _revision_entry(filing: Filing, revision: FilingRevision, previous: FilingRevision | None):
    """The line of 历史记录 of `revision`: every field that differs from
    `previous` (old → new), or, for the first revision, how the filing was
    created. None for the revision a migration wrote (it changed nothing)."""
    source = FilingRevision.Source(revision.source)
    if source == FilingRevision.Source.MIGRATION:
        return None
    title = f"第 {revision.version} 版：{source.label}"
    fields = []
    if previous is None:
        kind = "create"
    else:
        kind = "update"
        fields = [
            HistoryField(
                label=change.label + _ROW_CHANGES.get(change.kind, ""),
                old=change.old,
                new=change.new,
            )
            for change in _changes_between(
                filing=filing, before=previous.document, after=revision.document
            )
        ]
    return HistoryEntry(
        at=revision.created_at,
        actor=_revision_actor(revision),
        kind=kind,
        title=title,
        fields=fields,
    )


def filing_history(*, filing: Filing) -> list[HistoryEntry]:
    """历史记录 of `filing`, newest first: its status changes (who, when, from,
    to, comment) and its versions (who, when, how, and every field that
    differs from the version before, named in Chinese).

    Changes saved before revisions existed (migration 0011) are shown from
    django-auditlog's entries, up to the revision that migration wrote. A
    fixed number of queries, whatever the length of the history."""
    entries = [
        HistoryEntry(
            at=transition.created_at,
            actor=_actor_name(transition.actor),
            kind="transition",
            title=(
                f"{transition.get_from_status_display()} → {transition.get_to_status_display()}"
            ),
            comment=transition.comment,
        )
        for transition in FilingTransition.objects.filter(filing=filing)
        .select_related("actor")
        .defer("snapshot")
    ]
    revisions = list(
        FilingRevision.objects.filter(filing=filing).select_related("actor").order_by("version")
    )
    previous = None
    for revision in revisions:
        entry = _revision_entry(filing, revision, previous)
        if entry is not None:
            entries.append(entry)
        previous = revision
    if not revisions or revisions[0].source == FilingRevision.Source.MIGRATION:
        log_entries = filing_log_entries(filing=filing)
        if revisions:
            log_entries = log_entries.filter(timestamp__lt=revisions[0].created_at)
        for log_entry in log_entries:
            entry = _history_entry(log_entry)
            if entry is not None:
                entries.append(entry)
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


# --- the reviewer dashboard --------------------------------------------------

NOT_STARTED = "not_started"
NOT_STARTED_LABEL = "未开始"
DASHBOARD_STATUSES = ((NOT_STARTED, NOT_STARTED_LABEL), *Filing.Status.choices)
GRADES = ("优", "良", "中", "差")
NO_GRADE_LABEL = "未评定"
# While parts of a filing are missing (services.summary.document_missing_parts)
# its 等次 is not one yet: the dashboard shows 未完成, as the filing's own pages
# do. Decided from the stored count, so the dashboard still scores nothing per row.
INCOMPLETE = "incomplete"
INCOMPLETE_LABEL = GRADE_INCOMPLETE
DASHBOARD_SORTS = {
    "name": "按行政区划、部门名称",
    "-score": "总分从高到低",
    "score": "总分从低到高",
}
# Not submitted yet: the deadline concerns these (DOMAIN.md life cycle).
_UNSUBMITTED = {NOT_STARTED, Filing.Status.DRAFT, Filing.Status.RETURNED}
_SUBMITTED_OR_LATER = {Filing.Status.SUBMITTED, Filing.Status.APPROVED, Filing.Status.PUBLISHED}
_APPROVED_OR_LATER = {Filing.Status.APPROVED, Filing.Status.PUBLISHED}
_URL_PK_SENTINEL = 987654321


@dataclass(slots=True)
class DashboardRow:
    """One department on the dashboard, with its filing of the year if any."""

    department_id: int
    department_name: str
    jurisdiction_name: str
    filing_id: int | None
    filing_url: str  # "" when no filing was started
    status: str  # a Filing.Status value, or NOT_STARTED
    status_label: str
    total_score: Decimal | None
    grade: str
    error_count: int
    missing_count: int
    submitted_on: datetime.date | None  # latest submission, while submitted or later
    approved_on: datetime.date | None  # latest approval, while approved or published
    overdue: bool

    @property
    def approvable(self) -> bool:
        """Offered for bulk approval: submitted and without errors at its last save."""
        return self.status == Filing.Status.SUBMITTED and self.error_count == 0

    @property
    def grade_key(self) -> str:
        """等次 as the dashboard shows and filters it: INCOMPLETE while parts of
        the filing are missing, else its stored 等次 ("" when none could be
        computed, or no filing was started)."""
        if self.filing_id is not None and self.missing_count:
            return INCOMPLETE
        return self.grade

    @property
    def grade_label(self) -> str:
        return INCOMPLETE_LABEL if self.grade_key == INCOMPLETE else self.grade


def dashboard_user_may_view(*, user) -> bool:
    """The dashboard is for the bureau: reviewers, administrators, superusers."""
    return user_is_bureau_staff(user=user)


def dashboard_fiscal_year(*, user, year: str | None) -> FiscalYear | None:
    """The fiscal year asked for (?year=YYYY). Without one, where the reviewer's
    work is: the newest year with a filing submitted (or approved, published)
    in the jurisdictions `user` reviews; else the newest year open for filing;
    else the newest year. Http404 for a year that does not exist; None when
    there are no fiscal years at all."""
    if year:
        number = parse_int(year, low=MIN_YEAR, high=MAX_YEAR)
        fiscal_year = FiscalYear.objects.filter(year=number).first() if number else None
        if fiscal_year is None:
            raise Http404("没有该年度。")
        return fiscal_year
    years = FiscalYear.objects.order_by("-year")
    return (
        years.filter(
            Exists(
                Filing.objects.filter(
                    fiscal_year=OuterRef("pk"),
                    status__in=_SUBMITTED_OR_LATER,
                    department__jurisdiction__in=jurisdictions_reviewed_by(user=user),
                )
            )
        ).first()
        or years.filter(is_open=True).first()
        or years.first()
    )


def _latest_transition_on(to_status):
    """The local date of the latest move of the filing to `to_status`, computed
    by the database (one grouped query, no per-row conversion)."""
    return TruncDate(
        Max("transitions__created_at", filter=Q(transitions__to_status=to_status)),
        tzinfo=timezone.get_current_timezone(),
    )


def dashboard_rows(*, user, fiscal_year: FiscalYear, today=None) -> list[DashboardRow]:
    """Every department of the jurisdictions `user` reviews (administrators: all),
    with its filing for `fiscal_year` or none yet (未开始): status, 总分, 等次,
    the dates of the latest submission and approval, and whether it is overdue
    (the deadline has passed and it is not submitted: no filing, draft or
    returned). Ordered by jurisdiction and department name.

    Two queries whatever the number of departments; figures come from the
    summary stored on each filing, nothing is scored here.
    """
    today = today or timezone.localdate()
    jurisdictions = jurisdictions_reviewed_by(user=user)
    departments = (
        Department.objects.filter(jurisdiction__in=jurisdictions)
        .order_by("jurisdiction__name", "name")
        .values_list("pk", "name", "jurisdiction__name")
    )
    filings = {
        row[1]: row
        for row in Filing.objects.filter(
            fiscal_year=fiscal_year, department__jurisdiction__in=jurisdictions
        )
        .order_by()
        .values_list(
            "pk", "department_id", "status", "total_score", "grade", "error_count", "missing_count"
        )
        .annotate(
            submitted_on=_latest_transition_on(Filing.Status.SUBMITTED),
            approved_on=_latest_transition_on(Filing.Status.APPROVED),
        )
    }
    deadline_passed = fiscal_year.deadline is not None and today > fiscal_year.deadline
    status_labels = {key: str(label) for key, label in DASHBOARD_STATUSES}
    # reverse() once: per row it would cost more than the rest of the row.
    url_pattern = reverse("evaluations:filing_part", args=[_URL_PK_SENTINEL, "overview"])
    url_head, url_tail = url_pattern.split(str(_URL_PK_SENTINEL))
    rows = []
    for department_id, name, jurisdiction_name in departments:
        filing = filings.get(department_id)
        if filing is None:
            rows.append(
                DashboardRow(
                    department_id=department_id,
                    department_name=name,
                    jurisdiction_name=jurisdiction_name,
                    filing_id=None,
                    filing_url="",
                    status=NOT_STARTED,
                    status_label=NOT_STARTED_LABEL,
                    total_score=None,
                    grade="",
                    error_count=0,
                    missing_count=0,
                    submitted_on=None,
                    approved_on=None,
                    overdue=deadline_passed,
                )
            )
            continue
        pk, _department, status, total_score, grade, errors, missing, submitted_on, approved_on = (
            filing
        )
        rows.append(
            DashboardRow(
                department_id=department_id,
                department_name=name,
                jurisdiction_name=jurisdiction_name,
                filing_id=pk,
                filing_url=f"{url_head}{pk}{url_tail}",
                status=status,
                status_label=status_labels.get(status, status),
                total_score=total_score,
                grade=grade,
                error_count=errors,
                missing_count=missing,
                submitted_on=submitted_on if status in _SUBMITTED_OR_LATER else None,
                approved_on=approved_on if status in _APPROVED_OR_LATER else None,
                overdue=deadline_passed and status in _UNSUBMITTED,
            )
        )
    return rows


def dashboard_filter(
    *,
    rows: list[DashboardRow],
    status: str = "",
    grade: str = "",
    overdue: bool = False,
    q: str = "",
    sort: str = "name",
) -> list[DashboardRow]:
    """The rows matching every given filter, sorted. `grade` "none" matches rows
    without a grade; `q` matches department (or jurisdiction) names, ignoring
    case. Sorting by score keeps rows without a score last in both directions."""
    q = q.strip().casefold()
    selected = [
        row
        for row in rows
        if (not status or row.status == status)
        and (not grade or row.grade_key == ("" if grade == "none" else grade))
        and (not overdue or row.overdue)
        and (not q or q in row.department_name.casefold() or q in row.jurisdiction_name.casefold())
    ]
    if sort in ("score", "-score"):
        scored = [row for row in selected if row.total_score is not None]
        unscored = [row for row in selected if row.total_score is None]
        scored.sort(key=lambda row: row.total_score, reverse=sort == "-score")
        return scored + unscored
    return selected


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    count: int


def dashboard_status_counts(*, rows: list[DashboardRow]) -> list[Count]:
    """How many departments are in each status (未开始 first), zeros included."""
    counts = Counter(row.status for row in rows)
    return [Count(key, str(label), counts[key]) for key, label in DASHBOARD_STATUSES]


def dashboard_grade_counts(*, rows: list[DashboardRow]) -> list[Count]:
    """How many started filings have each 等次; 未完成 for those with parts
    missing (see INCOMPLETE), 未评定 for the others without one (the score cannot
    be computed yet). Departments without a filing are not counted."""
    counts = Counter(row.grade_key for row in rows if row.filing_id is not None)
    return [Count(grade, grade, counts[grade]) for grade in GRADES] + [
        Count(INCOMPLETE, INCOMPLETE_LABEL, counts[INCOMPLETE]),
        Count("none", NO_GRADE_LABEL, counts[""]),
    ]


# --- 信息公开 (no user: only published filings) ------------------------------------


def published_filings(*, year=None, jurisdiction_id=None, query=""):
    """Published filings, newest year first, optionally of one year, one
    jurisdiction, or departments whose name contains `query`."""
    filings = Filing.objects.filter(status=Filing.Status.PUBLISHED).select_related(
        "department__jurisdiction", "fiscal_year"
    )
    if year is not None:
        filings = filings.filter(fiscal_year__year=year)
    if jurisdiction_id is not None:
        filings = filings.filter(department__jurisdiction_id=jurisdiction_id)
    if query:
        filings = filings.filter(department__name__contains=query)
    return list(
        filings.order_by("-fiscal_year__year", "department__jurisdiction__name", "department__name")
    )


def published_years():
    return list(
        FiscalYear.objects.filter(filings__status=Filing.Status.PUBLISHED)
        .distinct()
        .order_by("-year")
        .values_list("year", flat=True)
    )


def published_jurisdictions():
    return list(
        Jurisdiction.objects.filter(departments__filings__status=Filing.Status.PUBLISHED)
        .distinct()
        .order_by("name")
    )


def published_filing_get(*, pk):
    """A published filing, or Http404 for any other (its existence is not leaked)."""
    filing = (
        Filing.objects.filter(pk=pk, status=Filing.Status.PUBLISHED)
        .select_related("department", "fiscal_year")
        .first()
    )
    if filing is None:
        raise Http404("没有找到该公开报告。")
    return filing
