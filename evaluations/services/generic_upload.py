"""An uploaded JSON file or workbook of a generic filing, before it is
written: read against the filing's template, checked to be this filing's,
and compared with what is saved (the preview the officer confirms). Nothing
here writes; services.generic_persistence.generic_document_write does, on
confirmation."""

import json
from dataclasses import dataclass, field

from evaluations.core.generic import (
    DocumentError,
    GenericDocument,
    GenericScore,
    generic_changes,
    generic_document_from_json,
    generic_missing_parts,
    generic_score,
    generic_validate,
)
from evaluations.core.template import FormTemplate
from evaluations.models import GRADE_INCOMPLETE, Filing
from evaluations.services.generic_persistence import generic_document_read


def generic_upload_read(*, data: bytes, name: str, template: FormTemplate) -> GenericDocument:
    """The document of an uploaded JSON file or Excel workbook (`name` is the
    uploaded file's name) of a filing on `template`. Raises DocumentError
    listing every problem."""
    if name.lower().endswith(".xlsx") or data[:2] == b"PK":
        from evaluations.services.excel import WorkbookError
        from evaluations.services.generic_excel import generic_document_from_workbook

        try:
            return generic_document_from_workbook(data, template=template)
        except WorkbookError as error:
            problems = getattr(error, "problems", None) or [error]
            raise DocumentError([_problem(problem) for problem in problems]) from None
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        from evaluations.core.template import TemplateProblem

        raise DocumentError(
            [TemplateProblem("$", "文件不是 UTF-8 编码的 JSON，也不是 Excel 工作簿（.xlsx）。")]
        ) from None
    if isinstance(raw, dict):
        raw = {key: value for key, value in raw.items() if key != "computed"}
    return generic_document_from_json(raw, template)


def _problem(problem):
    from evaluations.core.template import TemplateProblem

    where = " ".join(
        str(part) for part in (getattr(problem, "sheet", ""), getattr(problem, "cell", "")) if part
    )
    return TemplateProblem(where or "$", getattr(problem, "message", "") or str(problem))


def upload_check_same_filing(*, document: GenericDocument, filing: Filing) -> None:
    """An uploaded file must be this filing's: its department and year."""
    from evaluations.core.template import TemplateProblem

    named = (document.department.name, document.fiscal_year)
    if named != (filing.department.name, filing.fiscal_year.year):
        raise DocumentError(
            [
                TemplateProblem(
                    "department",
                    f"文件是{document.department.name} {document.fiscal_year}年度的，"
                    f"不是本填报（{filing.department.name} {filing.fiscal_year.year}年度）的。",
                )
            ]
        )


@dataclass
class UploadFigures:
    """The score panel's figures of one side of an upload preview."""

    score: GenericScore
    complete: bool

    @property
    def grade_shown(self) -> str:
        return self.score.grade if self.complete else GRADE_INCOMPLETE


@dataclass
class UploadPreview:
    """What confirming an upload would change (core.generic.generic_changes,
    labelled from the template), the figures before and after, and the
    findings the filing would have."""

    filename: str
    version: int
    changes: list
    before: UploadFigures
    after: UploadFigures
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def _figures(document: GenericDocument, template: FormTemplate):
    score = generic_score(document, template)
    findings = generic_validate(document, template, score)
    missing = generic_missing_parts(document, template, findings)
    return UploadFigures(score=score, complete=not missing), findings


def generic_upload_preview(
    *, filing: Filing, template: FormTemplate, document: GenericDocument, filename: str
) -> UploadPreview:
    """Compare an uploaded `document` with the saved filing, in memory:
    nothing is written."""
    before = generic_document_read(filing)
    figures_before, _ = _figures(before, template)
    figures_after, findings = _figures(document, template)
    return UploadPreview(
        filename=filename,
        version=filing.version,
        changes=generic_changes(before, document, template),
        before=figures_before,
        after=figures_after,
        errors=[finding for finding in findings if finding.kind == "error"],
        warnings=[finding for finding in findings if finding.kind != "error"],
    )
