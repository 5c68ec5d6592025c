"""The substituted rule laid out for the inspector's narrow column (issue 10: Adam's rule was cut off
at the default width and at 1280×720): every row fits `ROW_CHARS` (set smaller where it cannot
break), nothing is lost or reordered, and each equation keeps its = signs."""

import re

import pytest

from optviz import OPTIMIZERS
from optviz.analysis.inspector import inspect, inspectable_steps
from optviz.core import explain as ex
from tests.analysis.test_inspector import _scenarios

BEGIN, END = r"\begin{array}{l} ", r" \end{array}"


def rows_of(latex: str) -> list[list[str]]:
    """The layout's equations, each a list of rows."""
    assert latex.startswith(BEGIN) and latex.endswith(END)
    body = latex[len(BEGIN):-len(END)]
    row_start = re.escape(ex.ROW_BREAK) + r"(?=\\(?:displaystyle|small|footnotesize|scriptsize) )"  # not a matrix's
    return [re.split(row_start, equation) for equation in body.split(ex.EQUATION_BREAK)]


def scale_of(row: str) -> float:
    return next((scale for scale, command in ex.SHRINK if row.startswith(command)), 1.0)


def content(row: str) -> str:
    """A row without its size and style commands."""
    for _, command in ex.SHRINK:
        row = row.removeprefix(command)
    assert row.startswith(ex.DISPLAY), row  # fractions at full size
    return row.removeprefix(ex.DISPLAY)


def width_of(row: str) -> float:
    """The row's width in characters at its size."""
    return scale_of(row) * ex.visible_chars(content(row))


def without_phantoms(text: str) -> str:
    while (at := text.find(r"\hphantom{")) >= 0:
        _, end = ex._group(text, at + len(r"\hphantom"))
        text = text[:at] + text[end:]
    return text


def markup_free(text: str) -> str:
    """The text without the layout's own markup (rows, size commands, indents, phantoms, spaces)."""
    text = without_phantoms(text)
    for command in (ex.ROW_BREAK.strip(), ex.EQUATION_BREAK.strip(), r"\\", r"\quad", r"\small",
                    r"\footnotesize", r"\scriptsize", r"\displaystyle",
                    BEGIN.strip(), END.strip()):
        text = text.replace(command, "")
    return re.sub(r"\s+|\\,", "", text)


@pytest.mark.parametrize("key", list(OPTIMIZERS))
def test_every_row_fits_and_nothing_is_lost(key):
    for name, t in _scenarios(key):
        valid = inspectable_steps(t)
        for k in sorted({0, 3, valid.stop - 1} & set(valid)):
            insp = inspect(t, k)
            laid = ex.layout(insp.lines)
            equations = rows_of(laid)
            # one equation per statement ("H = ...,\quad λ = 0" is two)
            statements = [part for line in insp.lines for part in re.split(r"(?<=,)\\quad ", line)]
            assert len(equations) == len(statements), (key, name, k)
            for line, rows in zip(statements, equations, strict=True):
                # the same symbols, = signs and numbers in the same order
                assert markup_free(" ".join(rows)) == markup_free(line), (key, name, k, line)
                for row in rows:
                    assert width_of(row) <= ex.ROW_CHARS + 1e-9, (key, name, k, row)
                    assert row.count("{") == row.count("}"), (key, name, k, row)  # never cut inside a group
            assert laid.count("{") == laid.count("}")


def test_adam_s_long_rows_are_broken_at_their_equals_and_plus():
    t = _scenarios("adam")[0][1]
    insp = inspect(t, 3)
    one_line = max(ex.visible_chars(line) for line in insp.lines)
    assert one_line > 2 * ex.ROW_CHARS  # what was cut off: the θ line as one row
    equations = rows_of(ex.layout(insp.lines))
    theta = [content(r) for r in equations[-1]]
    assert theta[0].startswith(r"\theta_{4} = \theta_{3} -")
    assert theta[1].startswith(r"\hphantom{\theta_{4}} = (")  # the = under the first one
    assert theta[-1].startswith(r"\hphantom{\theta_{4}} = ") and ex.vec(insp.theta_next) in theta[-1]
    v = next([content(r) for r in rows] for rows in equations if content(rows[0]).startswith("v_{4} = "))
    assert any(r.startswith(r"\hphantom{v_{4} =} \quad + 0.001") for r in v)  # broken before the +
    assert not any(scale_of(r) < 1 for rows in equations for r in rows)  # Adam's rule needs no shrinking


def test_a_wide_left_side_gets_its_own_row_and_unbreakable_rows_are_smaller():
    laid = ex.layout([r"\frac{\eta}{\sqrt{(1-\nu_2)\, g_{4}^2 + \nu_2 \hat v_{4}} + \epsilon} = "
                      r"\frac{0.001}{\sqrt{0\, (-3.594,\ -0.02608)^2 + 1\, (12.94,\ 0.0005331)} + 10^{-8}} "
                      r"= (7.7,\ 0.04)"])
    (rows,) = rows_of(laid)
    assert any(scale_of(r) < 1 for r in rows)
    rows = [content(r) for r in rows]
    assert rows[0].startswith(r"\frac{\eta}") and "=" not in rows[0]
    assert rows[1].startswith(r"\quad = ")
    assert rows[-1] == r"\quad = (7.7,\ 0.04)"
    # max(a, b): broken after the comma between its arguments, not inside a vector
    (rows,) = rows_of(ex.layout([r"u_{30} = \max(\beta_2 u_{29},\, |g_{30}| + \epsilon) = "
                                 r"\max(0.999\, (3.501,\ 3.731),\, |(-0.1424,\ -3.875)| + 10^{-8}) = (3.5,\ 3.9)"]))
    assert any(content(r).endswith(r"(3.501,\ 3.731),") for r in rows), rows
