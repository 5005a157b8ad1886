"""Yaw and quaternion kernels for cuboids."""

from __future__ import annotations

import math
from typing import cast

import numpy as np

TWO_PI = 2.0 * math.pi
# Above this |q0 . q1| the slerp weights lose precision (sin(theta) ~ 0): blend linearly.
SLERP_LERP_DOT = 0.9995


def wrap_delta(delta: np.ndarray) -> np.ndarray:
    """Yaw differences (n,) in [-2pi, 2pi] wrapped into (-pi, pi]: a turn of exactly pi
    (either sign) becomes +pi, counter-clockwise."""
    return np.where(
        delta > math.pi, delta - TWO_PI, np.where(delta <= -math.pi, delta + TWO_PI, delta)
    )


def wrap_angle(yaw: np.ndarray) -> np.ndarray:
    """Yaws (n,) in (-2pi, 2pi] wrapped into [-pi, pi], in place; values already in range are
    left bit for bit."""
    np.subtract(yaw, TWO_PI, out=yaw, where=yaw > math.pi)
    np.add(yaw, TWO_PI, out=yaw, where=yaw < -math.pi)
    return yaw


def quaternion_dot(q0: np.ndarray, q1: np.ndarray) -> np.ndarray:
    """(n,) dot products of (n, 4) rows, summed left to right (so the scalar reference,
    summing the same way, takes the same slerp/lerp branch)."""
    dot: np.ndarray = (q0[:, 0] * q1[:, 0] + q0[:, 1] * q1[:, 1] + q0[:, 2] * q1[:, 2]
                       + q0[:, 3] * q1[:, 3])
    return dot


def normalise(q: np.ndarray) -> np.ndarray:
    """(n, 4) rows scaled to unit length."""
    return cast(np.ndarray, q / np.sqrt(quaternion_dot(q, q))[:, None])


def slerp_setup(
    q0: np.ndarray, q1: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per pair constants for `slerp`: q0, q1 (n, 4) -> unit q0, unit q1 on q0's hemisphere
    (q and -q are one rotation: take the shorter arc), theta (n,), sin(theta) (n,) (1 where
    lerping), lerp (n,) bool."""
    q0 = normalise(q0)
    q1 = normalise(q1)
    dot = quaternion_dot(q0, q1)
    flip = dot < 0.0
    q1[flip] = -q1[flip]
    dot = np.abs(dot)
    lerp = dot > SLERP_LERP_DOT
    theta = np.arccos(np.minimum(dot, 1.0))
    sin_theta = np.where(lerp, 1.0, np.sin(theta))
    return q0, q1, theta, sin_theta, lerp


def slerp(
    q0: np.ndarray,
    q1: np.ndarray,
    theta: np.ndarray,
    sin_theta: np.ndarray,
    lerp: np.ndarray,
    t: np.ndarray,
) -> np.ndarray:
    """(n, 4) unit quaternions at t (n,) between q0 and q1 (n, 4) as prepared by `slerp_setup`."""
    w0 = np.where(lerp, 1.0 - t, np.sin((1.0 - t) * theta) / sin_theta)
    w1 = np.where(lerp, t, np.sin(t * theta) / sin_theta)
    return normalise(w0[:, None] * q0 + w1[:, None] * q1)
