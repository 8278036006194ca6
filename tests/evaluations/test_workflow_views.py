"""The life cycle through the test client: the status buttons and their
refusals, read-only filings, the return banner, 自上次退回以来的修改 and
历史记录."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.timezone import localtime

from departments.models import Membership
from evaluations import selectors
from evaluations.models import Filing, FilingTransition
from evaluations.services.reports import report_freeze
from evaluations.services.workflow import filing_blocking_errors
from evaluations.validators import MAX_TEXT_LENGTH
from tests.evaluations.pages import PageForm, accessibility_problems
from tests.factories import (
    DepartmentFactory,
    JurisdictionFactory,
    UserFactory,
    officer_of,
    reviewer_of,
)
from tests.helpers import import_example, make_submittable

pytestmark = pytest.mark.django_db

Status = Filing.Status
# A field of each editable page, for the posts a read-only filing refuses.
PART_FIELDS = {
    "profile": "profile-functions",
    "funds": "funds-executed",
    "basic": "austerity-austerity_measures",
    "scores": "goal-goal_expected",
    "report": "report-problems",
    "contact": "contact-phone",
}
EDIT_PARTS = list(PART_FIELDS)
PARTS = ["overview", "projects", *EDIT_PARTS]
REASON = "第8行经济效益扣分的偏差原因过于简单，请具体说明。"
REOPEN_REASON = "发现全年执行数有误，取消审核。"
NEW_DEVIATION = "招商引资项目落地慢于预期，下年度加强跟踪。"


def part_url(filing, part="overview"):
    return reverse("evaluations:filing_part", args=[filing.pk, part])


def transition_url(filing, action):
    return reverse("evaluations:filing_transition", args=[filing.pk, action])


def history_url(filing):
    return reverse("evaluations:filing_history", args=[filing.pk])


def changes_url(filing):
    return reverse("evaluations:filing_changes", args=[filing.pk])


def set_status(filing, status):
    Filing.objects.filter(pk=filing.pk).update(status=status)
    filing.refresh_from_db()


def press(client, filing, action, comment=None, page="overview"):
    """Press the page's button for `action`, typing `comment` into its reason box."""
    html = client.get(part_url(filing, page)).content.decode()
    form = PageForm(html, f"transition-{action}")
    if comment is not None:
        form.data["comment"] = comment
    return client.post(transition_url(filing, action), form.data)


def buttons(client, filing, page="overview"):
    html = client.get(part_url(filing, page)).content.decode()
    return set(re.findall(r'id="transition-([a-z]+)"', html))


@pytest.fixture
def filing():
    """君山 2023 without errors, as a draft."""
    return make_submittable(import_example("junshan-2023"))


@pytest.fixture
def officer(filing):
    return officer_of(filing.department, first_name="唐卫红")


@pytest.fixture
def reviewer(filing):
    return reviewer_of(filing.department.jurisdiction, first_name="李审核")


# --- the buttons -------------------------------------------------------------------


def test_each_user_sees_the_buttons_of_the_moves_they_may_make(client, filing, officer, reviewer):
    client.force_login(officer)
    assert buttons(client, filing) == {"submit"}
    client.force_login(reviewer)
    assert buttons(client, filing) == set()
    set_status(filing, Status.SUBMITTED)
    assert buttons(client, filing) == {"approve", "return"}
    client.force_login(officer)
    assert buttons(client, filing) == set()
    set_status(filing, Status.APPROVED)
    client.force_login(reviewer)
    # 公开 waits for the frozen report (see the tests of the waiting button).
    report_freeze(filing_id=filing.pk)
    assert buttons(client, filing, page="scores") == {"publish", "reopen"}
    set_status(filing, Status.PUBLISHED)
    assert buttons(client, filing, page="report") == {"unpublish"}


def test_the_reason_boxes_are_labelled_forms_that_need_no_javascript(client, filing, reviewer):
    set_status(filing, Status.SUBMITTED)
    client.force_login(reviewer)
    html = client.get(part_url(filing)).content.decode()
    assert "<details" in html and 'for="transition-return-comment"' in html
    assert accessibility_problems(html) == []
    form = PageForm(html, "transition-return")
    assert form.data["status"] == "submitted" and form.data["comment"] == ""


def test_officer_submits_a_filing_without_errors(client, filing, officer):
    client.force_login(officer)
    response = press(client, filing, "submit")
    assert response.status_code == 302
    assert response["Location"] == part_url(filing)
    filing.refresh_from_db()
    assert filing.status == Status.SUBMITTED
    row = FilingTransition.objects.get(filing=filing)
    assert (row.from_status, row.to_status, row.actor) == (Status.DRAFT, Status.SUBMITTED, officer)
    page = client.get(response["Location"]).content.decode()
    assert "已报送" in page and "只能查看" in page


def test_the_button_returns_to_the_page_it_was_pressed_on(client, filing, officer):
    client.force_login(officer)
    response = press(client, filing, "submit", page="report")
    assert response["Location"] == part_url(filing, "report")


def test_submission_with_errors_is_refused_with_each_error_linking_to_its_field(client):
    filing = import_example("junshan-2023")  # 经济效益 deducted without a reason, twice
    client.force_login(officer_of(filing.department))
    # The page offers no 报送 (see the next test): a page opened before the
    # errors were saved still posts it.
    response = client.post(transition_url(filing, "submit"), {"status": "draft"})
    assert response.status_code == 409
    html = response.content.decode()
    errors = len(filing_blocking_errors(filing=filing))
    assert f"该填报还有 {errors} 项错误，修正后才能报送。" in html
    assert "<title>中共岳阳市君山区委办公室 2023年度 · “报送”未完成" in html
    assert "重新报送" not in html
    blocking = html[html.index('class="blocking-errors') :]
    project = filing.projects.get()
    assert f'href="/filings/{filing.pk}/scores/#indicators-7"' in blocking
    assert f'href="/filings/{filing.pk}/projects/{project.pk}/#indicators-' in blocking
    assert blocking.count('data-code="deviation_missing"') == 2
    assert blocking.count("<li data-code=") == errors
    assert "<code" not in blocking  # the codes are for tests, not for people
    filing.refresh_from_db()
    assert filing.status == Status.DRAFT
    assert not FilingTransition.objects.exists()


def test_with_errors_the_submit_button_counts_them_and_leads_to_the_list(client):
    filing = import_example("junshan-2023")
    client.force_login(officer_of(filing.department))
    html = client.get(part_url(filing, "funds")).content.decode()
    errors = len(selectors.filing_summary(filing=filing).errors)
    assert errors >= 2
    assert (
        f'<a class="btn btn-sm btn-outline-danger" href="#findings" id="submit-blocked">'
        f"有 {errors} 个错误，暂不能报送</a>"
    ) in html
    assert 'id="findings"' in html
    assert 'id="transition-submit"' not in html and "报送后将不能再修改" not in html


def test_without_errors_the_submit_button_asks_to_confirm(client, filing, officer):
    client.force_login(officer)
    html = client.get(part_url(filing)).content.decode()
    assert 'id="submit-blocked"' not in html
    assert 'data-confirm="报送后将不能再修改，确定报送吗？"' in html


def test_a_returned_filing_refused_on_resubmission_says_resubmit(client):
    filing = import_example("junshan-2023")  # with errors
    set_status(filing, Status.RETURNED)
    client.force_login(officer_of(filing.department))
    response = client.post(transition_url(filing, "submit"), {"status": "returned"})
    assert response.status_code == 409
    assert "“重新报送”未完成" in response.content.decode()


def test_publish_waits_disabled_for_the_frozen_report_and_the_page_reloads(
    client, filing, reviewer
):
    set_status(filing, Status.APPROVED)
    client.force_login(reviewer)
    html = client.get(part_url(filing)).content.decode()
    assert 'id="transition-publish"' not in html
    waiting = html[html.index('id="publish-waiting"') :]
    assert '<button type="button" class="btn btn-sm btn-outline-success" disabled' in waiting
    assert "审核版报告正在生成，生成后才能公开" in waiting
    assert 'data-report-pending="5"' in html and "js/report-wait.js" in html
    report_freeze(filing_id=filing.pk)
    html = client.get(part_url(filing)).content.decode()
    assert 'id="transition-publish"' in html
    assert "data-report-pending" not in html and "js/report-wait.js" not in html


def test_publishing_before_the_report_exists_is_refused_in_plain_words(client, filing, reviewer):
    set_status(filing, Status.APPROVED)
    client.force_login(reviewer)
    response = client.post(transition_url(filing, "publish"), {"status": "approved"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "审核版报告正在生成，生成后才能公开，请稍后再试。" in html
    # A refusal answers a POST: reloading it would post again.
    assert "data-report-pending" not in html
    filing.refresh_from_db()
    assert filing.status == Status.APPROVED


def test_reviewer_returns_a_submitted_filing_with_a_reason(client, filing, reviewer):
    set_status(filing, Status.SUBMITTED)
    client.force_login(reviewer)
    response = press(client, filing, "return", comment=REASON)
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.status == Status.RETURNED
    row = filing.transitions.get()
    assert (row.comment, row.actor) == (REASON, reviewer)
    assert row.snapshot["indicators"][7]["score"] == "9.00"


@pytest.mark.parametrize("comment", ["", "   ", "不合格"])
def test_a_return_without_a_reason_of_five_characters_is_refused(client, filing, reviewer, comment):
    set_status(filing, Status.SUBMITTED)
    client.force_login(reviewer)
    response = press(client, filing, "return", comment=comment)
    assert response.status_code == 409
    html = response.content.decode()
    assert "请填写退回原因（至少 5 个字）。" in html
    assert 'id="retry-form"' in html  # the reason can be typed again right there
    filing.refresh_from_db()
    assert filing.status == Status.SUBMITTED
    assert not FilingTransition.objects.exists()


def test_the_refusal_page_is_labelled_and_its_buttons_lead_back_to_a_page(client, filing, reviewer):
    set_status(filing, Status.SUBMITTED)
    client.force_login(reviewer)
    response = press(client, filing, "return", comment="", page="scores")
    html = response.content.decode()
    assert accessibility_problems(html) == []
    assert PageForm(html, "transition-approve").data["next"] == part_url(filing, "scores")
    retry = PageForm(html, "retry-form")
    retry.data["comment"] = REASON
    response = client.post(transition_url(filing, "return"), retry.data)
    assert response["Location"] == part_url(filing, "scores")
    assert Filing.objects.get(pk=filing.pk).status == Status.RETURNED


def test_a_reason_longer_than_a_text_field_holds_is_refused(client, filing, reviewer):
    set_status(filing, Status.SUBMITTED)
    client.force_login(reviewer)
    response = press(client, filing, "return", comment="理" * (MAX_TEXT_LENGTH + 1))
    assert response.status_code == 409
    assert "文字过长" in response.content.decode()
    assert Filing.objects.get(pk=filing.pk).status == Status.SUBMITTED


def test_a_reopen_without_a_reason_is_refused(client, filing, reviewer):
    set_status(filing, Status.APPROVED)
    client.force_login(reviewer)
    response = press(client, filing, "reopen", comment="")
    assert response.status_code == 409
    assert "请填写取消审核原因" in response.content.decode()
    assert Filing.objects.get(pk=filing.pk).status == Status.APPROVED


def test_an_officer_cannot_approve_their_own_filing(client, filing, officer):
    set_status(filing, Status.SUBMITTED)
    client.force_login(officer)
    response = client.post(transition_url(filing, "approve"), {"status": "submitted"})
    assert response.status_code == 409
    assert "您没有权限执行“审核通过”操作。" in response.content.decode()
    assert Filing.objects.get(pk=filing.pk).status == Status.SUBMITTED


def test_a_reviewer_cannot_submit_for_the_department(client, filing, reviewer):
    client.force_login(reviewer)
    response = client.post(transition_url(filing, "submit"), {"status": "draft"})
    assert response.status_code == 409
    assert "没有权限" in response.content.decode()
    assert Filing.objects.get(pk=filing.pk).status == Status.DRAFT


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (Status.DRAFT, "approve"),
        (Status.DRAFT, "publish"),
        (Status.SUBMITTED, "publish"),
        (Status.SUBMITTED, "reopen"),
        (Status.APPROVED, "return"),
        (Status.PUBLISHED, "reopen"),
        (Status.RETURNED, "approve"),
    ],
)
def test_a_move_that_is_not_legal_from_the_status_is_refused(
    client, filing, reviewer, status, action
):
    set_status(filing, status)
    client.force_login(reviewer)
    response = client.post(
        transition_url(filing, action), {"status": status, "comment": "理由写够五个字"}
    )
    assert response.status_code == 409
    assert "不能执行" in response.content.decode()
    assert Filing.objects.get(pk=filing.pk).status == status
    assert not FilingTransition.objects.exists()


def test_a_button_pressed_on_an_outdated_page_is_refused(client, filing, reviewer):
    set_status(filing, Status.SUBMITTED)
    client.force_login(reviewer)
    html = client.get(part_url(filing)).content.decode()
    stale_return = PageForm(html, "transition-return")
    press(client, filing, "approve")  # a second tab, or a colleague
    stale_return.data["comment"] = REASON
    response = client.post(transition_url(filing, "return"), stale_return.data)
    assert response.status_code == 409
    assert "该填报的状态已被他人变更为“已审核”，请刷新后重试。" in response.content.decode()
    assert Filing.objects.get(pk=filing.pk).status == Status.APPROVED


def test_a_reviewer_of_another_jurisdiction_gets_404(client, filing):
    set_status(filing, Status.SUBMITTED)
    client.force_login(reviewer_of(JurisdictionFactory(name="邵阳市北塔区")))
    response = client.post(transition_url(filing, "approve"), {"status": "submitted"})
    assert response.status_code == 404
    assert client.get(history_url(filing)).status_code == 404
    assert client.get(changes_url(filing)).status_code == 404
    assert Filing.objects.get(pk=filing.pk).status == Status.SUBMITTED


def test_another_departments_officer_gets_404(client, filing):
    client.force_login(officer_of(DepartmentFactory()))
    assert client.post(transition_url(filing, "submit"), {"status": "draft"}).status_code == 404
    assert Filing.objects.get(pk=filing.pk).status == Status.DRAFT


def test_an_anonymous_visitor_is_sent_to_log_in(client, filing):
    for response in (
        client.post(transition_url(filing, "submit"), {"status": "draft"}),
        client.get(history_url(filing)),
        client.get(changes_url(filing)),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert Filing.objects.get(pk=filing.pk).status == Status.DRAFT


def test_a_move_is_only_made_by_post_and_an_unknown_action_does_not_exist(client, filing, officer):
    client.force_login(officer)
    assert client.get(transition_url(filing, "submit")).status_code == 405
    assert client.post(transition_url(filing, "destroy"), {"status": "draft"}).status_code == 404
    assert Filing.objects.get(pk=filing.pk).status == Status.DRAFT


# --- read-only filings ------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.APPROVED, Status.PUBLISHED])
@pytest.mark.parametrize("part", EDIT_PARTS)
def test_a_filing_out_of_the_officers_hands_renders_read_only_and_refuses_posts(
    client, filing, officer, status, part
):
    set_status(filing, status)
    client.force_login(officer)
    url = part_url(filing, part)
    html = client.get(url).content.decode()
    assert "<fieldset disabled>" in html
    assert "保存草稿" not in html
    assert 'name="version"' not in html
    form = PageForm(html)
    form.set(**{PART_FIELDS[part]: "99"})
    form.data["version"] = str(filing.version)
    response = client.post(url, form.data)
    assert response.status_code == 409
    assert "不能修改" in response.content.decode()
    preview = client.post(reverse("evaluations:part_preview", args=[filing.pk, part]), form.data)
    assert preview.status_code == 409
    assert "不能修改" in preview.json()["message"]
    saved = Filing.objects.get(pk=filing.pk)
    assert (saved.version, saved.updated_at) == (filing.version, filing.updated_at)


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.APPROVED, Status.PUBLISHED])
def test_projects_of_a_filing_out_of_the_officers_hands_cannot_change(
    client, filing, officer, status
):
    set_status(filing, status)
    project = filing.projects.get()
    client.force_login(officer)
    edit_url = reverse("evaluations:project_edit", args=[filing.pk, project.pk])
    html = client.get(edit_url).content.decode()
    assert "<fieldset disabled>" in html and "保存草稿" not in html
    form = PageForm(html)
    form.data["project-name"] = "改名"
    form.data["version"] = str(filing.version)
    assert client.post(edit_url, form.data).status_code == 409
    preview_url = reverse("evaluations:project_preview", args=[filing.pk, project.pk])
    assert client.post(preview_url, form.data).status_code == 409
    version = {"version": str(filing.version)}
    add = client.post(
        reverse("evaluations:project_add", args=[filing.pk]), {"name": "新项目", **version}
    )
    assert add.status_code == 409
    delete_url = reverse("evaluations:project_delete", args=[filing.pk, project.pk])
    assert client.post(delete_url, version).status_code == 409
    projects_page = client.get(part_url(filing, "projects")).content.decode()
    assert "project-add-form" not in projects_page and "project-delete-" not in projects_page
    assert list(filing.projects.values_list("name", flat=True)) == [project.name]
    assert Filing.objects.get(pk=filing.pk).version == filing.version


def test_a_returned_filing_is_editable_again(client, filing, officer):
    set_status(filing, Status.RETURNED)
    client.force_login(officer)
    url = part_url(filing, "contact")
    form = PageForm(client.get(url).content.decode())
    form.set(**{"contact-phone": "0730-8888888"})
    assert client.post(url, form.data).status_code == 302
    assert Filing.objects.get(pk=filing.pk).phone == "0730-8888888"


# --- the return banner --------------------------------------------------------------------


def test_the_officer_sees_the_latest_return_reason_on_every_page(client, filing, officer, reviewer):
    client.force_login(officer)
    press(client, filing, "submit")
    client.force_login(reviewer)
    press(client, filing, "return", comment="第一次退回的意见：请补充说明。")
    client.force_login(officer)
    press(client, filing, "submit")
    client.force_login(reviewer)
    press(client, filing, "return", comment=REASON)
    returned = filing.transitions.filter(to_status=Status.RETURNED).first()

    client.force_login(officer)
    project = filing.projects.get()
    urls = [part_url(filing, part) for part in PARTS]
    urls += [reverse("evaluations:project_edit", args=[filing.pk, project.pk])]
    urls += [history_url(filing), changes_url(filing)]
    for url in urls:
        html = client.get(url).content.decode()
        banner = html[html.index('id="return-reason"') :]
        banner = banner[: banner.index("</section>")]
        assert "该填报已被退回" in banner, url
        assert REASON in banner and "第一次退回" not in banner, url
        assert "李审核" in banner, url
        assert localtime(returned.created_at).strftime("%Y-%m-%d %H:%M") in banner, url


def test_the_return_banner_goes_once_the_filing_is_resubmitted(client, filing, officer, reviewer):
    set_status(filing, Status.SUBMITTED)
    client.force_login(reviewer)
    press(client, filing, "return", comment=REASON)
    client.force_login(officer)
    assert 'id="return-reason"' in client.get(part_url(filing)).content.decode()
    press(client, filing, "submit")
    assert 'id="return-reason"' not in client.get(part_url(filing)).content.decode()


def test_a_reopened_filing_shows_the_reopen_reason(client, filing, officer, reviewer):
    set_status(filing, Status.APPROVED)
    client.force_login(reviewer)
    press(client, filing, "reopen", comment=REOPEN_REASON)
    client.force_login(officer)
    html = client.get(part_url(filing, "funds")).content.decode()
    assert "该填报已被取消审核" in html and REOPEN_REASON in html


# --- 自上次退回以来的修改 --------------------------------------------------------------------


def test_reviewer_sees_exactly_the_fields_fixed_since_the_return(client, filing, officer, reviewer):
    client.force_login(officer)
    press(client, filing, "submit")
    client.force_login(reviewer)
    press(client, filing, "return", comment=REASON)
    old_deviation = filing.indicators.filter(project__isnull=True).order_by("position")[7].deviation

    client.force_login(officer)
    url = part_url(filing, "scores")
    form = PageForm(client.get(url).content.decode())
    form.fill("indicators", 7, score="9.5", deviation=NEW_DEVIATION)
    assert client.post(url, form.data).status_code == 302
    press(client, filing, "submit")

    client.force_login(reviewer)
    overview = client.get(part_url(filing)).content.decode()
    assert f'href="{changes_url(filing)}"' in overview
    response = client.get(changes_url(filing))
    assert response.status_code == 200
    html = response.content.decode()
    table = html[html.index('id="changes"') : html.index("</table>", html.index('id="changes"'))]
    rows = re.findall(
        r'<tr class="change-changed">\s*<th scope="row" class="fw-normal">'
        r'<a href="([^"]+)">([^<]+)</a></th>\s*'
        r'<td class="change-old">([^<]*)</td>\s*<td class="change-new">([^<]*)</td>',
        table,
    )
    field = f"{url}#indicators-7"  # each label leads to the row on its page
    assert rows == [
        (field, "附件2 第8行 得分", "9.00", "9.50"),
        (field, "附件2 第8行 偏差原因分析及改进措施", old_deviation, NEW_DEVIATION),
    ]
    assert table.count("<tr class=") == 2
    assert REASON in html


def test_added_and_removed_rows_are_reported_as_rows(client, filing, officer, reviewer):
    set_status(filing, Status.SUBMITTED)
    client.force_login(reviewer)
    press(client, filing, "return", comment=REASON)
    client.force_login(officer)
    url = part_url(filing, "scores")
    form = PageForm(client.get(url).content.decode())
    row = form.initial("indicators")
    if row >= form.total("indicators"):
        form.add_row("indicators")
    form.fill("indicators", row, level1="产出指标", level2="数量指标", name="新增指标")
    form.fill("indicators", row, target="≥1次", actual="1次", weight="0", score="0")
    assert client.post(url, form.data).status_code == 302
    project = filing.projects.get()
    project_url = reverse("evaluations:project_edit", args=[filing.pk, project.pk])
    form = PageForm(client.get(project_url).content.decode())
    last = form.initial("indicators") - 1
    removed = form.data[f"indicators-{last}-name"]
    form.fill("indicators", last, DELETE=True)
    assert client.post(project_url, form.data).status_code == 302

    html = client.get(changes_url(filing)).content.decode()
    assert html.count('<tr class="change-') == 2
    added = html[html.index('<tr class="change-added">') :]
    assert f"附件2 第{row + 1}行" in added and "产出指标 / 数量指标 / 新增指标" in added
    gone = html[html.index('<tr class="change-removed">') :]
    assert f"第{last + 1}行" in gone and removed in gone and "删除行" in gone


def test_a_filing_never_returned_has_nothing_to_compare(client, filing, reviewer):
    client.force_login(reviewer)
    html = client.get(changes_url(filing)).content.decode()
    assert "没有被退回过" in html
    assert "自上次退回以来的修改</a>" not in client.get(part_url(filing)).content.decode()


# --- 历史记录 ---------------------------------------------------------------------------------


def test_history_lists_field_changes_in_chinese_and_transitions_newest_first(
    client, filing, officer, reviewer
):
    client.force_login(officer)
    url = part_url(filing, "funds")
    form = PageForm(client.get(url).content.decode())
    old_executed = form.data["funds-executed"]
    form.set(**{"funds-executed": "370.00"})
    assert client.post(url, form.data).status_code == 302
    form = PageForm(client.get(url).content.decode())
    form.set(**{"funds-executed": old_executed})
    client.post(url, form.data)
    press(client, filing, "submit")
    client.force_login(reviewer)
    press(client, filing, "return", comment=REASON)

    for user in (officer, reviewer):
        client.force_login(user)
        response = client.get(history_url(filing))
        assert response.status_code == 200
        html = response.content.decode()
        assert "全年执行数" in html
        assert f"{old_executed}</span> → 370.00" in html
        assert "草稿 → 已报送" in html and "已报送 → 已退回" in html
        assert REASON in html
        assert "唐卫红" in html and "李审核" in html
        # Newest first: the return, then the submission, then the two saves.
        assert html.index("已报送 → 已退回") < html.index("草稿 → 已报送")
        assert html.index("草稿 → 已报送") < html.index("→ 370.00")
        assert "状态</span>" not in html  # status changes show as transitions only


def test_history_and_changes_pages_are_labelled(client, filing, officer, reviewer):
    client.force_login(officer)
    press(client, filing, "submit")
    client.force_login(reviewer)
    press(client, filing, "return", comment=REASON)
    for url in (history_url(filing), changes_url(filing)):
        html = client.get(url).content.decode()
        assert accessibility_problems(html) == [], url


def test_history_names_the_rows_a_save_removed_and_the_values_that_moved_up(
    client, filing, officer
):
    client.force_login(officer)
    url = part_url(filing, "scores")
    form = PageForm(client.get(url).content.decode())
    last = form.initial("indicators") - 1
    second = form.data["indicators-1-name"]
    form.fill("indicators", 0, DELETE=True)
    assert client.post(url, form.data).status_code == 302
    html = client.get(history_url(filing)).content.decode()
    # Rows are numbered as on paper: the first row now holds what was the second.
    assert "附件2 第1行 三级指标" in html
    assert f"积极开展理论学习.培训</span> → {second}" in html
    assert f"附件2 第{last + 1}行（删除行）" in html
    assert f"第 {filing.version + 1} 版：网页填报" in html


def test_history_takes_the_same_number_of_queries_however_long_it_is(client, filing, officer):
    client.force_login(officer)
    url = part_url(filing, "report")

    def history_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(history_url(filing)).status_code == 200
        return len(queries)

    def save_report(text):
        form = PageForm(client.get(url).content.decode())
        form.set(**{"report-other": text})
        assert client.post(url, form.data).status_code == 302

    save_report("第一次修改。")
    history_queries()  # the first visit may fill Django's content-type cache
    short = history_queries()
    for number in range(5):
        save_report(f"第{number + 2}次修改。")
    scores = part_url(filing, "scores")
    form = PageForm(client.get(scores).content.decode())
    form.fill("indicators", 0, deviation="逐行修改", actual="已完成")
    form.fill("indicators", 1, deviation="逐行修改")
    client.post(scores, form.data)
    assert history_queries() == short


# --- the whole cycle -----------------------------------------------------------------------


def test_the_whole_cycle_through_the_web(client, django_capture_on_commit_callbacks):
    filing = import_example("junshan-2023")  # a draft with two errors
    officer = officer_of(filing.department, first_name="唐卫红")
    reviewer = reviewer_of(filing.department.jurisdiction, first_name="李审核")
    project = filing.projects.get()

    # The officer sees why 报送 is not offered, fixes the errors, submits.
    client.force_login(officer)
    errors = len(filing_blocking_errors(filing=filing))
    assert f"有 {errors} 个错误，暂不能报送" in client.get(part_url(filing)).content.decode()
    url = part_url(filing, "scores")
    form = PageForm(client.get(url).content.decode())
    form.fill("indicators", 7, deviation="部分项目落地时间晚于计划。")
    assert client.post(url, form.data).status_code == 302
    project_url = reverse("evaluations:project_edit", args=[filing.pk, project.pk])
    form = PageForm(client.get(project_url).content.decode())
    index = next(
        i for i in range(form.initial("indicators")) if form.data[f"indicators-{i}-score"] == "8.00"
    )
    form.fill("indicators", index, deviation="专项经济效益尚需时间显现。")
    assert client.post(project_url, form.data).status_code == 302
    contact_url = part_url(filing, "contact")
    form = PageForm(client.get(contact_url).content.decode())
    form.data.update(
        {"contact-preparer": "李文静", "contact-phone": "0730-8321234", "contact-head": "王建国"}
    )
    assert client.post(contact_url, form.data).status_code == 302
    assert press(client, filing, "submit").status_code == 302
    filing.refresh_from_db()
    assert filing.status == Status.SUBMITTED

    # The reviewer returns it with a reason.
    client.force_login(reviewer)
    assert press(client, filing, "return", comment=REASON).status_code == 302

    # The officer reads the reason, fixes and resubmits.
    client.force_login(officer)
    assert REASON in client.get(part_url(filing, "scores")).content.decode()
    form = PageForm(client.get(url).content.decode())
    form.fill("indicators", 7, deviation=NEW_DEVIATION)
    assert client.post(url, form.data).status_code == 302
    assert press(client, filing, "submit").status_code == 302

    # The reviewer sees what changed, approves and publishes.
    client.force_login(reviewer)
    changes = client.get(changes_url(filing)).content.decode()
    assert "附件2 第8行 偏差原因分析及改进措施" in changes
    assert "招商引资项目落地慢于预期" in changes and "部分项目落地时间晚于计划。" in changes
    assert changes.count('<tr class="change-') == 1
    with django_capture_on_commit_callbacks(execute=True):  # the render task
        assert press(client, filing, "approve").status_code == 302
    assert press(client, filing, "publish").status_code == 302
    filing.refresh_from_db()
    assert filing.status == Status.PUBLISHED

    # Published: read-only for the officer.
    client.force_login(officer)
    assert buttons(client, filing) == set()
    form = PageForm(client.get(url).content.decode())
    assert client.post(url, form.data).status_code == 409

    # The reviewer takes it back from the public and reopens it.
    client.force_login(reviewer)
    assert press(client, filing, "unpublish").status_code == 302
    assert press(client, filing, "reopen", comment=REOPEN_REASON).status_code == 302
    filing.refresh_from_db()
    assert filing.status == Status.RETURNED
    assert list(filing.transitions.order_by("pk").values_list("to_status", "actor")) == [
        (Status.SUBMITTED, officer.pk),
        (Status.RETURNED, reviewer.pk),
        (Status.SUBMITTED, officer.pk),
        (Status.APPROVED, reviewer.pk),
        (Status.PUBLISHED, reviewer.pk),
        (Status.APPROVED, reviewer.pk),
        (Status.RETURNED, reviewer.pk),
    ]
    client.force_login(officer)
    assert buttons(client, filing) == {"submit"}
    assert REOPEN_REASON in client.get(part_url(filing)).content.decode()
    history = client.get(history_url(filing)).content.decode()
    assert history.count("badge text-bg-primary") == 7
    assert filing.total_score == Decimal("99.00")


# --- separation of duties ------------------------------------------------------------


@pytest.fixture
def officer_reviewer(filing):
    """Officer of the department and reviewer of its jurisdiction, a pair of
    roles held from before 用户管理 refused it."""
    user = officer_of(filing.department, first_name="周兼任")
    Membership.objects.create(
        user=user, role=Membership.Role.REVIEWER, jurisdiction=filing.department.jurisdiction
    )
    return user


def test_an_officer_who_also_reviews_gets_no_review_button_and_a_refusal(
    client, filing, officer_reviewer
):
    client.force_login(officer_reviewer)
    assert buttons(client, filing) == {"submit"}
    set_status(filing, Status.SUBMITTED)
    assert buttons(client, filing) == set()

    response = client.post(
        transition_url(filing, "approve"), {"status": "submitted", "comment": ""}
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "您是该部门的填报人，不能审核本部门的填报（填报与审核须由不同的人担任）。" in page
    assert "duty" not in page
    assert Filing.objects.get(pk=filing.pk).status == Status.SUBMITTED
    assert not FilingTransition.objects.filter(to_status=Status.APPROVED).exists()


# --- withdrawal ------------------------------------------------------------------------

WITHDRAW_REASON = "该部门已撤并，本年度填报作废。"
RESTORE_REASON = "撤并决定已撤回，恢复填报。"


@pytest.fixture
def admin():
    user = UserFactory(username="admin", first_name="王管理")
    Membership.objects.create(user=user, role=Membership.Role.ADMIN)
    return user


def test_an_administrator_withdraws_with_a_reason_shown_on_every_page(
    client, filing, officer, admin
):
    set_status(filing, Status.SUBMITTED)
    client.force_login(admin)
    assert "withdraw" in buttons(client, filing)

    response = press(client, filing, "withdraw", comment=WITHDRAW_REASON)

    assert response.status_code == 302
    assert Filing.objects.get(pk=filing.pk).status == Status.WITHDRAWN
    client.force_login(officer)
    for part in ("overview", "scores"):
        page = client.get(part_url(filing, part)).content.decode()
        assert 'class="badge status-withdrawn"' in page and ">已撤销<" in page
        banner = page[page.index('id="withdrawn-reason"') :]
        assert "该填报已被撤销" in banner and WITHDRAW_REASON in banner
        assert "撤销人：王管理" in banner and "撤销前状态：已报送" in banner
        assert f"{filing.fiscal_year.year} 年度不能另行新建填报" in banner
        assert "恢复后状态为“已报送”" in banner
    assert buttons(client, filing) == set()


def test_a_withdrawal_without_a_reason_is_refused_in_plain_words(client, filing, admin):
    client.force_login(admin)
    response = press(client, filing, "withdraw", comment="")
    assert response.status_code == 409
    assert "请填写撤销原因（至少 5 个字）。" in response.content.decode()
    assert Filing.objects.get(pk=filing.pk).status == Status.DRAFT


@pytest.mark.parametrize("part", EDIT_PARTS)
def test_a_withdrawn_filing_is_read_only(client, filing, officer, admin, part):
    client.force_login(admin)
    press(client, filing, "withdraw", comment=WITHDRAW_REASON)
    filing.refresh_from_db()
    client.force_login(officer)
    url = part_url(filing, part)
    html = client.get(url).content.decode()
    assert "<fieldset disabled>" in html and "保存草稿" not in html
    assert "该填报状态为“已撤销”，只能查看，不能修改。" in html
    form = PageForm(html)
    form.set(**{PART_FIELDS[part]: "99"})
    form.data["version"] = str(filing.version)
    assert client.post(url, form.data).status_code == 409
    assert Filing.objects.get(pk=filing.pk).version == filing.version


def test_the_administrator_restores_a_withdrawn_filing_to_where_it_was(
    client, filing, reviewer, admin
):
    set_status(filing, Status.SUBMITTED)
    client.force_login(admin)
    press(client, filing, "withdraw", comment=WITHDRAW_REASON)
    filing.refresh_from_db()
    assert buttons(client, filing) == {"restore"}
    withdrawn_page = client.get(part_url(filing)).content.decode()
    assert accessibility_problems(withdrawn_page) == []
    assert 'for="transition-restore-comment"' in withdrawn_page
    client.force_login(reviewer)
    assert buttons(client, filing) == set()
    refused = client.post(
        transition_url(filing, "restore"), {"status": "withdrawn", "comment": RESTORE_REASON}
    )
    assert refused.status_code == 409 and "您没有权限执行“恢复”操作。" in refused.content.decode()

    client.force_login(admin)
    response = press(client, filing, "restore", comment=RESTORE_REASON)

    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.status == Status.SUBMITTED
    assert [(t.from_status, t.to_status, t.comment) for t in filing.transitions.all()][:2] == [
        (Status.WITHDRAWN, Status.SUBMITTED, RESTORE_REASON),
        (Status.SUBMITTED, Status.WITHDRAWN, WITHDRAW_REASON),
    ]
    page = client.get(part_url(filing)).content.decode()
    assert 'id="withdrawn-reason"' not in page


def test_the_history_keeps_the_withdrawal_and_its_reason(client, filing, admin):
    client.force_login(admin)
    press(client, filing, "withdraw", comment=WITHDRAW_REASON)
    page = client.get(history_url(filing)).content.decode()
    assert "草稿 → 已撤销" in page and WITHDRAW_REASON in page


def test_the_dashboard_counts_and_lists_withdrawn_filings(client, filing, reviewer, admin):
    client.force_login(admin)
    press(client, filing, "withdraw", comment=WITHDRAW_REASON)
    client.force_login(reviewer)
    page = client.get(
        reverse("evaluations:dashboard"), {"year": filing.fiscal_year.year}
    ).content.decode()
    assert re.search(r'>已撤销</a> <span class="fw-semibold" data-status="withdrawn">1<', page)
    listed = client.get(
        reverse("evaluations:dashboard"),
        {"year": filing.fiscal_year.year, "status": "withdrawn"},
    ).content.decode()
    assert filing.department.name in listed
