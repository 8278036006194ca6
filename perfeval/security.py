"""Request-level protections that no single view owns: which client address a
request comes from, the login limit per address, and what shared office
computers may keep of a signed-in page."""

import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from django.utils.cache import patch_cache_control


def client_address(request) -> str:
    """The client's address. X-Real-IP is believed only when the request comes
    from one of PERFEVAL_TRUSTED_PROXIES (nginx overwrites that header with the
    real client's address); anyone who reaches gunicorn directly could put any
    value in it and so rotate past the login lockout."""
    remote = request.META.get("REMOTE_ADDR", "")
    if remote in settings.PERFEVAL_TRUSTED_PROXIES:
        forwarded = request.META.get("HTTP_X_REAL_IP", "").strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return remote


def address_failures(address: str) -> int:
    """Failed logins from `address` within the cool-off time, whatever the user names."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    total = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return total or 0


class AddressLimitedAxesHandler(AxesDatabaseHandler):
    """django-axes counts failures per user name and address; on top of that,
    an address that has failed PERFEVAL_ADDRESS_FAILURE_LIMIT times across any
    user names (guessing passwords for many accounts) is refused for the same
    cool-off time. The limit is well above AXES_FAILURE_LIMIT because a whole
    office may share one address."""

    def get_failures(self, request, credentials=None) -> int:
        # django-axes compares this one count with AXES_FAILURE_LIMIT, both
        # before a login and after a failure: an address over its own limit
        # counts as locked for every user name.
        failures = super().get_failures(request, credentials)
        address = getattr(request, "axes_ip_address", None) or client_address(request)
        if address_failures(address) >= settings.PERFEVAL_ADDRESS_FAILURE_LIMIT:
            return max(failures, get_failure_limit(request, credentials))
        return failures


class PrivatePagesMiddleware:
    """A signed-in page, report or workbook is never kept by the browser or a
    proxy (Cache-Control: no-store): offices share computers, and the back
    button after logging out must not show a filing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response
