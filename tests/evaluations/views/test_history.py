"""历史记录 names people by their full name, else by their user name."""

import re

import pytest
from django.urls import reverse

from evaluations.models import Filing
from evaluations.services.workflow import filing_transition
from tests.evaluations.pages import PageForm
from tests.factories import blank_filing, officer_of, reviewer_of

pytestmark = pytest.mark.django_db


def test_history_shows_full_names_and_falls_back_to_the_user_name(client):
    filing = blank_filing()
    officer = officer_of(filing.department, username="zhangsan")  # no name given
    reviewer = reviewer_of(filing.department.jurisdiction, username="lishenhe", first_name="李审核")
    client.force_login(officer)
    url = reverse("evaluations:filing_part", args=[filing.pk, "contact"])
    form = PageForm(client.get(url).content.decode())
    form.data["contact-phone"] = "0739-5321234"
    assert client.post(url, form.data).status_code == 302
    Filing.objects.filter(pk=filing.pk).update(status=Filing.Status.SUBMITTED)
    filing.refresh_from_db()
    filing_transition(
        filing=filing, to=Filing.Status.RETURNED, actor=reviewer, comment="请补充联系电话区号。"
    )

    client.force_login(reviewer)
    html = client.get(reverse("evaluations:filing_history", args=[filing.pk])).content.decode()
    actors = re.findall(r'<td class="text-nowrap">[^<]*</td>\s*<td>([^<]*)</td>', html)
    assert actors[0] == "李审核"  # the return, newest first
    assert "zhangsan" in actors
    assert "lishenhe" not in actors
