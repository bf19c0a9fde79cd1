from django.urls import path

from xiangzhi.centre import (
    audit_views,
    config_views,
    export_views,
    figures_views,
    know_views,
    map_views,
    queue_views,
    take_part_views,
    views,
    wall_views,
)

app_name = "centre"
urlpatterns = [
    path("", views.home, name="home"),
    # 概况 (一键可知): population, households, key people, grids and workers, with the change since last month.
    path("know/", know_views.know, name="know"),
    # 群众参与 (一键可参): ratings by channel, 电话回访 of reporters without an account, the polls.
    path("take-part/", take_part_views.take_part, name="take_part"),
    path("take-part/cases/<int:case_id>/visit/", take_part_views.phone_visit, name="phone_visit"),
    # 统计, page and wall screen: the case figures with grid work's visits beside them.
    path("figures/", figures_views.figures, name="figures"),
    # 调度 (一键可管): the case list behind every figure, the dispatcher's queue, bulk dispatch and 督办.
    path("cases/", queue_views.queue, name="cases"),
    path("cases/bulk/", queue_views.queue_bulk, name="cases_bulk"),
    path("cases/export.xlsx", queue_views.queue_export, name="cases_export"),
    path("cases/print/", queue_views.queue_print, name="cases_print"),
    path("workload/", queue_views.workload, name="workload"),
    # 上报材料: the figures page's figures and rankings as .xlsx (rates as formulas) and as a page to print.
    path("figures/export.xlsx", export_views.figures_xlsx, name="figures_xlsx"),
    path("figures/print/", export_views.figures_print, name="figures_print"),
    # 大屏: the wall screen, and the fragment it fetches every minute.
    path("wall/", wall_views.wall, name="wall"),
    path("wall/data/", wall_views.wall_data, name="wall_data"),
    # 地图 (一键可查): the live case layer, workers on patrol, key places, a grid's panel.
    path("map/", map_views.map_page, name="map"),
    path("map/cases.json", map_views.map_cases, name="map_cases"),
    path("map/grids.json", map_views.map_grids, name="map_grids"),
    path("map/positions.json", map_views.map_positions, name="map_positions"),
    path("map/places.json", map_views.map_places, name="map_places"),
    path("map/grids/<str:code>/", map_views.map_panel, name="map_panel"),
    # 审计: the scoped audit trail and its export.
    path("audit/", audit_views.audit_page, name="audit"),
    path("audit/export.xlsx", audit_views.audit_export, name="audit_export"),
    # 配置: the county's settings and catalogues with township overrides, each with its history.
    path("config/", config_views.index, name="config"),
    path("config/history/", config_views.history, name="config_history"),
    path("config/categories/", config_views.categories, name="config_categories"),
    path("config/categories/<str:code>/", config_views.category, name="config_category"),
    path("config/categories/<str:code>/retire/", config_views.category_retire, name="config_category_retire"),
    path("config/holidays/", config_views.holidays_index, name="config_holidays_index"),
    path("config/holidays/<int:year>/", config_views.holidays_year, name="config_holidays"),
    path("config/settings/<str:key>/", config_views.setting, name="config_setting"),
    path("config/<slug:slug>/", config_views.catalogue, name="config_catalogue"),
    path("config/<slug:slug>/<str:code>/", config_views.catalogue_item, name="config_catalogue_item"),
    path("config/<slug:slug>/<str:code>/retire/", config_views.catalogue_retire, name="config_catalogue_retire"),
]
