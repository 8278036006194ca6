"""Saving what the officer typed into the filing pages.

Any part may be saved at any time as a draft: the forms have already refused
bad single values, and everything that spans rows or parts is reported by the
validation service as a finding, never refused here. The filing's status is
not touched (the workflow service owns it); a filing whose status does not
allow editing is refused as a whole.

A page save becomes the whole new document of the filing (the saved one with
the page's forms applied, `summary.document_with_page`, the same computation
the live preview shows) and is written by the one write path,
`persistence.filing_document_write`, which writes only the rows that differ
and records the version as a revision.

Every write names the version of the filing the officer's page was rendered
from (`expected_version`): when the filing has been saved or moved since, the
write is refused with StaleFiling instead of silently overwriting the other
person's work (optimistic concurrency; the version check runs on the locked row).
"""

from collections.abc import Iterable

from django.db import transaction

from evaluations.core import document as doc
from evaluations.core.limits import MAX_PROJECTS
from evaluations.models import Filing, FilingRevision, Project
from evaluations.services.persistence import (
    FilingNotEditable,
    FilingTooLarge,
    StaleFiling,
    WriteResult,
    filing_check_editable,
    filing_document_read,
    filing_document_write,
    filing_lock,
)
from evaluations.services.summary import document_with_page

# The refusals of a page write, importable from here by the views.
__all__ = [
    "FilingNotEditable",
    "FilingTooLarge",
    "StaleFiling",
    "filing_check_editable",
    "filing_part_save",
    "project_add",
    "project_delete",
]


def _page_write(*, filing: Filing, actor, expected_version: int | None, change) -> WriteResult:
    """Lock `filing`, apply `change` (a function of the saved document and its
    row keys, returning the new document) and write the result as a page save.
    Updates `filing`'s version in place and returns what the write did."""
    with transaction.atomic():
        locked = filing_lock(filing=filing, expected_version=expected_version)
        saved, keys = filing_document_read(filing=locked)
        result = filing_document_write(
            filing=locked,
            document=change(saved, keys),
            actor=actor,
            expected_version=expected_version,
            source=FilingRevision.Source.PAGE,
        )
    filing.version = result.filing.version
    filing.updated_at = result.filing.updated_at
    return result


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

    Formset rows take the submitted order (顺序, blank rows last), rows marked
    删除 go, new rows join the table (for indicators of a 附件3 table, that of
    `project`); rows are then written by position, only those that differ. The
    filing's version goes up by one, unless the page changed nothing, which
    writes nothing.

    Raises FilingNotEditable when the filing's status does not allow editing,
    StaleFiling when its version is no longer `expected_version` (the version
    the page was rendered from; None, i.e. unknown, is always stale), and
    FilingTooLarge when the result would exceed a bound of core/limits.py;
    nothing is written then. Called by the filing pages on behalf of `actor`,
    whose right to write the filing the caller has checked.
    """
    forms, formsets = list(forms), list(formsets)

    def change(saved, keys):
        return document_with_page(
            document=saved, keys=keys, forms=forms, formsets=formsets, project=project
        )

    _page_write(filing=filing, actor=actor, expected_version=expected_version, change=change)
    return filing


def project_add(*, filing: Filing, actor, name: str, expected_version: int | None) -> Project:
    """Add an empty 附件3 project table named `name` at the end of the list, with
    the template's 执行率分值 filled in. Raises FilingNotEditable, StaleFiling
    when the filing is no longer at `expected_version`, or FilingTooLarge when
    it has MAX_PROJECTS projects already."""

    def change(saved, keys):
        existing = len(saved.projects)
        if existing >= MAX_PROJECTS:
            raise FilingTooLarge(
                [f"附件3 最多 {MAX_PROJECTS} 个项目，本填报已有 {existing} 个，不能再增加。"]
            )
        weight = filing.scoring_template.execution_weight
        new = doc.Project(name=name, funds=doc.ProjectFunds(weight=weight))
        saved.projects = [*saved.projects, new]
        return saved

    result = _page_write(
        filing=filing, actor=actor, expected_version=expected_version, change=change
    )
    return Project.objects.get(pk=result.keys.projects[-1])


def project_delete(
    *, filing: Filing, actor, project: Project, expected_version: int | None
) -> None:
    """Remove a 附件3 project table with its indicators; the tables after it
    move up one place (rows are written by position). Raises
    FilingNotEditable, StaleFiling when the filing is no longer at
    `expected_version`, or ValueError for a project of another filing."""

    def change(saved, keys):
        if project.pk not in keys.projects:
            raise ValueError("该项目不属于此填报。")
        index = keys.projects.index(project.pk)
        saved.projects = saved.projects[:index] + saved.projects[index + 1 :]
        return saved

    _page_write(filing=filing, actor=actor, expected_version=expected_version, change=change)
