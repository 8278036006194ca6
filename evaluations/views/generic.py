"""The pages of a filing on a generic-layout form template (Hubei, Hebei …).

One page shows the whole form as the template declares it — header, tables,
narrative, the officer's own total where the print has no points, 填报信息 —
around the same header, status buttons, score panel, findings list and save
bar as the Hunan pages (templates/evaluations/filing_base.html). Each view
parses the request, calls one service and renders:

- the page and its save go through generic_persistence.generic_document_write
  (a refused version is StaleFiling, shown with what changed meanwhile);
  a reviewer's 评定分数 while the filing is under review through
  generic_review.generic_review_scores_write;
- the live preview scores and validates the posted page in memory
  (core.generic) and writes, locks and opens nothing;
- the JSON and Excel downloads and the PDF are the other services'
  (generic_persistence, generic_excel, reports);
- an uploaded JSON file or workbook is first shown as a preview — every
  changed field, the score before and after, the findings — and written
  only when the officer confirms it, as views.excel does for Hunan
  workbooks: the parsed document waits in the session with the version it
  was compared with, so a filing saved meanwhile is not overwritten.

Findings name rows by their place in the document (`tables.<key>[n]`); the
page's forms list the rows in the same order (generic_forms), so each finding
links to the field it concerns.
"""

import json
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from evaluations import selectors
from evaluations.core.generic import (
    DocumentError,
    GenericDocument,
    generic_changes,
    generic_document_from_json,
    generic_document_to_json,
    generic_missing_parts,
    generic_score,
    generic_validate,
)
from evaluations.core.template import LABEL_CELL, FormTemplate
from evaluations.generic_forms import CELL_PREFIX, OFFICER, REASON, REVIEWER, GenericPageForms
from evaluations.models import GRADE_INCOMPLETE, Filing, FilingRevision
from evaluations.services.form_templates import filing_form_template
from evaluations.services.generic_persistence import (
    generic_document_read,
    generic_document_write,
    generic_filing_export_json,
)
from evaluations.services.generic_review import ReviewNotAllowed, generic_review_scores_write
from evaluations.services.generic_upload import (
    generic_upload_preview,
    generic_upload_read,
    upload_check_same_filing,
)
from evaluations.services.persistence import FilingNotEditable, StaleFiling
from evaluations.services.workflow import (
    MIN_REASON_LENGTH,
    TRANSITIONS,
    actor_may_make,
    move_waiting_reason,
    moves_available,
)
from perfeval.params import parse_int

CONFLICT = 409
BAD_REQUEST = 400
RENDERED_SALT = "evaluations.generic-page"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PART = "overview"
UNCHANGED = "文件与当前填报相同，未做任何修改。"
APPROVE = TRANSITIONS[(Filing.Status.SUBMITTED, Filing.Status.APPROVED)]
# Which cell of a row a finding about the row concerns (the field to jump to).
FINDING_ROLES = {
    "score_missing": "score",
    "score_out_of_range": "score",
    "score_differs": "score",
    "qualitative_band": "score",
    "actual_missing": "actual",
    "actual_not_comparable": "actual",
}


def filing_is_generic(filing: Filing) -> bool:
    return filing.layout == "generic"


def _template(filing: Filing) -> FormTemplate:
    return filing_form_template(filing).template()


def _generic_filing_get(*, user, pk) -> Filing:
    """The generic filing `pk` the user may see; Http404 for any other (a
    Hunan filing has its own pages)."""
    filing = selectors.filing_get_for_user(user=user, pk=pk)
    if not filing_is_generic(filing):
        raise Http404("该填报不使用通用表式，没有这个页面。")
    return filing


def page_editor(*, user, filing: Filing) -> str | None:
    """Who the page lets `user` edit as: OFFICER (its department's officer, the
    filing a draft or returned), REVIEWER (a reviewer of its jurisdiction who
    may approve it, the filing under review: 评定分数 only) or None."""
    if filing.is_editable and selectors.user_can_edit_filing(user=user, filing=filing):
        return OFFICER
    if filing.status == Filing.Status.SUBMITTED and actor_may_make(
        move=APPROVE, filing=filing, actor=user
    ):
        return REVIEWER
    return None


# --- the score panel and the findings ------------------------------------------------


@dataclass
class FindingItem:
    code: str
    kind: str
    message: str
    url: str


@dataclass
class MissingItem:
    label: str
    url: str


@dataclass
class GenericSummary:
    """What the score panel and the findings list show, as the Hunan
    FilingSummary does (templates/evaluations/_findings.html reads both)."""

    template: FormTemplate
    document: GenericDocument
    score: object
    errors: list[FindingItem] = field(default_factory=list)
    warnings: list[FindingItem] = field(default_factory=list)
    missing: list[MissingItem] = field(default_factory=list)

    @property
    def is_complete(self) -> bool:
        return not self.missing

    @property
    def grade_shown(self) -> str:
        return self.score.grade if self.is_complete else GRADE_INCOMPLETE

    @property
    def rule(self) -> str:
        """The one-line rule of 换算得分 (or why there is none)."""
        from evaluations.services.generic_pdf import rule_text

        if self.score.points == "officer_total":
            return self.score.note
        if self.score.points == "none":
            return "本表式不计分。"
        return rule_text(self.template)

    def figures(self) -> dict:
        """The panel's figures as text, for the live preview (js/preview.js)."""
        score = self.score

        def text(value):
            return "—" if value is None else f"{value:.2f}"

        return {
            "raw_total": text(score.raw_total),
            "applicable_maximum": text(score.applicable_maximum),
            "bonus_total": text(score.bonus_total if score.bonus else None),
            "deduction_total": text(score.deduction_total if score.deductions else None),
            "normalized_score": text(score.normalized),
            "grade": self.grade_shown or "—",
            "errors": len(self.errors),
            "warnings": len(self.warnings),
        }


def _anchor(where: str, code: str, page: GenericPageForms) -> str:
    """The id on the page of the field a finding at `where` concerns."""
    head, _, rest = where.partition(".")
    if head in ("header", "narrative", "contact") and rest:
        return f"id_{head}-{rest}"
    if head == "officer_total" and rest:
        return f"id_total-{rest}"
    if head == "tables" and "[" in rest:
        key, _, index = rest.partition("[")
        number = parse_int(index.split("]")[0])
        block = next((b for b in page.tables if b.table.key == key), None)
        rows = page.row_forms(key) if block is not None else []
        if number is None or number >= len(rows):
            return f"table-{key}"
        form = rows[number]
        role = FINDING_ROLES.get(code)
        column = block.table.column_for_role(role) if role else None
        if code == "not_applicable_reason_missing" and REASON in form.fields:
            return form[REASON].id_for_label
        if column is not None and form.cell_field(column.key) is not None:
            return form.cell_field(column.key).id_for_label
        if code == "required_missing":
            # The name of a free row, else the first required column left blank.
            wanted = [LABEL_CELL] if LABEL_CELL in form.fields else []
            wanted += [CELL_PREFIX + c.key for c in block.table.columns if c.required]
            for name in wanted:
                if name in form.fields and not form[name].value():
                    return form[name].id_for_label
        return f"row-{form.prefix}"
    if head == "tables":
        return f"table-{rest}"
    return "findings"


def generic_summary(
    *, filing: Filing, template: FormTemplate, document: GenericDocument, page: GenericPageForms
) -> GenericSummary:
    """Score and validate `document` (the saved filing or the posted page),
    each finding and missing part linked to its field on the page."""
    score = generic_score(document, template)
    findings = generic_validate(document, template, score)
    summary = GenericSummary(template=template, document=document, score=score)
    url = reverse("evaluations:filing_part", args=[filing.pk, PART])
    for finding in findings:
        item = FindingItem(
            code=finding.code,
            kind=finding.kind,
            message=str(finding.message),
            url=f"{url}#{_anchor(finding.where, finding.code, page)}",
        )
        (summary.errors if finding.kind == "error" else summary.warnings).append(item)
    for part in generic_missing_parts(document, template, findings):
        code = "score_missing" if part.where.startswith("tables") else "required_missing"
        summary.missing.append(
            MissingItem(label=part.label, url=f"{url}#{_anchor(part.where, code, page)}")
        )
    return summary


# --- the page -------------------------------------------------------------------------


def _saved_json(filing: Filing) -> dict:
    return generic_document_to_json(generic_document_read(filing))


def _rendered(filing: Filing, document: dict) -> str:
    return signing.dumps(
        {"filing": filing.pk, "version": filing.version, "document": document},
        salt=RENDERED_SALT,
        compress=True,
    )


def _changes_since(filing: Filing, template: FormTemplate, version, rendered: str):
    """What changed since the posted page was rendered, or None when its copy
    of the document is missing or not genuine."""
    try:
        data = signing.loads(rendered, salt=RENDERED_SALT)
    except signing.BadSignature:
        return None
    if data.get("filing") != filing.pk or data.get("version") != version:
        return None
    try:
        before = generic_document_from_json(data["document"], template)
    except DocumentError:
        return None
    return generic_changes(before, generic_document_read(filing), template)


def generic_page_context(request, filing: Filing, *, page=None, summary=None, **extra) -> dict:
    """What every page of a generic filing shows around its content (the
    header, status moves, return and withdrawal banners, the score panel and
    findings), as views.filing.page_context does for Hunan filings."""
    template = _template(filing)
    editor = page_editor(user=request.user, filing=filing)
    if page is None:
        page = GenericPageForms(template=template, document=_saved_json(filing), editor=editor)
    if summary is None:
        summary = generic_summary(
            filing=filing, template=template, document=generic_document_read(filing), page=page
        )
    last_return = selectors.filing_last_return(filing=filing)
    extra.setdefault(
        "next_url",
        request.get_full_path()
        if request.method == "GET"
        else reverse("evaluations:filing_part", args=[filing.pk, PART]),
    )
    return {
        "filing": filing,
        "generic": True,
        "form_template": template,
        "part": PART,
        "parts": ((PART, template.title),),
        "summary": summary,
        "summary_template": "evaluations/generic/_summary.html",
        "editable": editor is not None,
        "editor": editor,
        "page": page,
        "moves": sorted(
            (
                {
                    "action": move.action,
                    "label": move.label,
                    "reason_required": move.reason_required,
                    "waiting": move_waiting_reason(filing=filing, move=move),
                }
                for _to, move in moves_available(filing=filing, actor=request.user)
            ),
            key=lambda move: move["reason_required"],
        ),
        "min_reason_length": MIN_REASON_LENGTH,
        "last_return": last_return,
        "returned": filing.status == Filing.Status.RETURNED and last_return is not None,
        "withdrawal": selectors.filing_withdrawal(filing=filing),
        **extra,
    }


def _refused_html(items):
    def line(item):
        text = f"{item.label}：{item.message}" if item.label else item.message
        if not item.anchor:
            return format_html("<li>{}</li>", text)
        return format_html('<li><a href="#{}" class="alert-link">{}</a></li>', item.anchor, text)

    return format_html(
        "本页未保存：有 {} 处填写不符合要求，请按红色提示修改（点击可直接到达该处）："
        '<ul class="refused-fields mb-0">{}</ul>',
        len(items),
        format_html_join("", "{}", ((line(item),) for item in items)),
    )


def _problems_html(title: str, problems) -> str:
    return format_html(
        '{}<ul class="refused-fields mb-0">{}</ul>',
        title,
        format_html_join("", "<li>{}</li>", ((str(problem),) for problem in problems)),
    )


def _write(*, filing, editor, document, actor, expected_version, source):
    if editor == REVIEWER:
        return generic_review_scores_write(
            filing=filing, document=document, actor=actor, expected_version=expected_version
        )
    return generic_document_write(
        filing=filing,
        document=document,
        actor=actor,
        expected_version=expected_version,
        source=source,
    )


@require_http_methods(["GET", "POST"])
def filing_page(request, filing: Filing):
    """GET shows the whole form; POST saves it (a draft, or a reviewer's
    评定分数) or shows it again with the refused values in red. A filing that
    may no longer be written, or that changed since the page was rendered,
    is refused with 409 and nothing written."""
    template = _template(filing)
    editor = page_editor(user=request.user, filing=filing)
    saved = _saved_json(filing)
    if request.method == "GET":
        page = GenericPageForms(template=template, document=saved, editor=editor)
        return _render_page(request, filing, page, version=filing.version, saved=saved)
    if editor is None:
        if not selectors.user_can_edit_filing(user=request.user, filing=filing):
            raise PermissionDenied("只有本部门的填报人可以修改填报。")
        messages.error(
            request,
            f"该填报当前状态为“{filing.get_status_display()}”，不能修改；"
            "只有草稿或已退回的填报可以编辑。",
        )
        page = GenericPageForms(template=template, document=saved, editor=None)
        return _render_page(request, filing, page, status=CONFLICT)
    version = parse_int(request.POST.get("version"), low=1)
    page = GenericPageForms(template=template, document=saved, data=request.POST, editor=editor)
    if not page.is_valid():
        messages.error(request, _refused_html(page.refused()))
        return _render_page(request, filing, page, version=version, posted=True)
    try:
        document = generic_document_from_json(page.document_json(), template)
        result = _write(
            filing=filing,
            editor=editor,
            document=document,
            actor=request.user,
            expected_version=version,
            source=FilingRevision.Source.PAGE,
        )
    except DocumentError as error:
        messages.error(request, _problems_html("本页未保存：", error.problems))
        return _render_page(request, filing, page, version=version, posted=True)
    except (FilingNotEditable, ReviewNotAllowed) as error:
        messages.error(request, str(error))
        return _render_page(request, filing, page, version=version, posted=True, status=CONFLICT)
    except StaleFiling as error:
        messages.error(request, error.message)
        changes = _changes_since(filing, template, version, request.POST.get("rendered", ""))
        return _render_page(
            request,
            filing,
            page,
            version=version,
            posted=True,
            status=CONFLICT,
            stale=True,
            stale_changes=changes,
        )
    if editor == REVIEWER:
        messages.success(request, "已保存评定分数。")
    else:
        messages.success(request, "已保存（草稿）。" if result.changed else "没有修改，无需保存。")
    return redirect(request.path)


def _render_page(
    request, filing, page, *, version=None, saved=None, posted=False, status=200, **extra
):
    template = _template(filing)
    # The figures and findings of what is saved; the refused page shows what was typed.
    document = generic_document_read(filing)
    summary = generic_summary(filing=filing, template=template, document=document, page=page)
    page_version = None
    if page.editable:
        rendered = (
            request.POST.get("rendered", "")
            if posted
            else _rendered(filing, saved if saved is not None else _saved_json(filing))
        )
        page_version = {"version": version, "rendered": rendered}
    context = generic_page_context(
        request,
        filing,
        page=page,
        summary=summary,
        page_version=page_version,
        next_url=request.path,
        upload_max_kb=settings.PERFEVAL_MAX_IMPORT_BYTES // 1024,
        **extra,
    )
    return render(request, "evaluations/generic/filing.html", context, status=status)


@require_POST
def filing_preview(request, pk):
    """The figures and findings the page would have if saved now, computed in
    memory from the posted page: nothing is written, locked or opened as a
    transaction, so a preview never changes the filing or its version."""
    filing = _generic_filing_get(user=request.user, pk=pk)
    editor = page_editor(user=request.user, filing=filing)
    if editor is None:
        if not selectors.user_can_edit_filing(user=request.user, filing=filing):
            raise PermissionDenied("只有本部门的填报人可以修改填报。")
        message = f"该填报当前状态为“{filing.get_status_display()}”，不能修改。"
        return JsonResponse({"valid": False, "message": message}, status=CONFLICT)
    template = _template(filing)
    page = GenericPageForms(
        template=template, document=_saved_json(filing), data=request.POST, editor=editor
    )
    if not page.is_valid():
        return JsonResponse({"valid": False, "invalid_fields": page.error_count()})
    try:
        document = generic_document_from_json(page.document_json(), template)
    except DocumentError as error:
        return JsonResponse({"valid": False, "invalid_fields": len(error.problems)})
    summary = generic_summary(filing=filing, template=template, document=document, page=page)
    findings = render_to_string(
        "evaluations/_findings.html", {"summary": summary, "part": PART}, request=request
    )
    return JsonResponse({"valid": True, "figures": summary.figures(), "findings_html": findings})


# --- files ---------------------------------------------------------------------------------


def _filename(filing: Filing, suffix: str) -> str:
    return f"{filing.department.name}-{filing.fiscal_year.year}{suffix}"


def filing_export_json(request, filing: Filing) -> HttpResponse:
    """The filing as perfeval-filing/2 JSON (with its `computed` figures)."""
    body = json.dumps(generic_filing_export_json(filing=filing), ensure_ascii=False, indent=2)
    response = HttpResponse(body.encode("utf-8"), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, _filename(filing, ".json"))
    return response


@require_GET
def workbook_download(request, pk):
    from evaluations.services.generic_excel import generic_workbook

    filing = selectors.filing_get_for_user(user=request.user, pk=pk)
    if not filing_is_generic(filing):
        return redirect("evaluations:filing_export_xlsx", filing.pk)
    template = _template(filing)
    document = generic_document_read(filing)
    data = generic_workbook(
        template=template, document=document, score=generic_score(document, template)
    )
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, _filename(filing, ".xlsx"))
    return response


def _pending_key(filing: Filing) -> str:
    # As views.excel keeps a Hunan workbook between preview and confirmation,
    # under a key of its own: the two confirmations read different formats.
    return f"perfeval.generic_import.{filing.pk}"


def _officer_filing(request, pk) -> Filing:
    """The generic filing `pk` for an import by its department's officer:
    Http404 when the user does not see it or it is not generic,
    PermissionDenied for anyone else (its status is `_not_importable`'s)."""
    filing = _generic_filing_get(user=request.user, pk=pk)
    if not selectors.user_can_edit_filing(user=request.user, filing=filing):
        raise PermissionDenied("只有本部门的填报人可以导入填报。")
    return filing


def _not_importable(request, filing: Filing):
    """The page with its refusal (409) when `filing` may not be imported into
    now (it is neither a draft nor returned), else None; as the page's own
    save answers."""
    if filing.is_editable:
        return None
    messages.error(
        request,
        f"该填报当前状态为“{filing.get_status_display()}”，不能导入；"
        "只有草稿或已退回的填报可以导入。",
    )
    page = GenericPageForms(template=_template(filing), document=_saved_json(filing))
    return _render_page(request, filing, page, status=CONFLICT)


@require_POST
def filing_upload(request, pk):
    """Show what an uploaded perfeval-filing/2 JSON file or Excel workbook of
    the filing's template would change — every changed field, the score
    before and after, the findings — and write nothing: the document waits in
    the session, with the version it was compared with, until the officer
    confirms (filing_upload_confirm). A file with problems is refused with
    every problem listed; a file equal to the filing is said to change
    nothing."""
    filing = _officer_filing(request, pk)
    refused = _not_importable(request, filing)
    if refused is not None:
        return refused
    upload = request.FILES.get("file")
    back = reverse("evaluations:filing_part", args=[filing.pk, PART])
    if upload is None:
        messages.error(request, "请选择要上传的 JSON 文件或 Excel 工作簿。")
        return redirect(back)
    if upload.size > settings.PERFEVAL_MAX_IMPORT_BYTES:
        messages.error(
            request,
            f"文件过大：最大 {settings.PERFEVAL_MAX_IMPORT_BYTES // 1024} KB，"
            f"当前 {upload.size // 1024} KB。",
        )
        return redirect(back)
    template = _template(filing)
    source = (
        FilingRevision.Source.EXCEL
        if upload.name.lower().endswith(".xlsx")
        else FilingRevision.Source.JSON
    )
    try:
        document = generic_upload_read(data=upload.read(), name=upload.name, template=template)
        upload_check_same_filing(document=document, filing=filing)
    except DocumentError as error:
        messages.error(request, _problems_html("导入失败，数据库未做任何改动：", error.problems))
        return redirect(back)
    preview = generic_upload_preview(
        filing=filing, template=template, document=document, filename=upload.name
    )
    request.session.pop(_pending_key(filing), None)
    if not preview.changes:
        messages.info(request, UNCHANGED)
        return redirect(back)
    token = uuid.uuid4().hex
    request.session[_pending_key(filing)] = {
        "token": token,
        "version": preview.version,
        "filename": upload.name,
        "source": str(source),
        "document": generic_document_to_json(document),
    }
    context = {
        "filing": filing,
        "form_template": template,
        "preview": preview,
        "token": token,
        "back": back,
    }
    return render(request, "evaluations/generic/import_preview.html", context)


@require_POST
def filing_upload_confirm(request, pk):
    """Write the upload previewed with this token, as the officer's new
    version (generic_document_write), unless the filing changed since the
    preview (refused, nothing written). A token is good for one attempt."""
    filing = _officer_filing(request, pk)
    refused = _not_importable(request, filing)
    if refused is not None:
        return refused
    back = reverse("evaluations:filing_part", args=[filing.pk, PART])
    pending = request.session.get(_pending_key(filing))
    if not pending or pending.get("token") != request.POST.get("token"):
        messages.error(request, "预览已失效（可能已在其他窗口上传了另一份文件），请重新上传。")
        return redirect(f"{back}#import")
    del request.session[_pending_key(filing)]
    template = _template(filing)
    try:
        document = generic_document_from_json(pending["document"], template)
        result = generic_document_write(
            filing=filing,
            document=document,
            actor=request.user,
            expected_version=pending["version"],
            source=pending["source"],
        )
    except DocumentError as error:
        # A stored preview this version's reader refuses (e.g. a new template version).
        messages.error(request, _problems_html("导入失败，数据库未做任何改动：", error.problems))
    except FilingNotEditable as error:
        messages.error(request, str(error))
    except StaleFiling:
        messages.error(
            request,
            "未导入：预览之后该填报已被修改（可能是他人保存或在其他窗口导入），"
            "数据库未做任何改动，请重新上传以查看最新的差异。",
        )
    else:
        if result.changed:
            messages.success(
                request,
                f"已导入“{pending['filename']}”，现为第 {result.filing.version} 版。",
            )
        else:
            messages.info(request, UNCHANGED)
    return redirect(back)


def filing_changes_page(request, filing: Filing):
    """自上次退回以来的修改 of a generic filing."""
    last_return, changes = selectors.filing_changes_since_return(filing=filing)
    url = reverse("evaluations:filing_part", args=[filing.pk, PART])
    template = _template(filing)
    page = GenericPageForms(template=template, document=_saved_json(filing), editor=None)
    rows = [(change, f"{url}#{_anchor(change.path, '', page)}") for change in changes]
    context = generic_page_context(request, filing, since_return=last_return, changes=rows)
    return render(request, "evaluations/changes.html", context)
