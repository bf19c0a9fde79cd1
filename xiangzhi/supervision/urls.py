from django.urls import path

from xiangzhi.supervision import views

app_name = "supervision"
urlpatterns = [
    path("", views.question_list, name="questions"),
    path("questions/<int:question_id>/", views.question_detail, name="question"),
    path("questions/<int:question_id>/screen/", views.question_screen, name="screen"),
    path("questions/<int:question_id>/answer/", views.question_answer, name="answer"),
    path("questions/<int:question_id>/withdraw/", views.question_withdraw, name="withdraw"),
    path("codes/", views.code_list, name="codes"),
    path("codes/<str:village_code>/poster/", views.code_poster, name="poster"),
    path("codes/<str:village_code>/reissue/", views.code_reissue, name="reissue"),
]
