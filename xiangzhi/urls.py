from django.contrib import admin
from django.urls import include, path

from xiangzhi.api import api
from xiangzhi.system.views import healthz, metrics

handler400 = "xiangzhi.front.errors.bad_request"
handler403 = "xiangzhi.front.errors.permission_denied"
handler404 = "xiangzhi.front.errors.page_not_found"
handler500 = "xiangzhi.front.errors.server_error"

admin.site.site_header = "乡治 管理后台"
admin.site.site_title = "乡治"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("system/", include("xiangzhi.system.urls")),
    path("api/v1/", api.urls),
    path("accounts/", include("xiangzhi.accounts.urls")),
    path("admin/", admin.site.urls),
    path("people/", include("xiangzhi.people.urls")),
    path("work/", include("xiangzhi.gridwork.urls")),
    path("cases/", include("xiangzhi.cases.urls")),
    path("inspections/", include("xiangzhi.inspections.urls")),
    path("points/", include("xiangzhi.points.urls")),
    path("shop/", include("xiangzhi.shop.urls")),
    path("activities/", include("xiangzhi.activities.urls")),
    path("projects/", include("xiangzhi.projects.urls")),
    path("duties/", include("xiangzhi.duties.urls")),
    path("assessment/", include("xiangzhi.assessment.urls")),
    path("disclosure/", include("xiangzhi.disclosure.urls")),
    path("supervision/", include("xiangzhi.supervision.urls")),
    path("", include("xiangzhi.supervision.public_urls")),  # 一村一码: /v/, /q/, /c/, /qr/ without login
    path("meetings/", include("xiangzhi.meetings.urls")),
    path("party/", include("xiangzhi.party.urls")),
    path("participation/", include("xiangzhi.participation.urls")),
    path("open311/v2/", include("xiangzhi.open311.urls")),
    path("inbox/", include("xiangzhi.notifications.urls")),
    path("centre/", include("xiangzhi.centre.urls")),
    path("", include("xiangzhi.regions.urls")),
    path("", include("xiangzhi.front.urls")),
]
