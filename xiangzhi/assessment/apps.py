from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "xiangzhi.assessment"
    verbose_name = "考核与积分换项目"
