"""The reviewer dashboard of a fiscal year, bulk approval, and the home page.

Only the bureau (reviewers, administrators, superusers) has a dashboard; for
anyone else it is a 404, like every page a user may not see (DOMAIN.md: the
existence of what is outside one's scope is not leaked).
"""

from html import escape

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from evaluations import selectors
from evaluations.charts import Bar, bar_chart_svg
from evaluations.models import FiscalYear
from evaluations.services.bulk import filings_bulk_approve
from evaluations.services.summary import NORMALIZED_SCORE_RULE
from perfeval.params import clean_text, parse_int

STATUS_COLORS = {
    selectors.NOT_STARTED: "#adb5bd",
    "draft": "#6c757d",
    "submitted": "#0d6efd",
    "returned": "#dc3545",
    "approved": "#198754",
    "published": "#20794b",
    "withdrawn": "#343a40",
}
GRADE_COLORS = {
    "优": "#198754",
    "良": "#0d6efd",
    "中": "#b8860b",
    "差": "#dc3545",
    selectors.INCOMPLETE: "#6c757d",
    "none": "#adb5bd",
}
MAX_QUERY_LENGTH = 100


_ROW = (
    "<tr{tr_class}><td>{checkbox}</td>"
    '<th scope="row" class="fw-normal">{name}</th><td>{jurisdiction}</td>'
    "<td>{status}{overdue}</td>"
    '<td class="text-end">{score}</td><td>{grade}</td><td>{submitted}</td><td>{approved}</td>'
    '<td class="text-end">{errors}</td></tr>'
)
_CHECKBOX = (
    '<input class="form-check-input" type="checkbox" name="filing" value="{pk}" id="pick-{pk}">'
    '<label class="visually-hidden" for="pick-{pk}">选择{name}</label>'
)
_OVERDUE_BADGE = ' <span class="badge text-bg-warning">逾期</span>'
_INCOMPLETE_GRADE = (
    '<span class="text-secondary" title="尚有部分未填写，填完后才评定等次">未完成</span>'
)
NONE = "—"


def _rows_html(rows) -> SafeString:
    """The <tr> of every dashboard row.

    Written here rather than in the template because a bureau has up to a few
    thousand departments: the template engine took over 0.1 ms per row on the
    benchmark machine (2,000 rows: most of the page time, see
    docs/benchmarks.md), plain formatting a few µs. Every text that comes from
    the database is escaped; the rest are numbers, dates, fixed status keys and
    URLs reversed from ids.
    """
    badges = {
        key: (
            f'<span class="badge status-{key}">{escape(str(label))}</span>'
            if key != selectors.NOT_STARTED
            else f'<span class="badge text-bg-light border">{escape(str(label))}</span>'
        )
        for key, label in selectors.DASHBOARD_STATUSES
    }
    jurisdictions = {}
    html = []
    for row in rows:
        name = escape(row.department_name)
        jurisdiction = jurisdictions.get(row.jurisdiction_name)
        if jurisdiction is None:
            jurisdiction = jurisdictions[row.jurisdiction_name] = escape(row.jurisdiction_name)
        html.append(
            _ROW.format(
                tr_class=' class="table-warning"' if row.overdue else "",
                checkbox=_CHECKBOX.format(pk=row.filing_id, name=name) if row.approvable else "",
                name=f'<a href="{row.filing_url}">{name}</a>' if row.filing_url else name,
                jurisdiction=jurisdiction,
                status=badges.get(row.status) or escape(row.status_label),
                overdue=_OVERDUE_BADGE if row.overdue else "",
                score=NONE if row.total_score is None else row.total_score,
                grade=(
                    _INCOMPLETE_GRADE
                    if row.grade_key == selectors.INCOMPLETE
                    else escape(row.grade) or NONE
                ),
                submitted=row.submitted_on.isoformat() if row.submitted_on else NONE,
                approved=row.approved_on.isoformat() if row.approved_on else NONE,
                errors=NONE if row.filing_id is None else row.error_count,
            )
        )
    return mark_safe("".join(html))


def _require_bureau(request):
    if not selectors.dashboard_user_may_view(user=request.user):
        raise Http404("没有找到该页面。")


def _filters(params) -> dict:
    """The dashboard's filters from the query string; unknown values are ignored."""
    status = params.get("status", "")
    grade = params.get("grade", "")
    sort = params.get("sort", "name")
    return {
        "status": status if status in dict(selectors.DASHBOARD_STATUSES) else "",
        "grade": grade if grade in (*selectors.GRADES, selectors.INCOMPLETE, "none") else "",
        "overdue": params.get("overdue") == "1",
        "q": clean_text(params.get("q"), max_length=MAX_QUERY_LENGTH),
        "sort": sort if sort in selectors.DASHBOARD_SORTS else "name",
    }


@require_GET
def home(request):
    """Where "/", the navigation bar's title and a login without `next` lead:
    the bureau (also someone who is an officer too) to its dashboard, where
    its work is; everyone else to 我的填报."""
    if selectors.dashboard_user_may_view(user=request.user):
        return redirect("evaluations:dashboard")
    return redirect("evaluations:my_filings")


@require_GET
def reviewer_dashboard(request):
    _require_bureau(request)
    fiscal_year = selectors.dashboard_fiscal_year(user=request.user, year=request.GET.get("year"))
    filters = _filters(request.GET)
    context = {
        "fiscal_year": fiscal_year,
        "fiscal_years": list(FiscalYear.objects.order_by("-year")),
        "filters": filters,
        "statuses": selectors.DASHBOARD_STATUSES,
        "grades": selectors.GRADES,
        "incomplete": (selectors.INCOMPLETE, selectors.INCOMPLETE_LABEL),
        "normalized_score_rule": NORMALIZED_SCORE_RULE,
        "sorts": selectors.DASHBOARD_SORTS,
    }
    if fiscal_year is not None:
        all_rows = selectors.dashboard_rows(user=request.user, fiscal_year=fiscal_year)
        status_counts = selectors.dashboard_status_counts(rows=all_rows)
        grade_counts = selectors.dashboard_grade_counts(rows=all_rows)
        rows = selectors.dashboard_filter(rows=all_rows, **filters)
        context.update(
            rows=rows,
            rows_html=_rows_html(rows),
            total=len(all_rows),
            overdue_count=sum(row.overdue for row in all_rows),
            approvable_count=sum(row.approvable for row in rows),
            status_counts=status_counts,
            grade_counts=grade_counts,
            status_chart=bar_chart_svg(
                title=f"{fiscal_year.year}年度各状态部门数",
                bars=[Bar(c.label, c.count, STATUS_COLORS[c.key]) for c in status_counts],
            ),
            grade_chart=bar_chart_svg(
                title=f"{fiscal_year.year}年度等次分布（已开始填报的部门）",
                bars=[Bar(c.label, c.count, GRADE_COLORS[c.key]) for c in grade_counts],
            ),
        )
    return render(request, "evaluations/dashboard.html", context)


def _filing_ids(values: list[str]) -> tuple[list[int], list[str]]:
    ids, invalid = [], []
    for value in values:
        pk = parse_int(value, low=1)
        if pk is None:
            invalid.append(value)
        else:
            ids.append(pk)
    return ids, invalid


@require_POST
def bulk_approve(request):
    _require_bureau(request)
    ids, invalid = _filing_ids(request.POST.getlist("filing"))
    for value in invalid:
        shown = clean_text(value, max_length=20)
        messages.error(request, f"“{shown}”不是有效的填报编号。")
    if not ids and not invalid:
        messages.warning(request, "请先勾选要审核通过的填报。")
    results = filings_bulk_approve(filing_ids=ids, actor=request.user) if ids else []
    approved = sum(result.approved for result in results)
    if results:
        refused = len(results) - approved
        messages.info(request, f"批量审核：{approved} 份已审核，{refused} 份未通过。")
    for result in results:
        who = result.department_name or f"填报 {result.filing_id}"
        text = f"{who}：{result.message}"
        (messages.success if result.approved else messages.error)(request, text)
    next_url = request.POST.get("next", "")
    # Only a path of this site: redirect() takes a bare word ("12") for a
    # view name, and a control character has no place in a Location.
    if not (
        next_url.startswith("/")
        and next_url.isprintable()
        and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        next_url = reverse("evaluations:dashboard")
    return redirect(next_url)
