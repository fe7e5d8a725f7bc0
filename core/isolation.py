"""Uploaded workbooks are parsed in separate, limited worker processes, kept warm in a small pool.

A hostile or broken workbook can abort the process that reads it (python-calamine calls abort()
when an allocation fails: uncatchable), raise a BaseException that `except Exception` misses, or
run for minutes. In the dashboard that would take the server down for every session. So the gate
(core/gate.py) runs here, in the caller, and the whole of `validate.read_workbook` runs in a
worker process with

- an address-space limit (RLIMIT_AS, `limits.parse_memory_mb`): an allocation beyond it fails
  inside the worker, as a MemoryError or an abort of the worker alone;
- a wall-clock limit per file (`limits.parse_timeout_s`): the worker is killed (SIGKILL) and
  replaced;

and whatever happens to the worker, the caller gets a ParsedWorkbook whose error says so in
Chinese, a new worker takes the dead one's place, and every other caller goes on.

Workers are fresh interpreters started as `python -m core.isolation` — the 'spawn' start method,
done explicitly: nothing of the threaded server is forked. (multiprocessing's own spawn and
forkserver re-run the parent's __main__ in each child; under `streamlit run` that is the page
script being run, so each worker would run the app.) A worker imports pandas and calamine once,
then serves one request at a time over a pipe: the workbook bytes in, the pickled ParsedWorkbook
out. Only our own code runs in the parent's unpickler, but a parser exploit able to run code in
the worker could forge that pickle: the worker is a crash and resource boundary, not a sandbox.
"""
from __future__ import annotations

import atexit
import hashlib
import importlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from core import gate
from core.issues import IssueList

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 60  # a worker's interpreter start and imports (~0.7 s here)
QUEUE_TIMEOUT_S = 300  # waiting for a free worker when every one is busy
RECYCLE_SHARE = 0.5  # a worker left holding more than this share of its memory limit is replaced
WORKER_ENV = {
    "ARROW_DEFAULT_MEMORY_POOL": "system",  # pyarrow's mimalloc reserves 1 GiB of address space up front
    "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    "RUST_BACKTRACE": "0", "PYTHONUNBUFFERED": "1",
}
# What a worker may be asked to run: work on an uploaded file's bytes, by name (never arbitrary code).
TASKS = {
    "read_workbook": ("core.validate", "read_workbook"),  # (bytes, file name, campaign, town, report date)
    "annotated_workbook": ("core.annotate", "annotated_workbook"),  # (bytes, ParsedWorkbook) → .xlsx bytes
}
DEFUSEDXML_MISSING = ("缺少 defusedxml 组件：没有它，读取 Excel 文件时无法防范 XML 实体攻击，系统拒绝启动。"
                      "请在项目目录运行 pip install -r requirements.txt 后再启动。")


class ParseFailure(Exception):
    """The worker could not finish; `code` is an issue code and the message is Chinese."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def defusedxml_problem() -> str | None:
    """Why XML cannot be parsed safely here (defusedxml missing, or openpyxl not using it), else None."""
    try:
        import defusedxml  # noqa: F401
        from openpyxl.xml import DEFUSEDXML
    except ImportError:
        return DEFUSEDXML_MISSING
    return None if DEFUSEDXML else DEFUSEDXML_MISSING


# ---------------------------------------------------------------- the worker process

def _memory_in_use() -> int:
    """Resident bytes of this process."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _watch_parent(parent: int) -> None:
    """Exit when the process that started this worker is gone (its pipes may outlive it)."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def _warm_up(read_workbook) -> None:
    """Parse one shipped sample workbook, so that pandas' lazy imports are done before the first
    real upload (which would otherwise take ~0.5 s more)."""
    from core.config import default_campaign

    sample = next(iter(sorted((ROOT / "sample_data").glob("*.xlsx"))), None)
    if sample is not None:
        try:
            read_workbook(sample.read_bytes(), sample.name, default_campaign())
        except Exception:  # noqa: BLE001 - warming up is optional
            pass


def serve(read_fd: int, write_fd: int, memory_bytes: int, parent: int, warm: int = 0) -> None:
    """The worker's loop: one workbook at a time until the parent closes the pipe."""
    requests, replies = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    problem = defusedxml_problem()
    if problem:
        replies.send(("fatal", problem, 0))
        return
    import warnings

    from core.validate import read_workbook  # pandas, calamine: loaded once, before the limit

    warnings.simplefilter("ignore")
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if warm:
        _warm_up(read_workbook)
    if memory_bytes:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    replies.send(("ready", os.getpid(), _memory_in_use()))
    while True:
        try:
            task, args = requests.recv()
        except (EOFError, OSError):
            return
        try:
            module, name = TASKS[task]
            function = getattr(importlib.import_module(module), name)
            replies.send(("ok", function(*args), _memory_in_use()))
        except MemoryError:
            replies.send(("memory", None, 0))
            return  # a heap that ran out is not trusted with the next file
        except BaseException as exc:  # noqa: BLE001 - calamine's PanicException is a BaseException
            replies.send(("error", f"{type(exc).__name__}: {exc}"[:500], _memory_in_use()))


# ---------------------------------------------------------------- the pool, in the caller


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen
    requests: Connection
    replies: Connection
    stderr: object
    ready: bool = False
    jobs: int = 0
    started: float = field(default_factory=time.monotonic)

    def stop(self) -> None:
        """Kill the worker (if still running) and release its pipes."""
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for handle in (self.requests, self.replies, self.stderr):
            try:
                handle.close()
            except OSError:
                pass

    def stderr_tail(self) -> str:
        try:
            self.stderr.seek(0, os.SEEK_END)
            self.stderr.seek(max(0, self.stderr.tell() - 4096))
            return self.stderr.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""


class WorkerPool:
    """`size` warm worker processes, each limited to `memory_mb` of address space and
    `timeout_s` per file. Thread-safe: each caller borrows one worker for one file."""

    def __init__(self, size: int, memory_mb: int, timeout_s: float):
        self.size, self.memory_mb, self.timeout_s = size, memory_mb, timeout_s
        self._idle: list[_Worker] = []
        self._count = 0  # workers alive (idle or busy)
        self._cond = threading.Condition()
        self._closed = False
        self._warm = False  # set by warm(): a server process; workers then also warm up pandas
        self.replaced = 0  # workers killed or lost and replaced (for tests and logs)

    # ---- workers

    def _spawn(self) -> _Worker:
        parent_read, child_write = os.pipe()
        child_read, parent_write = os.pipe()
        env = {**os.environ, **WORKER_ENV,
               "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
        stderr = tempfile.TemporaryFile()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "core.isolation", str(child_read), str(child_write),
                 str(self.memory_mb * 1024 * 1024), str(os.getpid()), str(int(self._warm))],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                pass_fds=(child_read, child_write), start_new_session=True)
        finally:
            os.close(child_read)
            os.close(child_write)
        return _Worker(process, Connection(parent_write, readable=False), Connection(parent_read, writable=False),
                       stderr)

    def warm(self, wait: bool = False) -> None:
        """Start every worker now (they load in the background), so the first upload waits for
        none; with `wait`, return once every idle worker is ready."""
        with self._cond:
            self._warm = True
            while not self._closed and self._count < self.size:
                self._idle.append(self._spawn())
                self._count += 1
            if wait:
                for worker in self._idle:
                    self._await_ready(worker)

    def _checkout(self) -> _Worker:
        deadline = time.monotonic() + QUEUE_TIMEOUT_S
        with self._cond:
            while True:
                if self._closed:
                    raise ParseFailure("parse_crashed", "系统正在关闭，请稍后重新上传。")
                if self._idle:  # a warm worker first; a replacement still loading only if none is
                    ready = [w for w in self._idle if w.ready or w.replies.poll(0)]
                    worker = (ready or self._idle)[-1]
                    self._idle.remove(worker)
                    return worker
                if self._count < self.size:
                    self._count += 1
                    return self._spawn()
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ParseFailure("parse_timeout", "系统正忙（同时检查的文件较多），请稍后重新上传。")
                self._cond.wait(left)

    def _checkin(self, worker: _Worker) -> None:
        with self._cond:
            if self._closed:
                worker.stop()
                self._count -= 1
            else:
                self._idle.append(worker)
            self._cond.notify()

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker and start its replacement at once (it loads while nobody waits)."""
        worker.stop()
        with self._cond:
            self.replaced += 1
            if self._closed:
                self._count -= 1
            else:
                self._idle.append(self._spawn())
            self._cond.notify()

    def _await_ready(self, worker: _Worker) -> None:
        if worker.ready:
            return
        if not worker.replies.poll(STARTUP_TIMEOUT_S):
            raise ParseFailure("parse_crashed", "读取程序未能启动，请稍后重新上传；如仍不行，请联系管理员。")
        kind, detail, _ = worker.replies.recv()
        if kind == "fatal":
            raise ParseFailure("parse_crashed", detail)
        worker.ready = True

    # ---- one file

    def _failure(self, worker: _Worker, timeout_s: float | None) -> ParseFailure:
        if timeout_s is not None:
            return ParseFailure("parse_timeout", f"文件处理超过 {timeout_s:g} 秒仍未完成，已中止；文件可能过大或内容异常。"
                                                 "请删除无关的工作表和大片空白格式，或把数据拆分到多个工作簿后再上传。")
        worker.process.poll()
        died = worker.process.returncode
        tail = worker.stderr_tail()
        if "memory allocation" in tail or "MemoryError" in tail or died == -9:
            return _memory_failure(self.memory_mb)
        return ParseFailure("parse_crashed", "文件内容异常，读取程序在读取时意外终止（文件可能已损坏或由不规范的软件生成）；"
                                             "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传。")

    def call(self, task: str, args: tuple, timeout_s: float | None = None):
        """TASKS[task](*args) in a worker within `timeout_s` (default: the pool's): its result, or
        ParseFailure."""
        timeout_s = timeout_s or self.timeout_s
        worker = self._checkout()
        try:
            self._await_ready(worker)
            worker.jobs += 1
            worker.requests.send((task, args))
            if not worker.replies.poll(timeout_s):
                raise self._failure(worker, timeout_s)
            kind, result, resident = worker.replies.recv()
        except ParseFailure:
            self._discard(worker)
            raise
        except (EOFError, OSError):  # the worker died: abort(), SIGKILL by the kernel, …
            failure = self._failure(worker, None)
            self._discard(worker)
            raise failure from None
        except BaseException:
            self._discard(worker)
            raise
        if kind == "ok":
            if resident > RECYCLE_SHARE * self.memory_mb * 1024 * 1024:
                self._discard(worker)  # give the memory of a huge file back
            else:
                self._checkin(worker)
            return result
        if kind == "memory":
            self._discard(worker)
            raise _memory_failure(self.memory_mb)
        self._checkin(worker)  # an exception (a panic included) leaves the worker as good as before
        raise ParseFailure("unreadable", f"文件无法读取（{result.split(':')[0]}），请用 Excel 或 WPS 打开后另存为 .xlsx 再上传。")

    def pids(self) -> list[int]:
        """Process ids of the idle workers (for tests)."""
        with self._cond:
            return [w.process.pid for w in self._idle]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            self._cond.notify_all()
        for worker in idle:
            worker.stop()


def _memory_failure(memory_mb: int) -> ParseFailure:
    return ParseFailure("parse_memory", f"文件内容异常庞大，读取时所需内存超过上限（{memory_mb} MB），已中止；"
                                        "请删除无关的工作表、大片空白格式或远离数据区的零散单元格，或把数据拆分到多个工作簿后再上传。")


# ---------------------------------------------------------------- the pools of this process

_pools: dict[tuple, WorkerPool] = {}
_pools_lock = threading.Lock()


def pool_for(campaign) -> WorkerPool:
    """This process's pool for the campaign's limits (one per distinct set of limits)."""
    key = (campaign.parse_workers, campaign.parse_memory_mb, campaign.parse_timeout_s)
    with _pools_lock:
        if key not in _pools:
            _pools[key] = WorkerPool(*key)
        return _pools[key]


@atexit.register
def close_pools() -> None:
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()


def refused(data: bytes, file_name: str, code: str, message: str):
    """A ParsedWorkbook holding one whole-file error."""
    from core.validate import ParsedWorkbook

    issues = IssueList()
    issues.error(code, message)
    return ParsedWorkbook(file_name, hashlib.sha256(data).hexdigest(), len(data), issues)


def read_workbook(data: bytes, file_name: str, campaign, town=None, report_date=None, pool: WorkerPool | None = None):
    """validate.read_workbook, with the gate here and the parse in a limited worker: always a
    ParsedWorkbook, whatever the file does to the worker."""
    refusal = gate.check(data, gate.Limits.of(campaign))
    if refusal:
        return refused(data, file_name, refusal.code, refusal.message)
    try:
        return (pool or pool_for(campaign)).call("read_workbook", (data, file_name, campaign, town, report_date))
    except ParseFailure as failure:
        return refused(data, file_name, failure.code, str(failure))


def run(campaign, task: str, *args, timeout_s: float | None = None):
    """TASKS[task](*args) in a limited worker of the campaign's pool (e.g. openpyxl on an uploaded
    file), within `timeout_s` (default `limits.parse_timeout_s`). Raises ParseFailure (code,
    Chinese message) where the worker fails."""
    return pool_for(campaign).call(task, args, timeout_s)


if __name__ == "__main__":
    serve(*map(int, sys.argv[1:6]))
