from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.accounts.selectors import api_token_get_for_owner, api_token_list_for_owner
from xiangzhi.accounts.services import account_password_change, api_token_revoke, api_tokens_revoke_all

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
