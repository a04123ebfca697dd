"""The one drawing rule for marks: arrow heads as the browser draws them, shapes as polylines."""

from __future__ import annotations

import math

import pytest

from overshoulder.core.model import Shape
from overshoulder.core.shapes import ARROW_HEAD_ANGLE, arrow_head, ellipse_ring, outlines


def test_an_arrow_head_is_five_widths_long_but_never_more_than_half_the_shaft() -> None:
    left, right = arrow_head((0.0, 0.0), (100.0, 0.0), 4.0, 1000.0)  # 5 x 4 = 20 px
    for end, sign in ((left, -1), (right, 1)):
        assert math.dist(end, (100.0, 0.0)) == pytest.approx(20.0)
        assert end[1] == pytest.approx(sign * 20.0 * math.sin(ARROW_HEAD_ANGLE))
    short = arrow_head((0.0, 0.0), (10.0, 0.0), 4.0, 1000.0)
    assert math.dist(short[0], (10.0, 0.0)) == pytest.approx(5.0)  # half of a 10 px shaft
    thin = arrow_head((0.0, 0.0), (500.0, 0.0), 0.1, 1000.0)
    assert math.dist(thin[0], (500.0, 0.0)) == pytest.approx(20.0)  # 2 % of the height at least
    assert arrow_head((1.0, 1.0), (1.0, 1.0), 4.0, 1000.0) == []


def test_outlines_of_every_kind_in_ori_coordinates() -> None:
    (stroke,) = outlines(Shape(kind="stroke", points=[[0.0, 0.0, 0.5], [0.1, 0.2]]))
    assert stroke == [(0.0, 0.0), (0.1, 0.2)]  # pressure dropped
    shaft, *head = outlines(Shape(kind="arrow", start=(-0.5, 0.0), end=(0.5, 0.0)), 0.01)
    assert shaft == [(-0.5, 0.0), (0.5, 0.0)] and len(head) == 2
    assert all(line[0] == (0.5, 0.0) and math.dist(*line) == pytest.approx(0.05) for line in head)
    (box,) = outlines(Shape(kind="rect", min=(-0.1, -0.1), max=(0.1, 0.2)))
    assert box[0] == box[-1] and len(box) == 5
    (ring,) = outlines(Shape(kind="ellipse", min=(-0.2, -0.1), max=(0.2, 0.1)))
    assert ring == ellipse_ring(-0.2, -0.1, 0.2, 0.1)
    assert ring[0] == pytest.approx((0.2, 0.0)) and ring[-1] == pytest.approx(ring[0])
    assert outlines(Shape(kind="text", at=(0.0, 0.0), text="hi")) == []


def test_a_shape_of_an_unknown_kind_made_in_python_names_the_kinds() -> None:
    from overshoulder.core.errors import ProtocolError

    with pytest.raises(ProtocolError) as exc:
        Shape(kind="point", at=(0.0, 0.0))  # type: ignore[arg-type]
    assert exc.value.field == "kind"
    assert "'point'" in str(exc.value) and "stroke" in str(exc.value)
