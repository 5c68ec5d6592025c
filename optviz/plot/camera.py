"""The 3-D cell's cameras: the presets of each surface, chosen so that its valley is in sight
(`camera_presets`), and the geometry that judges it (`visible_fraction`).
"""

from __future__ import annotations

import functools

import numpy as np

from surfaces import Surface

from .grid import SurfaceGrid, mesh_height, surface_grid

# The generic presets (eye positions in plotly's scene coordinates: the box spans ±aspect/2
# around the origin and the camera looks at SCENE_CENTER). Each surface gets its own through
# camera_presets(surface): the same names, eyes chosen so that its valley is in sight.
CAMERA_PRESETS = {
    "Default": (1.35, -1.35, 0.95),
    "Top": (0.0, -0.001, 2.3),
    "Along x": (2.2, 0.0, 0.55),
    "Along y": (0.0, -2.2, 0.55),
}
DEFAULT_CAMERA = CAMERA_PRESETS["Default"]
SCENE_ASPECT = {"both": (1.0, 1.0, 0.7), "3d": (1.1, 1.1, 0.65)}
SCENE_CENTER = (0.0, 0.0, -0.1)


def _valley_points(surface: Surface, grid: SurfaceGrid) -> np.ndarray:
    """Where paths run, as far as the surface alone tells: the lowest 20 % of the plotted
    heights (the valley floors), and the straight lines from the surface's start to each
    minimum. Data coordinates, z on the drawn scale and lifted like a path."""
    (x0, x1), (y0, y1) = surface.domain
    xs, ys = np.linspace(x0, x1, 31), np.linspace(y0, y1, 31)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    gz = mesh_height(grid, gx, gy)
    lo, hi = grid.z_range
    low = gz <= lo + 0.2 * (hi - lo)
    points = [np.column_stack([gx[low], gy[low]])]
    start = np.asarray(surface.start, dtype=float)
    for m in surface.minima_points:
        points.append(start + np.linspace(0, 1, 25)[:, None] * (m - start))
    xy = np.concatenate(points)
    return np.column_stack([xy, mesh_height(grid, xy[:, 0], xy[:, 1]) + grid.lift])


def _to_scene(surface: Surface, grid: SurfaceGrid, p: np.ndarray, aspect) -> np.ndarray:
    (x0, x1), (y0, y1) = surface.domain
    z0, z1 = grid.z_range[0], grid.z_range[1] + 2 * grid.lift  # the z axis range of the layout
    lo, span = np.array([x0, y0, z0]), np.array([x1 - x0, y1 - y0, z1 - z0])
    return (p - lo) / span * np.asarray(aspect) - np.asarray(aspect) / 2


def visible_fraction(surface: Surface, grid: SurfaceGrid, eye, points: np.ndarray | None = None,
                     aspect=SCENE_ASPECT["both"], samples: int = 64) -> float:
    """The share of `points` (data coordinates, default: the valley) that the camera at `eye`
    sees, i.e. whose line of sight passes above the drawn mesh. Same geometry as plotly's
    scene: the data box scaled to ±aspect/2, a perspective eye in those coordinates."""
    pts = _valley_points(surface, grid) if points is None else np.asarray(points, dtype=float)
    p = _to_scene(surface, grid, pts, aspect)
    e = np.asarray(eye, dtype=float)
    t = np.linspace(0.0, 1.0, samples + 1)[1:]
    ray = p[:, None, :] + t[None, :, None] * (e - p)[:, None, :]  # (n, samples, 3)
    half = np.asarray(aspect) / 2
    over = (np.abs(ray[..., 0]) <= half[0]) & (np.abs(ray[..., 1]) <= half[1])
    (x0, x1), (y0, y1) = surface.domain
    rx = (ray[..., 0] / aspect[0] + 0.5) * (x1 - x0) + x0
    ry = (ray[..., 1] / aspect[1] + 0.5) * (y1 - y0) + y0
    z0, z1 = grid.z_range[0], grid.z_range[1] + 2 * grid.lift
    mesh = (mesh_height(grid, rx, ry) - z0) / (z1 - z0) * aspect[2] - half[2]
    # A point is hidden when the mesh rises above its line of sight anywhere over the box
    # (the first samples, within the path's own lift of it, are its own neighbourhood).
    near = np.linalg.norm((t[None, :, None] * (e - p)[:, None, :]), axis=-1) < 0.03
    hidden = (over & ~near & (mesh > ray[..., 2])).any(axis=1)
    return float(1.0 - hidden.mean()) if len(pts) else 1.0


def _eye(azimuth_deg: float, elevation_deg: float, distance: float) -> tuple[float, float, float]:
    a, e = np.radians(azimuth_deg), np.radians(elevation_deg)
    c = SCENE_CENTER
    return tuple(round(float(v), 3) for v in (c[0] + distance * np.cos(e) * np.cos(a),
                                                c[1] + distance * np.cos(e) * np.sin(a),
                                                c[2] + distance * np.sin(e)))


ELEVATIONS = (20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80)
ENOUGH_IN_SIGHT = 0.9  # of the valley: the lowest elevation that sees this much is chosen


def _best_eye(surface: Surface, grid: SurfaceGrid, azimuths, distance: float, travel: np.ndarray | None):
    """Among `azimuths`, the eye that sees the valley from the lowest elevation (a low camera
    shows the relief best); ties go to the azimuth most across the direction of travel (start to
    minimum), since a path seen end-on is a vertical dash."""
    points = _valley_points(surface, grid)
    best = None
    for az in azimuths:
        across = 1.0
        if travel is not None:
            view = np.array([np.cos(np.radians(az)), np.sin(np.radians(az))])
            across = 1.0 - abs(float(view @ travel))
        seen = 0.0
        for el in ELEVATIONS:
            eye = _eye(az, el, distance)
            seen = visible_fraction(surface, grid, eye, points)
            if seen >= ENOUGH_IN_SIGHT:
                break
        enough = seen >= ENOUGH_IN_SIGHT
        score = (enough, -el + 15 * across, seen) if enough else (enough, seen, across)
        if best is None or score > best[0]:
            best = (score, eye)
    return best[1]


def _travel(surface: Surface) -> np.ndarray | None:
    """Unit direction from the surface's start to its nearest global minimum, in scene proportions."""
    minima = [m for m in surface.minima if m.is_global] or list(surface.minima)
    if not minima:
        return None
    start = np.asarray(surface.start, dtype=float)
    target = min(((m.x, m.y) for m in minima), key=lambda m: np.hypot(*(np.asarray(m) - start)))
    (x0, x1), (y0, y1) = surface.domain
    d = (np.asarray(target) - start) / np.array([x1 - x0, y1 - y0])
    n = np.linalg.norm(d)
    return d / n if n > 0 else None


@functools.lru_cache(maxsize=32)
def camera_presets(surface: Surface) -> dict[str, tuple[float, float, float]]:
    """The camera presets for one surface, same names as CAMERA_PRESETS ("Default", "Top",
    "Along x", "Along y"): each one the eye from which the surface's valley is in sight.

    A generic camera hides paths: on the ravine and on Beale they run behind the front wall or
    under the mesh, and on the bowl the default looks along the paths. So each preset keeps its
    direction (a diagonal; straight down; along x; along y) but picks, by tracing lines of sight
    over the drawn mesh (`visible_fraction`), the side to look from and the lowest elevation
    that sees ENOUGH_IN_SIGHT of the valley (`_valley_points`); the default diagonal also
    prefers looking across the way from the start to the minimum. Deterministic, computed from
    the surface alone (cached): a surface added later gets its presets with no table to edit."""
    grid = surface_grid(surface)
    travel = _travel(surface)
    return {
        "Default": _best_eye(surface, grid, (-45, 45, 135, 225), 2.13, travel),
        "Top": CAMERA_PRESETS["Top"],
        "Along x": _best_eye(surface, grid, (0, 180), 2.27, None),
        "Along y": _best_eye(surface, grid, (-90, 90), 2.27, None),
    }


def default_camera(surface: Surface) -> tuple[float, float, float]:
    """The eye the trajectory view opens with on this surface."""
    return camera_presets(surface)["Default"]
