"""The grid page: people's page, with what apps above people show on it — the party members serving
the grid with their posts (亮身份: names and posts only)."""

from django.template.response import TemplateResponse

from xiangzhi.party.selectors import grid_identity
from xiangzhi.people import views as people


def grid(request, code: str):
    response = people.grid_detail(request, code)
    if isinstance(response, TemplateResponse) and response.context_data is not None:
        response.context_data["party_identity"] = grid_identity(response.context_data["grid"])
    return response
