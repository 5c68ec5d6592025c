"""A class in the loop: class boards (a question, answers counted per choice), short links and their
QR codes, in a store that every replica of the app shares (`store.py`). No Streamlit, no plotly: the
app's classroom_ui draws them. Layer: above optviz.core and optviz.analysis, below optviz.app."""

from .store import (
    ALREADY,
    CODE_ALPHABET,
    COUNTED,
    FULL,
    INVALID,
    UNKNOWN,
    Board,
    Counts,
    Limits,
    PostgresStore,
    SqliteStore,
    SqlStore,
    StoreError,
    StoreFull,
    new_token,
    open_store,
)

__all__ = [
    "ALREADY", "CODE_ALPHABET", "COUNTED", "FULL", "INVALID", "UNKNOWN", "Board", "Counts", "Limits",
    "PostgresStore", "SqlStore", "SqliteStore", "StoreError", "StoreFull", "new_token", "open_store",
]
