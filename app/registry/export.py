"""Export an approved SOP version to the registry folder (Markdown, DOCX, JSON + index).

Layout::

    registry/
      index.json, INDEX.md
      registry-ed25519.pub.pem    the public key every signature and manifest verifies against
      audit-head.json             the audit chain's head at the last export, signed (an anchor)
      <SOP-ID>/<doc-version>/<title-slug>.md|.docx|.json
      <SOP-ID>/<doc-version>/manifest.json   sha256 of each file + the signatures, signed

Every file of a version is rendered in memory, written to a hidden temporary folder
beside its final place and renamed into place in one step, so an interrupted export
leaves either the whole version or nothing. The index files are replaced atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from filelock import FileLock, Timeout

from app.registry.audit import canonical_json
from app.registry.docx_export import docx_bytes
from app.registry.errors import ExportError
from app.registry.keys import PUBLIC_NAME, RegistryKey
from app.registry.paths import LOCK_NAME, inside, registry_root, safe_component, title_slug
from app.registry.records import Actor, DraftRecord, ExportResult, Signature
from app.registry.signatures import manifestation
from app.registry.render import front_matter, oneline, render_index, render_markdown, yaml_value
from app.registry.store import Store
from app.registry.workflow import mark_exported

FORMATS = ("md", "docx", "json")
INDEX_JSON = "index.json"
INDEX_MD = "INDEX.md"
MANIFEST = "manifest.json"
ANCHOR = "audit-head.json"
LOCK_TIMEOUT_S = 60
_TEMP_PREFIXES = (".tmp-", ".old-")


def check_exportable(store: Store, record: DraftRecord) -> None:
    """Refuse unless the version is approved and its stored content still matches the approval."""
    where = f"draft {record.draft_id} v{record.version}"
    if record.status not in ("approved", "exported") or record.approval is None:
        current = store.current_approved(record.draft.sop.metadata.sop_id)
        hint = f"; the version in force is {current.draft_id} v{current.version} (--version {current.version})" \
            if current and current.draft_id == record.draft_id else ""
        raise ExportError(f"{where} is {record.status}, not approved; only approved versions are exported{hint}")
    actual = record.draft.sop.content_hash()
    audited = (store.audited_approval(record.draft_id, record.version) or {}).get("content_hash")
    if actual != record.approval.content_hash or audited != record.approval.content_hash:
        raise ExportError(f"{where}: stored content does not match what was approved (content hash {actual[:12]}, "
                          f"approved {record.approval.content_hash[:12]}, audited {str(audited)[:12]}); the "
                          "record was altered after sign-off, export refused. Run 'sopdraft audit verify'.")


def _json_bytes(record: DraftRecord, signatures: list[Signature]) -> bytes:
    sop = record.draft.sop
    cited = {c: record.draft.chunks[c] for c in sorted(sop.all_citations()) if c in record.draft.chunks}
    data = {
        "format": "sopdraft-sop/1",
        "draft_id": record.draft_id,
        "version": record.version,
        "sop": sop.model_dump(mode="json"),
        "approval": record.approval.model_dump(mode="json"),
        "signatures": [s.model_dump(mode="json") for s in signatures],
        "citations": {cid: ref.model_dump(mode="json", include={"source", "page", "heading", "source_sha256"})
                      for cid, ref in cited.items()},
    }
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def render_files(record: DraftRecord, formats: tuple[str, ...], templates_dir: Path | None,
                 signatures: list[Signature] | None = None) -> dict[str, bytes]:
    """Every requested format rendered in memory, keyed by extension (fails before anything is written)."""
    signatures = signatures or []
    matter = {**front_matter(record.draft, record.approval), "signatures": [manifestation(s) for s in signatures]}
    renderers: dict[str, Callable[[], bytes]] = {
        "md": lambda: render_markdown(record.draft.sop, matter, templates_dir=templates_dir).encode("utf-8"),
        "docx": lambda: docx_bytes(record.draft.sop, record.approval, signatures),
        "json": lambda: _json_bytes(record, signatures),
    }
    return {fmt: renderers[fmt]() for fmt in formats}


def current_umask() -> int:
    """The process umask, read without changing it where Linux tells it (``/proc/self/status``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (not atomic, but only on such systems)
    os.umask(mask)
    return mask


def shared_mode(*, directory: bool) -> int:
    """The mode a plain ``open``/``mkdir`` would give, so a shared registry stays readable to the team
    (``mkstemp``/``mkdtemp`` create 0600/0700 whatever the umask)."""
    return (0o777 if directory else 0o666) & ~current_umask()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step (temp file in the same folder + ``os.replace``)."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    os.close(fd)
    try:
        os.chmod(tmp, shared_mode(directory=False))
        _write_file(Path(tmp), data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def write_version_dir(target: Path, files: dict[str, bytes]) -> list[Path]:
    """Write ``files`` (name -> bytes) as the folder ``target``, all or nothing."""
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    for stale in parent.iterdir():  # left by an export that was killed
        if stale.name.startswith(_TEMP_PREFIXES) and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=parent))
    try:
        os.chmod(tmp, shared_mode(directory=True))
        for name, data in files.items():
            _write_file(tmp / name, data)
        if target.exists():  # re-export: move the old folder aside, then swap
            old = parent / f".old-{target.name}-{uuid.uuid4().hex[:8]}"
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(parent)
    return [target / name for name in files]


def _load_index(registry_dir: Path) -> dict[str, Any]:
    path = registry_dir / INDEX_JSON
    if not path.exists():
        return {"format": "sopdraft-registry/1", "sops": []}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data.get("sops"), list):
            raise ValueError("no 'sops' list")
    except (OSError, ValueError, AttributeError) as exc:
        raise ExportError(f"{path}: registry index is unreadable ({exc}); fix or remove it, then export again") \
            from exc
    return data


def update_index(registry_dir: Path, record: DraftRecord, files: list[Path],
                 templates_dir: Path | None) -> list[Path]:
    """Record this version as the current one of its SOP in ``index.json`` and ``INDEX.md``."""
    approval = record.approval
    rel = [f.relative_to(registry_dir).as_posix() for f in files]
    entry = {"sop_id": approval.sop_id, "title": record.draft.sop.title, "version": approval.doc_version,
             "status": "approved", "owner": approval.owner_name, "owner_role": approval.owner_role,
             "approver": approval.approver, "approved_at": yaml_value(approval.approved_at),
             "effective_date": approval.effective_date.isoformat(),
             "next_review_date": approval.next_review_date.isoformat(), "content_hash": approval.content_hash,
             "draft_id": record.draft_id, "store_version": record.version,
             "markdown": next((p for p in rel if p.endswith(".md")), rel[0]), "files": rel}
    index = _load_index(registry_dir)
    previous = next((e for e in index["sops"] if e.get("sop_id") == approval.sop_id), None)
    history = [h for h in (previous or {}).get("versions", []) if h.get("version") != approval.doc_version]
    entry["versions"] = history + [{k: entry[k] for k in ("version", "approved_at", "approver", "files")}]
    index["sops"] = sorted([e for e in index["sops"] if e is not previous] + [entry], key=lambda e: e["sop_id"])
    json_path, md_path = registry_dir / INDEX_JSON, registry_dir / INDEX_MD
    atomic_write(json_path, (json.dumps(index, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    atomic_write(md_path, render_index(index["sops"], templates_dir=templates_dir).encode("utf-8"))
    return [json_path, md_path]


def signed_json(key: RegistryKey, data: dict[str, Any]) -> bytes:
    """``data`` plus ``key_id`` and a ``signature`` over its canonical JSON, as a file's bytes."""
    body = {**data, "key_id": key.fingerprint()}
    body["signature"] = key.sign(canonical_json(body).encode("utf-8"))
    return (json.dumps(body, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def manifest_bytes(key: RegistryKey, record: DraftRecord, files: dict[str, bytes],
                   signatures: list[Signature]) -> bytes:
    """The signed manifest of one exported version: each file's sha256, the content hash, the signatures."""
    return signed_json(key, {
        "format": "sopdraft-manifest/1", "draft_id": record.draft_id, "version": record.version,
        "sop_id": record.approval.sop_id, "doc_version": record.approval.doc_version,
        "content_hash": record.approval.content_hash,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
        "signatures": [s.model_dump(mode="json") for s in signatures]})


def write_anchor(registry_dir: Path, key: RegistryKey, head: tuple[int, str]) -> list[Path]:
    """Publish the public key and the audit chain's current head (signed) in the registry."""
    public, anchor = registry_dir / PUBLIC_NAME, registry_dir / ANCHOR
    if not public.exists() or public.read_bytes() != key.public_pem():
        atomic_write(public, key.public_pem())
    atomic_write(anchor, signed_json(key, {"format": "sopdraft-audit-anchor/1", "seq": head[0], "hash": head[1],
                                           "at": datetime.now(timezone.utc).isoformat()}))
    return [public, anchor]


def _git(registry_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    return subprocess.run(["git", "-C", str(registry_dir), *args], capture_output=True, text=True, env=env,
                          check=False)


def commit_to_git(registry_dir: Path, paths: list[Path], message: str, author: str) -> str | None:
    """Commit ``paths`` if ``registry_dir`` is itself the top of a git work tree; return the commit id.

    A registry folder nested inside another repository (e.g. this project) is never committed
    to; an identical re-export has nothing to commit and returns None.
    """
    top = _git(registry_dir, "rev-parse", "--show-toplevel")
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != registry_dir.resolve():
        return None
    rel = [p.relative_to(registry_dir).as_posix() for p in paths]
    _git_checked(registry_dir, "add", "-A", "--", *rel)
    if _git(registry_dir, "diff", "--cached", "--quiet", "--", *rel).returncode == 0:
        return None
    _git_checked(registry_dir, "-c", f"user.name={author}", "-c", "user.email=sopdraft@localhost",
                 "-c", "commit.gpgsign=false", "commit", "-q", "-m", message, "--", *rel)
    return _git(registry_dir, "rev-parse", "HEAD").stdout.strip()


def _git_checked(registry_dir: Path, *args: str) -> None:
    done = _git(registry_dir, *args)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise ExportError(f"files were written to {registry_dir} but git failed: {detail[-1] if detail else args}")


def export(store: Store, draft_id: str, registry_dir: Path, *, actor: Actor, key: RegistryKey,
           signatures: list[Signature], formats: tuple[str, ...] = FORMATS, templates_dir: Path | None = None,
           git_commit: bool = True, version: int | None = None) -> ExportResult:
    """Write an approved version (latest if ``version`` is None) to the registry and mark it exported.

    Called by :meth:`app.registry.signoff.SignoffService.export`, which checks the exporter's
    role and that ``signatures`` are the valid ones the registry requires.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ExportError(f"unknown export format(s) {unknown or '(none)'}; choose from {', '.join(FORMATS)}")
    record = store.get_draft(draft_id, version)
    check_exportable(store, record)
    approval = record.approval
    sop_dir = safe_component(approval.sop_id, what="SOP id")
    stem = title_slug(record.draft.sop.title, fallback=sop_dir.lower())
    registry_dir = registry_root(registry_dir)
    target = inside(registry_dir, registry_dir / sop_dir / safe_component(approval.doc_version, what="version"))
    contents = {f"{stem}.{fmt}": data for fmt, data in
                render_files(record, tuple(dict.fromkeys(formats)), templates_dir, signatures).items()}
    contents[MANIFEST] = manifest_bytes(key, record, contents, signatures)
    try:
        registry_dir.mkdir(parents=True, exist_ok=True)
        # One export at a time per registry: index.json is read, updated and replaced.
        with FileLock(str(registry_dir / LOCK_NAME), timeout=LOCK_TIMEOUT_S):
            files = write_version_dir(target, contents)
            index_files = update_index(registry_dir, record, [f for f in files if f.name != MANIFEST],
                                       templates_dir) + write_anchor(registry_dir, key, store.audit_head())
            commit = None
            if git_commit:
                message = (f"{approval.sop_id} v{approval.doc_version}: {oneline(record.draft.sop.title)} "
                           f"(approved by {approval.approver})")
                commit = commit_to_git(registry_dir, [target, *index_files], message, actor.name)
    except Timeout as exc:
        raise ExportError(f"another export into {registry_dir} has held its lock for {LOCK_TIMEOUT_S} s; "
                          "try again when it has finished") from exc
    except OSError as exc:
        raise ExportError(f"cannot write to the registry {registry_dir}: {exc.strerror or exc}") from exc
    result = ExportResult(draft_id=record.draft_id, version=record.version, sop_id=approval.sop_id,
                          doc_version=approval.doc_version, directory=target,
                          files=[f for f in files if f.name != MANIFEST], manifest=target / MANIFEST,
                          index_files=index_files, commit=commit)
    mark_exported(store, record, actor=actor,
                  details={"directory": str(target), "files": [f.name for f in files], "commit": commit,
                           "signatures": [s.signature for s in signatures]})
    return result

