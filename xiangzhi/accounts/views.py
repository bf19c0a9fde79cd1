from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from xiangzhi.accounts.models import Role, SignupStatus, SmsCode
from xiangzhi.accounts.rules import can_add_family_member, can_decide_signups
from xiangzhi.accounts.selectors import (
    api_token_get_for_owner,
    api_token_list_for_owner,
    family_member_list_for,
    signup_get_for_user,
    signup_household_choices,
    signup_household_match,
    signup_latest_of,
    signup_list_for_user,
    signup_village_choices,
)
from xiangzhi.accounts.services import (
    SignupDetails,
    account_password_change,
    api_token_revoke,
    api_tokens_revoke_all,
    family_member_add,
    signup_confirm,
    signup_create,
    signup_refuse,
    signup_resubmit,
    sms_code_send,
    sms_login_user,
)
from xiangzhi.core.errors import DomainError, Invalid
from xiangzhi.core.inputs import form_int
from xiangzhi.core.sms import sms_backend

LOCKOUT_MESSAGE = "登录失败次数过多，已暂时锁定，请15分钟后再试。"


def lockout(request, credentials=None, *args, **kwargs):
    """django-axes calls this once a username/address pair, or an address, has failed too often."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "locked_out", "message": LOCKOUT_MESSAGE}}, status=429)
    return render(request, "accounts/login.html", {"lockout_message": LOCKOUT_MESSAGE}, status=429)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Logging out of the web also ends every API token of the account."""

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            api_tokens_revoke_all(user=request.user)
        return super().post(request, *args, **kwargs)


@login_required
def me(request):
    """我的账号: who I am, my own password change, my API tokens."""
    user = request.user
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        account_password_change(user=user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)
        messages.success(request, "密码已修改；原有的 API 令牌已全部吊销，本次网页登录保持有效。")
        return redirect("accounts:me")
    return render(request, "accounts/me.html", {
        "form": form, "tokens": api_token_list_for_owner(user), "now": timezone.now(),
        "token_days": settings.API_TOKEN_DAYS,
    })


@login_required
@require_POST
def token_revoke(request, token_id: int):
    token = api_token_get_for_owner(request.user, token_id)
    api_token_revoke(token=token)
    messages.success(request, f"令牌 {token.prefix}… 已吊销")
    return redirect("accounts:me")


# --- Signing up, logging in by SMS code, the village's confirmation ------------------------------

LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"  # the session records which backend let the user in


def _address(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _send_code(request, phone: str, purpose: str) -> None:
    """Ask for a code; on a demo (DEBUG and the console backend) the code is also shown on the page."""
    code = sms_code_send(phone=phone, purpose=purpose, ip_address=_address(request))
    messages.success(request, "验证码已发送，请查看手机短信")
    if settings.DEBUG and sms_backend().is_console:
        messages.info(request, f"演示环境未真正发短信，验证码是 {code}")


def _villages() -> list[tuple[str, list]]:
    """Villages grouped under their township, for the sign-up form's list."""
    groups: dict[str, list] = {}
    for village in signup_village_choices():
        town = village.parent
        if town is not None and town.level == "area" and town.parent is not None:
            town = town.parent
        groups.setdefault(town.name if town else "", []).append(village)
    return list(groups.items())


def _details(post) -> SignupDetails:
    return SignupDetails(
        village_id=form_int(post.get("village"), "村/社区"), full_name=post.get("full_name", ""),
        id_number=post.get("id_number", ""), head_name=post.get("head_name", ""), note=post.get("note", ""),
    )


def signup(request):
    """注册: a villager's own sign-up with his phone and an SMS code."""
    if request.user.is_authenticated:
        return redirect("front:home")
    error = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "send_code":
                _send_code(request, request.POST.get("phone", ""), SmsCode.Purpose.SIGNUP)
            else:
                if request.POST.get("password") != request.POST.get("password2"):
                    raise Invalid("两次输入的密码不一致")
                new = signup_create(phone=request.POST.get("phone", ""), code=request.POST.get("code", ""),
                                    password=request.POST.get("password", ""), details=_details(request.POST))
                login(request, new.user, backend=LOGIN_BACKEND)
                messages.success(request, "注册已提交，请等待村里确认")
                return redirect("accounts:pending")
        except DomainError as exc:
            error = str(exc)
    return render(request, "accounts/signup.html", {
        "error": error, "data": request.POST, "village_groups": _villages(),
    }, status=400 if error else 200)


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def login_sms(request):
    """短信验证码登录."""
    if request.user.is_authenticated:
        return redirect("front:home")
    error = None
    if request.method == "POST":
        phone = request.POST.get("phone", "")
        try:
            if request.POST.get("action") == "send_code":
                _send_code(request, phone, SmsCode.Purpose.LOGIN)
            else:
                user = sms_login_user(phone=phone, code=request.POST.get("code", ""))
                login(request, user, backend=LOGIN_BACKEND)
                return redirect(_safe_next(request))
        except DomainError as exc:
            error = str(exc)
    return render(request, "accounts/login_sms.html", {
        "error": error, "data": request.POST, "next": request.GET.get("next", ""),
    }, status=400 if error else 200)


@login_required
def pending(request):
    """What a resident sees until the village confirms his sign-up: waiting, or why it was refused."""
    user = request.user
    latest = signup_latest_of(user) if user.role == Role.RESIDENT else None
    if latest is None or user.household_id:
        return redirect("front:home")
    decisions = list(latest.decisions.all())
    decision = decisions[-1] if decisions else None
    error = None
    if request.method == "POST" and latest.status == SignupStatus.REFUSED:
        try:
            signup_resubmit(user=user, details=_details(request.POST))
            messages.success(request, "已重新提交，请等待村里确认")
            return redirect("accounts:pending")
        except DomainError as exc:
            error = str(exc)
    return render(request, "accounts/pending.html", {
        "signup": latest, "decision": decision, "error": error, "data": request.POST or {
            "village": str(latest.village_id), "full_name": latest.full_name, "head_name": latest.head_name,
            "note": latest.note,
        }, "village_groups": _villages() if latest.status == SignupStatus.REFUSED else [],
    }, status=400 if error else 200)


def _require_cadre(request) -> None:
    if not can_decide_signups(request.user):
        raise PermissionDenied("只有村两委可以处理注册申请")


@login_required
def signups(request):
    """注册审核: the pending sign-ups of the cadre's village, each with its matched household."""
    _require_cadre(request)
    rows = [(s, signup_household_match(s)) for s in signup_list_for_user(request.user)[:100]]
    return render(request, "accounts/signups.html", {"rows": rows})


@login_required
def signup_detail(request, signup_id: int):
    """One sign-up: confirm it to the matched household or one the cadre picks, or refuse it."""
    _require_cadre(request)
    item = signup_get_for_user(request.user, signup_id)
    search = request.GET.get("q", "")
    return render(request, "accounts/signup_detail.html", {
        "item": item, "match": signup_household_match(item), "q": search,
        "choices": signup_household_choices(item, search),
    })


@login_required
@require_POST
def signup_decide(request, signup_id: int):
    _require_cadre(request)
    item = signup_get_for_user(request.user, signup_id)
    try:
        if request.POST.get("decision") == "refuse":
            signup_refuse(signup=item, actor=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, f"已退回{item.full_name}的注册申请")
        else:
            household_id = form_int(request.POST.get("household"), "户")
            if household_id is None:
                raise Invalid("请选择要绑定的户")
            signup_confirm(signup=item, actor=request.user, household_id=household_id,
                           resident_id=form_int(request.POST.get("resident"), "居民"))
            messages.success(request, f"已确认{item.full_name}的注册")
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("accounts:signup_detail", signup_id=item.pk)
    return redirect("accounts:signups")


@login_required
def family(request):
    """家庭成员: a confirmed resident opens accounts for members of his household."""
    user = request.user
    if not can_add_family_member(user):
        raise PermissionDenied("只有已确认的村民可以添加家庭成员")
    error = None
    if request.method == "POST":
        try:
            member = family_member_add(actor=user, resident_id=form_int(request.POST.get("resident"), "家庭成员") or 0,
                                       phone=request.POST.get("phone", ""))
            messages.success(request, f"已为{member.full_name}开通账号，请他用这个手机号和短信验证码登录")
            return redirect("accounts:family")
        except DomainError as exc:
            error = str(exc)
    return render(request, "accounts/family.html", {
        "members": family_member_list_for(user), "error": error, "data": request.POST,
    }, status=400 if error else 200)
