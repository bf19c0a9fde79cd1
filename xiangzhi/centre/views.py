from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from xiangzhi.cases.rules import figures_allowed
from xiangzhi.centre.nav import sections_for
from xiangzhi.core.inputs import require


@login_required
def home(request):
    """The centre opens on its first section the user may see."""
    require(figures_allowed(request.user), "无权进入指挥中心")
    return redirect(sections_for(request.user)[0]["url"])
