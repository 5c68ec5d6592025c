"""The class boards' store (optviz/classroom/store.py) on SQLite: boards, one answer per session,
caps, lifetimes, privacy of the counts, short links, hostile requests; the QR code decodes to its link."""

from __future__ import annotations

import io

import pytest

from optviz.classroom import (
    ALREADY,
    CODE_ALPHABET,
    COUNTED,
    FULL,
    INVALID,
    UNKNOWN,
    Limits,
    SqliteStore,
    StoreError,
    StoreFull,
    new_token,
    open_store,
)
from optviz.classroom.store import PostgresStore, default_path


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(tmp_path, clock):
    return SqliteStore(tmp_path / "boards.sqlite3", Limits(boards=3, answers=5, links=3), clock=clock)


def test_a_board_counts_one_answer_per_session(store):
    code, secret = store.create_board("Which run arrives first?", ["GD", "Momentum", "None of them"])
    assert len(code) == 7 and set(code) <= set(CODE_ALPHABET)
    board = store.board(code)
    assert board.question == "Which run arrives first?" and board.choices == ("GD", "Momentum", "None of them")
    a, b = new_token(), new_token()
    assert store.answer(code, a, 1) == COUNTED
    assert store.answer(code, a, 0) == ALREADY  # the second answer of a session changes nothing
    assert store.answer(code.lower(), b, 1) == COUNTED  # a code typed in lower case
    assert store.answered(code, a) == 1 and store.answered(code, new_token()) is None
    counts = store.counts(code, secret)
    assert counts.per_choice == (0, 2, 0) and counts.total == 2


def test_counts_are_private_to_the_admin_secret_until_revealed(store):
    code, secret = store.create_board("Q?", ["a", "b"])
    store.answer(code, new_token(), 0)
    assert store.counts(code) is None and store.counts(code, "wrong") is None
    assert not store.reveal(code, "wrong") and not store.board(code).revealed
    assert store.reveal(code, secret) and store.board(code).revealed
    assert store.counts(code).per_choice == (1, 0)  # revealed: anyone with the code
    assert not store.close(code, "wrong") and store.board(code) is not None
    assert store.close(code, secret) and store.board(code) is None


def test_another_boards_secret_opens_nothing(store):
    one, secret_one = store.create_board("Q1?", ["a", "b"])
    two, secret_two = store.create_board("Q2?", ["a", "b"])
    store.answer(two, new_token(), 1)
    assert store.counts(two, secret_one) is None and not store.reveal(two, secret_one)
    assert not store.close(two, secret_one) and store.counts(two, secret_two).per_choice == (0, 1)
    assert store.counts(one, secret_one).per_choice == (0, 0)


def test_caps_on_boards_and_answers(store):
    codes = [store.create_board(f"Q{i}?", ["a", "b"]) for i in range(3)]
    with pytest.raises(StoreFull):
        store.create_board("one too many?", ["a", "b"])
    code, secret = codes[0]
    results = [store.answer(code, new_token(), 0) for _ in range(7)]
    assert results == [COUNTED] * 5 + [FULL] * 2
    assert store.counts(code, secret).total == 5


def test_boards_and_links_expire(store, clock):
    code, secret = store.create_board("Q?", ["a", "b"])
    short = store.shorten("surface=bowl&steps=40")
    clock.now += store.limits.board_seconds + 1
    assert store.board(code) is None and store.answer(code, new_token(), 0) == UNKNOWN
    assert store.counts(code, secret) is None
    for i in range(3):  # the expired board no longer takes a place
        store.create_board(f"Q{i}?", ["a", "b"])
    assert store.expand(short) == "surface=bowl&steps=40"
    clock.now += store.limits.link_seconds
    assert store.expand(short) is None


@pytest.mark.parametrize(("question", "choices"), [
    ("", ["a", "b"]), ("Q?" * 200, ["a", "b"]), ("Q?", ["only one"]), ("Q?", [str(i) for i in range(9)]),
    ("Q?", ["a", "x" * 81]), ("Q?", ["a", ""]), ("Q?", "ab"), (None, ["a", "b"]), ("Q?", ["a", 3]),
])
def test_a_board_beyond_the_caps_is_refused(store, question, choices):
    with pytest.raises(StoreError):
        store.create_board(question, choices)


def test_hostile_answers_change_nothing(store):
    code, secret = store.create_board("Q?", ["a", "b"])
    other, other_secret = store.create_board("R?", ["a", "b", "c"])
    token = new_token()
    assert store.answer(code, token, 0) == COUNTED
    hostile = [
        (code, token, 1), (code, new_token(), 2), (code, new_token(), -1), (code, new_token(), True),
        (code, new_token(), "1"), (code, "short", 0), (code, "x" * 10_000, 0), (code, None, 0),
        (code, "'; DROP TABLE answers; --", 0), ("ZZZZZZZ", new_token(), 0), ("'; DELETE FROM boards;--", token, 0),
        (code + "X" * 5000, new_token(), 0), (None, new_token(), 0),
    ]
    outcomes = [store.answer(*args) for args in hostile]
    assert outcomes[0] == ALREADY and set(outcomes[1:]) <= {INVALID, UNKNOWN}
    assert store.counts(code, secret).per_choice == (1, 0)
    assert store.counts(other, other_secret).per_choice == (0, 0, 0)


def test_short_links(store):
    query = "surface=beale&x0=1&y0=1.5&steps=300&r0.opt=adam&r0.lr=0.01&lock=surface,start&goal=converge_r0_300"
    code = store.shorten(query)
    assert len(code) == 8 and store.expand(code) == query
    assert store.shorten(query) == code  # the same view, the same code
    assert store.expand("NOTACODE") is None and store.expand("<x>") is None
    for bad in ("", "x" * 4001, "a\nb", None):
        with pytest.raises(StoreError):
            store.shorten(bad)
    store.shorten("a=1")
    store.shorten("a=2")
    with pytest.raises(StoreFull):
        store.shorten("a=3")


def test_two_stores_on_one_file_see_each_other(tmp_path):
    path = tmp_path / "shared.sqlite3"
    one, two = SqliteStore(path), SqliteStore(path)
    code, secret = one.create_board("Q?", ["a", "b"])
    assert two.answer(code, new_token(), 1) == COUNTED
    assert one.counts(code, secret).per_choice == (0, 1)
    assert two.expand(one.shorten("surface=bowl")) == "surface=bowl"
    import sqlite3

    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_what_a_board_stores_is_answers_only(store):
    """No name, no address, no token in the clear: the answers table holds a hash and a choice."""
    code, _ = store.create_board("Q?", ["a", "b"])
    token = new_token()
    store.answer(code, token, 1)
    import sqlite3

    db = sqlite3.connect(store.path)
    columns = [r[1] for r in db.execute("PRAGMA table_info(answers)")]
    assert columns == ["code", "session_hash", "choice"]
    rows = db.execute("SELECT * FROM answers").fetchall()
    assert rows == [(code, rows[0][1], 1)] and token not in rows[0][1]


def test_open_store_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_path() == tmp_path / "data" / "optviz" / "boards.sqlite3"
    assert isinstance(open_store({"OPTVIZ_BOARD_DB": str(tmp_path / "b.sqlite3")}), SqliteStore)
    assert open_store({}).path == default_path()
    with pytest.raises(StoreError, match="postgresql://"):
        open_store({"OPTVIZ_BOARD_URL": "mysql://x"})
    with pytest.raises(Exception):  # noqa: B017 - psycopg's own error: nothing listens there
        PostgresStore("postgresql://nobody@127.0.0.1:1/none")


def test_the_qr_code_decodes_to_the_short_link():
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    from optviz.classroom.qr import qr_png, qr_svg

    link = "http://class.example:8501/?s=K7PX3MQA"
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(link))))
    assert [r.text for r in found] == [link]
    svg = qr_svg(link, scale=10)
    assert svg.startswith("<svg") and 'width="' in svg
