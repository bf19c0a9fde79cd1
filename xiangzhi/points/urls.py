from django.urls import path

from xiangzhi.points import benefit_views, cycle_views, views

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
    path("notices/", cycle_views.notice_list, name="notices"),
    path("notices/<int:notice_id>/", cycle_views.notice_detail, name="notice"),
    path("notices/<int:notice_id>/objections/", cycle_views.objection_file, name="objection_file"),
    path("objections/<int:objection_id>/resolve/", cycle_views.objection_resolve, name="objection_resolve"),
    path("public/<str:village_code>/", cycle_views.public_notice, name="public_notice"),
    path("public/<str:village_code>/verify/", cycle_views.public_notice_verify, name="public_notice_verify"),
    path("public/<str:village_code>/qr.svg", cycle_views.public_notice_qr, name="public_notice_qr"),
    path("benefits/", benefit_views.benefit_list, name="benefits"),
    path("benefits/<int:benefit_id>/", benefit_views.benefit_detail, name="benefit"),
    path("benefits/<int:benefit_id>/close/", benefit_views.benefit_close, name="benefit_close"),
    path("public/<str:village_code>/benefits/", benefit_views.public_benefits, name="public_benefits"),
    path("public/<str:village_code>/benefits/verify/", benefit_views.public_benefit_verify,
         name="public_benefit_verify"),
    path("calendar/", cycle_views.calendar, name="calendar"),
    path("calendar/windows/", cycle_views.window_add, name="window_add"),
    path("settlements/<int:settlement_id>/", cycle_views.settlement_detail, name="settlement"),
]
