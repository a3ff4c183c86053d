"""Drafting service: task in, stored draft out (used by the CLI and the UI alike)."""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any, Callable

from pydantic import BaseModel, Field

from app.calllog import safe_error
from app.drafting.evidence import Evidence, gather_evidence
from app.drafting.generate import draft_group, estimated_cost
from app.drafting.sections import SectionSpec, load_plan
from app.drafting.verify import repair_citations, verify_sop
from app.llm import ProviderError
from app.models import (MAX_REFERENCES, MAX_SHORT_TEXT, MAX_TITLE, SECTION_TITLES, SOP, ChunkRef, Draft, Flag,
                        Metadata, Redaction, Reference)
from app.privacy import DataBlockedError

if TYPE_CHECKING:
    from app.auth.accounts import Identity
    from app.drafting.asking import Answers
    from app.drafting.documents import TaskSources
    from app.drafting.questions import Question
    from app.privacy import RedactionCounter
    from app.registry.store import DraftRecord
    from app.services import Services


class DraftingFailedError(RuntimeError):
    """No section could be drafted (the model is unreachable or answers nothing usable)."""


class DraftProgress(BaseModel):
    """Where drafting is: stage is retrieval, queued, section, verification or done.

    When a group of sections is drafted, ``finished`` names them and ``sop`` holds every
    section drafted so far (not yet verified), so the UI and the CLI can show them at once.
    """

    stage: str
    section: str = ""
    done: int = 0
    total: int = 0
    message: str = ""
    finished: list[str] = Field(default_factory=list)
    sop: SOP | None = None


Progress = Callable[[DraftProgress], None]


def _noop(_: DraftProgress) -> None:
    return None


def _dedupe(flags: list[Flag]) -> list[Flag]:
    return list({f.flag_id: f for f in flags}.values())


def _title_from_task(task: str) -> str:
    task = " ".join(task.split()).rstrip(".")
    return (task[:1].upper() + task[1:])[:MAX_TITLE] or "Untitled procedure"


def _no_evidence_flags(evidence: Evidence, specs: list[SectionSpec]) -> list[Flag]:
    return [
        Flag(rule="no-evidence", severity="warning", section=s.key,
             message=f"No source says anything about {s.title.lower()}; the section was left empty.",
             evidence=f"searched for: {s.query}",
             suggestion="Add a source that covers it and regenerate the section, or write it yourself.")
        for s in specs if not evidence.by_section.get(s.key)
    ]


def _mask(services: "Services", task: str, evidence: Evidence) -> tuple[dict[str, str], list[Redaction], "RedactionCounter"]:
    from app.privacy import RedactionCounter, apply_policy

    counter = RedactionCounter()
    texts = {cid: ref.text for cid, ref in evidence.chunks.items()} | {"task": task}
    masked, redactions = apply_policy(texts, services.llm.policy,
                                      known_names=services.settings.privacy.known_names, counter=counter)
    return masked, redactions, counter


def _restore(value: Any, counter: "RedactionCounter") -> Any:
    """Put masked values back into the model's output: the draft itself stays on this machine."""
    if isinstance(value, BaseModel):
        return type(value).model_validate(_restore(value.model_dump(), counter))
    if isinstance(value, list):
        return [_restore(v, counter) for v in value]
    if isinstance(value, dict):
        return {k: v if k == "citations" else _restore(v, counter) for k, v in value.items()}
    return counter.restore(value) if isinstance(value, str) else value


def _injection_flags(evidence: Evidence, embed: Any = None) -> list[Flag]:
    from app.injection import scan_chunks, to_flags

    findings = scan_chunks({cid: ref.text for cid, ref in evidence.chunks.items()}, embed)
    return to_flags(findings, evidence.by_section)


def _references(sop: SOP, chunks: dict[str, ChunkRef]) -> list[Reference]:
    """One reference per cited source, every cited chunk kept; with more sources than the
    template holds, neighbouring sources share a reference."""
    by_source: dict[str, list[str]] = {}
    for cid in sorted(sop.all_citations()):
        if cid in chunks:
            by_source.setdefault(chunks[cid].source, []).append(cid)
    sources = sorted(by_source)
    n, k = len(sources), min(len(sources), MAX_REFERENCES)
    groups = [sources[i * n // k:(i + 1) * n // k] for i in range(k)]  # sizes differ by one at most
    return [Reference(text=_source_list(group), citations=[c for s in group for c in by_source[s]])
            for group in groups]


def _source_list(sources: list[str]) -> str:
    """``a.md; b.md``, shortened to ``a.md and 3 more sources`` when it would not fit one statement."""
    limit = MAX_SHORT_TEXT
    text = "; ".join(sources)
    shown = len(sources)
    while len(text) > limit and shown > 1:
        shown -= 1
        text = f"{'; '.join(sources[:shown])} and {len(sources) - shown} more sources"
    return text[:limit]


def _draft_sections(services: "Services", task: str, specs: list[SectionSpec], evidence: Evidence,
                    progress: Progress, single_call: bool = False) -> tuple[dict[str, Any], list[Flag], list[Redaction]]:
    """Draft every group, up to ``llm.concurrency`` calls at once; each finished group is reported with its values.

    Results are combined in plan order whatever order the calls finish in, so a draft does
    not depend on timing.
    """
    plan = load_plan()
    masked, redactions, counter = _mask(services, task, evidence)
    groups = [[s.key for s in specs]] if single_call else plan.groups_for([s.key for s in specs])
    jobs = [(group, [plan.sections[k] for k in group if evidence.by_section.get(k)]) for group in groups]
    jobs = [(group, todo) for group, todo in jobs if todo]
    total = len(jobs)
    results: dict[int, tuple[dict[str, Any], list[Flag]]] = {}
    failures: list[str] = []
    partial = SOP(title=_title_from_task(task), metadata=Metadata())
    progress(DraftProgress(stage="section", total=total, message=f"Drafting {total} groups of sections"))
    order = _lead_first(task, jobs, evidence, masked)

    def collect(n: int, finished: Any) -> None:
        todo = jobs[n][1]
        try:
            got, problems = finished.result()
        except (DataBlockedError, ProviderError):
            raise  # configuration decisions, not a bad answer: stop the whole draft
        except Exception as exc:  # noqa: BLE001 - one failed call must not lose the other sections
            failures.append(safe_error(exc))
            got, problems = {}, [_failed_call_flag(spec, failures[-1]) for spec in todo]
        got = {key: _restore(value, counter) for key, value in got.items()}
        results[n] = (got, problems)
        for key, value in got.items():
            setattr(partial, key, value)
        names = ", ".join(SECTION_TITLES[s.key] for s in todo)
        progress(DraftProgress(stage="section", section=todo[0].key, done=len(results), total=total,
                               message=f"Drafted {names}", finished=list(got), sop=partial.model_copy(deep=True)))

    llm = services.llm.for_draft()
    with ThreadPoolExecutor(max_workers=max(1, min(llm.concurrency, total or 1)),
                            thread_name_prefix="draft") as pool:
        futures: dict[Any, int] = {}

        def submit(n: int) -> None:
            futures[pool.submit(draft_group, llm, task, jobs[n][1], evidence, masked, redactions)] = n

        # The cheapest group goes first and alone: the local server stalls a generating slot
        # while another evaluates its prompt, so the first section reaches the owner soonest
        # when its call has the machine to itself. The rest follow once it is done.
        held = order[1:]
        if order:
            submit(order[0])
        try:
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for finished in done:
                    collect(futures.pop(finished), finished)
                for n in held:
                    submit(n)
                held = []
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)  # calls not started yet never start
            raise
    values: dict[str, Any] = {}
    flags: list[Flag] = []
    for n in sorted(results):
        values.update(results[n][0])
        flags.extend(results[n][1])
    if failures and not values:
        raise DraftingFailedError(f"every drafting call failed; the first error: {failures[0]}")
    return values, flags, redactions


def _lead_first(task: str, jobs: list[tuple[list[str], list[SectionSpec]]], evidence: Evidence,
                masked: dict[str, str]) -> list[int]:
    """Job indexes, the cheapest first and the rest in plan order."""
    if len(jobs) < 2:
        return list(range(len(jobs)))
    lead = min(range(len(jobs)), key=lambda n: (estimated_cost(task, jobs[n][1], evidence, masked), n))
    return [lead] + [n for n in range(len(jobs)) if n != lead]


def _queued(report: Progress, section: str = "") -> Callable[[int], None]:
    def waiting(ahead: int) -> None:
        report(DraftProgress(stage="queued", section=section,
                             message=f"{ahead} draft{'s' if ahead != 1 else ''} ahead of you; waiting for the model"))
    return waiting


def _failed_call_flag(spec: SectionSpec, reason: str) -> Flag:
    return Flag(rule="drafting-error", severity="warning", section=spec.key,
                message=f"Drafting {spec.title} failed, so the section is left empty.",
                evidence=reason, suggestion="Regenerate the section, or write it yourself.")


def _questions_for(sections: list[str] | None) -> list["Question"]:
    from app.drafting.questions import load_questions

    return [q for q in load_questions() if not sections or q.section in sections]


def _answer(services: "Services", task: str, questions: list["Question"], report: Progress,
            queue_label: str) -> tuple["Answers", "TaskSources", list[Redaction]]:
    """The task's documents, and the model's answers to ``questions`` over them (sections reported as they finish)."""
    from app.drafting.align import SentenceMatcher
    from app.drafting.asking import Answers, ask_questions, settle
    from app.drafting.documents import gather_sources
    from app.drafting.questions import exclusive_groups

    plan = load_plan()
    sections = list(dict.fromkeys(q.section for q in questions))
    report(DraftProgress(stage="retrieval", message="Finding the task's documents"))
    sources = gather_sources(services.index, task, [plan.sections[s].query for s in sections],
                             services.settings.drafting)
    sop = SOP(title=_title_from_task(task), metadata=Metadata())
    if not sources.chunks:
        return Answers(sop=sop), sources, []
    masked, redactions, counter = _mask(services, task, Evidence(chunks=sources.chunks))
    matcher = SentenceMatcher(sources.sentences(), services.index.embed,
                              {cid: ref.heading for cid, ref in sources.chunks.items()})
    done: list[str] = []

    def on_section(section: str, partial: SOP) -> None:
        done.append(section)
        report(DraftProgress(stage="section", section=section, done=len(done), total=len(sections),
                             message=f"Drafted {SECTION_TITLES[section]}", finished=[section],
                             sop=partial.model_copy(deep=True)))

    with services.draft_queue.turn(queue_label, _queued(report)):
        report(DraftProgress(stage="section", total=len(sections),
                             message=f"Reading {len(sources.documents)} document(s), then {len(questions)} questions"))
        answers = ask_questions(services.llm.for_draft(), task, questions, sources, masked, counter, redactions,
                                sop, matcher, on_section)
    if answers.failures and not answers.answered:
        raise DraftingFailedError(f"every drafting call failed; the first error: {answers.failures[0]}")
    settle(answers, exclusive_groups(), matcher, questions)
    return answers, sources, redactions


def _draft_by_questions(services: "Services", task: str, sections: list[str] | None, report: Progress,
                        started: float) -> Draft:
    from app.drafting.asking import cited_by_section, empty_sections, no_answer_flags

    questions = _questions_for(sections)
    answers, sources, redactions = _answer(services, task, questions, report, task[:80])
    sop, flags = answers.sop, answers.flags
    report(DraftProgress(stage="verification", message="Checking every statement against its sources"))
    sop.references = _references(sop, sources.chunks)
    flags += verify_sop(sop, sources.chunks, services.index.embed)
    flags += no_answer_flags(empty_sections(sop, questions), questions)
    evidence = Evidence(by_section=cited_by_section(sop), chunks=sources.chunks)
    flags += _injection_flags(evidence, services.index.embed)
    draft_id = hashlib.sha256(f"{task}|{time.time_ns()}".encode()).hexdigest()[:12]
    draft = Draft(draft_id=draft_id, task=task, sop=sop, evidence=evidence.by_section, chunks=sources.chunks,
                  flags=_dedupe(flags), redactions=redactions, provider=services.llm.provider,
                  model=services.llm.model_name, duration_s=round(time.perf_counter() - started, 2))
    report(DraftProgress(stage="done", message=f"Drafted in {draft.duration_s:.0f} s"))
    return draft


def draft_sop(services: "Services", task: str, *, sections: list[str] | None = None,
              progress: Progress | None = None, single_call: bool = False) -> Draft:
    """Draft an SOP for ``task`` from the indexed sources (not stored).

    ``single_call`` drafts every section in one call (the naive whole-SOP prompt, kept as
    the baseline the benchmark compares against).
    """
    report = progress or _noop
    started = time.perf_counter()
    if services.settings.drafting.design == "questions" and not single_call:
        return _draft_by_questions(services, task, sections, report, started)
    report(DraftProgress(stage="retrieval", message="Finding evidence for each section"))
    plan = load_plan()
    specs = [plan.sections[k] for k in (sections or plan.sections)]
    cfg = services.settings.retrieval
    evidence = gather_evidence(services.index, task, specs, k=cfg.evidence_per_section, min_score=cfg.min_score)
    with services.draft_queue.turn(task[:80], _queued(report)):
        values, flags, redactions = _draft_sections(services, task, specs, evidence, report, single_call)
    draft_id = hashlib.sha256(f"{task}|{time.time_ns()}".encode()).hexdigest()[:12]
    sop = SOP(title=_title_from_task(task), metadata=Metadata(), **values)
    report(DraftProgress(stage="verification", done=len(specs), total=len(specs), message="Checking every statement against its sources"))
    flags += repair_citations(sop, evidence.chunks, evidence.by_section)
    sop.references = _references(sop, evidence.chunks)
    flags += verify_sop(sop, evidence.chunks, services.index.embed)
    flags += _no_evidence_flags(evidence, specs) + _injection_flags(evidence, services.index.embed)
    draft = Draft(draft_id=draft_id, task=task, sop=sop, evidence=evidence.by_section, chunks=evidence.chunks,
                  flags=_dedupe(flags), redactions=redactions, provider=services.llm.provider, model=services.llm.model_name,
                  duration_s=round(time.perf_counter() - started, 2))
    report(DraftProgress(stage="done", done=len(specs), total=len(specs), message=f"Drafted in {draft.duration_s:.0f} s"))
    return draft


def create_draft(services: "Services", task: str, *, identity: "Identity", sections: list[str] | None = None,
                 progress: Progress | None = None) -> "DraftRecord":
    """Draft an SOP and store it as version 1 of a new draft, authored by ``identity``."""
    from app.auth.permissions import Permission

    identity.require(Permission.DRAFT, "draft SOPs")  # before spending minutes on the model
    return services.signoff.create_draft(identity, draft_sop(services, task, sections=sections, progress=progress))


def regenerate_section(services: "Services", draft_id: str, section: str, *, identity: "Identity",
                       expected_version: int, progress: Progress | None = None) -> "DraftRecord":
    """Redraft one section with fresh evidence and save it as a new unapproved version; the rest is kept."""
    from app.auth.permissions import Permission

    identity.require(Permission.EDIT, "regenerate sections")
    report = progress or _noop
    plan = load_plan()
    if section not in plan.sections:
        raise ValueError(f"unknown section {section!r}; choose from {', '.join(plan.sections)}")
    record = services.store.get_draft(draft_id)
    draft = record.draft
    spec = plan.sections[section]
    if services.settings.drafting.design == "questions":
        updated = _regenerate_by_questions(services, draft, section, report)
    else:
        updated = _regenerate_by_groups(services, draft, spec, report, f"{draft_id} {section}")
    report(DraftProgress(stage="done", section=section, done=1, total=1, message=f"Regenerated {spec.title}"))
    return services.signoff.edit(identity, draft_id, updated.sop, reason=f"regenerated section {section}",
                                 expected_version=expected_version, base=updated)


def _regenerated(services: "Services", draft: Draft, section: str, value: Any, fresh: Evidence,
                 flags: list[Flag], redactions: list[Redaction]) -> Draft:
    """``draft`` with ``section`` replaced by ``value`` and its flags redone; the rest kept as it was."""
    sop = draft.sop.model_copy(deep=True)
    setattr(sop, section, value)
    chunks = draft.chunks | fresh.chunks
    kept = [f for f in draft.flags if f.section not in (section, "references")]
    notes = [f for f in repair_citations(sop, chunks, fresh.by_section) if f.section == section]
    sop.references = _references(sop, chunks)
    section_flags = notes + [f for f in verify_sop(sop, chunks, services.index.embed) if f.section == section]
    new_flags = kept + flags + section_flags + _injection_flags(fresh, services.index.embed)
    return draft.model_copy(update={
        "sop": sop, "chunks": chunks, "flags": _dedupe(new_flags),
        "evidence": draft.evidence | fresh.by_section, "redactions": draft.redactions + redactions,
    })


def _regenerate_by_groups(services: "Services", draft: Draft, spec: SectionSpec, report: Progress,
                          queue_label: str) -> Draft:
    report(DraftProgress(stage="retrieval", section=spec.key, total=1, message=f"Finding evidence for {spec.title}"))
    cfg = services.settings.retrieval
    fresh = gather_evidence(services.index, draft.task, [spec], k=cfg.evidence_per_section, min_score=cfg.min_score)
    with services.draft_queue.turn(queue_label, _queued(report, spec.key)):
        values, flags, redactions = _draft_sections(services, draft.task, [spec], fresh, report)
    report(DraftProgress(stage="verification", section=spec.key, done=1, total=1, message="Checking the new statements"))
    value = values.get(spec.key, SOP.model_fields[spec.key].default_factory())
    return _regenerated(services, draft, spec.key, value, fresh, flags + _no_evidence_flags(fresh, [spec]), redactions)


def _regenerate_by_questions(services: "Services", draft: Draft, section: str, report: Progress) -> Draft:
    from app.drafting.asking import cited_by_section, empty_sections, no_answer_flags

    questions = _questions_for([section])
    answers, sources, redactions = _answer(services, draft.task, questions, report, f"{draft.draft_id} {section}")
    report(DraftProgress(stage="verification", section=section, done=1, total=1, message="Checking the new statements"))
    fresh = Evidence(by_section={section: cited_by_section(answers.sop).get(section, [])}, chunks=sources.chunks)
    flags = answers.flags + no_answer_flags(empty_sections(answers.sop, questions), questions)
    return _regenerated(services, draft, section, getattr(answers.sop, section), fresh, flags, redactions)
