from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.shortcuts import render

LOCKOUT_MESSAGE = "登录失败次数过多，账号已暂时锁定，请15分钟后再试。"


def lockout(request, credentials=None, *args, **kwargs):
    """django-axes calls this once a username/address pair has failed too often."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "locked_out", "message": LOCKOUT_MESSAGE}}, status=429)
    return render(request, "accounts/login.html", {"lockout_message": LOCKOUT_MESSAGE}, status=429)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass
