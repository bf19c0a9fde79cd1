"""The grid page: people's page, with what apps above people show on it — the party members serving
the grid with their posts (亮身份: names and posts only) and the day of their group's last activity."""

from django.template.response import TemplateResponse

from xiangzhi.party.selectors import grid_identity, grid_last_activity
from xiangzhi.people import views as people


def grid(request, code: str):
    response = people.grid_detail(request, code)
    if isinstance(response, TemplateResponse) and response.context_data is not None:
        grid = response.context_data["grid"]
        response.context_data["party_identity"] = identity = grid_identity(grid)
        response.context_data["party_last_activity"] = grid_last_activity(grid) if identity else None
    return response
