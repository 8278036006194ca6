"""Document ↔ rows: the one write path of a filing's content, with revisions.

Every way the content of a filing changes — a filing page, a JSON or workbook
import, a command, the creation of a filing (pre-filled or not) — builds the
whole new `FilingDocument` and hands it to `filing_document_write` (or, for a
filing that does not exist yet, `filing_document_create`). The write compares
it with what is saved and touches only what differs. Rows of a table are
compared by position, as the paper numbers them: a row that differs is
updated in place with `save(update_fields=…)`, so django-auditlog keeps its
old and new values; rows beyond the saved ones are inserted; saved rows
beyond the new ones are deleted. Then the version goes up by one, the new
document is stored as a `FilingRevision` naming who made it and how (历史记录
compares revisions), and the figures lists show and the pages' copy are
stored for the new version. A document equal to the saved one writes nothing
at all: no version, no revision, no audit entry.

The reverse direction lives here too: `filing_document_read` reads the rows
into a document, and `document_to_dict` gives its `perfeval-filing/2` form
(the `/1` form plus the filing's form template), the form of every revision.

Imports the core and the models only; the services that change filings
(editing, interchange, filings, excel) call it, never the reverse.
"""

from dataclasses import dataclass, field, replace
from datetime import date

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from evaluations.core import document as doc
from evaluations.core.completeness import document_missing_parts
from evaluations.core.document import (
    BASIC_ROW_KEYS,
    HUNAN_CODE,
    HUNAN_VERSION,
    INDICATOR_KEYS,
    REPORT_KEYS,
    FilingDocument,
    quantize,
)
from evaluations.core.generic import FORMAT
from evaluations.core.limits import document_check_limits
from evaluations.core.scoring import document_score
from evaluations.core.validation import document_validate
from evaluations.models import (
    SYSTEM_ACTOR_NAME,
    BasicDataRow,
    Building,
    Filing,
    FilingCache,
    FilingRevision,
    Funds,
    Indicator,
    Profile,
    Project,
    ProjectItem,
    Report,
    ScoringTemplate,
)

# What is written is FORMAT (perfeval-filing/2, the one format of every
# layout); files of the first format, which name no form template, are read
# still, as of the Hunan forms.
FORMAT_1 = "perfeval-filing/1"
# The form of the pages' copy (FilingCache.data); bumped when it changes, and
# an older copy is then read anew.
CACHE_FORMAT = 2

Source = FilingRevision.Source


class FilingNotEditable(Exception):
    """The filing is 已报送, 已审核, 已公开 or 已撤销: nobody may change it."""


class StaleFiling(Exception):
    """The filing changed since the version the write was based on."""

    MESSAGE = "该填报已被他人修改，请刷新后重试"

    def __init__(self, *, expected_version: int | None, current_version: int):
        super().__init__(self.MESSAGE)
        self.message = self.MESSAGE
        self.expected_version = expected_version
        self.current_version = current_version


class FilingTooLarge(Exception):
    """The write would take the filing past a bound of core/limits.py.

    `messages` says, in Chinese, each bound it would exceed."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


def filing_not_editable(filing: Filing) -> FilingNotEditable:
    """The refusal of a write to `filing` in its current status."""
    return FilingNotEditable(
        f"该填报当前状态为“{filing.get_status_display()}”，不能修改；"
        "只有草稿或已退回的填报可以编辑。"
    )


def filing_check_editable(*, filing: Filing) -> None:
    """Raise FilingNotEditable when `filing`'s status (as read) allows no
    writes. For callers that refuse early; the write checks again on the
    locked row."""
    if not filing.is_editable:
        raise filing_not_editable(filing)


def filing_lock(*, filing: Filing, expected_version: int | None) -> Filing:
    """Lock the row of `filing` for the rest of the caller's transaction and
    return it as locked. Raises FilingNotEditable when its status allows no
    writes (checked first), and StaleFiling when its version is not
    `expected_version` (None, i.e. unknown, is always stale)."""
    locked = Filing.objects.select_for_update().get(pk=filing.pk)
    if not locked.is_editable:
        raise filing_not_editable(locked)
    if locked.version != expected_version:
        raise StaleFiling(expected_version=expected_version, current_version=locked.version)
    return locked


@dataclass(frozen=True)
class RowKeys:
    """Primary keys of the rows a document lists, in the document's order."""

    indicators: list[int] = field(default_factory=list)  # the filing's own (附件2)
    projects: list[int] = field(default_factory=list)
    project_indicators: dict[int, list[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class WriteResult:
    """What a write did: `changed` is False when the document equalled the
    saved one and nothing was written (`revision` is then None). `filing` is
    the filing as written, `keys` the rows of its document."""

    filing: Filing
    changed: bool
    keys: RowKeys
    revision: FilingRevision | None = None


# --- rows → document ------------------------------------------------------------------

_FUNDS_FIELDS = {
    "by_source": ("general_budget", "government_fund", "special_account", "other"),
    "by_nature": ("basic", "project"),
    "basic_detail": ("personnel", "public"),
}
_FUND_AMOUNTS = ("initial_budget", "full_year_budget", "executed")
# Document key of a 附件3 fund line → prefix of its three columns on Project.
PROJECT_FUND_LINES = {
    "total": "total",
    "current_appropriation": "current",
    "carryover": "carryover",
    "other": "other",
}
_COLUMNS = ("prior_final", "budget", "final")
_BUILDING_AMOUNTS = ("approved_area", "actual_area", "budget_investment", "actual_investment")
_PROFILE_TEXTS = ("organization", "functions", "goal_setting")
_STAFFING = ("authorized", "actual", "retired", "survivor_subsidy")
_INDICATOR_AMOUNTS = ("weight", "score")


@dataclass
class _Saved:
    """The rows of one filing as read, in position order."""

    filing: Filing
    profile: Profile | None = None
    funds: Funds | None = None
    report: Report | None = None
    basic_rows: dict[str, BasicDataRow] = field(default_factory=dict)
    project_items: list[ProjectItem] = field(default_factory=list)
    buildings: list[Building] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    project_indicators: dict[int, list[Indicator]] = field(default_factory=dict)


def _saved_read(pk: int) -> _Saved:
    """Every row of filing `pk`, in a fixed number of queries."""
    filing = (
        Filing.objects.select_related(
            "department__jurisdiction",
            "fiscal_year__default_template",
            "template",
            "form_template",
            "profile",
            "funds",
            "report",
        )
        .prefetch_related(
            Prefetch("basic_rows", queryset=BasicDataRow.objects.order_by("position", "pk")),
            Prefetch("project_items", queryset=ProjectItem.objects.order_by("position", "pk")),
            Prefetch("buildings", queryset=Building.objects.order_by("position", "pk")),
            Prefetch(
                "indicators",
                queryset=Indicator.objects.filter(project__isnull=True).order_by("position", "pk"),
                to_attr="own_indicators",
            ),
            Prefetch(
                "projects",
                queryset=Project.objects.order_by("position", "pk").prefetch_related(
                    Prefetch("indicators", queryset=Indicator.objects.order_by("position", "pk"))
                ),
            ),
        )
        .get(pk=pk)
    )
    projects = list(filing.projects.all())
    return _Saved(
        filing=filing,
        profile=getattr(filing, "profile", None),
        funds=getattr(filing, "funds", None),
        report=getattr(filing, "report", None),
        basic_rows={row.key: row for row in filing.basic_rows.all()},
        project_items=list(filing.project_items.all()),
        buildings=list(filing.buildings.all()),
        indicators=list(filing.own_indicators),
        projects=projects,
        project_indicators={project.pk: list(project.indicators.all()) for project in projects},
    )


def _values(instance, names) -> dict:
    return {name: getattr(instance, name) for name in names}


def _line_is_empty(line) -> bool:
    return line is None or all(getattr(line, name) is None for name in _FUND_AMOUNTS)


def indicator_document(row: Indicator) -> doc.Indicator:
    """The document form of one saved (or posted) indicator row."""
    return doc.Indicator(**_values(row, INDICATOR_KEYS))


def project_document(project: Project, *, indicators: list | None = None) -> doc.Project:
    """The document form of a 附件3 project row: the one mapping of its columns.

    `indicators` are its indicator rows (model instances); None reads the
    saved ones. A fund line with nothing filled in is None."""
    lines = {}
    for key, prefix in PROJECT_FUND_LINES.items():
        line = doc.FundLine(
            **{name: getattr(project, f"{prefix}_{name}") for name in _FUND_AMOUNTS}
        )
        lines[key] = None if _line_is_empty(line) else line
    if indicators is None:
        indicators = project.indicators.order_by("position", "pk")
    return doc.Project(
        name=project.name,
        department_in_charge=project.department_in_charge,
        implementer=project.implementer,
        funds=doc.ProjectFunds(weight=project.weight, **lines),
        goal=doc.Goal(expected=project.goal_expected, actual=project.goal_actual),
        indicators=[indicator_document(row) for row in indicators],
    )


def _department(filing: Filing) -> doc.Department:
    return doc.Department(
        name=filing.department.name,
        jurisdiction=filing.department.jurisdiction.name,
        code=filing.department.code,
    )


def form_template_identity(filing: Filing) -> tuple[str, str]:
    """(code, version) of the form template `filing` is made on; a row made
    outside the services names none and is of the Hunan forms."""
    if filing.form_template_id is None:
        return HUNAN_CODE, HUNAN_VERSION
    return filing.form_template.code, filing.form_template.version


def _document_of(saved: _Saved) -> tuple[FilingDocument, RowKeys]:
    filing = saved.filing
    template_code, template_version = form_template_identity(filing)
    profile = saved.profile or Profile()
    funds = saved.funds or Funds()
    report = saved.report or Report()
    document = FilingDocument(
        fiscal_year=filing.fiscal_year.year,
        department=_department(filing),
        template=filing.template.name if filing.template_id else None,
        profile=doc.Profile(**_values(profile, _PROFILE_TEXTS)),
        staffing=doc.Staffing(**_values(profile, _STAFFING)),
        funds=doc.Funds(
            **_values(funds, (*_FUND_AMOUNTS, "weight")),
            by_source=doc.FundsBySource(**_values(funds, _FUNDS_FIELDS["by_source"])),
            by_nature=doc.FundsByNature(**_values(funds, _FUNDS_FIELDS["by_nature"])),
            basic_detail=doc.BasicDetail(**_values(funds, _FUNDS_FIELDS["basic_detail"])),
        ),
        basic_data=doc.BasicData(
            rows={
                key: doc.Columns(**_values(saved.basic_rows[key], _COLUMNS))
                if key in saved.basic_rows
                else doc.Columns()
                for key in BASIC_ROW_KEYS
            },
            project_items=[
                doc.ProjectItem(name=item.name, **_values(item, _COLUMNS))
                for item in saved.project_items
            ],
            buildings=[
                doc.Building(name=building.name, **_values(building, _BUILDING_AMOUNTS))
                for building in saved.buildings
            ],
            austerity_measures=filing.austerity_measures,
        ),
        overall_goal=doc.Goal(expected=filing.goal_expected, actual=filing.goal_actual),
        indicators=[indicator_document(row) for row in saved.indicators],
        projects=[
            project_document(project, indicators=saved.project_indicators[project.pk])
            for project in saved.projects
        ],
        report=doc.Report(**_values(report, REPORT_KEYS)),
        contact=doc.Contact(
            preparer=filing.preparer,
            phone=filing.phone,
            date=filing.filled_on.isoformat() if filing.filled_on else "",
            head=filing.head,
        ),
        template_code=template_code,
        template_version=template_version,
    )
    return document, _keys_of(saved)


def _keys_of(saved: _Saved) -> RowKeys:
    return RowKeys(
        indicators=[row.pk for row in saved.indicators],
        projects=[project.pk for project in saved.projects],
        project_indicators={
            project.pk: [row.pk for row in saved.project_indicators[project.pk]]
            for project in saved.projects
        },
    )


def filing_document_read(*, filing: Filing) -> tuple[FilingDocument, RowKeys]:
    """The saved `filing` with all its parts (rows in position order) as a
    document, with the primary keys of the rows it lists, in a fixed number
    of queries. Any caller that holds the filing (permission checked) may use it."""
    return _document_of(_saved_read(filing.pk))


def filing_document(*, filing: Filing) -> FilingDocument:
    """`filing_document_read` without the row keys."""
    return filing_document_read(filing=filing)[0]


# --- document → JSON ------------------------------------------------------------------


def decimal_text(value) -> str | None:
    """An amount as the JSON forms write it: a string with 2 places, or None."""
    return None if value is None else str(quantize(value))


def _columns_dict(columns, names) -> dict:
    return {name: decimal_text(getattr(columns, name)) for name in names}


def _indicator_dict(indicator) -> dict:
    return {
        "level1": indicator.level1,
        "level2": indicator.level2,
        "name": indicator.name,
        "target": indicator.target,
        "actual": indicator.actual,
        "weight": decimal_text(indicator.weight),
        "score": decimal_text(indicator.score),
        "deviation": indicator.deviation,
        "applicable": indicator.applicable,
    }


def _fund_line_dict(line):
    if _line_is_empty(line):
        return None
    return _columns_dict(line, _FUND_AMOUNTS)


def document_to_dict(*, document: FilingDocument, computed: dict | None = None) -> dict:
    """The `perfeval-filing/2` JSON form of `document`, keys in the order of
    docs/filing-format.md: the `/1` form with `form_template` (the document's
    code and version) after `format`.

    Amounts are decimal strings with 2 places, empty amounts null, empty texts
    "" (the department code, contact date and template null when empty, as in
    the spec's examples). `computed`, when given, is appended as is.
    """
    funds = document.funds
    data = {
        "format": FORMAT,
        "form_template": {"code": document.template_code, "version": document.template_version},
        "fiscal_year": document.fiscal_year,
        "department": {
            "name": document.department.name,
            "jurisdiction": document.department.jurisdiction,
            "code": document.department.code or None,
        },
        "template": document.template or None,
        "profile": _values(document.profile, _PROFILE_TEXTS),
        "staffing": _values(document.staffing, _STAFFING),
        "funds": {
            **_columns_dict(funds, (*_FUND_AMOUNTS, "weight")),
            **{
                group: _columns_dict(getattr(funds, group), names)
                for group, names in _FUNDS_FIELDS.items()
            },
        },
        "basic_data": {
            "rows": {
                key: _columns_dict(document.basic_data.rows.get(key) or doc.Columns(), _COLUMNS)
                for key in BASIC_ROW_KEYS
            },
            "project_items": [
                {"name": item.name, **_columns_dict(item, _COLUMNS)}
                for item in document.basic_data.project_items
            ],
            "buildings": [
                {"name": building.name, **_columns_dict(building, _BUILDING_AMOUNTS)}
                for building in document.basic_data.buildings
            ],
            "austerity_measures": document.basic_data.austerity_measures,
        },
        "overall_goal": {
            "expected": document.overall_goal.expected,
            "actual": document.overall_goal.actual,
        },
        "indicators": [_indicator_dict(indicator) for indicator in document.indicators],
        "projects": [
            {
                "name": project.name,
                "department_in_charge": project.department_in_charge,
                "implementer": project.implementer,
                "funds": {
                    "weight": decimal_text(project.funds.weight),
                    **{
                        key: _fund_line_dict(getattr(project.funds, key))
                        for key in PROJECT_FUND_LINES
                    },
                },
                "goal": {"expected": project.goal.expected, "actual": project.goal.actual},
                "indicators": [_indicator_dict(indicator) for indicator in project.indicators],
            }
            for project in document.projects
        ],
        "report": _values(document.report, REPORT_KEYS),
        "contact": {
            "preparer": document.contact.preparer,
            "phone": document.contact.phone,
            "date": document.contact.date or None,
            "head": document.contact.head,
        },
    }
    if computed is not None:
        data["computed"] = computed
    return data


# --- document → rows ------------------------------------------------------------------


def _money(instance, names) -> dict:
    return {name: quantize(getattr(instance, name)) for name in names}


def _filing_values(document: FilingDocument) -> dict:
    contact = document.contact
    return {
        "goal_expected": document.overall_goal.expected,
        "goal_actual": document.overall_goal.actual,
        "austerity_measures": document.basic_data.austerity_measures,
        "preparer": contact.preparer,
        "phone": contact.phone,
        "filled_on": date.fromisoformat(contact.date) if contact.date else None,
        "head": contact.head,
    }


def _profile_values(document: FilingDocument) -> dict:
    return {
        **_values(document.profile, _PROFILE_TEXTS),
        **_values(document.staffing, _STAFFING),
    }


def _funds_values(document: FilingDocument) -> dict:
    funds = document.funds
    values = _money(funds, (*_FUND_AMOUNTS, "weight"))
    for group, names in _FUNDS_FIELDS.items():
        values |= _money(getattr(funds, group), names)
    return values


def _indicator_values(row: doc.Indicator) -> dict:
    values = _values(row, INDICATOR_KEYS)
    return values | _money(row, _INDICATOR_AMOUNTS)


def _project_values(project: doc.Project) -> dict:
    values = {
        "name": project.name,
        "department_in_charge": project.department_in_charge,
        "implementer": project.implementer,
        "weight": quantize(project.funds.weight),
        "goal_expected": project.goal.expected,
        "goal_actual": project.goal.actual,
    }
    for key, prefix in PROJECT_FUND_LINES.items():
        line = getattr(project.funds, key) or doc.FundLine()
        for name in _FUND_AMOUNTS:
            values[f"{prefix}_{name}"] = quantize(getattr(line, name))
    return values


class RowWriter:
    """Writes the rows of one filing that differ from a document, and
    remembers whether it wrote anything (`changed`). The write paths of both
    layouts (here and services.generic_persistence) use it, inside their
    transaction with the filing row locked."""

    def __init__(self, filing: Filing):
        self.filing = filing
        self.changed = False

    def update(self, instance, values: dict) -> None:
        """Save the `values` of `instance` that differ, and only those."""
        names = [name for name, value in values.items() if getattr(instance, name) != value]
        if not names:
            return
        for name in names:
            setattr(instance, name, values[name])
        instance.save(update_fields=names)
        self.changed = True

    def single(self, model, instance, values: dict):
        """The one row of `model` (Profile, Funds, Report), created if missing."""
        if instance is None:
            self.changed = True
            return model.objects.create(filing=self.filing, **values)
        self.update(instance, values)
        return instance

    def table(self, model, saved: list, rows: list[dict], **common) -> tuple[list, list]:
        """Rows by position: saved rows updated in place, extra rows built
        (not yet inserted, see `insert`), trailing saved rows deleted.
        Returns (kept rows, new rows), both in position order."""
        kept, new = [], []
        for position, values in enumerate(rows):
            values = {**values, "position": position}
            if position < len(saved):
                self.update(saved[position], values)
                kept.append(saved[position])
            else:
                new.append(model(filing=self.filing, **common, **values))
        gone = [row.pk for row in saved[len(rows) :]]
        if gone:
            model.objects.filter(pk__in=gone).delete()
            self.changed = True
        return kept, new

    def insert(self, model, rows: list) -> None:
        # One INSERT per table: a new filing or a long import adds many rows.
        if rows:
            model.objects.bulk_create(rows)
            self.changed = True


def _rows_write(saved: _Saved, document: FilingDocument) -> tuple[bool, RowKeys]:
    """Write what of `document` differs from `saved` (the filing row's
    content columns excepted, see `_filing_write`); (changed, row keys)."""
    writer = RowWriter(saved.filing)
    writer.single(Profile, saved.profile, _profile_values(document))
    writer.single(Funds, saved.funds, _funds_values(document))
    writer.single(Report, saved.report, _values(document.report, REPORT_KEYS))

    new_basic = []
    for position, key in enumerate(BASIC_ROW_KEYS):
        columns = document.basic_data.rows.get(key) or doc.Columns()
        values = {**_money(columns, _COLUMNS), "position": position}
        row = saved.basic_rows.get(key)
        if row is None:
            new_basic.append(BasicDataRow(filing=saved.filing, key=key, **values))
        else:
            writer.update(row, values)
    writer.insert(BasicDataRow, new_basic)

    for model, saved_rows, rows in (
        (
            ProjectItem,
            saved.project_items,
            [
                {"name": item.name, **_money(item, _COLUMNS)}
                for item in document.basic_data.project_items
            ],
        ),
        (
            Building,
            saved.buildings,
            [
                {"name": building.name, **_money(building, _BUILDING_AMOUNTS)}
                for building in document.basic_data.buildings
            ],
        ),
    ):
        _kept, new = writer.table(model, saved_rows, rows)
        writer.insert(model, new)

    kept, new_own = writer.table(
        Indicator, saved.indicators, [_indicator_values(row) for row in document.indicators]
    )
    own_indicators = kept + new_own
    kept_projects, new_projects = writer.table(
        Project, saved.projects, [_project_values(project) for project in document.projects]
    )
    writer.insert(Project, new_projects)
    new_indicators = list(new_own)
    project_indicators = {}
    for project, source in zip(kept_projects + new_projects, document.projects, strict=True):
        rows = [_indicator_values(row) for row in source.indicators]
        kept, new = writer.table(
            Indicator, saved.project_indicators.get(project.pk, []), rows, project=project
        )
        new_indicators += new
        project_indicators[project] = kept + new
    writer.insert(Indicator, new_indicators)
    keys = RowKeys(
        indicators=[row.pk for row in own_indicators],
        projects=[project.pk for project in kept_projects + new_projects],
        project_indicators={
            project.pk: [row.pk for row in rows] for project, rows in project_indicators.items()
        },
    )
    return writer.changed, keys


def _template_named(name: str | None) -> ScoringTemplate | None:
    # The callers have checked that the name exists (filing_import refuses an
    # unknown one); a page keeps the filing's own.
    return ScoringTemplate.objects.get(name=name) if name else None


def _filing_write(filing: Filing, document: FilingDocument) -> bool:
    """Save the content columns of the filing row that differ (and its 评分模板)."""
    values = _filing_values(document)
    current = filing.template.name if filing.template_id else None
    if (document.template or None) != current:
        values["template"] = _template_named(document.template)
    names = [name for name, value in values.items() if getattr(filing, name) != value]
    if not names:
        return False
    for name in names:
        setattr(filing, name, values[name])
    filing.save(update_fields=names)
    return True


# --- the stored figures and the pages' copy ---------------------------------------------


def _figures(filing: Filing, document: FilingDocument) -> dict:
    """总分, 等次, 执行率, the finding counts and the number of missing parts of
    `document`, scored with `filing`'s template, as Filing columns."""
    template = filing.scoring_template
    score = document_score(document=document, template=template)
    findings = document_validate(document=document, template=template, score=score)
    return {
        "total_score": score.total_score,
        "grade": score.grade,
        "execution_rate": score.execution_rate,
        "error_count": sum(1 for finding in findings if finding.kind == "error"),
        "warning_count": sum(1 for finding in findings if finding.kind == "warning"),
        "missing_count": len(document_missing_parts(document=document, findings=findings)),
    }


def filing_cache_store(
    *, filing_pk: int, version: int, document: FilingDocument, keys: RowKeys
) -> None:
    """Store `document` with its row keys as the pages' copy of `version`."""
    data = {
        "format": CACHE_FORMAT,
        "document": document_to_dict(document=document),
        "indicators": keys.indicators,
        "projects": keys.projects,
        # JSON object keys are strings; a list of pairs keeps the project pks ints.
        "project_indicators": list(keys.project_indicators.items()),
    }
    FilingCache.objects.bulk_create(
        [FilingCache(filing_id=filing_pk, version=version, data=data)],
        update_conflicts=True,
        unique_fields=["filing"],
        update_fields=["version", "data"],
    )


def filing_summary_store(*, filing: Filing, document: FilingDocument, keys: RowKeys) -> Filing:
    """Store the figures of `document` (the saved content of `filing`, read
    with `keys`) on the filing row, and the document as the pages' copy of
    `filing.version`, which must be the row's. Nothing else is written."""
    figures = _figures(filing, document)
    for name, value in figures.items():
        setattr(filing, name, value)
    Filing.objects.filter(pk=filing.pk).update(**figures)
    filing_cache_store(filing_pk=filing.pk, version=filing.version, document=document, keys=keys)
    return filing


# --- the write ------------------------------------------------------------------------


def actor_name(actor) -> str:
    """The name a FilingRevision records for `actor`: the user's username, or
    系统 (SYSTEM_ACTOR_NAME) for None, the server itself."""
    return actor.get_username() if actor is not None else SYSTEM_ACTOR_NAME


def _as_written(filing: Filing, document: FilingDocument) -> FilingDocument:
    """`document` as the filing now reads: its department, year and form
    template are the filing's (a document never changes them), its scoring
    template the one written."""
    template_code, template_version = form_template_identity(filing)
    return replace(
        document,
        fiscal_year=filing.fiscal_year.year,
        department=_department(filing),
        template=filing.template.name if filing.template_id else None,
        template_code=template_code,
        template_version=template_version,
    )


def _finish(
    filing: Filing, document: FilingDocument, keys: RowKeys, *, actor, source: str
) -> WriteResult:
    """Store the figures, the revision and the pages' copy of the version
    `filing.version` just written."""
    document = _as_written(filing, document)
    figures = _figures(filing, document)
    for name, value in figures.items():
        setattr(filing, name, value)
    filing.updated_at = timezone.now()
    Filing.objects.filter(pk=filing.pk).update(
        version=filing.version, updated_at=filing.updated_at, **figures
    )
    revision = FilingRevision.objects.create(
        filing=filing,
        version=filing.version,
        document=document_to_dict(document=document),
        actor=actor,
        actor_name=actor_name(actor),
        source=source,
    )
    filing_cache_store(filing_pk=filing.pk, version=filing.version, document=document, keys=keys)
    return WriteResult(filing=filing, changed=True, keys=keys, revision=revision)


def _check_limits(document: FilingDocument) -> None:
    problems = document_check_limits(document)
    if problems:
        raise FilingTooLarge([problem.message for problem in problems])


def filing_document_write(
    *,
    filing: Filing,
    document: FilingDocument,
    actor,
    expected_version: int | None,
    source: str,
) -> WriteResult:
    """Make the saved content of `filing` equal to `document`, writing only
    what differs, as the new version of the filing by `actor` (a user, or
    None for the system) through `source` (a FilingRevision.Source).

    In one transaction with the filing row locked: refused with
    FilingNotEditable unless the filing is a draft or returned, with
    StaleFiling when its version is not `expected_version` (None is always
    stale), and with FilingTooLarge when `document` exceeds a bound of
    core/limits.py; nothing is written then. The document's department and
    fiscal year are not written (a filing keeps its own); its `template`
    must name an existing scoring template or be None.

    When nothing differs nothing is written and `changed` is False.
    Otherwise the differing rows and columns are written, the version goes up
    by one and a FilingRevision of the new version is stored, with the
    figures and the pages' copy. The caller has checked that `actor` may
    write the filing.
    """
    with transaction.atomic():
        locked = filing_lock(filing=filing, expected_version=expected_version)
        _check_limits(document)
        saved = _saved_read(locked.pk)
        # The row as locked, not as read with all its rows: the filing
        # returned must not carry their (soon stale) prefetched copies.
        filing_changed = _filing_write(locked, document)
        rows_changed, keys = _rows_write(saved, document)
        if not (filing_changed or rows_changed):
            return WriteResult(filing=locked, changed=False, keys=keys)
        locked.version += 1
        return _finish(locked, document, keys, actor=actor, source=source)


def filing_document_create(
    *,
    department,
    fiscal_year,
    document: FilingDocument,
    actor,
    source: str,
    form_template,
    prefilled_from_year: int | None = None,
) -> WriteResult:
    """Create the draft filing of `department` for `fiscal_year` with
    `document` as its content: version 1, with its FilingRevision, figures and
    pages' copy, every 附件1 row present. `prefilled_from_year` records the
    year the content was copied from (the pages then ask for a check of the
    copied rows). The document's department and year are not read. The
    filing is made on `form_template`, a Hunan-layout FormTemplate (the
    caller looks it up, services.form_templates.form_template_for: this
    module imports only the core and the models).

    Raises FilingTooLarge beyond a bound of core/limits.py, and IntegrityError
    (nothing written) when the filing exists already.
    """
    _check_limits(document)
    with transaction.atomic():
        filing = Filing(
            department=department,
            fiscal_year=fiscal_year,
            template=_template_named(document.template),
            prefilled_from_year=prefilled_from_year,
            form_template=form_template,
            **_filing_values(document),
        )
        filing.save()
        _changed, keys = _rows_write(_Saved(filing=filing), document)
        return _finish(filing, document, keys, actor=actor, source=source)
