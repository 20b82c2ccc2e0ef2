"""Real strokes of a few characters, as a finger draws them on a 300 x 300 pad, in stroke order:
for the tests, the benchmark and the screenshots of the handwriting pad.

Each stroke is given by its corner points; `finger` adds the points in between, as a touch
screen reports them (one every few pixels), with a little wobble.
"""

from __future__ import annotations

import math

CORNERS: dict[str, list[list[tuple[int, int]]]] = {
    "十": [[(40, 150), (260, 145)],
          [(150, 30), (152, 275)]],
    "口": [[(70, 80), (75, 240)],
          [(70, 80), (230, 78), (225, 240)],
          [(75, 232), (225, 232)]],
    "人": [[(150, 40), (140, 130), (100, 210), (40, 270)],
          [(145, 120), (190, 200), (265, 265)]],
    "大": [[(30, 120), (270, 118)],
           [(150, 25), (148, 120), (120, 200), (40, 275)],
           [(152, 125), (200, 200), (270, 270)]],
    # 亻 + 口 + 木, nine strokes in order.
    "保": [[(95, 25), (70, 90), (25, 150)],
          [(62, 100), (62, 280)],
          [(130, 35), (132, 115)],
          [(130, 35), (250, 35), (248, 115)],
          [(132, 112), (248, 112)],
          [(110, 170), (275, 170)],
          [(192, 130), (192, 285)],
          [(190, 175), (150, 230), (110, 265)],
          [(195, 175), (235, 225), (275, 260)]],
    # 亻 + 氐, seven strokes in order.
    "低": [[(90, 25), (65, 90), (25, 150)],
          [(58, 100), (58, 280)],
          [(250, 40), (190, 55), (130, 62)],
          [(130, 62), (130, 225), (165, 205)],
          [(130, 140), (270, 135)],
          [(190, 62), (215, 180), (275, 265), (278, 230)],
          [(175, 240), (200, 265)]],
}


def finger(corners: list[tuple[int, int]], step: float = 6.0, wobble: float = 2.0) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = [corners[0]]
    n = 0
    for (x0, y0), (x1, y1) in zip(corners, corners[1:], strict=False):
        length = math.hypot(x1 - x0, y1 - y0)
        steps = max(1, int(length / step))
        for i in range(1, steps + 1):
            n += 1
            t = i / steps
            # A slow, small drift as a real finger has, not a zigzag.
            points.append((x0 + (x1 - x0) * t + wobble * math.sin(n * 0.3),
                           y0 + (y1 - y0) * t + wobble * math.cos(n * 0.23)))
    return points


def strokes(char: str) -> list[list[tuple[float, float]]]:
    return [finger(c) for c in CORNERS[char]]
