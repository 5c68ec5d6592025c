"""A class in the loop, on the page: exercise links, challenges, predict-then-play, class boards,
short links and their QR codes. The app calls four functions (see docs/classroom.md):

- `expand_short_link(query)` on a session's first page: `?s=<code>` becomes the view's full link;
- `is_locked(key)` in draw(): a control an exercise locks is drawn disabled;
- `sidebar(state, names)` at the top of the sidebar: an exercise's banner, its locks kept (a locked
  value changed by other means, a click on the contour, is put back), locked controls greyed and
  hidden ones left out (CSS by widget key), and the teacher's "Make this an exercise" panel;
- `above_chart(state, surface, names)` above the chart: the question before Play (True: the
  page stops there until the session has answered), the goal's verdict after every change, the
  teacher's live counts of a board, the short link and its QR code (large in presentation mode).

Nothing here computes a run or judges one: the verdicts and the questions' answers come from
`optviz.analysis.goals`, the boards from `optviz.classroom`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode

import streamlit as st

from ..analysis import goals
from ..classroom import ALREADY, COUNTED, FULL, StoreError, new_token, open_store
from ..classroom.qr import qr_svg
from ..core.registry import OPTIMIZERS
from .cached import trajectories
from .class_settings import LOCK_GROUPS
from .share import ViewState, to_query

STORE_NOTE = (
    "A class board stores only its code, the question and its choices, a hash of the teacher's secret, when it "
    "was made and when it expires (after 6 hours), and one row per answer: the choice and a hash of a random token "
    "of the answering browser tab. No names, no accounts, no addresses, nothing else about who answered. A short "
    "link stores the view's settings for 30 days."
)
LIVE_SECONDS = 2.0  # how often the teacher's counts refresh
SHORT_LINK = "s"  # ?s=<code>

_HPARAMS = {h.name for spec in OPTIMIZERS.values() for h in spec.hparams} - {"lr"}
_RUN = re.compile(r"r\d+\.(.+)")
# Controls that are not settings (buttons, the sweep, one η for all), by the group that locks them.
_WIDGETS = {
    "surface": ("surface", "formula", "data_"),
    "start": ("x0", "y0"),
    "steps": ("steps",),
    "seed": ("seed",),
    "runs": ("add_run", "add_optimizer", "sweep_panel", "apply_lr_for_all", "lr_for_all"),
    "lr": ("apply_lr_for_all", "lr_for_all", "sweep_panel"),
    "hparams": ("sweep_panel",),
}
_RESET_GROUPS = {"start", "steps", "lr", "hparams"}  # what "Reset start, steps and hyperparameters" changes


# --- the store --------------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _open(url: str, path: str):
    return open_store({"OPTVIZ_BOARD_URL": url, "OPTVIZ_BOARD_DB": path})


def board_store():
    """The deployment's store (one per process, shared by its sessions), or None with a warning."""
    try:
        return _open(os.environ.get("OPTVIZ_BOARD_URL", ""), os.environ.get("OPTVIZ_BOARD_DB", ""))
    except (StoreError, OSError) as err:
        st.warning(f"Class boards and short links are off: {err}", icon=":material/cloud_off:")
        return None
    except Exception as err:  # a database that does not answer (psycopg's errors) must not break the page
        st.warning(f"Class boards and short links are off: the store did not answer ({type(err).__name__}).",
                   icon=":material/cloud_off:")
        return None


def _token() -> str:
    return st.session_state.setdefault("class_token", new_token())


# --- the first page: a short link -------------------------------------------------------------------


def expand_short_link(query: Mapping[str, str]) -> dict[str, str]:
    """A first page's query with `?s=<code>` replaced by the view it stands for (the link's other
    parameters win); an unknown or expired code leaves a notice and the rest of the query."""
    query = dict(query)
    code = query.pop(SHORT_LINK, None)
    if code is None:
        return query
    store = board_store()
    full = store.expand(code) if store is not None else None
    if full is None:
        st.session_state["class_notices"] = [f"the short link '{str(code)[:12]}' is unknown or has expired"]
        return query
    return {**dict(parse_qsl(full, keep_blank_values=True)), **query}


# --- locks ------------------------------------------------------------------------------------------


def _groups(name: str) -> set[str]:
    return {g for g in str(st.session_state.get(name) or "").split(",") if g}


def _group_of(key: str) -> str | None:
    """The lock group of a setting key (None: an exercise never locks it)."""
    key = key.removeprefix("present_strip.")
    if key == "surface":
        return "surface"
    if key in ("x0", "y0"):
        return "start"
    if key in ("steps", "seed"):
        return key
    m = _RUN.fullmatch(key)
    if m is None:
        return "runs" if key == "runs" else None
    name = m.group(1)
    return "lr" if name == "lr" else "hparams" if name in _HPARAMS else "runs"


def is_locked(key: str) -> bool:
    """Whether an exercise locks this setting (draw() draws it disabled)."""
    group = _group_of(key)
    return group is not None and group in _groups("lock") | _groups("hide")


def _locked_values(state: ViewState) -> dict[str, object]:
    values = state.values()
    return {k: v for k, v in values.items() if is_locked(k)}


def _selector(key: str) -> str:
    """The CSS class Streamlit gives the element of a widget with this key."""
    return ".st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


def _css(state: ViewState, lock: set[str], hide: set[str]) -> str:
    """Locked controls greyed and not clickable, hidden ones not drawn, by widget key: the settings
    of the locked groups (their widgets are also drawn disabled) and the buttons that change them."""
    def selectors(groups: set[str]) -> set[str]:
        out = {_selector(k) for k in state.values() if _group_of(k) in groups}
        for group in groups:
            for name in _WIDGETS[group]:
                out.add(f'[class*="st-key-{name}"]' if name.endswith(("-", "_")) or name == "formula"
                        else _selector(name))
        if "runs" in groups:
            out.update(f'[class*="st-key-{name}-"]' for name in ("duplicate", "remove"))
        return out

    greyed = selectors(lock - hide) | ({_selector("reset")} if (lock | hide) & _RESET_GROUPS else set())
    gone = selectors(hide)
    rules = []
    if greyed - gone:
        rules.append(", ".join(sorted(greyed - gone)) + " {pointer-events: none; opacity: 0.45;}")
    if gone:
        rules.append(", ".join(sorted(gone)) + " {display: none !important;}")
    return f"<style>{' '.join(rules)}</style>" if rules else ""


def _keep_locks(state: ViewState) -> None:
    """Put back a locked value that changed by other means (a click on the contour sets the start,
    a tool sets η): the exercise's values are those of its first page."""
    ss = st.session_state
    key = (ss.get("lock"), ss.get("hide"))
    if ss.get("class_locks_for") != key:
        ss["class_locks_for"] = key
        ss["class_locked"] = _locked_values(state) | ({"runs": len(state.runs)} if "runs" in _groups("lock")
                                                        | _groups("hide") else {})
        return
    kept = ss.get("class_locked", {})
    changed = {k: v for k, v in kept.items() if ss.get(k) != v}
    if changed:
        for k, v in changed.items():
            ss[k] = v
        ss["class_message"] = "This exercise keeps that setting fixed: it was put back."
        st.rerun()


# --- the sidebar ------------------------------------------------------------------------------------


def _open_lesson():
    from ..plot.lessons import LessonError, get_lesson

    key = st.session_state.get("lesson")
    try:
        return get_lesson(key) if key else None
    except LessonError:
        return None


def sidebar(state: ViewState, names) -> None:
    """At the top of the sidebar: an exercise's banner and locks, and the teacher's panel."""
    ss = st.session_state
    lock, hide = _groups("lock"), _groups("hide")
    if lock or hide:
        _keep_locks(state)
        st.markdown(_css(state, lock, hide), unsafe_allow_html=True)
        free = [LOCK_GROUPS[g] for g in LOCK_GROUPS if g not in lock | hide]
        st.info("**Exercise**: " + ("you can change " + "; ".join(free) + "." if free else "every control is fixed.")
                , icon=":material/lock:")
        if ss.get("class_message"):
            st.caption(ss.pop("class_message"))
    # Lazy, like the lessons panel: its widgets are made only while it is open (a rerun when it opens).
    panel = st.expander(":material/school: Make this an exercise, a challenge or a class board", key="class_panel",
                        on_change="rerun")
    if panel.open:
        with panel:
            exercise_panel(state, names, _open_lesson())


def _goal_builder(state: ViewState, names, lesson=None) -> str:
    kinds = {"": "No goal", "converge": "Converge by step N", "sooner": "Converge before another run",
             "below": "Loss below a value by step k", "stable": "No run diverges"}
    if lesson is not None and lesson.goal is not None and goals.fits(lesson.goal, len(state.runs)) is None:
        kinds = {"lesson": f"The lesson's: {lesson.goal.words(names)}", **kinds}
    kind = st.selectbox("Goal", list(kinds), format_func=kinds.get, key="class_goal_kind",
                        help="The page shows whether the runs meet it, with its numbers, after every change.")
    if kind == "lesson":
        return lesson.goal.code()
    runs = list(range(len(state.runs)))
    label = {i: names[i] for i in runs}.get
    if kind in ("converge", "sooner", "below") and runs:
        run = st.selectbox("Run", runs, format_func=label, key="class_goal_run")
        if kind == "converge":
            within = st.number_input("By step", 1, 100_000, min(state.steps, 100), key="class_goal_within")
            glob = st.toggle("At a global minimum", key="class_goal_global")
            return goals.Converge(run, int(within), glob).code()
        if kind == "sooner":
            others = [i for i in runs if i != run]
            if not others:
                st.caption("A second run is needed to compare.")
                return ""
            than = st.selectbox("Before", others, format_func=label, key="class_goal_than")
            return goals.Sooner(run, than).code()
        value = st.number_input("Loss below", value=0.01, format="%g", key="class_goal_value")
        by = st.number_input("By step", 1, 100_000, min(state.steps, 100), key="class_goal_by")
        return goals.Below(run, float(value), int(by)).code()
    return goals.Stable().code() if kind == "stable" else ""


def exercise_panel(state: ViewState, names, lesson=None) -> None:
    """The teacher's panel: what stays free, a goal, a question; the exercise's link, a board for its
    question, the short link and its QR code."""
    ss = st.session_state
    free = st.multiselect("What stays free", list(LOCK_GROUPS), default=["lr"], format_func=LOCK_GROUPS.get,
                          key="class_free", help="Everything else is fixed in the exercise's link.")
    hidden = st.toggle("Hide the fixed controls (rather than grey them)", key="class_hide")
    goal = _goal_builder(state, names, lesson)
    asks = {"": "No question", "first": "Which run converges first?", "lowest": "Which run ends lowest?",
            "minimum_r0": "Which minimum does the first run end at?", "diverge": "Does any run diverge?"}
    if lesson is not None and lesson.ask is not None:  # the lesson's question first
        asks = {lesson.ask.code(): f"The lesson's: {lesson.ask.text(names)}",
                **{k: v for k, v in asks.items() if k != lesson.ask.code()}}
    ask = st.selectbox("Ask before Play", list(asks), format_func=asks.get, key="class_ask",
                       help="The class answers before the runs are shown; the runs give the right answer.")
    fixed = ",".join(g for g in LOCK_GROUPS if g not in free)
    board = st.toggle("Count the class's answers on a board (with a question)", key="class_board", help=STORE_NOTE)
    if st.button("Make the link", key="class_make", type="primary", width="stretch"):
        make_exercise(state, fixed, hidden, goal, ask, board)
    if ss.get("class_error"):
        st.error(ss.pop("class_error"))


def make_exercise(state: ViewState, fixed: str, hidden: bool, goal: str, ask: str, board: bool) -> None:
    """The exercise's query (and a board for its question), kept for `above_chart` to show."""
    ss = st.session_state
    query = {k: v for k, v in to_query(state).items() if k not in ("lock", "hide", "goal", "ask", "board")}
    if fixed:
        query["hide" if hidden else "lock"] = fixed
    query.update({k: v for k, v in (("goal", goal), ("ask", ask)) if v})
    store = board_store()
    if board and ask:
        from surfaces import SURFACES

        question = goals.parse_question(ask)
        surface = SURFACES[state.surface]
        problem = goals.question_fits(question, surface, len(state.runs))
        if problem or store is None:
            ss["class_error"] = f"No board: {problem or 'the store is off'}."
        else:
            run_names = _names(state)
            try:
                code, secret = store.create_board(question.text(run_names), question.choices(surface, run_names))
            except StoreError as err:
                ss["class_error"] = f"No board: {err}"
            else:
                query["board"] = code
                ss.setdefault("class_admin", {})[code] = secret
                ss["class_board_code"] = code
    text = urlencode(query)
    short = None
    if store is not None:
        try:
            short = store.shorten(text)
        except StoreError as err:
            ss["class_error"] = f"No short link: {err}"
    ss["class_link"] = {"query": text, "short": short}


def _names(state: ViewState) -> list[str]:
    from ..core.runs import labels

    return labels(state.runs)


# --- above the chart --------------------------------------------------------------------------------


def above_chart(state: ViewState, surface, names) -> bool:
    """Everything a class sees above the chart; True while the page must wait for an answer."""
    ss = st.session_state
    for notice in ss.get("class_notices", []):
        st.warning(f"Share link: {notice}", icon=":material/link_off:")
    # A lesson's own goal and question are the teacher panel's first choice (`exercise_panel`), not shown
    # on the lesson's page: the teacher presenting it is not asked to predict.
    goal_text, ask_text = state.goal, state.ask
    computed = None
    if goal_text or ask_text:
        computed = trajectories(surface.key, list(state.runs), state.start, state.steps, state.seed)
    if ss.get("class_link"):
        join_panel(state)
    for code in list(ss.get("class_admin", {})):
        live_counts(code)
    if ask_text and question_box(goals.parse_question(ask_text), state, surface, names, computed):
        for key in ("view", "contour", "axis", "camera_preset"):  # kept while their widgets wait below
            if key in ss:
                ss[key] = ss[key]
        return True
    if goal_text:
        goal = goals.parse_goal(goal_text)
        v = goals.verdict(goal, surface, computed, names)
        show = st.success if v.met else st.error
        show(f"**Goal**: {v.goal}. {v.text}", icon=":material/flag:")
    return False


def question_box(question: goals.Question, state: ViewState, surface, names, computed) -> bool:
    """Predict, then play: the question and its choices until this session answers (True: wait),
    then its answer and, after Play, the runs' answer with what they did."""
    ss = st.session_state
    problem = goals.question_fits(question, surface, len(state.runs))
    if problem is not None:
        st.warning(f"The link's question cannot be asked here: {problem}.", icon=":material/help:")
        return False
    choices = question.choices(surface, names)
    answers = ss.setdefault("class_answers", {})
    key = f"{question.code()}|{state.board}"
    board = None
    store = board_store() if state.board else None
    if store is not None:
        board = store.board(state.board)
        if board is None:
            st.warning(f"The class board {state.board} is unknown or has expired: answers are not counted.",
                       icon=":material/cloud_off:")
        elif key not in answers and (mine := store.answered(state.board, _token())) is not None:
            answers[key] = mine
        if board is not None:
            choices = board.choices  # the board's own: the counts are per these
    with st.container(border=True, key="class_question"):
        st.markdown(f"#### :material/help: {question.text(names)}")
        if key not in answers:
            st.caption("Predict first: the runs are shown once you have answered." + (
                f" Your answer is counted on the class board {state.board} (answers only, no names)."
                if board is not None else ""))
            with st.form("class_answer_form", border=False):
                picked = st.radio("Your prediction", range(len(choices)), format_func=lambda i: choices[i],
                                  index=None, key="class_pick")
                sent = st.form_submit_button("Answer, then see the runs", type="primary")
            if sent and picked is not None:
                if board is not None:
                    result = store.answer(state.board, _token(), int(picked))
                    if result == FULL:
                        st.warning("The board has all the answers it takes; yours was not counted.")
                    elif result not in (COUNTED, ALREADY):
                        st.warning(f"Your answer was not counted ({result}).")
                answers[key] = int(picked)
                st.rerun()
            elif sent:
                st.caption("Pick one answer first.")
            return True
        mine = answers[key]
        st.markdown(f"Your prediction: **{choices[mine] if 0 <= mine < len(choices) else '?'}**. "
                    "Press Play below to watch the runs.")
        with st.expander(":material/visibility: After Play: the runs' answer", key="class_reveal"):
            right = question.answer(surface, computed)
            words = " or ".join(question.choices(surface, names)[i] for i in right)
            ok = mine in right
            st.markdown(f"{':material/check_circle:' if ok else ':material/cancel:'} The runs say **{words}**"
                        f"{': as you predicted.' if ok else '.'}")
            st.caption(question.explain(surface, computed, names))
        if board is not None and board.revealed:
            _histogram(store.counts(state.board), board.choices, "The class's answers")
        elif board is not None:  # no polling from every phone: a click looks again
            c1, c2 = st.columns([3, 1], vertical_alignment="center")
            c1.caption("The class's answers show here once the teacher reveals them.")
            c2.button("Look again", key="class_look", icon=":material/refresh:")
    return False


def _histogram(counts, choices, title: str) -> None:
    if counts is None:
        return
    st.markdown(f"**{title}**: {counts.total} answered")
    for choice, n in zip(choices, counts.per_choice, strict=True):
        share = n / counts.total if counts.total else 0.0
        st.progress(share, text=f"{choice}: {n}")


@st.fragment(run_every=LIVE_SECONDS)
def live_counts(code: str) -> None:
    """The teacher's counts of a board, refreshed every LIVE_SECONDS (a fragment: only it reruns)."""
    ss = st.session_state
    store = board_store()
    secret = ss.get("class_admin", {}).get(code)
    board = store.board(code) if store is not None else None
    with st.container(border=True, key=f"class_counts_{code}"):
        if board is None:
            st.caption(f"Class board {code}: closed or expired.")
            return
        st.markdown(f"##### :material/groups: Class board {code}: {board.question}")
        _histogram(store.counts(code, secret), board.choices, "Answers so far")
        c1, c2 = st.columns(2)
        if not board.revealed and c1.button("Reveal to the class", key=f"class_reveal_{code}"):
            store.reveal(code, secret)
        if c2.button("Close the board", key=f"class_close_{code}", help="Deletes the board and its answers."):
            store.close(code, secret)
            ss["class_admin"].pop(code, None)
            st.rerun()
        st.caption(STORE_NOTE)


def join_panel(state: ViewState) -> None:
    """The exercise's link, its short link and QR code: large in presentation mode."""
    ss = st.session_state
    made = ss["class_link"]
    base = st.context.url or ""
    full = f"{base}?{made['query']}"
    short = f"{base}?{SHORT_LINK}={made['short']}" if made.get("short") else None
    with st.container(border=True, key="class_join"):
        st.markdown("##### :material/qr_code_2: Join the exercise")
        cols = st.columns([1, 2]) if state.present else st.columns([1, 3])
        with cols[0]:
            scale = 12 if state.present else 5  # presentation: about 400 px, read from the back of a room
            st.image(qr_svg(short or full, scale=scale), caption="Scan to join")
        with cols[1]:
            if short:
                st.markdown(f"### {short}" if state.present else f"Short link: `{short}`")
            st.caption("The full link works without the short one:")
            st.code(full, language=None)
