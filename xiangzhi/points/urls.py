from django.urls import path

from xiangzhi.points import views

app_name = "points"
urlpatterns = [
    path("", views.index, name="index"),
    path("book/", views.my_book, name="book"),
    path("households/<int:household_id>/", views.household_book, name="household"),
    path("record/", views.record, name="record"),
    path("record/households/", views.record_households, name="record_households"),
    path("review/", views.review, name="review"),
    path("entries/<int:entry_id>/", views.entry_detail, name="entry"),
    path("entries/<int:entry_id>/reverse/", views.entry_reverse, name="reverse"),
    path("entries/<int:entry_id>/photo/", views.entry_photo, name="photo"),
    path("entries/<int:entry_id>/photo/thumb/", views.entry_photo, {"thumb": True}, name="thumb"),
    path("rules/", views.rule_list, name="rules"),
    path("rankings/", views.rankings, name="rankings"),
]
