from django.urls import path

from xiangzhi.centre import figures_views, views

app_name = "centre"
urlpatterns = [
    path("", views.home, name="home"),
    # 统计, page and wall screen: the case figures with grid work's visits beside them.
    path("figures/", figures_views.figures, name="figures"),
]
