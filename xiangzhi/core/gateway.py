"""Signed JSON posts to the gateways a county runs on its intranet (SMS, WeChat).

The platform does not talk to a carrier or to WeChat: it POSTs JSON to a gateway, signed with
HMAC-SHA256 over the exact body (header ``X-Xiangzhi-Signature: sha256=<hex>``). It connects directly,
ignoring ``*_proxy`` environment variables, since the gateway sits on the same intranet.
"""

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-Xiangzhi-Signature"
GATEWAY_TIMEOUT_SECONDS = 5


class GatewayError(Exception):
    """The gateway did not take the message; the text (Chinese) says why."""


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# Direct connections only: an empty ProxyHandler keeps http_proxy/https_proxy out of the way.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post_signed_json(url: str, payload: dict[str, Any], *, secret: str,
                     timeout: float = GATEWAY_TIMEOUT_SECONDS) -> None:
    """POST ``payload`` as UTF-8 JSON with its HMAC-SHA256 signature; any 2xx answer counts as accepted."""
    if not url:
        raise GatewayError("未配置网关地址")
    if urlsplit(url).scheme not in ("http", "https"):
        raise GatewayError("网关地址应以 http:// 或 https:// 开头")
    if not secret:
        # An unsigned gateway would relay messages for anyone on the network.
        raise GatewayError("未配置网关密钥")
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(body, secret),
            "User-Agent": "xiangzhi-notify/1",
        },
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(4096)
    except urllib.error.HTTPError as exc:
        raise GatewayError(f"网关返回 HTTP {exc.code}") from exc
    except urllib.error.URLError as exc:
        raise GatewayError(f"无法连接网关：{exc.reason}") from exc
    except (TimeoutError, OSError) as exc:
        raise GatewayError(f"网关无应答：{exc.__class__.__name__}") from exc
