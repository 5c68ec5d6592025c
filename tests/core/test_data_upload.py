"""Data of one's own: parsing uploads and pasted numbers, the standardize switch, data in a link."""

import time

import numpy as np
import pytest

from optviz import simulate
from surfaces import SURFACES, make_mse_surface
from surfaces.regression import (
    MAX_LINK_CHARS,
    MAX_LINK_ROWS,
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_ROWS,
    DataError,
    data_key,
    decode_data,
    encode_data,
    load_bundled_data,
    parse_xy,
    standardize_x,
)


def csv_text(x, y, header="x,y", sep=","):
    lines = [header] if header else []
    lines += [f"{a!r}{sep}{b!r}" for a, b in zip(np.asarray(x).tolist(), np.asarray(y).tolist(), strict=True)]
    return "\n".join(lines) + "\n"


def assert_same_surface(a, b):
    rng = np.random.default_rng(3)
    (x0, x1), (y0, y1) = a.domain
    p = np.column_stack([rng.uniform(x0, x1, 200), rng.uniform(y0, y1, 200)])
    np.testing.assert_array_equal(a.f(p), b.f(p))
    np.testing.assert_array_equal(a.grad(p), b.grad(p))
    assert a.domain == b.domain and a.minima == b.minima and a.f_min == b.f_min and a.start == b.start


def test_uploaded_csv_gives_the_same_surface_as_make_mse_surface():
    x, y = load_bundled_data()
    parsed = parse_xy(csv_text(x, y).encode())
    np.testing.assert_array_equal(parsed[0], x)
    np.testing.assert_array_equal(parsed[1], y)
    assert_same_surface(make_mse_surface(*parsed), make_mse_surface(x, y))
    assert_same_surface(make_mse_surface(*parsed), SURFACES["mse"])
    # The same runs on it, mini-batches included.
    a = simulate(make_mse_surface(*parsed), "sgd", steps=30, batch_size=8, lr=0.05)
    b = simulate(SURFACES["mse"], "sgd", steps=30, batch_size=8, lr=0.05)
    np.testing.assert_array_equal(a.path, b.path)


@pytest.mark.parametrize(("text", "expected"), [
    ("x,y\n1,2\n2,3\n4,7\n", ([1, 2, 4], [2, 3, 7])),
    ("1,2\n2,3\n4,7", ([1, 2, 4], [2, 3, 7])),
    ("hours score\n1 2\n2 3\n4 7", ([1, 2, 4], [2, 3, 7])),
    ("1\t2\n2\t3\n4\t7\n", ([1, 2, 4], [2, 3, 7])),
    ("x;y\r\n1;2\r\n2;3\r\n4;7\r\n", ([1, 2, 4], [2, 3, 7])),
    ("# my data\n\n1, 2\n  2 ,3  \n\n4,7\n", ([1, 2, 4], [2, 3, 7])),
    ("1   2\n2    3\n-4.5e1 7e-1\n", ([1, 2, -45], [2, 3, 0.7])),
    ("\ufeffx,y\n1,2\n2,3", ([1, 2], [2, 3])),
    (b"\xef\xbb\xbfx,y\n1,2\n2,3", ([1, 2], [2, 3])),  # UTF-8 with a byte-order mark (Excel)
])
def test_formats_that_are_read(text, expected):
    x, y = parse_xy(text)
    np.testing.assert_array_equal(x, expected[0])
    np.testing.assert_array_equal(y, expected[1])


ROWS = "\n".join(f"{i},{2 * i + 1}" for i in range(1_000_000)) + "\n"

REFUSED = {
    "text-in-y": ("x,y\n1,2\n2,abc\n3,4", "Line 3: 'abc' in column y is not a number"),
    "text-in-x": ("1,2\n2,3\nthree,4", "Line 3: 'three' in column x is not a number"),
    "decimal-comma": ("1;2,5\n2;3,5", "not a number"),
    "one-column": ("1\n2\n3\n", "Only one column"),
    "one-column-header": ("x\n1\n2\n3\n", "Only one column"),
    "three-columns": ("1,2,3\n4,5,6", "Line 1: 3 values where two are expected"),
    "ragged": ("1,2\n3\n4,5", "Line 2: 1 values where two are expected"),
    "million-rows-bytes": (ROWS.encode(), "too large .* at most 1 MB"),
    "million-rows-text": (ROWS, "too long"),
    "too-many-rows": ("\n".join(f"{i},{i}" for i in range(MAX_UPLOAD_ROWS + 1)), "Too many rows .*at most 10,000"),
    "empty": ("", "No data"),
    "blank": ("  \n\n \t\n", "No data"),
    "empty-bytes": (b"", "No data"),
    "header-only": ("x,y\n", "Only a header"),
    "binary-png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a text file"),
    "binary-random": (np.random.default_rng(0).bytes(4096), "not a text"),
    "latin-1": ("x,y\n1,2\n2,3 \xb0C\n".encode("latin-1"), "not a text .*UTF-8"),
    "missing-value": ("1,2\n2,\n3,4", "Line 2: a value is missing in column y"),
    "na": ("1,2\nNA,3\n3,4", "Line 2: a value is missing in column x"),
    "nan": ("1,2\n2,nan\n3,4", "missing"),
    "inf": ("1,2\n2,inf\n3,4", "Line 2: 'inf' in column y is not a finite number"),
    "overflow": ("1,2\n2,1e400\n3,4", "not a finite number"),
    "too-large-value": ("1,2\n2,3e7\n3,4", "too large"),
    "one-row": ("x,y\n1,2", "At least 2 rows"),
    "constant-x": ("1,2\n1,3\n1,5", "All x values are equal"),
    "not-data": (12345, "must be text"),
}


@pytest.mark.parametrize(("data", "words"), list(REFUSED.values()), ids=list(REFUSED))
def test_malformed_data_are_refused_with_a_message(data, words):
    started = time.perf_counter()
    with pytest.raises(DataError, match=words) as caught:
        parse_xy(data)
    assert time.perf_counter() - started < 5.0  # a hang check only
    assert caught.value.message


def test_caps_are_stated_and_inclusive():
    assert MAX_UPLOAD_BYTES == 1_000_000 and MAX_UPLOAD_ROWS == 10_000 and MAX_LINK_ROWS == 200
    x = np.arange(MAX_UPLOAD_ROWS, dtype=float)
    assert parse_xy(csv_text(x, 2 * x))[0].size == MAX_UPLOAD_ROWS


def test_a_refused_upload_changes_nothing():
    x, y = load_bundled_data()
    before = (x.copy(), y.copy())
    surface = make_mse_surface(x, y)
    with pytest.raises(DataError):
        parse_xy("1,2\noops,3")
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(y, before[1])
    assert_same_surface(surface, make_mse_surface(*before))


# --- standardize ---------------------------------------------------------------------------


def hessian(surface, p):
    h = 1e-4
    cols = [(surface.grad(p + d) - surface.grad(p - d)) / (2 * h) for d in (np.array([h, 0]), np.array([0, h]))]
    return np.column_stack(cols)


def test_standardize_gives_the_fit_on_standardized_x_and_a_round_valley():
    rng = np.random.default_rng(7)
    x = rng.uniform(20, 30, 300)  # far from 0: an ill-conditioned regression
    y = 0.5 * x + 3 + rng.normal(0, 0.3, x.size)
    raw, std = make_mse_surface(x, y), make_mse_surface(x, y, standardize=True)
    z, mean, sd = standardize_x(x)
    assert mean == pytest.approx(x.mean()) and sd == pytest.approx(x.std())
    assert_same_surface(std, make_mse_surface(z, y))
    # Same fitted line, two parametrizations: w_std = sd·w_raw, b_std = b_raw + w_raw·mean.
    (w_raw, b_raw), (w_std, b_std) = (raw.minima[0].x, raw.minima[0].y), (std.minima[0].x, std.minima[0].y)
    assert w_std == pytest.approx(sd * w_raw, rel=1e-9)
    assert b_std == pytest.approx(b_raw + w_raw * mean, rel=1e-9)
    assert std.f_min == pytest.approx(raw.f_min, rel=1e-9)
    # The Hessian is 2·[[<x²>, <x>], [<x>, 1]]: 2·I once standardized, badly conditioned before.
    np.testing.assert_allclose(hessian(std, np.array(std.start)), 2 * np.eye(2), atol=1e-6)
    assert np.linalg.cond(hessian(raw, np.array(raw.start))) > 1e4
    assert "standardized" in std.title and "standardized" in std.description
    # What the switch is for: plain gradient descent crawls on the raw data and not on the standardized.
    lr_raw = 1.0 / np.linalg.eigvalsh(hessian(raw, np.array(raw.start)))[-1]  # the largest stable-ish step
    slow = simulate(raw, "sgd", steps=200, lr=float(lr_raw))
    fast = simulate(std, "sgd", steps=200, lr=0.4)
    assert float(fast.final_loss) - std.f_min < 1e-9 < float(slow.final_loss) - raw.f_min


def test_data_keys_tell_data_and_switch_apart():
    x, y = load_bundled_data()
    assert data_key(x, y) == data_key(x.copy(), y.copy())
    assert data_key(x, y) != data_key(x, y, standardize=True)
    assert data_key(x, y) != data_key(x, y + 1e-9)


# --- data in a link ------------------------------------------------------------------------


def test_link_round_trips_exactly_in_both_forms():
    rng = np.random.default_rng(1)
    x, y = rng.normal(3, 2, MAX_LINK_ROWS), rng.normal(size=MAX_LINK_ROWS)
    encoded = encode_data(x, y)
    assert encoded.startswith("b:") and len(encoded) <= MAX_LINK_CHARS  # full-precision floats: binary
    x2, y2 = decode_data(encoded)
    np.testing.assert_array_equal(x2, x)
    np.testing.assert_array_equal(y2, y)
    assert_same_surface(make_mse_surface(x2, y2), make_mse_surface(x, y))

    short = encode_data([1, 2, 3.5, -0.25], [2, 4.5, 7, 1e-3])
    assert short == "d:1,2;2,4.5;3.5,7;-0.25,0.001"  # short decimals: readable text
    np.testing.assert_array_equal(decode_data(short)[0], [1, 2, 3.5, -0.25])
    np.testing.assert_array_equal(decode_data(short)[1], [2, 4.5, 7, 1e-3])


def test_link_refuses_more_rows_than_it_carries():
    x = np.arange(MAX_LINK_ROWS + 1, dtype=float)
    with pytest.raises(DataError, match="at most 200"):
        encode_data(x, x)


@pytest.mark.parametrize(("text", "words"), [
    ("b:!!!!", "not base64"),
    ("b:AAAA", "incomplete rows"),
    ("b:" + "A" * (MAX_LINK_CHARS + 1), "too long"),
    ("d:1,2;3", "row 2 does not hold x,y"),
    ("d:1,2;x,3", "not a number"),
    ("d:1,2;nan,3", "missing"),
    ("d:1,2;1,3", "All x values are equal"),
    ("d:1,2", "At least 2 rows"),
    ("d:" + ";".join(f"{i},{i}" for i in range(MAX_LINK_ROWS + 1)), "too many rows"),
    ("q:1,2;3,4", "unknown format"),
    ("", "unknown format"),
    (None, "too long"),
])
def test_damaged_links_are_refused(text, words):
    with pytest.raises(DataError, match=words):
        decode_data(text)


def test_binary_link_with_non_finite_values_is_refused():
    import base64

    raw = np.array([1.0, 2.0, np.nan, 3.0]).astype("<f8").tobytes()
    with pytest.raises(DataError, match="not finite"):
        decode_data("b:" + base64.urlsafe_b64encode(raw).decode().rstrip("="))
