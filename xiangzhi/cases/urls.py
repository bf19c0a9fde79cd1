from django.urls import include, path

from xiangzhi.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("inbox/", views.inbox, name="inbox"),
    path("new/", views.case_new, name="new"),
    path("suggest/", views.category_suggestions, name="suggest"),
    path("hotline/", include("xiangzhi.cases.hotline_views")),  # 12345 import: page and templates
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/act/<str:action>/", views.case_act, name="act"),
    path("photos/<int:photo_id>/", views.photo, name="photo"),
    path("photos/<int:photo_id>/thumb/", views.photo, {"thumb": True}, name="thumb"),
]
