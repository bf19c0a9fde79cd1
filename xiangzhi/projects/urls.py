from django.urls import path

from xiangzhi.projects import views

app_name = "projects"
urlpatterns = [
    path("", views.village_list, name="list"),
    path("ask/", views.request_new, name="request_new"),
    path("villages/<str:code>/", views.village, name="village"),
    path("villages/<str:code>/requests/", views.request_record, name="request_record"),
    path("requests/<int:request_id>/plan/", views.request_plan, name="request_plan"),
    path("requests/<int:request_id>/decline/", views.request_decline, name="request_decline"),
    path("requests/<int:request_id>/project/", views.project_create, name="create"),
    path("<int:project_id>/", views.project_detail, name="detail"),
    path("<int:project_id>/advance/", views.project_advance, name="advance"),
    path("<int:project_id>/budget/", views.project_budget, name="budget"),
    path("<int:project_id>/milestones/", views.milestone_add, name="milestone_add"),
    path("<int:project_id>/milestones/<int:milestone_id>/done/", views.milestone_done, name="milestone_done"),
    path("<int:project_id>/spending/", views.spending_record, name="spending_record"),
    path("<int:project_id>/spending/<int:spending_id>/correct/", views.spending_correct, name="spending_correct"),
    path("<int:project_id>/donations/", views.donation_record, name="donation_record"),
    path("<int:project_id>/donations/<int:donation_id>/correct/", views.donation_correct, name="donation_correct"),
    path("photos/<int:photo_id>/", views.photo, name="photo"),
    path("photos/<int:photo_id>/thumb/", views.photo, {"thumb": True}, name="photo_thumb"),
    path("public/<str:village_code>/", views.public_village, name="public_village"),
    path("public/<str:village_code>/<int:project_id>/", views.public_project, name="public_project"),
]
