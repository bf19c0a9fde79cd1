from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from xiangzhi.accounts.models import Role, Signup

CHANGE_FIRST_MESSAGE = "管理员已重置您的密码，请先设置新密码"


class PasswordChangeRequiredMiddleware:
    """While an account carries ``must_change_password`` (an administrator reset it), its web session
    reaches only the password page and logout: pages redirect there, the API answers 403."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            allowed = (reverse("accounts:me"), reverse("accounts:logout"), "/api/v1/auth/logout")
            path = request.path
            if path not in allowed and not path.startswith(("/static/", "/media/")):
                if path.startswith("/api/"):
                    return JsonResponse(
                        {"error": {"code": "password_change_required", "message": CHANGE_FIRST_MESSAGE}},
                        status=403,
                    )
                return redirect("accounts:me")
        return self.get_response(request)


PENDING_MESSAGE = "您的注册正在等待村里确认，确认后才能使用"
# Reachable whatever the account's state: files, and what the installable web app fetches by itself.
_ALWAYS = ("/static/", "/media/")
_ALWAYS_EXACT = ("/sw.js", "/manifest.webmanifest", "/favicon.ico")


class SignupPendingMiddleware:
    """A resident who signed himself up and whom the village has not yet bound to a household reaches
    only the waiting page (which shows a refusal's reason), his account page and logout."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and user.role == Role.RESIDENT and not user.household_id
                and not user.is_superuser):
            path = request.path
            allowed = (reverse("accounts:pending"), reverse("accounts:logout"), reverse("accounts:me"),
                       "/api/v1/auth/logout", *_ALWAYS_EXACT)
            if path not in allowed and not path.startswith(_ALWAYS) and Signup.objects.filter(user=user).exists():
                if path.startswith("/api/"):
                    return JsonResponse({"error": {"code": "signup_pending", "message": PENDING_MESSAGE}}, status=403)
                return redirect("accounts:pending")
        return self.get_response(request)
