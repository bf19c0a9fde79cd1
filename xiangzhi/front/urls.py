from django.urls import path

from xiangzhi.front import figures_views, grid_page, pwa_views, views, village_page
from xiangzhi.people import views as people

app_name = "front"
urlpatterns = [
    path("", views.home, name="home"),
    # The installable web app: its manifest and its service worker, at the root so it controls every page.
    path("manifest.webmanifest", pwa_views.manifest, name="manifest"),
    path("sw.js", pwa_views.service_worker, name="service_worker"),
    # 统计, page and wall screen: the case figures with grid work's visits beside them.
    path("cases/figures/", figures_views.figures, name="figures"),
    # A region's and a grid's pages show the people on them: people's pages, at the tree's addresses.
    path("regions/<str:code>/", people.region_detail, name="region"),
    path("grids/<str:code>/", grid_page.grid, name="grid"),
    # 一村一码: the page a village's QR code opens, without login (its other addresses: supervision).
    path("v/<str:token>/", village_page.page, name="village_page"),
]
