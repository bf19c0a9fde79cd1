from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

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
