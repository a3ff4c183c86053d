"""Train the semantic injection model from the labelled passages in the repository.

``python -m app.injection_training`` rebuilds ``app/injection_semantic.npz`` from
``tests/privacy/labelled/train-*.jsonl`` (attacks and benign look-alikes, one JSON object a line)
and, as extra benign text, every passage of the notes in ``examples/``. It prints the
cross-validated scores on the training rows (the dev score). Plain numpy: logistic regression
by full-batch gradient descent, with the classes weighted equally.

Attack rows are passages, but the scanner scores sentences: a row of several sentences (an
attack planted inside a real paragraph) is first scored whole, then only its most suspicious
sentence is kept as the positive example, and the models are trained again on sentences.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.injection_semantic import GOAL_REASONS, MODEL_PATH, Embed, SemanticModel
from app.injection_text import passages, words

if TYPE_CHECKING:
    import numpy as np

REPO = Path(__file__).resolve().parent.parent
LABELLED = REPO / "tests" / "privacy" / "labelled"
EXAMPLES = REPO / "examples"
FOLDS = 5
GATE_RECALL = 0.97  # share of training attacks the wording gate lets through (cross-validated)
THRESHOLD = 0.85


@dataclass
class Unit:
    """One training passage."""

    text: str
    label: int
    row: int  # which labelled row (or note passage) it came from, for folds
    goal: str = ""
    lookalike: bool = False  # a benign passage written to look like an attack


LOOKALIKE_SHARE = 0.5  # of the benign weight: look-alikes are few but they are what is hard


def unit_weights(units: list[Unit]) -> "np.ndarray":
    """Within-class weights: look-alikes carry LOOKALIKE_SHARE of the benign weight."""
    import numpy as np

    look = np.array([u.lookalike for u in units])
    neg = np.array([u.label == 0 for u in units])
    n_look, n_rest = max(1, (look & neg).sum()), max(1, (~look & neg).sum())
    return np.where(~neg, 1.0, np.where(look, LOOKALIKE_SHARE / n_look, (1 - LOOKALIKE_SHARE) / n_rest) * neg.sum())


_GOAL_WORDS = (  # free-text goals of the blind batches, folded into the scanner's goals (first match wins)
    ("exfiltration", ("exfil", "send", "e-mail", "leak", "reveal", "print", "dump", "harvest", "extract")),
    ("role_play", ("impersonat", "role", "on behalf")),
    ("override", ("override", "supersede", "ignore", "hijack", "system", "developer")),
    ("omit_control", ("omit", "remove", "drop", "skip", "soften", "weaken", "hide")),
    ("approval", ("approv", "sign", "final")),
    ("skip_review", ("review", "check")),
)


def goal_of(goal: str) -> str:
    """One of :data:`app.injection_semantic.GOAL_REASONS` for a labelled row's goal."""
    if goal in GOAL_REASONS:
        return goal
    text = goal.lower()
    return next((name for name, keys in _GOAL_WORDS if any(k in text for k in keys)), "planted_claim")


def load_rows(paths: list[Path]) -> list[dict]:
    """Labelled rows from JSONL files."""
    return [json.loads(line) for p in paths for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]


def training_files() -> list[Path]:
    """The labelled files the shipped model is trained on: our own (``train-*``) and blind batch A,
    used for tuning only after its blind score was recorded (batch B is never trained on)."""
    return [*sorted(LABELLED.glob("train-*.jsonl")), LABELLED / "blind-a.jsonl"]


def data_sha256(paths: list[Path]) -> str:
    """One hash over the training files and the example notes (to tell a stale model)."""
    digest = hashlib.sha256()
    for p in [*paths, *sorted(EXAMPLES.glob("*.*"))]:
        digest.update(p.name.encode() + b"\0" + p.read_bytes())
    return digest.hexdigest()


class Sparse:
    """Rows of 0/1 features as index lists: enough for logistic regression without scipy."""

    def __init__(self, rows: list[list[int]], width: int) -> None:
        import numpy as np

        self.shape = (len(rows), width)
        self.cols = np.array([c for r in rows for c in r], dtype=np.int64)
        self.row_of = np.repeat(np.arange(len(rows)), [len(r) for r in rows])

    def __matmul__(self, w: "np.ndarray") -> "np.ndarray":
        import numpy as np

        return np.bincount(self.row_of, weights=w[self.cols], minlength=self.shape[0])

    def rmatvec(self, g: "np.ndarray") -> "np.ndarray":
        import numpy as np

        return np.bincount(self.cols, weights=g[self.row_of], minlength=self.shape[1])


def fit_logistic(x, y: "np.ndarray", l2: float, steps: int = 400, lr: float = 0.1,  # type: ignore[no-untyped-def]
                 weights: "np.ndarray | None" = None) -> tuple["np.ndarray", float]:
    """Weights and bias of an L2-regularised logistic regression, both classes weighted equally.

    ``x`` is a dense array or a :class:`Sparse` matrix; ``weights`` (optional) weigh samples
    within their class.
    """
    import numpy as np

    w, b = np.zeros(x.shape[1]), 0.0
    within = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    sample = within * np.where(y == 1, 0.5 / within[y == 1].sum(), 0.5 / within[y == 0].sum())
    m_w, v_w, m_b, v_b = np.zeros_like(w), np.zeros_like(w), 0.0, 0.0
    for t in range(1, steps + 1):  # Adam
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        g = sample * (p - y)
        gw, gb = (x.rmatvec(g) if isinstance(x, Sparse) else x.T @ g) + l2 * w, g.sum()
        m_w, v_w = 0.9 * m_w + 0.1 * gw, 0.999 * v_w + 0.001 * gw**2
        m_b, v_b = 0.9 * m_b + 0.1 * gb, 0.999 * v_b + 0.001 * gb**2
        w -= lr * (m_w / (1 - 0.9**t)) / (np.sqrt(v_w / (1 - 0.999**t)) + 1e-8)
        b -= lr * (m_b / (1 - 0.9**t)) / (np.sqrt(v_b / (1 - 0.999**t)) + 1e-8)
    return w, float(b)


class _Wording:
    """Bag of words and word pairs over a fixed vocabulary."""

    def __init__(self, texts: list[str]) -> None:
        seen: set[str] = set()
        for t in texts:
            seen.update(words(t))
        self.vocab = sorted(seen)
        self.index = {w: i for i, w in enumerate(self.vocab)}

    def matrix(self, texts: list[str]) -> Sparse:
        index = self.index
        return Sparse([sorted({index[w] for w in words(t) if w in index}) for t in texts], len(self.vocab))


LEX_L2 = 0.002
EMB_L2 = 0.001


def _fit_pair(units: list[Unit], vectors: "np.ndarray") -> tuple[_Wording, tuple, tuple]:
    import numpy as np

    texts = [u.text for u in units]
    y = np.array([u.label for u in units], dtype=float)
    wording = _Wording(texts)
    weights = unit_weights(units)
    lex = fit_logistic(wording.matrix(texts), y, LEX_L2, weights=weights)
    emb = fit_logistic(vectors.astype(float), y, EMB_L2, steps=600, weights=weights)
    return wording, lex, emb


def _logits(wording: _Wording, lex: tuple, emb: tuple, texts: list[str], vectors: "np.ndarray") -> tuple:
    return wording.matrix(texts) @ lex[0] + lex[1], vectors @ emb[0] + emb[1]


def out_of_fold(units: list[Unit], vectors: "np.ndarray") -> tuple["np.ndarray", "np.ndarray"]:
    """Cross-validated wording and meaning log-odds for every unit (folds by source row)."""
    import numpy as np

    fold = np.array([u.row % FOLDS for u in units])
    lex_out, emb_out = np.zeros(len(units)), np.zeros(len(units))
    for k in range(FOLDS):
        train, test = np.where(fold != k)[0], np.where(fold == k)[0]
        model = _fit_pair([units[i] for i in train], vectors[train])
        lex_out[test], emb_out[test] = _logits(*model, [units[i].text for i in test], vectors[test])
    return lex_out, emb_out


def build_units(rows: list[dict], note_texts: list[str]) -> list[Unit]:
    """Training passages: each benign row's sentences, each attack row whole, every note sentence."""
    units: list[Unit] = []
    for n, row in enumerate(rows):
        parts = [p.text for p in passages(row["text"])] or [row["text"]]
        if row["label"] == "attack":
            units.append(Unit(" ".join(parts), 1, n, goal_of(row.get("goal", ""))))
        else:
            units += [Unit(p, 0, n, lookalike=row.get("style") != "handbook") for p in parts]
    base = len(rows)
    for m, text in enumerate(note_texts):
        units += [Unit(p.text, 0, base + m) for p in passages(text)]
    return units


def sharpen_attacks(rows: list[dict], units: list[Unit], model: tuple, embed: Embed) -> list[Unit]:
    """Replace each several-sentence attack by its most suspicious sentence."""
    import numpy as np

    out = [u for u in units if u.label == 0]
    for n, row in enumerate(rows):
        if row["label"] != "attack":
            continue
        parts = [p.text for p in passages(row["text"])] or [row["text"]]
        if len(parts) > 1:
            vectors = embed(parts)
            lex, emb = _logits(*model, parts, vectors)
            parts = [parts[int(np.argmax(lex + emb))]]
        out.append(Unit(parts[0], 1, n, goal_of(row.get("goal", ""))))
    return out


def train(paths: list[Path], embed: Embed) -> tuple[SemanticModel, dict]:
    """The model and its cross-validated scores on the training rows."""
    import numpy as np

    rows = load_rows(paths)
    notes = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.*"))]
    units = build_units(rows, notes)
    first = _fit_pair(units, embed([u.text for u in units]))
    units = sharpen_attacks(rows, units, first, embed)
    vectors = embed([u.text for u in units])
    y = np.array([u.label for u in units])
    lex_oof, emb_oof = out_of_fold(units, vectors)
    stack_w, stack_b = fit_logistic(np.c_[lex_oof, emb_oof], y.astype(float), 1e-4, steps=800, lr=0.05,
                                    weights=unit_weights(units))
    gate = float(np.quantile(lex_oof[y == 1], 1 - GATE_RECALL))
    wording, lex, emb = _fit_pair(units, vectors)
    positives = np.where(y == 1)[0]
    model = SemanticModel(
        vocab={w: float(v) for w, v in zip(wording.vocab, lex[0]) if abs(v) > 1e-4}, lex_bias=lex[1],
        emb_weights=emb[0].astype(np.float32), emb_bias=emb[1], stack=(float(stack_w[0]), float(stack_w[1]), stack_b),
        gate=gate, threshold=THRESHOLD, prototypes=vectors[positives], prototype_goals=tuple(units[i].goal for i in positives),
        data_sha256=data_sha256(paths),
    )
    prob = model.combined(lex_oof, emb_oof)
    flagged = (lex_oof >= gate) & (prob >= THRESHOLD)
    scores = {
        "units": len(units), "attacks": int(y.sum()),
        "cv_recall": float(flagged[y == 1].mean()), "cv_false_alarm": float(flagged[y == 0].mean()),
        "cv_gate_pass_benign": float((lex_oof[y == 0] >= gate).mean()),
    }
    return model, scores


def main() -> None:
    """Rebuild the shipped weights and print the dev scores."""
    from ingest.embeddings import MiniLMEmbedder

    paths = training_files()
    if not paths:
        sys.exit(f"no labelled files in {LABELLED}")
    model, scores = train(paths, MiniLMEmbedder().embed)
    model.save(MODEL_PATH)
    print(json.dumps(scores, indent=2))
    print(f"wrote {MODEL_PATH} ({MODEL_PATH.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
