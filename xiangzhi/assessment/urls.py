from django.urls import path

from xiangzhi.assessment import views

app_name = "assessment"
urlpatterns = [
    path("", views.index, name="index"),
    path("periods/new/", views.period_new, name="period_new"),
    path("periods/<int:period_id>/", views.period_detail, name="period"),
    path("periods/<int:period_id>/run/", views.period_run, name="period_run"),
    path("periods/<int:period_id>/publish/", views.period_publish, name="period_publish"),
    path("periods/<int:period_id>/close/", views.period_close, name="period_close"),
    path("periods/<int:period_id>/villages/<str:village_code>/", views.village_score, name="village"),
    path("periods/<int:period_id>/villages/<str:village_code>/manual/", views.manual_add, name="manual_add"),
    path("periods/<int:period_id>/villages/<str:village_code>/correct/", views.correct, name="correct"),
    path("periods/<int:period_id>/grids/<str:grid_code>/", views.grid_score, name="grid"),
    path("periods/<int:period_id>/grids/<str:grid_code>/appeal/", views.grid_appeal, name="grid_appeal"),
    path("periods/<int:period_id>/grids/<str:grid_code>/manual/", views.grid_manual_add, name="grid_manual_add"),
    path("periods/<int:period_id>/grids/<str:grid_code>/correct/", views.grid_correct, name="grid_correct"),
    path("periods/<int:period_id>/appeals/", views.appeal_list, name="appeals"),
    path("appeals/<int:appeal_id>/decide/", views.appeal_decide, name="appeal_decide"),
    path("grids/mine/", views.mine, name="mine"),
    path("grids/year/<int:year>/", views.rollup, name="rollup"),
    path("grids/year/<int:year>/print/", views.rollup_print, name="rollup_print"),
    path("grids/year/<int:year>/export.xlsx", views.rollup_xlsx, name="rollup_xlsx"),
    path("schemes/<int:scheme_id>/", views.scheme_detail, name="scheme"),
    path("schemes/<int:scheme_id>/versions/new/", views.version_new, name="version_new"),
    path("versions/<int:version_id>/", views.version_detail, name="version"),
    path("versions/<int:version_id>/items/", views.item_save, name="item_save"),
    path("versions/<int:version_id>/items/<int:item_id>/delete/", views.item_delete, name="item_delete"),
    path("versions/<int:version_id>/activate/", views.version_activate, name="version_activate"),
]
