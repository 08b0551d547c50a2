"""Terrain meshes: binary glTF (``.glb``, written by trimesh) and Wavefront OBJ.

The mesh is a regular grid of the heightfield's samples (every ``k``-th with a mesh step):

- glTF's conventions (glTF 2.0 spec §3.4): metres, right-handed, **+Y up**; x runs east and
  +z south (so a map seen from above has north at the top, as in the heightmap), the origin
  at the north-west corner, at height 0 m;
- per-vertex normals from the height gradients, so shading is smooth without trimesh's
  face averaging; UVs (0, 0) at the north-west corner and (1, 1) at the south-east, in the
  heightmap's image order, so its preview or splat map drapes straight on;
- two triangles per grid cell, counter-clockwise seen from above (front faces up).

A flipped heightfield (``--flip``) is turned back first: the mesh is always geographic.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from artgan.errors import ArtganError

MAX_MESH_SIDE = 1025  # without a mesh step, larger maps keep every k-th sample to stay within this


def mesh_step(side: int, step: int | None) -> int:
    """The sample step a mesh uses: the one asked for, else 1 up to :data:`MAX_MESH_SIDE`
    samples a side and the smallest that gets within it above."""
    if step is not None:
        return step
    return max(1, math.ceil((side - 1) / (MAX_MESH_SIDE - 1)))


def grid_mesh(heights: np.ndarray, cell_m: float, step: int = 1) -> dict[str, np.ndarray]:
    """Vertices, faces, vertex normals and UVs of a heightfield ``H×W`` (metres, row 0 north)."""
    from artgan_terrain.maps import gradients

    rows = np.unique(np.r_[np.arange(0, heights.shape[0], step), heights.shape[0] - 1])
    cols = np.unique(np.r_[np.arange(0, heights.shape[1], step), heights.shape[1] - 1])
    if len(rows) < 2 or len(cols) < 2:
        raise ArtganError(f"a mesh needs at least 2×2 samples; the map has {heights.shape[1]}×{heights.shape[0]}")
    sampled = heights[np.ix_(rows, cols)].astype(np.float64)
    east, north = gradients(heights, cell_m)
    east, north = east[np.ix_(rows, cols)], north[np.ix_(rows, cols)]
    zz, xx = np.meshgrid(rows * cell_m, cols * cell_m, indexing="ij")
    vertices = np.stack([xx, sampled, zz], axis=-1).reshape(-1, 3)
    normals = np.stack([-east, np.ones_like(east), north], axis=-1).reshape(-1, 3)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    vv, uu = np.meshgrid(rows / (heights.shape[0] - 1), cols / (heights.shape[1] - 1), indexing="ij")
    uv = np.stack([uu, vv], axis=-1).reshape(-1, 2)
    n_rows, n_cols = len(rows), len(cols)
    index = np.arange(n_rows * n_cols).reshape(n_rows, n_cols)
    nw, ne = index[:-1, :-1].ravel(), index[:-1, 1:].ravel()
    sw, se = index[1:, :-1].ravel(), index[1:, 1:].ravel()
    faces = np.concatenate([np.stack([nw, sw, ne], axis=1), np.stack([ne, sw, se], axis=1)])
    return {"vertices": vertices, "faces": faces, "normals": normals, "uv": uv}


def encode_mesh(output: Any, suffix: str, metadata: Mapping[str, str]) -> bytes:
    """One terrain as ``.glb`` or ``.obj`` bytes."""
    from artgan_terrain.formats import one_field

    one_field(output, suffix)  # a mesh holds one terrain
    heights = output.north_first()
    step = mesh_step(max(heights.shape), output.mesh_step)
    parts = grid_mesh(heights, output.cell_m, step)
    facts = {**metadata, "cell_size_m": output.cell_m * step, "mesh_step": step, "units": "metres",
             "axes": "+x east, +y up, +z south; origin at the north-west corner"}
    if suffix == ".glb":
        import trimesh
        from trimesh.visual import TextureVisuals

        mesh = trimesh.Trimesh(vertices=parts["vertices"], faces=parts["faces"], vertex_normals=parts["normals"],
                               visual=TextureVisuals(uv=parts["uv"]), process=False)
        scene = trimesh.Scene()
        scene.add_geometry(mesh, node_name="terrain", geom_name="terrain")
        scene.metadata.update({"artgan": facts})
        return trimesh.exchange.gltf.export_glb(scene, include_normals=True)
    comments = "".join(f"# artgan:{k}={' '.join(str(v).split())}\n" for k, v in facts.items())
    return (comments + obj_text(parts)).encode("utf-8")


def obj_text(parts: Mapping[str, np.ndarray]) -> str:
    """A Wavefront OBJ of a grid mesh: positions, texture coordinates and normals per vertex
    (OBJ's indices count from 1, each face corner naming all three: ``f v/vt/vn``)."""
    vertices, uv, normals, faces = parts["vertices"], parts["uv"], parts["normals"], parts["faces"] + 1
    corners = np.repeat(faces, 3, axis=1)  # v/vt/vn share the index of a grid vertex
    return "".join((
        ("v %.4f %.4f %.4f\n" * len(vertices)) % tuple(vertices.ravel()),
        ("vt %.6f %.6f\n" * len(uv)) % tuple(np.c_[uv[:, 0], 1 - uv[:, 1]].ravel()),  # OBJ's v runs upwards
        ("vn %.5f %.5f %.5f\n" * len(normals)) % tuple(normals.ravel()),
        ("f %d/%d/%d %d/%d/%d %d/%d/%d\n" * len(faces)) % tuple(corners.ravel()),
    ))


def read_mesh(data: bytes, suffix: str) -> Any:
    """A mesh file's bytes back as a trimesh.Trimesh (for tests and the preview)."""
    import trimesh

    loaded = trimesh.load(io.BytesIO(data), file_type=suffix.lstrip("."), process=False)
    if isinstance(loaded, trimesh.Scene):
        loaded = loaded.to_mesh() if hasattr(loaded, "to_mesh") else loaded.dump(concatenate=True)
    return loaded


__all__ = ["MAX_MESH_SIDE", "encode_mesh", "grid_mesh", "mesh_step", "read_mesh"]
