"""The judge's replies on disk, so that asking the same judge the same thing again costs nothing.

A reply is stored under a key hashing the judge model's name, the full messages, the request
settings and the try number (a retry after an unparseable reply is a new question; a rerun then
replays the same sequence of replies). The server's address is not part of the key: the same
model behind another URL gives the same answers. Only replies are stored, never failures, so a
call that failed is asked again next time. SQLite keeps each stored reply safe from a killed
process and lets concurrent runs share one file.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError
from evalkit.results.provenance import now

CACHE_FILE = "judge-replies.sqlite"


def reply_key(model: str, messages: list[dict[str, Any]], settings: dict[str, Any], attempt: int) -> str:
    blob = json.dumps({"model": model, "messages": messages, "settings": settings, "attempt": attempt},
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ReplyCache:
    def __init__(self, folder: Path) -> None:
        self.path = folder / CACHE_FILE
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, model TEXT NOT NULL, reply TEXT NOT NULL, "
                "created TEXT NOT NULL)"
            )
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot open the judge reply cache {self.path}: {exc}; pass --judge-args "
                              f"cache_dir=A_WRITABLE_FOLDER") from exc
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT reply FROM replies WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, key: str, model: str, reply: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO replies (key, model, reply, created) VALUES (?, ?, ?, ?)",
                             (key, model, reply, now()))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM replies").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
