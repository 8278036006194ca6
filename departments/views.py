"""用户管理: bureau administrators list users, create them, give and take roles
and deactivate accounts. For anyone else these pages do not exist (404)."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from perfeval.params import clean_text

from . import services
from .forms import MembershipAddForm, UserCreateForm
from .models import Membership
from .selectors import user_account_record, user_is_admin, users_with_memberships

USERS_PER_PAGE = 50


def _require_admin(request):
    if not user_is_admin(user=request.user):
        raise Http404("没有找到该页面。")


def _user_or_404(pk):
    return get_object_or_404(get_user_model(), pk=pk)


def _refusal_text(refused: ValidationError) -> str:
    return "；".join(refused.messages)


@require_http_methods(["GET"])
def user_list(request):
    _require_admin(request)
    q = clean_text(request.GET.get("q"), max_length=100)
    page = Paginator(users_with_memberships(q=q), USERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "departments/user_list.html", {"page": page, "q": q})


@require_http_methods(["GET", "POST"])
def user_create(request):
    _require_admin(request)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=request.user,
                username=data["username"],
                name=data["name"],
                email=data["email"],
                password=data["password"],
                role=data["role"],
                department=data["department"],
                jurisdiction=data["jurisdiction"],
            )
        except ValidationError as refused:
            form.add_error(None, refused)
        else:
            messages.success(request, f"已创建用户“{user.username}”。")
            return redirect("departments:user_detail", pk=user.pk)
    return render(request, "departments/user_create.html", {"form": form})


@require_http_methods(["GET", "POST"])
def user_detail(request, pk):
    """The user's roles, with the form that adds one (POST here) and the
    buttons that remove one or deactivate the account."""
    _require_admin(request)
    account = _user_or_404(pk)
    form = MembershipAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.membership_add(
                actor=request.user, user=account, **form.cleaned_data
            )
        except ValidationError as refused:
            form.add_error(None, refused)
        else:
            messages.success(request, f"已添加角色：{membership.get_role_display()}。")
            return redirect("departments:user_detail", pk=account.pk)
    memberships = account.memberships.select_related("department__jurisdiction", "jurisdiction")
    return render(
        request,
        "departments/user_detail.html",
        {
            "account": account,
            "memberships": memberships,
            "form": form,
            "record": user_account_record(user=account),
        },
    )


@require_POST
def membership_remove(request, pk, membership_pk):
    _require_admin(request)
    # user__pk, not user_id: a lookup through the relation checks the bounds of
    # the id, so a 30-digit one finds nothing instead of overflowing SQLite.
    membership = get_object_or_404(Membership, pk=membership_pk, user__pk=pk)
    label = membership.get_role_display()
    try:
        services.membership_remove(actor=request.user, membership=membership)
    except ValidationError as refused:
        messages.error(request, _refusal_text(refused))
    else:
        messages.success(request, f"已移除角色：{label}。")
    return redirect("departments:user_detail", pk=pk)


@require_POST
def user_deactivate(request, pk):
    _require_admin(request)
    account = _user_or_404(pk)
    try:
        services.user_deactivate(actor=request.user, user=account)
    except ValidationError as refused:
        messages.error(request, _refusal_text(refused))
    else:
        messages.success(request, f"已停用用户“{account.username}”，该用户不能再登录。")
    return redirect("departments:user_detail", pk=pk)


@require_POST
def user_reactivate(request, pk):
    _require_admin(request)
    account = _user_or_404(pk)
    services.user_reactivate(actor=request.user, user=account)
    messages.success(request, f"已重新启用用户“{account.username}”，该用户可以再次登录。")
    return redirect("departments:user_detail", pk=pk)
