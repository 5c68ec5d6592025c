r"""Mean squared error of the linear regression y_hat = w x + b, as a surface over (w, b).

The full-batch loss and gradient use the data's sufficient statistics around the closed-form
optimum, so they are exact quadratics, cheap on any grid and numerically stable:

    L(w, b) = L* + dw^2 <x^2> + 2 dw db <x> + db^2,   dw = w - w*, db = b - b*.

`minibatch_grad` averages over the sampled rows instead: that is what makes batch GD,
mini-batch GD and SGD (batch of one) different paths on the same surface.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib import resources

import numpy as np

from .base import Minimum, Surface, pack, pack_hessian
from .limits import MAX_DATA_ABS, MAX_LINK_CHARS, MAX_LINK_ROWS, MAX_SAMPLES, MAX_UPLOAD_BYTES, MAX_UPLOAD_ROWS

# The caps (MAX_SAMPLES, MAX_UPLOAD_*, MAX_LINK_*) are in surfaces/limits.py, with the formula's.


def load_bundled_data() -> tuple[np.ndarray, np.ndarray]:
    """The shipped, seeded data set (240 rows; see the CSV's first line for how it was drawn)."""
    text = resources.files(__package__).joinpath("data/regression.csv").read_text()
    table = np.loadtxt(text.splitlines(), delimiter=",", comments="#", skiprows=2)
    return table[:, 0].copy(), table[:, 1].copy()


def validate_data(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Return (x, y) as float arrays or raise ValueError saying what is wrong with them."""
    try:
        x = np.asarray(x, dtype=float).ravel()
        y = np.asarray(y, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"data must be numbers: {exc}") from None
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.size} and {y.size}")
    if x.size < 2:
        raise ValueError(f"need at least 2 samples, got {x.size}")
    if x.size > MAX_SAMPLES:
        raise ValueError(f"at most {MAX_SAMPLES} samples, got {x.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("data contain NaN or infinite values")
    if np.max(np.abs(np.concatenate([x, y]))) > MAX_DATA_ABS:
        raise ValueError(f"data values must lie within ±{MAX_DATA_ABS:.0e}".replace("e+0", "e"))  # ±1e6
    if np.ptp(x) <= 1e-9 * max(1.0, float(np.max(np.abs(x)))):
        raise ValueError("all x values are equal: the regression has no unique optimum")
    return x, y


def standardize_x(x) -> tuple[np.ndarray, float, float]:
    """(x − mean) / sd (population sd), with the mean and sd: the weight then acts on a feature of
    mean 0 and variance 1, and the MSE's Hessian is 2·I, perfectly conditioned."""
    x = np.asarray(x, dtype=float)
    mean, sd = float(x.mean()), float(x.std())
    return (x - mean) / sd, mean, sd


def make_mse_surface(x, y, *, standardize: bool = False, key: str = "mse", title: str | None = None) -> Surface:
    """The MSE surface of the given data (validated; raises ValueError on bad data).

    `standardize=True` fits y ≈ w·z + b on z = (x − mean x) / sd x instead of x. Without it,
    data whose x lies far from 0 or spreads far from 1 give a long, thin valley (the Hessian
    2·[[<x²>, <x>], [<x>, 1]] is ill-conditioned) where plain gradient descent crawls and
    adaptive methods rescale. Give data of one's own its own `key` (see `data_key`): caches are
    keyed by it.
    """
    x, y = validate_data(x, y)
    scaled_note = ""
    if standardize:
        x, mean_raw, sd_raw = standardize_x(x)
        scaled_note = f" x is standardized (mean {mean_raw:.4g}, sd {sd_raw:.4g} removed)."
    n = x.size
    mean_x, mean_y = float(x.mean()), float(y.mean())
    w_opt = float(np.mean((x - mean_x) * (y - mean_y)) / np.mean((x - mean_x) ** 2))
    b_opt = mean_y - w_opt * mean_x
    loss_opt = float(np.mean((w_opt * x + b_opt - y) ** 2))
    mean_xx = float(np.mean(x * x))

    def f(p):
        p = np.asarray(p, dtype=float)
        dw = p[..., 0] - w_opt
        db = p[..., 1] - b_opt
        return loss_opt + dw * dw * mean_xx + 2.0 * mean_x * dw * db + db * db

    def grad(p):
        p = np.asarray(p, dtype=float)
        dw = p[..., 0] - w_opt
        db = p[..., 1] - b_opt
        return pack(2.0 * (dw * mean_xx + db * mean_x), 2.0 * (dw * mean_x + db))

    def hessian(p):
        # A quadratic: the full-batch Hessian 2 [[<x²>, <x>], [<x>, 1]] is the same everywhere.
        shape = np.shape(p)[:-1]
        return pack_hessian(np.full(shape, 2.0 * mean_xx), np.full(shape, 2.0 * mean_x), np.full(shape, 2.0))

    def minibatch_grad(p, idx):
        # p: (n_starts, 2); idx: (n_starts, batch) row indices, one batch per start.
        xs, ys = x[idx], y[idx]
        residual = p[:, :1] * xs + p[:, 1:2] - ys
        return pack(2.0 * np.mean(residual * xs, axis=1), 2.0 * np.mean(residual, axis=1))

    # A box around the optimum wide enough to show the valley and a start far from it.
    half_w = max(2.0, 1.5 * abs(w_opt) + 1.0)
    half_b = max(2.0, 1.5 * abs(b_opt) + 1.0)
    domain = ((w_opt - half_w, w_opt + half_w), (b_opt - half_b, b_opt + half_b))
    start = (w_opt - 0.8 * half_w, b_opt + 0.8 * half_b)
    return Surface(
        key=key,
        title=title or f"Linear-regression MSE ({n} points{', x standardized' if standardize else ''})",
        f=f,
        grad=grad,
        hessian=hessian,
        domain=domain,
        minima=(Minimum(w_opt, b_opt, loss_opt),),
        f_min=loss_opt,
        latex=r"L(w, b) = \frac{1}{N}\sum_{i=1}^{N} \left(w\,x_i + b - y_i\right)^2",
        start=start,
        description=(
            f"Fit ŷ = w·x + b to {n} points; x is the weight w, y the bias b. The optimum is the "
            f"least-squares fit w* = {w_opt:.4g}, b* = {b_opt:.4g}. Batch size 1 is SGD, "
            "a full batch is plain gradient descent." + scaled_note
        ),
        minibatch_grad=minibatch_grad,
        n_samples=n,
        data=(x, y),
    )


MSE = make_mse_surface(*load_bundled_data())


# --- data of one's own: upload, paste, link --------------------------------------------------

MAX_ABS_VALUE = MAX_DATA_ABS  # as validate_data
_MISSING = {"", "na", "n/a", "nan", "null", "none", "-", "?"}
_NONFINITE = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}


class DataError(ValueError):
    """Data that cannot be used, with a message for the person who gave it; `line` is the
    1-based line of the text where the problem is, when known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message if line is None else f"Line {line}: {message}")
        self.message = message
        self.line = line


def _decode_text(data: str | bytes) -> str:
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if len(data) > MAX_UPLOAD_BYTES:
            raise DataError(f"The file is too large ({len(data) / 1e6:.1f} MB; at most {MAX_UPLOAD_BYTES / 1e6:g} MB)")
        if b"\x00" in data:
            raise DataError("This is not a text file: upload a CSV with two columns of numbers, x and y")
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DataError("This is not a text (UTF-8) file: upload a CSV with two columns of numbers, x and y") \
                from None
    if not isinstance(data, str):
        raise DataError("The data must be text or the bytes of a CSV file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise DataError(f"The text is too long ({len(data):,} characters; at most {MAX_UPLOAD_BYTES:,})")
    if "\x00" in data:
        raise DataError("This is not text: paste two columns of numbers, x and y")
    return data.removeprefix("\ufeff")


def _fields(line: str) -> list[str]:
    """A line's fields: split at commas, semicolons or tabs when it has any (an empty field is
    then a missing value), else at spaces."""
    for sep in (",", ";", "\t"):
        if sep in line:
            return [f.strip() for f in line.split(sep)]
    return line.split()


def _number(token: str, column: str, line: int) -> float:
    low = token.lower()
    if low in _MISSING:
        raise DataError(f"a value is missing in column {column} (empty, NA or NaN): every row needs both x and y",
                        line)
    if low in _NONFINITE:
        raise DataError(f"{token!r} in column {column} is not a finite number", line)
    try:
        value = float(token)
    except ValueError:
        shown = token if len(token) <= 20 else token[:20] + "…"
        raise DataError(f"{shown!r} in column {column} is not a number (use a point as the decimal sign)",
                        line) from None
    if not np.isfinite(value):
        raise DataError(f"{token!r} in column {column} is not a finite number", line)
    if abs(value) > MAX_ABS_VALUE:
        raise DataError(f"{token!r} in column {column} is too large (values must lie within ±{MAX_ABS_VALUE:g})", line)
    return value


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _check_xy(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if x.size < 2:
        raise DataError(f"At least 2 rows of (x, y) are needed, got {x.size}")
    if np.ptp(x) <= 1e-9 * max(1.0, float(np.max(np.abs(x)))):
        raise DataError("All x values are equal: a line through them is not unique (the regression has no "
                        "single best fit)")
    return validate_data(x, y)


def parse_xy(data: str | bytes) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) from an uploaded two-column CSV (bytes) or pasted text, or DataError saying what is wrong.

    One row per line, two numbers: x then y, separated by a comma, a semicolon, a tab or spaces;
    the decimal sign is a point. A first line of two names is a header and skipped; empty lines
    and lines starting with # are skipped. Caps: `MAX_UPLOAD_BYTES` (1 MB) and `MAX_UPLOAD_ROWS`
    (10,000 rows). Refused, with the line where it happens: binary or non-UTF-8 files, one column,
    more than two columns, text in a number column, missing, NaN or infinite values, values beyond
    ±1e6, fewer than 2 rows, all x equal.
    """
    text = _decode_text(data)
    rows: list[tuple[int, str]] = [
        (i + 1, line.strip()) for i, line in enumerate(text.splitlines())
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not rows:
        raise DataError("No data: give two columns of numbers, x and y, one row per line")
    first = _fields(rows[0][1])
    if not any(_is_number(t) for t in first):
        rows = rows[1:]  # a header such as "x,y" or "hours score": no number in it
        if not rows:
            raise DataError("Only a header line: give the numbers below it, one (x, y) row per line")
    if len(rows) > MAX_UPLOAD_ROWS:
        raise DataError(f"Too many rows ({len(rows):,}; at most {MAX_UPLOAD_ROWS:,})")
    widths = [len(_fields(line)) for _, line in rows]
    if all(w == 1 for w in widths):
        raise DataError("Only one column found: the data need two columns, x and y (separated by a comma, "
                        "a tab or spaces)")
    x = np.empty(len(rows))
    y = np.empty(len(rows))
    for k, ((number, line), width) in enumerate(zip(rows, widths, strict=True)):
        if width != 2:
            raise DataError(f"{width} values where two are expected (x and y)", number)
        tx, ty = _fields(line)
        x[k], y[k] = _number(tx, "x", number), _number(ty, "y", number)
    return _check_xy(x, y)


def data_key(x, y, standardize: bool = False) -> str:
    """A surface key for data of one's own: the same data (and switch) give the same key."""
    digest = hashlib.sha256(np.asarray(x, float).tobytes() + b"|" + np.asarray(y, float).tobytes()).hexdigest()
    return f"mse:{digest[:16]}{':std' if standardize else ''}"


def encode_data(x, y) -> str:
    """Up to `MAX_LINK_ROWS` rows as text for a link, exact to the last bit: 'd:' + rows
    'x,y;x,y;...' in shortest round-trip decimals, or 'b:' + base64url of little-endian float64
    (x0, y0, x1, y1, ...) when that is shorter (at most 4,268 characters for 200 rows).
    Raises DataError when the data have more rows than a link carries."""
    x, y = validate_data(x, y)
    if x.size > MAX_LINK_ROWS:
        raise DataError(f"Too many rows to put in a link ({x.size}; at most {MAX_LINK_ROWS}): "
                        "a link to this view will not carry the data")
    def short(v: float) -> str:  # repr is the shortest text that reads back to the same float
        return repr(v).removesuffix(".0")

    decimal = "d:" + ";".join(f"{short(a)},{short(b)}" for a, b in zip(x.tolist(), y.tolist(), strict=True))
    packed = np.column_stack([x, y]).astype("<f8").tobytes()
    binary = "b:" + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")
    return decimal if len(decimal) <= len(binary) else binary


def decode_data(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) from `encode_data`'s text, validated like `parse_xy` (a hand-edited link gets a
    DataError, never a crash)."""
    if not isinstance(text, str) or len(text) > MAX_LINK_CHARS:
        raise DataError(f"The data in the link are too long (at most {MAX_LINK_CHARS} characters)")
    kind, _, body = text.partition(":")
    if kind == "b":
        if not re.fullmatch(r"[A-Za-z0-9_-]*", body):
            raise DataError("The data in the link are damaged (not base64)")
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        if len(raw) % 16:
            raise DataError("The data in the link are damaged (incomplete rows)")
        table = np.frombuffer(raw, dtype="<f8").reshape(-1, 2).astype(float)
        if not np.all(np.isfinite(table)) or np.any(np.abs(table) > MAX_ABS_VALUE):
            raise DataError(f"The data in the link hold values that are not finite or beyond ±{MAX_ABS_VALUE:g}")
    elif kind == "d":
        rows = body.split(";") if body else []
        table = np.empty((len(rows), 2))
        for k, row in enumerate(rows):
            fields = row.split(",")
            if len(fields) != 2:
                raise DataError(f"The data in the link are damaged (row {k + 1} does not hold x,y)")
            table[k] = [_number(fields[0].strip(), "x", k + 1), _number(fields[1].strip(), "y", k + 1)]
    else:
        raise DataError("The data in the link are damaged (unknown format)")
    if table.shape[0] > MAX_LINK_ROWS:
        raise DataError(f"The data in the link have too many rows ({table.shape[0]}; at most {MAX_LINK_ROWS})")
    return _check_xy(table[:, 0].copy(), table[:, 1].copy())
