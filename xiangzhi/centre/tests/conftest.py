from xiangzhi.centre.tests.figures_story import story  # noqa: F401 (a fixture, for the figures' tests)
