from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "xiangzhi.projects"
    verbose_name = "村级项目"
