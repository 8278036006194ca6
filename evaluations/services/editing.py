"""Saving what the officer typed into the filing pages.

Any part may be saved at any time as a draft: the forms have already refused
bad single values, and everything that spans rows or parts is reported by the
validation service as a finding, never refused here. The filing's status is
not touched (the workflow service owns it); a filing whose status does not
allow editing is refused as a whole.

Every write names the version of the filing the officer's page was rendered
from (`expected_version`): when the filing has been saved or moved since, the
write is refused with StaleFiling instead of silently overwriting the other
person's work (optimistic concurrency; the version check runs on the locked row).
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from evaluations.core.limits import MAX_PROJECTS, document_check_limits
from evaluations.models import Filing, Indicator, Project
from evaluations.services.summary import filing_summary_refresh


class FilingNotEditable(Exception):
    """The filing is 已报送, 已审核 or 已公开: officers may not change it."""


class StaleFiling(Exception):
    """The filing changed since the page that sent this write was rendered."""

    MESSAGE = "该填报已被他人修改，请刷新后重试"

    def __init__(self, *, expected_version: int | None, current_version: int):
        super().__init__(self.MESSAGE)
        self.message = self.MESSAGE
        self.expected_version = expected_version
        self.current_version = current_version


class FilingTooLarge(Exception):
    """The write would take the filing past a bound of services/limits.py.

    `messages` says, in Chinese, each bound it would exceed."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


def _not_editable(filing: Filing) -> FilingNotEditable:
    return FilingNotEditable(
        f"该填报当前状态为“{filing.get_status_display()}”，不能修改；"
        "只有草稿或已退回的填报可以编辑。"
    )


def filing_check_editable(*, filing: Filing) -> None:
    """Raise FilingNotEditable when `filing`'s status (as read) allows no
    writes. For views that refuse early; the writes below check again on the
    locked row."""
    if not filing.is_editable:
        raise _not_editable(filing)


def _lock_editable(filing: Filing, *, expected_version: int | None) -> Filing:
    locked = Filing.objects.select_for_update().get(pk=filing.pk)
    if not locked.is_editable:
        raise _not_editable(locked)
    if locked.version != expected_version:
        raise StaleFiling(expected_version=expected_version, current_version=locked.version)
    return locked


def _bump_version(filing: Filing) -> None:
    now = timezone.now()
    Filing.objects.filter(pk=filing.pk).update(version=F("version") + 1, updated_at=now)
    filing.refresh_from_db(fields=["version", "updated_at"])
    filing_summary_refresh(filing=filing)


def _save_instance(form) -> None:
    instance = form.save(commit=False)
    if instance.pk is None:
        instance.save()
        return
    # Only the columns the form edits: a stale in-memory Filing must not
    # overwrite its status or version.
    names = [
        model_field.name
        for model_field in instance._meta.concrete_fields
        if model_field.name in form.cleaned_data and not model_field.primary_key
    ]
    instance.save(update_fields=names)


def _save_formset(formset, *, filing: Filing, project: Project | None) -> None:
    if not formset.can_order:
        # Fixed rows (附件1): their number and order are the official form's.
        for form in formset.initial_forms:
            if form.has_changed():
                _save_instance(form)
        return
    for form in formset.deleted_forms:
        if form.instance.pk is not None:
            form.instance.delete()
    # The submitted order (顺序 field, blank rows last) becomes position 0..n-1.
    for position, form in enumerate(formset.ordered_forms):
        in_place = form.instance.pk is not None and form.instance.position == position
        if in_place and not form.has_changed():
            # Untouched and in place: an UPDATE would only cost a query per
            # row and write nothing new.
            continue
        instance = form.save(commit=False)
        instance.position = position
        if instance.filing_id is None:
            instance.filing = filing
        if isinstance(instance, Indicator) and instance.pk is None:
            instance.project = project
        instance.save()


@transaction.atomic
def filing_part_save(
    *,
    filing: Filing,
    actor,
    expected_version: int | None,
    forms: Iterable = (),
    formsets: Iterable = (),
    project: Project | None = None,
) -> Filing:
    """Save the valid bound `forms` and ordered `formsets` of one filing page.

    Formset rows are renumbered 0..n-1 in the submitted order, removed rows are
    deleted, and new rows are attached to `filing` (and, for indicators of a
    附件3 table, to `project`). The filing's version goes up by one.

    Raises FilingNotEditable when the filing's status does not allow editing,
    and StaleFiling when its version is no longer `expected_version` (the
    version the page was rendered from; None, i.e. unknown, is always stale);
    nothing is written then. Called by the filing pages on behalf of `actor`,
    whose right to write the filing the caller has checked.
    """
    _lock_editable(filing, expected_version=expected_version)
    for form in forms:
        _save_instance(form)
    for formset in formsets:
        _save_formset(formset, filing=filing, project=project)
    _check_limits(filing)
    _bump_version(filing)
    return filing


def _check_limits(filing: Filing) -> None:
    # The forms bound each table; what only the whole filing shows (rows and
    # table text of all its tables) is checked on what was just written, with
    # the check the importers use, and undone by the transaction if exceeded.
    from evaluations.services.interchange import filing_document

    problems = document_check_limits(filing_document(filing=filing))
    if problems:
        raise FilingTooLarge([problem.message for problem in problems])


@transaction.atomic
def project_add(*, filing: Filing, actor, name: str, expected_version: int | None) -> Project:
    """Add an empty 附件3 project table named `name` at the end of the list, with
    the template's 执行率分值 filled in. Raises FilingNotEditable, StaleFiling
    when the filing is no longer at `expected_version`, or FilingTooLarge when
    it has MAX_PROJECTS projects already."""
    _lock_editable(filing, expected_version=expected_version)
    existing = filing.projects.count()
    if existing >= MAX_PROJECTS:
        raise FilingTooLarge(
            [f"附件3 最多 {MAX_PROJECTS} 个项目，本填报已有 {existing} 个，不能再增加。"]
        )
    last = filing.projects.aggregate(last=Max("position"))["last"]
    project = Project.objects.create(
        filing=filing,
        name=name,
        position=0 if last is None else last + 1,
        weight=filing.scoring_template.execution_weight,
    )
    _bump_version(filing)
    return project


@transaction.atomic
def project_delete(
    *, filing: Filing, actor, project: Project, expected_version: int | None
) -> None:
    """Remove a 附件3 project table with its indicators and close the gap in
    the order. Raises FilingNotEditable, StaleFiling when the filing is no
    longer at `expected_version`, or ValueError for a project of another
    filing."""
    _lock_editable(filing, expected_version=expected_version)
    if project.filing_id != filing.pk:
        raise ValueError("该项目不属于此填报。")
    project.delete()
    for position, remaining in enumerate(filing.projects.order_by("position", "pk")):
        if remaining.position != position:
            Project.objects.filter(pk=remaining.pk).update(position=position)
    _bump_version(filing)
