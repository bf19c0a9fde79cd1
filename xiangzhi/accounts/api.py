from django.contrib.auth import authenticate
from ninja import Router, Schema

from xiangzhi.accounts.services import api_token_issue

router = Router(tags=["认证"])


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"  # noqa: S105 (a scheme name, not a secret)
    username: str
    role: str


class MeOut(Schema):
    username: str
    full_name: str
    role: str
    role_name: str
    scope_code: str | None


@router.post("/token", auth=None, response={200: TokenOut}, summary="用户名和密码换取令牌")
def token(request, payload: TokenIn):
    from xiangzhi.api import error_response

    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        return error_response(request, 429, "locked_out", "登录失败次数过多，账号已暂时锁定，请15分钟后再试")
    if user is None or not user.is_active:
        return error_response(request, 401, "bad_credentials", "用户名或密码不正确")
    return {"token": api_token_issue(user=user), "username": user.username, "role": user.role}


@router.get("/me", response=MeOut, summary="当前账号")
def me(request):
    user = request.user
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "role_name": user.get_role_display(),
        "scope_code": user.region.code if user.region_id else None,
    }
