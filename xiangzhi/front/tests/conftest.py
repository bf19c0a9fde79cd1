from xiangzhi.cases.tests.figures_story import story  # noqa: F401 (a fixture, for the figures page's tests)
