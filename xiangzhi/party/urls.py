from django.urls import path

from xiangzhi.party import views

app_name = "party"
urlpatterns = [
    path("", views.home, name="home"),
    path("villages/<str:code>/", views.village, name="village"),
    path("groups/<int:group_id>/", views.group, name="group"),
    path("members/<int:membership_id>/end/", views.membership_end, name="membership_end"),
    path("posts/<int:post_id>/end/", views.post_end, name="post_end"),
    path("grid-links/<int:link_id>/end/", views.grid_end, name="grid_end"),
]
