from django.urls import path

from xiangzhi.gridwork import views

app_name = "gridwork"
urlpatterns = [
    path("", views.day, name="day"),
    path("patrols/", views.patrol_list, name="patrols"),
    path("patrols/start/", views.patrol_start, name="patrol_start"),
    path("patrols/<int:patrol_id>/", views.patrol_detail, name="patrol"),
    path("patrols/<int:patrol_id>/stop/", views.patrol_stop, name="patrol_stop"),
    path("patrols/<int:patrol_id>/activity/", views.patrol_activity, name="patrol_activity"),
    path("patrols/<int:patrol_id>/due/", views.patrol_due, name="patrol_due"),
    path("log/", views.daily_log_save, name="daily_log"),
    path("visits/", views.visit_due_list, name="visits"),
    path("visits/new/<int:key_person_id>/", views.visit_new, name="visit_new"),
    path("visits/<int:visit_id>/done/", views.visit_done, name="visit_done"),
    path("visits/photos/<int:photo_id>/", views.visit_photo, name="visit_photo"),
    path("visits/photos/<int:photo_id>/thumb/", views.visit_photo, {"thumb": True}, name="visit_thumb"),
    path("supervise/", views.supervise, name="supervise"),
]
