"""Class boards and short links, kept in one store that every replica of the app shares.

A **board** is a question with 2-8 choices that a teacher starts for a class. It holds only:
its code, the question and choices, the hash of the teacher's admin secret, when it was made and
when it expires, whether the runs were revealed, and one row per answer: the chosen index and the
hash of the answering session's random token (not a name, not an address: the token lives in one
browser tab's session and nowhere else). Whoever holds the code can answer and see whether the
board is revealed; only the holder of the admin secret sees the counts before the reveal, reveals,
or closes it. One answer per session and board: a second answer is refused, not counted.

A **short link** maps a short code to a view's full query string (the full link keeps working
without it). Codes come from `CODE_ALPHABET` (no 0/O or 1/I/L), `secrets`-drawn.

Caps (`Limits`): boards alive at once, answers per board, choices and their length, a short link's
length and how many there are, and every board's and short link's lifetime: expired rows are purged
on the next write. A full store refuses a new board (`StoreFull`) rather than drop a live one.

Stores: `SqliteStore` (the default: one file in WAL mode, so the replicas of one machine share it;
`OPTVIZ_BOARD_DB`, default `$XDG_DATA_HOME/optviz/boards.sqlite3`) and `PostgresStore` (psycopg 3,
`pip install optviz[postgres]`, chosen when `OPTVIZ_BOARD_URL=postgresql://...` is set: replicas on
several machines). Both run the same SQL; `open_store()` picks one from the environment.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
BOARD_CODE_CHARS = 7  # 31^7 ≈ 2.8e10 codes for at most a few hundred boards alive
LINK_CODE_CHARS = 8
CODE_PATTERN = re.compile(rf"[{CODE_ALPHABET}]{{6,10}}")
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass(frozen=True)
class Limits:
    boards: int = 300  # boards alive at once on the deployment
    answers: int = 400  # answers per board
    choices: int = 8
    choice_chars: int = 80
    question_chars: int = 200
    board_seconds: float = 6 * 3600.0  # a board's lifetime (a teaching day's session)
    links: int = 5000  # short links kept
    link_chars: int = 4000  # a short link's query string
    link_seconds: float = 30 * 86400.0


class StoreError(ValueError):
    """A request the store refuses, with a sentence for the page."""


class StoreFull(StoreError):
    """The store holds as many boards (or short links) as its caps allow."""


@dataclass(frozen=True)
class Board:
    """What anyone holding the code sees of a board."""

    code: str
    question: str
    choices: tuple[str, ...]
    created: float
    expires: float
    revealed: bool


@dataclass(frozen=True)
class Counts:
    """The answers of a board: per choice, in the choices' order, and in total."""

    per_choice: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.per_choice)


COUNTED, ALREADY, UNKNOWN, FULL, INVALID = "counted", "already answered", "unknown or expired", "full", "invalid"
"""What `answer()` returns: the answer was counted; this session had answered already (nothing
changed); no board with this code is alive; the board has all the answers it takes; the choice or
token does not read."""


def new_code(chars: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(chars))


def new_token() -> str:
    """A session's random token (it identifies a browser tab's session to the store, nothing more)."""
    return secrets.token_urlsafe(18)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _clean(text: str, limit: int, what: str) -> str:
    if not isinstance(text, str):
        raise StoreError(f"{what} must be text")
    text = " ".join("".join(c for c in text if c.isprintable()).split())
    if not text:
        raise StoreError(f"{what} is empty")
    if len(text) > limit:
        raise StoreError(f"{what} is longer than {limit} characters")
    return text


def _code(code) -> str | None:
    """The code in canonical form, or None if it cannot be one (never reaches the database)."""
    if not isinstance(code, str):
        return None
    code = code.strip().upper()
    return code if CODE_PATTERN.fullmatch(code) else None


SCHEMA = (
    """CREATE TABLE IF NOT EXISTS boards (
        code TEXT PRIMARY KEY, question TEXT NOT NULL, choices TEXT NOT NULL, admin_hash TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL, expires DOUBLE PRECISION NOT NULL, revealed INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS answers (
        code TEXT NOT NULL REFERENCES boards(code) ON DELETE CASCADE, session_hash TEXT NOT NULL,
        choice INTEGER NOT NULL, PRIMARY KEY (code, session_hash))""",
    """CREATE TABLE IF NOT EXISTS links (
        code TEXT PRIMARY KEY, query TEXT NOT NULL UNIQUE, expires DOUBLE PRECISION NOT NULL)""",
)
CHOICE_SEP = "\x1f"  # the unit separator: never in a cleaned choice (not printable)


class SqlStore:
    """The store's logic on SQL that SQLite and PostgreSQL both run (`?` placeholders, rewritten for
    psycopg). Subclasses give `_transaction()`: a cursor inside one write transaction that holds
    the lock a cap check needs (SQLite: BEGIN IMMEDIATE; PostgreSQL: a row or table lock)."""

    placeholder = "?"

    def __init__(self, limits: Limits | None = None, clock=time.time):
        self.limits = limits or Limits()
        self.clock = clock

    # -- what a subclass gives ---------------------------------------------------------------------
    @contextmanager
    def _transaction(self, lock: str | None = None) -> Iterator:  # pragma: no cover - abstract
        raise NotImplementedError
        yield

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def _run(self, cur, sql: str, args: Sequence = ()):
        cur.execute(self._sql(sql), tuple(args))
        return cur

    # -- boards ------------------------------------------------------------------------------------
    def create_board(self, question: str, choices: Sequence[str]) -> tuple[str, str]:
        """A new board: (its code, the teacher's admin secret). StoreError for a question or choices
        beyond the caps, StoreFull when as many boards are alive as the caps allow."""
        lim = self.limits
        question = _clean(question, lim.question_chars, "the question")
        if not isinstance(choices, (list, tuple)) or not 2 <= len(choices) <= lim.choices:
            raise StoreError(f"a board takes 2 to {lim.choices} choices")
        choices = tuple(_clean(c, lim.choice_chars, "a choice") for c in choices)
        secret = secrets.token_urlsafe(16)
        now = self.clock()
        with self._transaction(lock="boards") as cur:
            self._run(cur, "DELETE FROM boards WHERE expires <= ?", (now,))
            alive = self._run(cur, "SELECT COUNT(*) FROM boards").fetchone()[0]
            if alive >= lim.boards:
                raise StoreFull(f"this deployment holds {lim.boards} boards already; try again later")
            for _ in range(8):
                code = new_code(BOARD_CODE_CHARS)
                if self._run(cur, "SELECT 1 FROM boards WHERE code = ?", (code,)).fetchone() is None:
                    break
            else:  # pragma: no cover - 8 collisions in 2.8e10 codes
                raise StoreFull("no free board code; try again")
            self._run(cur, "INSERT INTO boards (code, question, choices, admin_hash, created, expires, revealed) "
                           "VALUES (?, ?, ?, ?, ?, ?, 0)",
                      (code, question, CHOICE_SEP.join(choices), _hash(secret), now, now + lim.board_seconds))
        return code, secret

    def board(self, code: str) -> Board | None:
        """The board with this code while it is alive, else None."""
        code = _code(code)
        if code is None:
            return None
        with self._transaction() as cur:
            row = self._run(cur, "SELECT code, question, choices, created, expires, revealed FROM boards "
                                 "WHERE code = ? AND expires > ?", (code, self.clock())).fetchone()
        if row is None:
            return None
        return Board(row[0], row[1], tuple(row[2].split(CHOICE_SEP)), float(row[3]), float(row[4]), bool(row[5]))

    def answer(self, code: str, session: str, choice: int) -> str:
        """Count one session's answer (one of COUNTED, ALREADY, UNKNOWN, FULL, INVALID)."""
        code = _code(code)
        if code is None:
            return UNKNOWN
        if not isinstance(session, str) or not TOKEN_PATTERN.fullmatch(session):
            return INVALID
        if isinstance(choice, bool) or not isinstance(choice, int):
            return INVALID
        with self._transaction(lock=code) as cur:
            row = self._run(cur, "SELECT choices FROM boards WHERE code = ? AND expires > ?",
                            (code, self.clock())).fetchone()
            if row is None:
                return UNKNOWN
            if not 0 <= choice < len(row[0].split(CHOICE_SEP)):
                return INVALID
            who = _hash(session)
            if self._run(cur, "SELECT 1 FROM answers WHERE code = ? AND session_hash = ?",
                         (code, who)).fetchone() is not None:
                return ALREADY
            if self._run(cur, "SELECT COUNT(*) FROM answers WHERE code = ?", (code,)).fetchone()[0] \
                    >= self.limits.answers:
                return FULL
            self._run(cur, "INSERT INTO answers (code, session_hash, choice) VALUES (?, ?, ?)", (code, who, choice))
        return COUNTED

    def answered(self, code: str, session: str) -> int | None:
        """The choice this session gave on this board, None if none."""
        code = _code(code)
        if code is None or not isinstance(session, str) or not TOKEN_PATTERN.fullmatch(session):
            return None
        with self._transaction() as cur:
            row = self._run(cur, "SELECT choice FROM answers WHERE code = ? AND session_hash = ?",
                            (code, _hash(session))).fetchone()
        return None if row is None else int(row[0])

    def _admin(self, cur, code: str | None, secret) -> tuple | None:
        if code is None or not isinstance(secret, str):
            return None
        row = self._run(cur, "SELECT admin_hash, choices, revealed FROM boards WHERE code = ? AND expires > ?",
                        (code, self.clock())).fetchone()
        if row is None or not hmac.compare_digest(row[0], _hash(secret)):
            return None
        return row

    def counts(self, code: str, secret: str | None = None) -> Counts | None:
        """The counts, for the admin secret's holder, or for anyone once the board is revealed;
        None otherwise (a wrong secret, an unknown or expired code)."""
        code = _code(code)
        if code is None:
            return None
        with self._transaction() as cur:
            row = self._admin(cur, code, secret)
            if row is None:
                row = self._run(cur, "SELECT '', choices, revealed FROM boards WHERE code = ? AND expires > ?",
                                (code, self.clock())).fetchone()
                if row is None or not row[2]:
                    return None
            n = len(row[1].split(CHOICE_SEP))
            per = [0] * n
            for choice, count in self._run(cur, "SELECT choice, COUNT(*) FROM answers WHERE code = ? GROUP BY choice",
                                           (code,)).fetchall():
                per[int(choice)] = int(count)
        return Counts(tuple(per))

    def reveal(self, code: str, secret: str) -> bool:
        """Reveal the board (its counts to every holder of the code); False for a wrong secret."""
        code = _code(code)
        with self._transaction(lock=code) as cur:
            if self._admin(cur, code, secret) is None:
                return False
            self._run(cur, "UPDATE boards SET revealed = 1 WHERE code = ?", (code,))
        return True

    def close(self, code: str, secret: str) -> bool:
        """Delete the board and its answers; False for a wrong secret."""
        code = _code(code)
        with self._transaction(lock=code) as cur:
            if self._admin(cur, code, secret) is None:
                return False
            self._run(cur, "DELETE FROM answers WHERE code = ?", (code,))
            self._run(cur, "DELETE FROM boards WHERE code = ?", (code,))
        return True

    # -- short links -------------------------------------------------------------------------------
    def shorten(self, query: str) -> str:
        """A short code for a view's query string (the same code for the same query while it lives)."""
        lim = self.limits
        if not isinstance(query, str) or not query or len(query) > lim.link_chars or not query.isprintable():
            raise StoreError(f"a short link holds a query string of 1 to {lim.link_chars} printable characters")
        now = self.clock()
        with self._transaction(lock="links") as cur:
            self._run(cur, "DELETE FROM links WHERE expires <= ?", (now,))
            row = self._run(cur, "SELECT code FROM links WHERE query = ?", (query,)).fetchone()
            if row is not None:
                self._run(cur, "UPDATE links SET expires = ? WHERE code = ?", (now + lim.link_seconds, row[0]))
                return row[0]
            if self._run(cur, "SELECT COUNT(*) FROM links").fetchone()[0] >= lim.links:
                raise StoreFull(f"this deployment holds {lim.links} short links already; share the full link")
            code = new_code(LINK_CODE_CHARS)
            self._run(cur, "INSERT INTO links (code, query, expires) VALUES (?, ?, ?)",
                      (code, query, now + lim.link_seconds))
        return code

    def expand(self, code: str) -> str | None:
        code = _code(code)
        if code is None:
            return None
        with self._transaction() as cur:
            row = self._run(cur, "SELECT query FROM links WHERE code = ? AND expires > ?",
                            (code, self.clock())).fetchone()
        return None if row is None else row[0]


class SqliteStore(SqlStore):
    """The store in one SQLite file in WAL mode: several processes (the replicas of one machine)
    read and write it at once; writers wait for each other (busy timeout), none is lost."""

    def __init__(self, path: str | os.PathLike, limits: Limits | None = None, clock=time.time):
        super().__init__(limits, clock)
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._transaction() as cur:
            for sql in SCHEMA:
                cur.execute(sql)

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def _transaction(self, lock: str | None = None):
        conn = self._connection()
        cur = conn.cursor()
        cur.execute("BEGIN IMMEDIATE" if lock else "BEGIN")  # IMMEDIATE: the write lock before the cap check
        try:
            yield cur
        except BaseException:
            conn.rollback()
            raise
        else:
            conn.commit()
        finally:
            cur.close()


class PostgresStore(SqlStore):
    """The store on a PostgreSQL server (psycopg 3), for replicas on several machines. A cap check
    runs under a transaction-level advisory lock on what it counts (the board, or all boards)."""

    placeholder = "%s"

    def __init__(self, url: str, limits: Limits | None = None, clock=time.time):
        super().__init__(limits, clock)
        try:
            import psycopg
        except ImportError:
            raise StoreError("OPTVIZ_BOARD_URL names PostgreSQL, but psycopg is not installed: "
                             "pip install 'optviz[postgres]'") from None
        self._psycopg = psycopg
        self.url = url
        self._local = threading.local()
        with self._transaction(lock="schema") as cur:
            for sql in SCHEMA:
                cur.execute(sql)

    def _connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._psycopg.connect(self.url, connect_timeout=10)
            self._local.conn = conn
        return conn

    @contextmanager
    def _transaction(self, lock: str | None = None):
        conn = self._connection()
        with conn.transaction(), conn.cursor() as cur:
            if lock:
                cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (lock,))
            yield cur


def default_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "optviz" / "boards.sqlite3"


def open_store(environ=None, limits: Limits | None = None) -> SqlStore:
    """The store the environment names: PostgreSQL for OPTVIZ_BOARD_URL=postgresql://..., else
    the SQLite file OPTVIZ_BOARD_DB (default: `default_path()`)."""
    env = os.environ if environ is None else environ
    url = env.get("OPTVIZ_BOARD_URL", "").strip()
    if url:
        if not url.startswith(("postgresql://", "postgres://")):
            raise StoreError("OPTVIZ_BOARD_URL must be a postgresql:// URL")
        return PostgresStore(url, limits)
    return SqliteStore(env.get("OPTVIZ_BOARD_DB") or default_path(), limits)
