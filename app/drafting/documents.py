"""The task's own documents, and what the drafting model is shown of them.

Drafting by questions shows the model whole documents about the task rather than loose
chunks from anywhere: a search for the task names the documents, and every chunk of each is
shown in document order, headings kept. When they are longer than the budget, the sentences
that matter to the task and to the template's sections are kept wherever they stand, in
order, with ``…`` where text was left out, so a fact is never lost to its position.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, Field

from app.drafting.evidence import Searcher, chunk_ref
from app.drafting.passages import GAP, sentence_spans
from app.models import ChunkRef
from ingest.chunking import HEADING_SEPARATOR, embedding_text

if TYPE_CHECKING:
    from app.settings import DraftingSettings

# How much more the task's similarity counts than a section's when sentences compete for
# the budget: a sentence about "records" in a note about another task is not evidence.
TASK_WEIGHT = 1.0
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\(((?:[^()\s]|\([^()\s]*\))*)\)")
_HTML_LINK = re.compile(r"<a\s[^<>]{0,300}?href=[\"']([^\"']*)[\"'][^<>]{0,300}>([^<]{0,300})</a>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>\n]{0,300}>")
_MAILTO = re.compile(r"mailto:([^?\s]+)", re.IGNORECASE)


def _link(label: str, target: str) -> str:
    """A link's words, and its e-mail address when it is a mail link the words do not spell out."""
    mail = _MAILTO.match(target)
    if mail and mail.group(1).lower() not in label.lower():
        return f"{label} ({mail.group(1)})" if label.strip() else mail.group(1)
    return label


def plain(text: str) -> str:
    """``text`` without link targets and HTML tags (their words stay, and a mail link's address):
    they cost the model tokens and say nothing."""
    text = _HTML_LINK.sub(lambda m: _link(m.group(2), m.group(1)), text)
    return _HTML_TAG.sub("", _MD_LINK.sub(lambda m: _link(m.group(1), m.group(2)), text))


class TaskSources(BaseModel):
    """The documents a draft is written from: every chunk in document order, and which
    sentences of each chunk are shown (a chunk missing from ``kept`` is shown whole)."""

    documents: list[str] = Field(default_factory=list)
    chunks: dict[str, ChunkRef] = Field(default_factory=dict)
    kept: dict[str, list[int]] = Field(default_factory=dict)
    scores: dict[str, float] = Field(default_factory=dict, description="Document -> similarity to the task.")

    def sentences(self) -> list[tuple[str, str]]:
        """``(chunk_id, sentence)`` of every sentence shown, in the order shown."""
        out = []
        for cid, ref in self.chunks.items():
            spans = sentence_spans(ref.text)
            keep = self.kept.get(cid, range(len(spans)))
            out += [(cid, ref.text[spans[i][0]:spans[i][1]]) for i in keep]
        return out

    def shown(self, chunk_id: str, text: str) -> str:
        """What the model sees of ``text`` (the chunk, possibly masked): the kept sentences.

        Masking does not add or remove sentence breaks, so the kept indices of the unmasked
        chunk select the same sentences of the masked one.
        """
        keep = self.kept.get(chunk_id)
        if keep is None:
            return text
        spans = sentence_spans(text)
        if not keep or len(spans) != len(sentence_spans(self.chunks[chunk_id].text)):
            return ""
        runs: list[list[int]] = []
        for i in keep:
            if runs and i == runs[-1][-1] + 1:
                runs[-1].append(i)
            else:
                runs.append([i])
        shown = GAP.join(text[spans[run[0]][0]:spans[run[-1]][1]] for run in runs)
        return ("… " if keep[0] > 0 else "") + shown + (" …" if keep[-1] < len(spans) - 1 else "")

    def render(self, masked: dict[str, str]) -> dict[str, str]:
        """Each document's shown text (from the ``masked`` chunk texts), link targets left out."""
        out: dict[str, list[str]] = {}
        for cid, ref in self.chunks.items():
            text = self.shown(cid, masked.get(cid, ref.text))
            if text.strip():
                out.setdefault(ref.source, []).append(plain(text.strip()))
        return {doc: "\n\n".join(parts) for doc, parts in out.items()}


def _title(source: str, heading: str) -> str:
    """A document's title: the root of its headings, else its file name in words."""
    root = heading.split(HEADING_SEPARATOR)[0].strip()
    return root or re.sub(r"[-_.]+", " ", source.rsplit("/", 1)[-1].rsplit(".", 1)[0])


def task_documents(index: Searcher, task: str, cfg: "DraftingSettings") -> dict[str, float]:
    """The documents about ``task``, best first, with their scores.

    A search for the task ranks chunks; a document scores the mean of its best chunk's
    similarity and its title's (a page titled "Going out of office" is about that task; a tool
    page that mentions leave once is not). Documents within ``cfg.document_margin`` of the best
    join it (a runbook and the policy it follows), up to ``cfg.max_documents``.
    """
    best: dict[str, float] = {}
    titles: dict[str, str] = {}
    for hit in index.search(task, k=cfg.search_pool):
        best[hit.source] = max(best.get(hit.source, -1.0), hit.score)
        titles.setdefault(hit.source, _title(hit.source, hit.heading))
    if not best:
        return {}
    names = list(best)
    task_vector, *title_vectors = index.embed([task, *(titles[n] for n in names)])
    score = {n: (best[n] + float(v @ task_vector)) / 2 for n, v in zip(names, title_vectors)}
    top = max(score.values())
    ranked = sorted(score.items(), key=lambda kv: -kv[1])
    return {doc: s for doc, s in ranked[: cfg.max_documents]
            if best[doc] >= cfg.min_document_score and s >= top - cfg.document_margin}


def _chunks_in_order(index: Searcher, documents: list[str]) -> dict[str, ChunkRef]:
    chunks: dict[str, ChunkRef] = {}
    for doc in documents:
        for hit in index.chunks_of(doc):
            chunks[hit.chunk_id] = chunk_ref(hit)
    return chunks


def gather_sources(index: Searcher, task: str, queries: list[str], cfg: "DraftingSettings") -> TaskSources:
    """The task's documents, cut to ``cfg.source_chars`` by relevance when they are longer.

    Each sentence is scored by its similarity to the task plus its best similarity to one of
    the section ``queries``; the best are kept until the budget is spent, then shown in
    document order.
    """
    documents = task_documents(index, task, cfg)
    chunks = _chunks_in_order(index, list(documents))
    sources = TaskSources(documents=list(documents), chunks=chunks, scores=documents)
    total = sum(len(plain(ref.text)) for ref in chunks.values())
    if total <= cfg.source_chars:
        return sources
    units: list[tuple[str, int, int]] = []  # chunk, sentence index, characters shown
    texts: list[str] = []
    for cid, ref in chunks.items():
        head = ref.heading.split(HEADING_SEPARATOR)[-1]
        for i, (start, end) in enumerate(sentence_spans(ref.text)):
            units.append((cid, i, len(plain(ref.text[start:end])) + len(GAP)))
            texts.append(embedding_text(ref.text[start:end], head))
    vectors = index.embed(texts)
    task_vec, *query_vecs = index.embed([task, *queries])
    relevance = TASK_WEIGHT * (vectors @ task_vec) + (vectors @ np.stack(query_vecs).T).max(axis=1)
    kept: dict[str, set[int]] = {cid: set() for cid in chunks}
    used = 0
    for n in np.argsort(-relevance):
        cid, i, cost = units[n]
        if used + cost > cfg.source_chars:
            continue
        kept[cid].add(i)
        used += cost
    sources.kept = {cid: sorted(ids) for cid, ids in kept.items()}
    return sources
