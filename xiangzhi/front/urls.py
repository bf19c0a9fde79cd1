from django.urls import path
from django.views.generic import RedirectView

from xiangzhi.front import grid_page, pwa_views, views, village_page
from xiangzhi.people import views as people

app_name = "front"
urlpatterns = [
    path("", views.home, name="home"),
    # The installable web app: its manifest and its service worker, at the root so it controls every page.
    path("manifest.webmanifest", pwa_views.manifest, name="manifest"),
    path("sw.js", pwa_views.service_worker, name="service_worker"),
    # 统计 moved into the command centre; old bookmarks (a wall screen's, too) keep working.
    path("cases/figures/", RedirectView.as_view(url="/centre/figures/", query_string=True, permanent=True)),
    # A region's and a grid's pages show the people on them: people's pages, at the tree's addresses.
    path("regions/<str:code>/", people.region_detail, name="region"),
    path("grids/<str:code>/", grid_page.grid, name="grid"),
    # 一村一码: the page a village's QR code opens, without login (its other addresses: supervision).
    path("v/<str:token>/", village_page.page, name="village_page"),
]
