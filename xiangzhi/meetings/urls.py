from django.urls import path

from xiangzhi.meetings import views

app_name = "meetings"
urlpatterns = [
    path("", views.index, name="index"),
    path("villages/<str:code>/", views.village, name="village"),
    path("villages/<str:code>/record/", views.meeting_record, name="record"),
    path("villages/<str:code>/deliberations/", views.deliberation_propose, name="propose"),
    path("<int:meeting_id>/", views.meeting, name="meeting"),
    path("<int:meeting_id>/edit/", views.meeting_edit, name="edit"),
    path("<int:meeting_id>/report/", views.meeting_report, name="report"),
    path("<int:meeting_id>/questions/", views.question_add, name="question_add"),
    path("<int:meeting_id>/questions/qr/", views.questions_take_from_qr, name="questions_take_from_qr"),
    path("<int:meeting_id>/commitments/", views.commitment_make, name="commitment_make"),
    path("<int:meeting_id>/vote/", views.meeting_vote, name="vote"),
    path("<int:meeting_id>/submit/", views.meeting_submit, name="submit"),
    path("<int:meeting_id>/screen/", views.meeting_screen, name="screen"),
    path("commitments/", views.commitment_list, name="commitments"),
    path("commitments/<int:commitment_id>/", views.commitment, name="commitment"),
    path("commitments/<int:commitment_id>/progress/", views.commitment_progress, name="commitment_progress"),
    path("commitments/<int:commitment_id>/done/", views.commitment_done, name="commitment_done"),
    path("commitments/<int:commitment_id>/reopen/", views.commitment_reopen, name="commitment_reopen"),
    path("commitment-photos/<int:photo_id>/", views.photo, name="photo"),
    path("commitment-photos/<int:photo_id>/thumb/", views.photo, {"thumb": True}, name="photo_thumb"),
    path("files/<int:attachment_id>/", views.attachment, name="attachment"),
    path("overview/", views.overview, name="overview"),
    path("overdue/", views.overdue, name="overdue"),
    path("screening/", views.screening, name="screening"),
    path("deliberations/", views.deliberation_list, name="deliberations"),
    path("deliberations/<int:deliberation_id>/", views.deliberation, name="deliberation"),
    path("deliberations/<int:deliberation_id>/steps/", views.step_record, name="step_record"),
    path("deliberations/<int:deliberation_id>/screen/", views.deliberation_screen, name="deliberation_screen"),
    path("deliberations/<int:deliberation_id>/donations/", views.donation_record, name="donation_record"),
    path("deliberations/<int:deliberation_id>/donations/<int:donation_id>/correct/", views.donation_correct,
         name="donation_correct"),
    path("public/<str:village_code>/", views.public_village, name="public_village"),
]
