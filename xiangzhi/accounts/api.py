import datetime as dt

from django.contrib.auth import authenticate, logout
from ninja import Router, Schema

from xiangzhi.accounts.selectors import api_token_get_for_owner, api_token_list_for_owner
from xiangzhi.accounts.services import api_token_issue, api_token_revoke, api_tokens_revoke_all
from xiangzhi.core.http import error_response

router = Router(tags=["认证"])


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"  # noqa: S105 (a scheme name, not a secret)
    username: str
    role: str
    expires_at: dt.datetime


class TokenRowOut(Schema):
    id: int
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    current: bool


class LogoutOut(Schema):
    revoked: int


class MeOut(Schema):
    username: str
    full_name: str
    role: str
    role_name: str
    scope_code: str | None


@router.post("/token", auth=None, response={200: TokenOut}, summary="用户名和密码换取令牌")
def token(request, payload: TokenIn):
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        return error_response(429, "locked_out", "登录失败次数过多，账号已暂时锁定，请15分钟后再试")
    if user is None or not user.is_active:
        return error_response(401, "bad_credentials", "用户名或密码不正确")
    if user.must_change_password:
        return error_response(403, "password_change_required",
                              "管理员已重置您的密码，请先在网页“我的账号”中设置新密码")
    token = api_token_issue(user=user)
    row = user.api_tokens.order_by("-id").values("expires_at").first()
    return {"token": token, "username": user.username, "role": user.role, "expires_at": row["expires_at"]}


def _token_row(request, token) -> dict:
    current = getattr(request, "api_token", None)
    return {
        "id": token.pk, "prefix": token.prefix, "created_at": token.created_at, "last_used_at": token.last_used_at,
        "expires_at": token.expires_at, "revoked_at": token.revoked_at,
        "current": current is not None and current.pk == token.pk,
    }


@router.get("/tokens", response=list[TokenRowOut], summary="我的令牌（最近50个）")
def tokens(request):
    return [_token_row(request, t) for t in api_token_list_for_owner(request.user)]


@router.delete("/tokens/{token_id}", response=TokenRowOut, summary="吊销我的一个令牌")
def token_revoke(request, token_id: int):
    token = api_token_get_for_owner(request.user, token_id)
    api_token_revoke(token=token)
    return _token_row(request, token)


@router.post("/logout", response=LogoutOut, summary="退出：吊销当前令牌（网页会话退出时吊销全部令牌）")
def api_logout(request):
    token = getattr(request, "api_token", None)
    if token is not None:
        api_token_revoke(token=token)
        return {"revoked": 1}
    revoked = api_tokens_revoke_all(user=request.user)
    logout(request)
    return {"revoked": revoked}


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
