"""The sidebar inputs of "your own surface" (a formula and its ranges) and "your own data" (an
uploaded CSV or pasted numbers, and the "standardize x" switch).

The surfaces themselves are `optviz.custom`'s: a new formula or new data becomes a new surface
key, and the app switches to it through `on_surface(key)` (which brings that surface's preset,
as choosing a surface does). A refused formula or refused data changes nothing: the message is
shown next to the field, in words a student understands, and the view keeps the last good one.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from surfaces import Surface
from surfaces.regression import MAX_LINK_ROWS, MAX_UPLOAD_BYTES, MAX_UPLOAD_ROWS, DataError, parse_xy

from ..analysis import custom

FORMULA_HELP = ("Use x and y, numbers, + − * / and ** (or ^) for powers, parentheses, pi and e, and the functions "
                "sin cos tan asin acos atan sinh cosh tanh exp log (ln) log10 sqrt abs. Example: "
                f"{custom.DEFAULT_FORMULA}")
RANGE_HELP = "Two numbers separated by a comma, the smaller first, within ±10000: e.g. -3, 3"


# --- a formula -------------------------------------------------------------------------------------


def formula_key_from_text(text: str, x_range: str, y_range: str) -> str:
    """The surface key of a typed formula and ranges, or FormulaError with a message to show."""
    from surfaces.formula import parse_range

    xr = parse_range(x_range.replace(" ", ""), "x")
    yr = parse_range(y_range.replace(" ", ""), "y")
    return custom.formula_surface_key(text, xr, yr)


def _pointer(text: str, position: int | None) -> str:
    """The typed text with a caret under the character where the problem is."""
    if position is None or not 0 <= position <= len(text) or len(text) > 80:
        return ""
    return f"```\n{text}\n{' ' * position}^\n```"


def _sync_formula_fields(surface: Surface) -> None:
    """The fields show the formula on screen when it changed by other means (a link, Reset)."""
    ss = st.session_state
    if ss.get("formula_for") != surface.key:
        text, ((x0, x1), (y0, y1)) = custom.split_formula_key(surface.key)
        ss["formula_text"], ss["formula_xr"], ss["formula_yr"] = text, f"{x0:g}, {x1:g}", f"{y0:g}, {y1:g}"
        ss["formula_for"] = surface.key
        ss.pop("formula_error", None)


def _apply_formula(on_surface: Callable[[str], None]) -> None:
    from surfaces.formula import FormulaError

    ss = st.session_state
    text = str(ss.get("formula_text", ""))
    try:
        key = formula_key_from_text(text, str(ss.get("formula_xr", "")), str(ss.get("formula_yr", "")))
    except FormulaError as exc:
        ss["formula_error"] = (exc.message, _pointer(text, exc.position))
        return
    ss.pop("formula_error", None)
    ss["formula_for"] = key
    if key != ss.get("surface"):
        on_surface(key)


def formula_inputs(surface: Surface, on_surface: Callable[[str], None]) -> None:
    """The formula field and its ranges, with the message of a refused one next to them."""
    ss = st.session_state
    _sync_formula_fields(surface)
    with st.form("formula_form", border=False):
        st.text_input("f(x, y) =", key="formula_text", help=FORMULA_HELP, max_chars=None)
        c1, c2 = st.columns(2)
        c1.text_input("x from, to", key="formula_xr", help=RANGE_HELP)
        c2.text_input("y from, to", key="formula_yr", help=RANGE_HELP)
        st.form_submit_button("Draw this surface", on_click=_apply_formula, args=(on_surface,), width="stretch")
    error = ss.get("formula_error")
    if error:
        message, pointer = error
        st.error(f"{message}. The surface on screen is still the last formula that worked.",
                 icon=":material/error:")
        if pointer:
            st.markdown(pointer)
    found = len(surface.minima)
    words = ("no isolated minimum inside these ranges" if not found else
             f"{found} minim{'um' if found == 1 else 'a'} found numerically (stars on the plot)")
    st.caption(f"The link carries the formula and its ranges. {words.capitalize()}.")


# --- data ------------------------------------------------------------------------------------------


def data_surface_from(data: str | bytes, standardize: bool) -> Surface:
    """The regression surface of an uploaded file's bytes or pasted text (DataError if refused):
    the same surface `make_mse_surface(x, y, standardize=...)` gives, under its own key."""
    x, y = parse_xy(data)
    return custom.data_surface(x, y, standardize)


def _load(data: str | bytes, on_surface: Callable[[str], None]) -> None:
    ss = st.session_state
    try:
        surface = data_surface_from(data, bool(ss.get("data_std")))
    except (DataError, ValueError) as exc:
        ss["data_error"] = str(exc)
        return
    ss.pop("data_error", None)
    x, y = custom.raw_data(surface)
    ss["own_data"] = (x, y)
    if surface.key != ss.get("surface"):
        on_surface(surface.key)


def on_upload(on_surface: Callable[[str], None]) -> None:
    upload = st.session_state.get("data_upload")
    if upload is not None:
        _load(upload.getvalue(), on_surface)


def on_paste(on_surface: Callable[[str], None]) -> None:
    _load(str(st.session_state.get("data_paste", "")), on_surface)


def on_standardize(on_surface: Callable[[str], None]) -> None:
    ss = st.session_state
    x, y = ss.get("own_data") or custom.raw_data(custom.SURFACES[ss["surface"]])
    surface = custom.data_surface(x, y, bool(ss.get("data_std")))
    if surface.key != ss.get("surface"):
        on_surface(surface.key)


def on_bundled(on_surface: Callable[[str], None]) -> None:
    ss = st.session_state
    ss.pop("own_data", None)
    ss.pop("data_error", None)
    x, y = custom.raw_data(custom.SURFACES[custom.DATA_CHOICE])
    surface = custom.data_surface(x, y, bool(ss.get("data_std")))
    if surface.key != ss.get("surface"):
        on_surface(surface.key)


def data_inputs(surface: Surface, on_surface: Callable[[str], None]) -> None:
    """Upload or paste (x, y) data, the "standardize x" switch, and what a link carries."""
    ss = st.session_state
    ss["data_std"] = custom.is_standardized(surface)
    x, y = custom.raw_data(surface)
    if not custom.is_bundled(x, y):
        custom.data_surface(x, y, custom.is_standardized(surface))  # keep it registered while shown
    with st.expander(":material/table: Your own data", expanded=not custom.is_bundled(x, y) or "data_error" in ss):
        st.file_uploader(f"Upload a CSV with two columns, x and y (at most {MAX_UPLOAD_BYTES / 1e6:g} MB, "
                         f"{MAX_UPLOAD_ROWS:,} rows)", type=["csv", "txt", "tsv"], key="data_upload",
                         on_change=on_upload, args=(on_surface,))
        st.text_area("Or paste numbers: x and y on each line", key="data_paste", height=100,
                     placeholder="1.0, 2.1\n2.0, 3.9\n3.0, 6.2")
        st.button("Use the pasted numbers", on_click=on_paste, args=(on_surface,), key="data_paste_button")
        if "data_error" in ss:
            st.error(f"{ss['data_error']}. The data on screen stay as they were.", icon=":material/error:")
        if not custom.is_bundled(x, y):
            st.button("Back to the bundled data", on_click=on_bundled, args=(on_surface,), key="data_bundled")
        rows = len(x)
        if custom.is_bundled(x, y):
            st.caption(f"Now: the bundled data ({rows} rows). A link always carries that choice.")
        else:
            st.caption(f"Now: your data ({rows:,} rows). " + custom.data_link_note(rows))
        st.caption(f"Links carry data of up to {MAX_LINK_ROWS} rows.")
    st.toggle("Standardize x", key="data_std", on_change=on_standardize, args=(on_surface,),
              help="Fit on (x − mean) / sd instead of x. Off, data far from 0 or spread far from 1 make a long, "
                   "thin valley: plain gradient descent crawls along it, adaptive methods rescale each direction.")


def render_surface_inputs(surface: Surface, on_surface: Callable[[str], None]) -> None:
    """The inputs of the surface on screen, if it is a formula or the regression (else nothing)."""
    if custom.is_formula(surface.key):
        formula_inputs(surface, on_surface)
    elif custom.is_data(surface.key):
        data_inputs(surface, on_surface)
