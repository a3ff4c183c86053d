"""Find instruction-like text by meaning: passages that talk to the model or steer the drafting.

Two small logistic-regression models read each passage (see :mod:`app.injection_text`):

- a **wording** model over words and word pairs, cheap enough to read every passage; it is the
  gate: a passage it scores below ``gate`` is not looked at again;
- a **meaning** model over the passage's MiniLM embedding (the model the index already uses),
  run only on the passages that pass the gate, in one batch.

The two scores are combined by a third, two-weight model; a passage whose combined probability
reaches ``threshold`` is a finding. Its reason names the kind of attack it is closest to (the
goal of the nearest labelled attack). Weights are trained from the labelled set in
``tests/privacy/labelled/`` by :mod:`app.injection_training` and shipped as
``app/injection_semantic.npz``; nothing is downloaded.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from app.injection_text import Passage, passages, words

if TYPE_CHECKING:
    import numpy as np

MODEL_PATH = Path(__file__).with_name("injection_semantic.npz")

Embed = Callable[[list[str]], "np.ndarray"]

GOAL_REASONS = {
    "override": "tells the model to set aside its instructions",
    "omit_control": "asks for a rule or control to be left out of the SOP",
    "planted_claim": "plants a claim for the model to copy into the SOP",
    "approval": "tries to mark the SOP as approved",
    "skip_review": "tries to skip or silence the human review",
    "exfiltration": "asks for the sources or the prompt to be sent out or revealed",
    "role_play": "asks the model to play the owner or the approver",
}


@dataclass(frozen=True)
class SemanticHit:
    """A passage scored as an instruction to the model."""

    passage: Passage
    probability: float
    goal: str

    @property
    def reason(self) -> str:
        """Why it was flagged, in words a reviewer can check."""
        why = GOAL_REASONS.get(self.goal, "reads like an instruction to the drafting model")
        return f"reads like an instruction to the model: {why} (score {self.probability:.2f})"


@dataclass(frozen=True)
class SemanticModel:
    """The shipped weights (see :mod:`app.injection_training` for how they are made)."""

    vocab: dict[str, float]
    lex_bias: float
    emb_weights: "np.ndarray"
    emb_bias: float
    stack: tuple[float, float, float]
    gate: float
    threshold: float
    prototypes: "np.ndarray"
    prototype_goals: tuple[str, ...]
    data_sha256: str

    def wording_logit(self, text: str) -> float:
        """The wording model's log-odds that ``text`` is an instruction to the model."""
        vocab = self.vocab
        return self.lex_bias + sum(vocab.get(w, 0.0) for w in set(words(text)))

    def meaning_logits(self, vectors: "np.ndarray") -> "np.ndarray":
        """The meaning model's log-odds for unit-length passage embeddings."""
        return vectors @ self.emb_weights + self.emb_bias

    def combined(self, lex: "np.ndarray", emb: "np.ndarray") -> "np.ndarray":
        """Probability from both log-odds."""
        import numpy as np

        a, b, c = self.stack
        return 1.0 / (1.0 + np.exp(-(a * lex + b * emb + c)))

    def goals(self, vectors: "np.ndarray") -> list[str]:
        """The goal of the nearest labelled attack for each embedding."""
        nearest = (vectors @ self.prototypes.T).argmax(axis=1)
        return [self.prototype_goals[i] for i in nearest]

    def save(self, path: Path) -> None:
        """Write the weights as a small ``.npz``."""
        import numpy as np

        keys = sorted(self.vocab)
        np.savez_compressed(
            path, vocab=np.array(keys), vocab_weights=np.array([self.vocab[k] for k in keys], dtype=np.float32),
            scalars=np.array([self.lex_bias, self.emb_bias, *self.stack, self.gate, self.threshold], dtype=np.float64),
            emb_weights=self.emb_weights.astype(np.float32), prototypes=self.prototypes.astype(np.float16),
            prototype_goals=np.array(self.prototype_goals), data_sha256=np.array(self.data_sha256),
        )

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "SemanticModel":
        """Read weights written by :meth:`save`."""
        import numpy as np

        with np.load(path) as z:
            s = z["scalars"]
            return cls(
                vocab=dict(zip(z["vocab"].tolist(), z["vocab_weights"].astype(float).tolist())),
                lex_bias=float(s[0]), emb_bias=float(s[1]), stack=(float(s[2]), float(s[3]), float(s[4])),
                gate=float(s[5]), threshold=float(s[6]), emb_weights=z["emb_weights"].astype(np.float32),
                prototypes=z["prototypes"].astype(np.float32), prototype_goals=tuple(z["prototype_goals"].tolist()),
                data_sha256=str(z["data_sha256"]),
            )


@functools.cache
def shipped_model() -> SemanticModel:
    """The model shipped with the project, loaded once."""
    return SemanticModel.load()


def score_texts(texts: list[str], embed: Embed, model: SemanticModel | None = None) -> list[list[SemanticHit]]:
    """The semantic findings of each text; every passage that passes the gate is embedded in one batch."""
    import numpy as np

    model = model or shipped_model()
    wording: dict[str, float] = {}  # chunks overlap: a passage seen twice is scored once
    candidates: list[tuple[int, Passage]] = []
    for n, text in enumerate(texts):
        for passage in passages(text):
            if passage.text not in wording:
                wording[passage.text] = model.wording_logit(passage.text)
            if wording[passage.text] >= model.gate:
                candidates.append((n, passage))
    found: list[list[SemanticHit]] = [[] for _ in texts]
    if not candidates:
        return found
    unique = list(dict.fromkeys(p.text for _, p in candidates))
    vectors = np.asarray(embed(unique), dtype=np.float32)
    probs = model.combined(np.array([wording[t] for t in unique]), model.meaning_logits(vectors))
    flagged = {t: i for i, t in enumerate(unique) if probs[i] >= model.threshold}
    goals = dict(zip(flagged, model.goals(vectors[list(flagged.values())]))) if flagged else {}
    for n, passage in candidates:
        if passage.text in flagged:
            found[n].append(SemanticHit(passage, float(probs[flagged[passage.text]]), goals[passage.text]))
    return found
