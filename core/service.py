"""How other processes get work done by the process that owns the database file.

DuckDB lets one process at a time open a database file for writing. While the dashboard runs it
is that process, so `python -m core import` (or `backup`) from a terminal or a scheduled job
cannot open the file itself. Instead the owner listens on a Unix socket beside the database
(data/redprop.duckdb.sock, mode 0600: only the same system user can connect — the user who could
open the file directly anyway), and the command hands it each file: the owner parses it in its
worker pool and stores it under its write lock, exactly as an upload from a page, and answers
with the same JSON entry the command would have printed. Imports from pages, threads and other
processes are therefore serialised in one place, in the order they arrive.

Wire format, both ways: an 8-byte big-endian length, a JSON header of that length, then (for an
import request) the workbook bytes whose length the header gives. No pickle crosses the socket.
"""
from __future__ import annotations

import json
import os
import socket
import struct
import threading
from pathlib import Path

MAX_HEADER_BYTES = 64 * 1024  # of a request; a reply (every issue of a rejected file) may be larger
MAX_REPLY_BYTES = 256 * 1024 * 1024
MAX_CLIENTS = 16  # requests served at once; more wait in the listen queue
IO_TIMEOUT_S = 30  # a client that stops sending half-way is dropped after this
REPLY_TIMEOUT_S = 600  # how long a command waits for the owner's answer (parse queue + store)
MAX_SOCKET_PATH = 100  # AF_UNIX paths are limited to 108 bytes


class OwnerUnavailable(Exception):
    """No process answers on the database's socket."""


def socket_path(target: Path) -> Path:
    return target.with_name(target.name + ".sock")


def _send(sock: socket.socket, header: dict, payload: bytes = b"") -> None:
    body = json.dumps(header, ensure_ascii=False).encode("utf-8")
    sock.sendall(struct.pack(">Q", len(body)) + body + payload)


def _receive_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise ConnectionError("connection closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _receive(sock: socket.socket, max_payload: int = 0, max_header: int = MAX_HEADER_BYTES) -> tuple[dict, bytes]:
    (size,) = struct.unpack(">Q", _receive_exactly(sock, 8))
    if size > max_header:
        raise ValueError("header too large")
    header = json.loads(_receive_exactly(sock, size).decode("utf-8"))
    payload_size = int(header.get("size") or 0)
    if payload_size < 0 or payload_size > max_payload:
        raise ValueError("payload too large")
    return header, _receive_exactly(sock, payload_size) if payload_size else b""


# ---------------------------------------------------------------- the owner's side


class Service:
    """The owner's listener for one database file."""

    def __init__(self, conn, target: Path, campaign):
        self.conn, self.target, self.campaign = conn, target, campaign
        self.path = socket_path(target)
        self._listener: socket.socket | None = None
        self._slots = threading.BoundedSemaphore(MAX_CLIENTS)

    def start(self) -> bool:
        """Listen (replacing a socket file left by a process that died); False where the path is
        too long for a Unix socket."""
        if len(str(self.path)) > MAX_SOCKET_PATH:
            return False
        self.path.unlink(missing_ok=True)  # this process holds the database lock: any socket here is stale
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_mask = os.umask(0o177)
        try:
            listener.bind(str(self.path))
        finally:
            os.umask(old_mask)
        os.chmod(self.path, 0o600)
        listener.listen(MAX_CLIENTS)
        self._listener = listener
        threading.Thread(target=self._accept, name=f"redprop-service-{self.target.name}", daemon=True).start()
        return True

    def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
            self.path.unlink(missing_ok=True)

    def _accept(self) -> None:
        while self._listener is not None:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            self._slots.acquire()
            threading.Thread(target=self._serve_one, args=(client,), daemon=True).start()

    def _serve_one(self, client: socket.socket) -> None:
        try:
            client.settimeout(IO_TIMEOUT_S)
            header, payload = _receive(client, self.campaign.max_upload_mb * 1024 * 1024)
            client.settimeout(None)
            try:
                reply = self.handle(header, payload)
            except Exception as exc:  # noqa: BLE001 - the client gets a message, the owner goes on
                reply = {"ok": False, "error": f"看板进程处理请求时出错：{exc}"}
            _send(client, reply)
        except (OSError, ValueError, ConnectionError):
            pass  # a client that went away or spoke nonsense
        finally:
            client.close()
            self._slots.release()

    def handle(self, header: dict, payload: bytes) -> dict:
        """The answer to one request."""
        op = header.get("op")
        if op == "ping":
            return {"ok": True, "pid": os.getpid(), "database": str(self.target)}
        if op == "import":
            return {"ok": True, "entry": self._import(header, payload)}
        if op == "backup":
            from core import backup

            cursor = self.conn.cursor()
            try:
                from core import access, actions

                actor = access.cli_actor(str(header.get("uploader") or "命令行"))
                return {"ok": True, "backup": actions.backup(cursor, actor, header["folder"])}
            except backup.BackupError as exc:
                return {"ok": False, "error": str(exc)}
            finally:
                cursor.close()
        return {"ok": False, "error": f"未知的请求：{op!r}"}

    def _import(self, header: dict, payload: bytes) -> dict:
        import datetime as dt

        from core import isolation
        from core.cli import import_files

        date = dt.date.fromisoformat(header["date"]) if header.get("date") else None
        parsed = isolation.read_workbook(payload, str(header.get("file_name") or "工作簿.xlsx"), self.campaign,
                                         town=header.get("town"), report_date=date)
        cursor = self.conn.cursor()
        try:
            [entry] = import_files(cursor, [parsed], str(header.get("uploader") or "命令行"))
        finally:
            cursor.close()
        return entry


_services: dict[Path, Service] = {}
_services_lock = threading.Lock()


def serve(conn, target: Path, campaign) -> Service | None:
    """Start the owner's listener for the database file; None where it cannot listen. A later call
    for the same file hands the listener the newer connection; one for another file (a process
    owns one database at a time; tests open many) stops the listener of the previous one."""
    target = Path(target).resolve()
    with _services_lock:
        existing = _services.get(target)
        if existing is not None:
            existing.conn, existing.campaign = conn, campaign
            return existing
        for other in list(_services):
            _services.pop(other).close()
        service = Service(conn, target, campaign)
        try:
            started = service.start()
        except OSError:
            started = False
        if not started:
            return None
        _services[target] = service
        return service


def stop(target: Path) -> None:
    with _services_lock:
        service = _services.pop(Path(target).resolve(), None)
    if service is not None:
        service.close()


# ---------------------------------------------------------------- a client's side


def request(target: Path, header: dict, payload: bytes = b"", timeout: float = REPLY_TIMEOUT_S) -> dict:
    """Send one request to the owner of `target`; its answer. Raises OwnerUnavailable."""
    path = socket_path(Path(target).resolve())
    if not path.exists():
        raise OwnerUnavailable(str(path))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(path))
    except OSError:
        sock.close()
        raise OwnerUnavailable(str(path)) from None
    try:
        _send(sock, {**header, "size": len(payload)}, payload)
        reply, _ = _receive(sock, max_header=MAX_REPLY_BYTES)
        return reply
    except (OSError, ValueError, ConnectionError) as exc:
        raise OwnerUnavailable(f"{path}: {exc}") from None
    finally:
        sock.close()


def owner_answers(target: Path) -> bool:
    """True where a process answers on the database's socket."""
    try:
        return bool(request(target, {"op": "ping"}, timeout=5).get("ok"))
    except OwnerUnavailable:
        return False
