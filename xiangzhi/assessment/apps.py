from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "xiangzhi.assessment"
    verbose_name = "考核与积分换项目"

    def ready(self) -> None:
        # The grid assessment's sources and the checks of their targets, registered with the engine
        # and the item form once the registry is complete.
        from xiangzhi.assessment import grid_sources

        grid_sources.register()
