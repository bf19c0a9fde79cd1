from django.urls import path

from xiangzhi.regions import views

app_name = "regions"
urlpatterns = [
    path("regions/", views.browse, name="browse"),
    path("regions/<str:code>/", views.region_detail, name="region"),
    path("grids/<str:code>/", views.grid_detail, name="grid"),
    path("map/", views.grid_map, name="map"),
    path("map/grids.geojson", views.geojson, name="geojson"),
    path("alerts/unstaffed/", views.unstaffed, name="unstaffed"),
]
