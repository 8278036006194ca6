import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from evaluations.checks import openpyxl_defusedxml_check


@pytest.fixture
def without_defusedxml(monkeypatch):
    monkeypatch.setattr("openpyxl.xml.DEFUSEDXML", False)


def test_openpyxl_uses_defusedxml_here():
    assert openpyxl_defusedxml_check() == []


def test_openpyxl_without_defusedxml_is_an_error(without_defusedxml):
    [error] = openpyxl_defusedxml_check()

    assert error.id == "perfeval.E001"
    assert error.is_serious()
    assert "defusedxml" in error.msg and "defusedxml" in error.hint


def test_the_check_is_registered_and_stops_manage_py(without_defusedxml):
    assert "perfeval.E001" in [message.id for message in run_checks()]
    with pytest.raises(SystemCheckError, match=r"perfeval\.E001"):
        call_command("check")
