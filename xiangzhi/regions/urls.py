from django.urls import path

from xiangzhi.regions import boundary_views, liaison_views, views

# A region's and a grid's own pages (/regions/<code>/, /grids/<code>/) show the people there: they
# are people's pages, which the web shell serves (``front/urls.py``).
app_name = "regions"
urlpatterns = [
    path("regions/", views.browse, name="browse"),
    path("map/", views.grid_map, name="map"),
    path("map/grids.geojson", views.geojson, name="geojson"),
    path("map/report-grids.geojson", views.report_geojson, name="report_geojson"),
    path("alerts/unstaffed/", views.unstaffed, name="unstaffed"),
    path("grids/<str:code>/staff/", views.grid_staff, name="grid_staff"),
    path("grids/<str:code>/staff/<int:assignment_id>/end/", views.grid_staff_end, name="grid_staff_end"),
    path("grids/<str:code>/boundary/", boundary_views.grid_boundary, name="grid_boundary"),
    path("liaisons/", liaison_views.liaisons_home, name="liaisons_home"),
    path("regions/<str:code>/liaisons/", liaison_views.liaisons, name="liaisons"),
    path("liaisons/<int:liaison_id>/end/", liaison_views.liaison_end, name="liaison_end"),
]
