"""The filing pages: each view parses the request, calls one service and renders.

Reads go through the permission-aware selectors (another department's filing
is a 404); writes go through services/editing.py, which refuses a filing that
is no longer editable or that changed since the page was rendered (both shown
as HTTP 409).

Optimistic concurrency: every form carries the filing's `version` and a signed
copy of the document the page was rendered from (`rendered`). A save names
that version; when the service refuses it as stale, the signed copy is
compared with the filing now to list what the other person changed.
"""

import json
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from evaluations import selectors
from evaluations.core.scoring import RULE_LABELS
from evaluations.forms import (
    AusterityForm,
    BasicRowFormSetFactory,
    BuildingFormSet,
    ContactForm,
    FundsForm,
    GoalForm,
    ImportForm,
    IndicatorFormSet,
    ProfileForm,
    ProjectAddForm,
    ProjectForm,
    ProjectItemFormSet,
    ReportForm,
)
from evaluations.models import BasicDataRow, Filing, FiscalYear, Project
from evaluations.services import editing
from evaluations.services.changes import document_changes
from evaluations.services.filings import FilingClosedError, filing_get_or_create
from evaluations.services.interchange import (
    DocumentError,
    document_from_bytes,
    document_to_dict,
    filing_document,
    filing_export_json,
    filing_import,
)
from evaluations.services.summary import document_with_page, filing_document_saved
from evaluations.services.workflow import (
    MIN_REASON_LENGTH,
    move_waiting_reason,
    moves_available,
)
from evaluations.views import generic
from perfeval.params import parse_int

CONFLICT = 409
RENDERED_SALT = "evaluations.filing-page"


class _RenderedSerializer:
    """JSON with Chinese as UTF-8 rather than \\u escapes: the signed copy of
    the document in every editable page is smaller and quicker to compress."""

    def dumps(self, obj):
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()

    def loads(self, data):
        return json.loads(data.decode())


@dataclass(frozen=True)
class PageVersion:
    """The version a page was rendered from, as its hidden fields carry it."""

    version: int | None
    rendered: str  # signed {"filing", "version", "document"}, "" when unknown


def _current_page_version(filing, summary) -> PageVersion:
    document = document_to_dict(document=summary.document)
    rendered = signing.dumps(
        {"filing": filing.pk, "version": filing.version, "document": document},
        salt=RENDERED_SALT,
        serializer=_RenderedSerializer,
        compress=True,
    )
    return PageVersion(version=filing.version, rendered=rendered)


def _posted_page_version(request) -> PageVersion:
    # A missing or odd version ("²", 30 digits) is treated as stale: the save
    # is refused as if someone else had changed the filing, nothing written.
    version = parse_int(request.POST.get("version"), low=1)
    return PageVersion(version=version, rendered=request.POST.get("rendered", ""))


def _changes_since(filing, posted: PageVersion):
    """The fields changed since the posted page was rendered, or None when the
    page's copy of the document is missing or not genuine."""
    try:
        data = signing.loads(posted.rendered, salt=RENDERED_SALT, serializer=_RenderedSerializer)
    except signing.BadSignature:
        return None
    if data.get("filing") != filing.pk or data.get("version") != posted.version:
        return None
    current = document_to_dict(document=filing_document(filing=filing))
    return document_changes(before=data["document"], after=current)


def _refuse_stale(request, filing, error, posted) -> dict:
    messages.error(request, error.message)
    return {"stale": True, "stale_changes": _changes_since(filing, posted)}


@dataclass
class PageForms:
    """The bound or unbound forms and formsets of one filing page."""

    forms: dict = field(default_factory=dict)
    formsets: dict = field(default_factory=dict)

    def is_valid(self) -> bool:
        # Validate everything (not all() with short-circuit) so every error shows.
        results = [form.is_valid() for form in self.forms.values()]
        results += [formset.is_valid() for formset in self.formsets.values()]
        return all(results)

    def error_count(self) -> int:
        count = sum(len(form.errors) for form in self.forms.values())
        for formset in self.formsets.values():
            count += len(formset.non_form_errors())
            count += sum(len(errors) for errors in formset.errors)
        return count

    def refused(self) -> list["Refused"]:
        """Every error of the bound forms, in page order, as the officer reads
        it: the field's label (a table row's number or name first) and the
        message, with the id of the field to jump to."""
        items = []
        for form in self.forms.values():
            items += _form_refused(form, where="")
        for key, formset in self.formsets.items():
            table = FORMSET_TABLES.get(key, "")
            for message in formset.non_form_errors():
                items.append(Refused(label=table, message=message, anchor=""))
            for number, form in enumerate(formset.forms, start=1):
                if isinstance(form.instance, BasicDataRow) and form.instance.key:
                    where = f"{table}“{form.instance.get_key_display()}”行 "
                else:
                    where = f"{table}第 {number} 行 "
                items += _form_refused(form, where=where)
        return items


@dataclass(frozen=True)
class Refused:
    """One refused value of a page: "第 2 行 得分" and why, and the id of its field."""

    label: str
    message: str
    anchor: str  # "" when the error concerns no single field


# How a refusal names the table of each formset.
FORMSET_TABLES = {
    "rows": "附件1",
    "items": "项目支出明细",
    "buildings": "楼堂馆所",
    "indicators": "绩效指标",
}


def _form_refused(form, *, where: str) -> list[Refused]:
    items = []
    for name, errors in form.errors.items():
        if name == "__all__" or name not in form.fields:
            items += [Refused(label=where.strip(), message=error, anchor="") for error in errors]
            continue
        bound = form[name]
        if bound.is_hidden:
            continue  # a row that is gone: the formset says so above the table
        label = f"{where}{bound.label}"
        items += [
            Refused(label=label, message=error, anchor=bound.id_for_label) for error in errors
        ]
    return items


def _refused_html(item: Refused):
    text = f"{item.label}：{item.message}" if item.label else item.message
    if not item.anchor:
        return format_html("<li>{}</li>", text)
    return format_html('<li><a href="#{}" class="alert-link">{}</a></li>', item.anchor, text)


def _refusal_message(items: list[Refused]):
    """ "本页未保存", then each refused value linked to its field."""
    return format_html(
        "本页未保存：有 {} 处填写不符合要求，请按红色提示修改（点击可直接到达该处）："
        '<ul class="refused-fields mb-0">{}</ul>',
        len(items),
        format_html_join("", "{}", ((_refused_html(item),) for item in items)),
    )


def _profile_forms(filing, data, project=None):
    return PageForms(
        forms={"profile": ProfileForm(data, instance=filing.profile, prefix="profile")}
    )


def _funds_forms(filing, data, project=None):
    return PageForms(forms={"funds": FundsForm(data, instance=filing.funds, prefix="funds")})


def _basic_forms(filing, data, project=None):
    return PageForms(
        forms={"austerity": AusterityForm(data, instance=filing, prefix="austerity")},
        formsets={
            "rows": BasicRowFormSetFactory(
                data, queryset=filing.basic_rows.order_by("position", "pk"), prefix="rows"
            ),
            "items": ProjectItemFormSet(
                data, queryset=filing.project_items.order_by("position", "pk"), prefix="items"
            ),
            "buildings": BuildingFormSet(
                data, queryset=filing.buildings.order_by("position", "pk"), prefix="buildings"
            ),
        },
    )


def _scores_forms(filing, data, project=None):
    return PageForms(
        forms={"goal": GoalForm(data, instance=filing, prefix="goal")},
        formsets={
            "indicators": IndicatorFormSet(
                data,
                queryset=filing.indicators.filter(project__isnull=True).order_by("position", "pk"),
                prefix="indicators",
            )
        },
    )


def _report_forms(filing, data, project=None):
    return PageForms(forms={"report": ReportForm(data, instance=filing.report, prefix="report")})


def _contact_forms(filing, data, project=None):
    return PageForms(forms={"contact": ContactForm(data, instance=filing, prefix="contact")})


def _project_forms(filing, data, project):
    return PageForms(
        forms={"project_form": ProjectForm(data, instance=project, prefix="project")},
        formsets={
            "indicators": IndicatorFormSet(
                data, queryset=project.indicators.order_by("position", "pk"), prefix="indicators"
            )
        },
    )


PART_FORMS = {
    "profile": _profile_forms,
    "funds": _funds_forms,
    "basic": _basic_forms,
    "scores": _scores_forms,
    "report": _report_forms,
    "contact": _contact_forms,
}


def page_context(request, filing, part, *, posted: PageVersion | None = None, **extra):
    """What every filing page shows around its part: the header with the
    status, the moves the user may make, the latest return, the summary, and
    the version fields of its forms (`posted` when re-rendering a POST, so a
    page that was already stale stays so). A filing on a generic-layout form
    template gets views.generic's."""
    if generic.filing_is_generic(filing):
        return generic.generic_page_context(request, filing, **extra)
    summary = selectors.filing_summary(filing=filing)
    editable = filing.is_editable and selectors.user_can_edit_filing(
        user=request.user, filing=filing
    )
    last_return = selectors.filing_last_return(filing=filing)
    if request.method == "GET":
        next_url = request.get_full_path()
    else:  # where the status buttons lead back to: a page that answers a GET
        next_url = reverse("evaluations:filing_part", args=[filing.pk, part or "overview"])
    extra.setdefault("next_url", next_url)
    return {
        "filing": filing,
        "part": part,
        "parts": selectors.PARTS,
        "summary": summary,
        "editable": editable,
        "rule_labels": RULE_LABELS,
        "page_version": posted or (_current_page_version(filing, summary) if editable else None),
        # The moves that need a reason open a form: they go after the buttons.
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


def _attach_indicator_results(formset, results):
    """Give each indicator form the service's 识别规则 and 建议得分 of its saved row."""
    for form in formset.forms:
        form.result = results.get(form.instance.pk) if form.instance.pk else None
    previous = None
    for form in formset.forms:
        level1 = form["level1"].value() or ""
        level2 = form["level2"].value() or ""
        form.continues_level1 = previous is not None and level1 == previous[0] and level1 != ""
        form.continues_level2 = form.continues_level1 and level2 == previous[1] and level2 != ""
        previous = (level1, level2)


def _part_template(part):
    return f"evaluations/part_{part}.html"


def _edit_page(request, filing, part, build, *, project=None, template=None, extra=None):
    """GET shows the page; POST saves it as a draft or re-renders it with the
    posted values and the errors of the refused fields. A filing that is not
    editable, or that changed since the page was rendered, refuses the POST
    with 409 and nothing written."""
    status = 200
    posted = None
    refusal = {}
    if request.method == "POST":
        if not selectors.user_can_edit_filing(user=request.user, filing=filing):
            raise PermissionDenied("只有本部门的填报人可以修改填报。")
        posted = _posted_page_version(request)
        try:
            editing.filing_check_editable(filing=filing)
        except editing.FilingNotEditable as error:
            # Show what is stored, read-only, not what was posted.
            messages.error(request, str(error))
            page = build(filing, None, project)
            status = CONFLICT
            posted = None
        else:
            page = build(filing, request.POST, project)
            if page.is_valid():
                try:
                    editing.filing_part_save(
                        filing=filing,
                        actor=request.user,
                        expected_version=posted.version,
                        forms=page.forms.values(),
                        formsets=page.formsets.values(),
                        project=project,
                    )
                except editing.FilingNotEditable as error:
                    messages.error(request, str(error))
                    status = CONFLICT
                except editing.StaleFiling as error:
                    refusal = _refuse_stale(request, filing, error, posted)
                    status = CONFLICT
                except editing.FilingTooLarge as error:
                    messages.error(request, "未保存：" + "".join(error.messages))
                else:
                    messages.success(request, "已保存（草稿）。")
                    return redirect(request.path)
            else:
                messages.error(request, _refusal_message(page.refused()))
    else:
        page = build(filing, None, project)
    context = page_context(
        request,
        filing,
        part,
        posted=posted,
        next_url=request.path,
        page=page,
        **refusal,
        **page.forms,
        **page.formsets,
    )
    if extra:
        context.update(extra(context))
    if "indicators" in page.formsets:
        results = (
            context["summary"].project_indicator_results.get(project.pk, {})
            if project is not None
            else context["summary"].indicator_results
        )
        _attach_indicator_results(page.formsets["indicators"], results)
    return render(request, template or _part_template(part), context, status=status)


@require_GET
def my_filings(request):
    context = {
        "departments": selectors.my_filings_for_user(user=request.user),
        "bureau_filings": selectors.bureau_filings_for_user(user=request.user),
        "is_bureau_staff": selectors.user_is_bureau_staff(user=request.user),
    }
    return render(request, "evaluations/my_filings.html", context)


@require_POST
def filing_start(request, department_id, year):
    department = get_object_or_404(
        selectors.departments_for_user(user=request.user), pk=department_id
    )
    fiscal_year = get_object_or_404(FiscalYear, year=year)
    try:
        filing, created = filing_get_or_create(
            department=department, fiscal_year=fiscal_year, actor=request.user
        )
    except FilingClosedError as error:
        messages.error(request, str(error))
        return redirect("evaluations:my_filings")
    if created:
        messages.success(request, f"已新建{fiscal_year.year}年度填报，已带入上年数据。")
    return redirect(filing.get_absolute_url())


@require_GET
def filing_detail(request, pk):
    filing = selectors.filing_get_for_user(user=request.user, pk=pk)
    return redirect(filing.get_absolute_url())


@require_http_methods(["GET", "POST"])
def filing_part(request, pk, part):
    if part not in selectors.PART_KEYS:
        raise Http404("没有这个页面。")
    filing = selectors.filing_get_for_user(user=request.user, pk=pk)
    if generic.filing_is_generic(filing):
        # One page holds the whole form; the Hunan parts do not exist.
        if part != "overview":
            return redirect(filing.get_absolute_url())
        return generic.filing_page(request, filing)
    if part == "overview":
        if request.method != "GET":
            return HttpResponse(status=405)
        summary_context = page_context(request, filing, part)
        summary_context["part_counts"] = summary_context["summary"].part_counts()
        summary_context["indicator_rows"] = selectors.indicator_groups(
            list(filing.indicators.filter(project__isnull=True).order_by("position", "pk"))
        )
        return render(request, _part_template(part), summary_context)
    if part == "projects":
        if request.method != "GET":
            return HttpResponse(status=405)
        return _projects_page(request, filing)
    extra = {"report": _report_extra, "basic": _basic_extra}.get(part)
    return _edit_page(request, filing, part, PART_FORMS[part], extra=extra)


def _report_extra(context):
    filing = context["filing"]
    return {"profile": filing.profile}


def _basic_extra(context):
    """规模控制率 and 投资概算控制率 of each saved building row."""
    formset = context["buildings"]
    rates = context["summary"].score.buildings
    for index, form in enumerate(formset.forms[: formset.initial_form_count()]):
        form.rates = rates[index] if index < len(rates) else None
    return {}


def _projects_page(request, filing, *, add_form=None, status=200, posted=None, refusal=None):
    projects = list(filing.projects.order_by("position", "pk"))
    context = page_context(
        request,
        filing,
        "projects",
        posted=posted,
        projects=projects,
        add_form=add_form or ProjectAddForm(),
        **(refusal or {}),
    )
    return render(request, _part_template("projects"), context, status=status)


def _hunan_filing_get(request, pk):
    """The filing `pk` as the user may see it, for a page only the Hunan forms
    have (附件3 projects, a part's preview): a 404 for a filing on a generic
    template, whose one page is views/generic.py's."""
    filing = selectors.filing_get_for_user(user=request.user, pk=pk)
    if generic.filing_is_generic(filing):
        raise Http404("该填报的表式没有这个页面。")
    return filing


def _filing_for_writer(request, pk):
    filing = _hunan_filing_get(request, pk)
    if not selectors.user_can_edit_filing(user=request.user, filing=filing):
        raise PermissionDenied("只有本部门的填报人可以修改填报。")
    return filing


@require_POST
def project_add(request, pk):
    filing = _filing_for_writer(request, pk)
    posted = _posted_page_version(request)
    form = ProjectAddForm(request.POST)
    try:
        editing.filing_check_editable(filing=filing)
    except editing.FilingNotEditable as error:
        messages.error(request, str(error))
        return _projects_page(request, filing, status=CONFLICT)
    if not form.is_valid():
        messages.error(request, "请填写项目名称。")
        return _projects_page(request, filing, add_form=form, posted=posted)
    try:
        project = editing.project_add(
            filing=filing,
            actor=request.user,
            name=form.cleaned_data["name"],
            expected_version=posted.version,
        )
    except editing.FilingNotEditable as error:
        messages.error(request, str(error))
        return _projects_page(request, filing, add_form=form, status=CONFLICT)
    except editing.StaleFiling as error:
        refusal = _refuse_stale(request, filing, error, posted)
        return _projects_page(
            request, filing, add_form=form, status=CONFLICT, posted=posted, refusal=refusal
        )
    except editing.FilingTooLarge as error:
        messages.error(request, "".join(error.messages))
        return _projects_page(request, filing, add_form=form, posted=posted)
    messages.success(request, f"已新增项目“{project.name}”，请填写项目支出绩效自评表。")
    return redirect("evaluations:project_edit", filing.pk, project.pk)


@require_POST
def project_delete(request, pk, project_pk):
    filing = _filing_for_writer(request, pk)
    project = get_object_or_404(Project, pk=project_pk, filing=filing)
    posted = _posted_page_version(request)
    try:
        editing.project_delete(
            filing=filing, actor=request.user, project=project, expected_version=posted.version
        )
    except editing.FilingNotEditable as error:
        messages.error(request, str(error))
        return _projects_page(request, filing, status=CONFLICT)
    except editing.StaleFiling as error:
        refusal = _refuse_stale(request, filing, error, posted)
        return _projects_page(request, filing, status=CONFLICT, posted=posted, refusal=refusal)
    messages.success(request, f"已删除项目“{project.name}”。")
    return redirect("evaluations:filing_part", filing.pk, "projects")


@require_http_methods(["GET", "POST"])
def project_edit(request, pk, project_pk):
    filing = _hunan_filing_get(request, pk)
    project = get_object_or_404(Project, pk=project_pk, filing=filing)

    def extra(context):
        return {
            "project": project,
            "project_score": context["summary"].project_scores.get(project.pk),
        }

    return _edit_page(
        request,
        filing,
        "projects",
        _project_forms,
        project=project,
        template="evaluations/project_edit.html",
        extra=extra,
    )


def _figures(summary):
    score = summary.score

    def text(value):
        return "—" if value is None else str(value)

    return {
        "execution_rate": text(score.execution_rate),
        "execution_score": text(score.execution_score),
        "total_score": text(score.total_score),
        "max_score": text(score.max_score),
        "normalized_score": text(score.normalized_score),
        "grade": summary.grade_shown or "—",
        "staffing_control_rate": text(score.staffing_control_rate),
        "errors": len(summary.errors),
        "warnings": len(summary.warnings),
        "projects": {
            str(pk): {
                "execution_rate": text(table.execution_rate),
                "execution_score": text(table.execution_score),
                "total_score": text(table.total_score),
                "max_score": text(table.max_score),
                "normalized_score": text(table.normalized_score),
                "grade": summary.project_grades.get(pk) or "—",
            }
            for pk, table in summary.project_scores.items()
        },
    }


def _preview(request, filing, part, build, project=None):
    """The figures and findings the page would have if saved now, computed in
    memory from the posted forms and the saved rest of the filing: nothing is
    written, locked or opened as a transaction, so a preview can never change
    the filing or its version."""
    if not selectors.user_can_edit_filing(user=request.user, filing=filing):
        raise PermissionDenied("只有本部门的填报人可以修改填报。")
    try:
        editing.filing_check_editable(filing=filing)
    except editing.FilingNotEditable as error:
        return JsonResponse({"valid": False, "message": str(error)}, status=CONFLICT)
    page = build(filing, request.POST, project)
    if not page.is_valid():
        return JsonResponse({"valid": False, "invalid_fields": page.error_count()})
    saved, keys = filing_document_saved(filing=filing, project=project)
    document = document_with_page(
        document=saved,
        keys=keys,
        forms=page.forms.values(),
        formsets=page.formsets.values(),
        project=project,
    )
    summary = selectors.filing_summary(filing=filing, document=document, keys=keys)
    # The same include as the page, so the list never disagrees with the figures.
    findings = render_to_string(
        "evaluations/_findings.html", {"summary": summary, "part": part}, request=request
    )
    return JsonResponse({"valid": True, "figures": _figures(summary), "findings_html": findings})


@require_POST
def part_preview(request, pk, part):
    if part not in PART_FORMS:
        raise Http404("没有这个页面。")
    filing = _hunan_filing_get(request, pk)
    return _preview(request, filing, part, PART_FORMS[part])


@require_POST
def project_preview(request, pk, project_pk):
    filing = _hunan_filing_get(request, pk)
    project = get_object_or_404(Project, pk=project_pk, filing=filing)
    return _preview(request, filing, "projects", _project_forms, project)


@require_GET
def filing_export(request, pk):
    filing = selectors.filing_get_for_user(user=request.user, pk=pk)
    if generic.filing_is_generic(filing):
        return generic.filing_export_json(request, filing)
    data = filing_export_json(filing=filing)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = HttpResponse(body.encode("utf-8"), content_type="application/json; charset=utf-8")
    filename = f"{filing.department.name}-{filing.fiscal_year.year}.json"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@require_http_methods(["GET", "POST"])
def filing_import_view(request):
    if not selectors.user_is_bureau_staff(user=request.user):
        # Like the dashboard: bureau pages do not exist for anyone else.
        raise Http404("没有找到该页面。")
    status = 200
    form = ImportForm()
    refused = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            filing = None
            if upload.size > settings.PERFEVAL_MAX_IMPORT_BYTES:
                form.add_error(
                    "file",
                    f"文件过大：最大 {settings.PERFEVAL_MAX_IMPORT_BYTES // 1024} KB，"
                    f"当前 {upload.size // 1024} KB。",
                )
            else:
                try:
                    filing = filing_import(
                        document=document_from_bytes(upload.read()),
                        replace=form.cleaned_data["replace"],
                        actor=request.user,
                    )
                except DocumentError as error:
                    refused = error
                    form.add_error("file", _document_error_text(error))
            if filing is not None:
                messages.success(request, f"已导入：{filing}。")
                return redirect(filing.get_absolute_url())
        status = 400
    context = {"form": form, "max_kb": settings.PERFEVAL_MAX_IMPORT_BYTES // 1024}
    if refused is not None and len(refused.problems) > 1:
        # Every bad value is listed (up to the limit), so the file is fixed once.
        shown, more = refused.listed()
        context |= {
            "problems": [_problem_text(problem) for problem in shown],
            "problems_total": len(refused.problems),
            "problems_more": more,
            "nothing_written": "数据库未做任何改动。",
        }
    return render(request, "evaluations/import.html", context, status=status)


def _document_error_text(error):
    """The refusal under the file field: the one bad value, or how many there
    are when the page lists them."""
    problems = getattr(error, "problems", None) or [error]
    if len(problems) > 1:
        return f"导入失败：文件中有 {len(problems)} 处问题，见上方列表。"
    return f"导入失败：{_problem_text(problems[0])}"


def _problem_text(problem):
    path = getattr(problem, "path", "") or ""
    message = getattr(problem, "message", "") or str(problem)
    return f"{path}：{message}" if path and path != "$" else message
