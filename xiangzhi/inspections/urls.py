from django.urls import path

from xiangzhi.inspections import views

app_name = "inspections"

urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.start, name="start"),
    path("<int:inspection_id>/", views.detail, name="detail"),
    path("<int:inspection_id>/fix/", views.fix, name="fix"),
    path("<int:inspection_id>/findings/", views.finding_add, name="finding_add"),
    path("<int:inspection_id>/finish/", views.finish, name="finish"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<int:finding_id>/", views.task, name="task"),
    path("tasks/<int:finding_id>/complete/", views.task_complete, name="task_complete"),
    path("tasks/<int:finding_id>/verify/", views.task_verify, name="task_verify"),
    path("board/", views.board, name="board"),
    path("photos/<int:photo_id>/", views.photo, name="photo"),
    path("photos/<int:photo_id>/thumb/", views.photo, {"thumb": True}, name="thumb"),
]
