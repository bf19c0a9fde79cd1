"""Chinese personal names as they are found in rural Shandong: surnames weighted by how common
they are in the province, given names drawn from pools that follow the fashion of the birth
decade (a 秀英 born in 1948, a 建军 in 1968, a 子涵 in 2015)."""

import random
from bisect import bisect
from itertools import accumulate

# Rough provincial shares (per mille), after the 2020 census tables; only the order of magnitude matters.
SURNAMES: list[tuple[str, float]] = [
    ("王", 100), ("李", 88), ("张", 82), ("刘", 70), ("孙", 29), ("杨", 25), ("陈", 23), ("赵", 22),
    ("高", 19), ("于", 19), ("徐", 18), ("马", 15), ("宋", 12), ("董", 12), ("郭", 11), ("周", 10),
    ("吴", 10), ("韩", 10), ("田", 9), ("朱", 9), ("崔", 9), ("贾", 8), ("曹", 7), ("胡", 6),
    ("袁", 5), ("任", 7), ("魏", 7), ("孟", 7), ("吕", 6), ("姜", 7), ("丁", 6), ("范", 5),
    ("石", 5), ("房", 4), ("许", 5), ("谢", 4), ("杜", 5), ("程", 4), ("苏", 4), ("侯", 5),
    ("牛", 4), ("薛", 4), ("郝", 4), ("冯", 5), ("毕", 3), ("耿", 3), ("商", 2), ("单", 3),
    ("解", 2), ("邢", 3), ("鲁", 2), ("宁", 2), ("盖", 2), ("焦", 3), ("庞", 2), ("蒋", 2),
    ("付", 3), ("秦", 2), ("黄", 4), ("罗", 2), ("白", 3), ("路", 2), ("尹", 2), ("齐", 2),
    ("颜", 2), ("季", 1), ("鲍", 1), ("翟", 2), ("綦", 1), ("公", 1), ("亓", 1), ("巴", 1),
]
_SURNAME_CHARS = [s for s, _ in SURNAMES]
_SURNAME_CUM = list(accumulate(w for _, w in SURNAMES))
SURNAME_SET = frozenset(_SURNAME_CHARS)

# Pools by birth era; one-character given names were common in every era and stay in each pool.
_MALE = {
    1900: "德 福 明 海 山 林 义 才 全 顺 成 忠 祥 德胜 德明 建国 国庆 振华 卫国 保国 明亮 长山 玉林 玉山 连生 "
          "庆祥 学文 兆民 传勇 洪亮 树林 宝山 金贵 焕章 永贵 春生 秋生 开山 维山 振江 光明 茂林 广田 文斗 "
          "立本 守义 继先 仁和 庆余",
    1960: "军 强 伟 勇 斌 涛 刚 磊 峰 波 辉 鹏 建军 建华 建平 志强 志刚 海军 红军 卫东 文明 立新 永刚 爱国 "
          "学军 国栋 洪涛 庆华 长青 新民 春雷 立军 振国 忠诚 庆国 延军 胜利 东升 金海 明华 宪军 传波",
    1985: "浩 鑫 磊 超 帅 凯 晨 宇 阳 旭 硕 亮 鹏飞 晓东 俊杰 文博 浩然 家豪 志远 明轩 晓飞 志鹏 建伟 "
          "晓龙 宏宇 金龙 振宇 鹏程 文涛 海洋 健 昊 坤 猛 琦 峥",
    2005: "子轩 浩宇 宇航 梓豪 沐宸 一诺 皓轩 俊熙 睿泽 博文 锦程 梓睿 宇轩 子墨 奕辰 铭泽 浩轩 梓轩 "
          "子豪 嘉懿 晨阳 思远 宇泽 铭轩 博涵 瑞 航 辰 泽 睿 硕 哲",
}
_FEMALE = {
    1900: "秀英 桂兰 玉兰 凤英 秀兰 桂英 玉珍 淑珍 兰英 秀珍 桂芳 凤兰 翠兰 玉梅 秀云 淑英 素英 桂香 秀芝 "
          "凤芝 兰 英 珍 梅 秀花 金花 玉英 春兰 秋菊 月娥 桂荣 淑兰 玉凤 凤琴 翠英",
    1960: "丽 艳 红 霞 敏 静 燕 娟 芳 萍 丽娟 红霞 春燕 海燕 秀丽 桂芹 玉霞 艳玲 丽华 晓燕 美玲 冬梅 "
          "雪梅 爱华 凤霞 秀梅 玉华 红梅 建英 金凤 立华 艳红 玉芹 翠萍 爱玲",
    1985: "婷 倩 雪 晶 璐 佳 悦 蕾 洁 琳 晓雪 婷婷 佳琪 欣然 梦瑶 雨晴 慧敏 晓琳 文静 丹丹 萌萌 倩倩 "
          "晓慧 聪聪 亚楠 彤彤 晓婷 雪莹 美琪 娜",
    2005: "梓涵 欣怡 子涵 雨桐 一诺 诗涵 梓萱 可馨 若汐 语桐 佳怡 思彤 紫萱 梦琪 依诺 雨涵 欣妍 "
          "沐瑶 诗琪 梓晴 雅琪 安琪 芷若 子萱 语嫣 悦 涵 萱 琪 妍",
}
MALE_NAMES = {era: pool.split() for era, pool in _MALE.items()}
FEMALE_NAMES = {era: pool.split() for era, pool in _FEMALE.items()}
_ERAS = sorted(MALE_NAMES)


def draw_surname(rng: random.Random, favoured: tuple[str, ...] = (), favoured_share: float = 0.0) -> str:
    """A surname; villages are often dominated by one or two lineages (王家村 is mostly 王), so a
    share of draws can come from ``favoured``."""
    if favoured and rng.random() < favoured_share:
        return rng.choice(favoured)
    return _SURNAME_CHARS[bisect(_SURNAME_CUM, rng.random() * _SURNAME_CUM[-1])]


def draw_given(rng: random.Random, sex: str, birth_year: int) -> str:
    era = _ERAS[max(0, bisect(_ERAS, birth_year) - 1)]
    # Fashions overlap: now and then a name from the neighbouring era.
    if rng.random() < 0.2:
        idx = _ERAS.index(era) + rng.choice((-1, 1))
        era = _ERAS[min(max(idx, 0), len(_ERAS) - 1)]
    pool = MALE_NAMES[era] if sex == "M" else FEMALE_NAMES[era]
    return rng.choice(pool)


def draw_name(rng: random.Random, sex: str, birth_year: int, surname: str | None = None) -> str:
    return (surname or draw_surname(rng)) + draw_given(rng, sex, birth_year)


def lineage_surnames(village_name: str) -> tuple[str, ...]:
    """Surnames a village is named after (马家峪 → 马, 王黑 → 王), for the lineage share."""
    return tuple(dict.fromkeys(ch for ch in village_name[:3] if ch in SURNAME_SET))
