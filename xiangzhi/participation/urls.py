from django.urls import path

from xiangzhi.participation import views

app_name = "participation"
urlpatterns = [
    path("", views.home, name="home"),
    path("announcements/", views.announcement_list, name="announcements"),
    path("announcements/new/", views.announcement_new, name="announcement_new"),
    path("announcements/<int:announcement_id>/", views.announcement_detail, name="announcement"),
    path("announcements/<int:announcement_id>/remind/", views.announcement_remind, name="announcement_remind"),
    path("r/<str:key>/", views.announcement_by_link, name="announcement_link"),
    path("polls/", views.poll_list, name="polls"),
    path("polls/new/", views.poll_new, name="poll_new"),
    path("polls/<int:poll_id>/", views.poll_detail, name="poll"),
    path("polls/<int:poll_id>/vote/", views.poll_vote, name="poll_vote"),
    path("polls/<int:poll_id>/record/", views.poll_record, name="poll_record"),
    path("polls/<int:poll_id>/close/", views.poll_close, name="poll_close"),
    path("public/polls/<int:poll_id>/", views.poll_public, name="poll_public"),
    path("screening/", views.screening, name="screening"),
    path("screening/announcements/<int:announcement_id>/", views.announcement_screen, name="announcement_screen"),
    path("screening/polls/<int:poll_id>/", views.poll_screen, name="poll_screen"),
    path("meetings/", views.meeting_list, name="meetings"),
    path("meetings/new/", views.meeting_new, name="meeting_new"),
    path("meetings/<int:meeting_id>/", views.meeting_detail, name="meeting"),
]
