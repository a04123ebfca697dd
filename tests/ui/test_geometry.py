"""ORI coordinates <-> viewer pixels, and which mark is under a point (no Qt)."""

from __future__ import annotations

import pytest

from overshoulder.core import geometry
from overshoulder.core.geometry import ImageRect, image_rect
from overshoulder.core.host import ViewerView
from overshoulder.core.model import Anchor, Annotation, Shape, Style, new_id


def test_the_documented_example_maps_both_ways_on_a_full_size_image():
    rect = image_rect(ViewerView(1920, 1080, (0, 0, 1920, 1080)), (1920, 1080))
    assert rect is not None
    x, y = rect.to_ori(1440, 270)
    assert (round(x, 4), round(y, 4)) == (0.4444, 0.25)
    assert rect.to_widget(x, y) == pytest.approx((1440, 270))
    assert rect.to_widget(0, 0) == pytest.approx((960, 540))
    assert rect.to_ori(0, 0) == pytest.approx((-1920 / 2 / 1080, 0.5))


def test_without_a_view_the_image_is_fitted_and_centred():
    # A 2:1 image in a 400 x 400 widget: 400 x 200, with 100 px bands above and below.
    rect = image_rect(None, (400, 400), (1000, 500))
    assert rect == ImageRect(0, 100, 400, 200, 1000, 500)
    assert rect.to_widget(0, 0) == pytest.approx((200, 200))
    assert rect.to_widget(0, 0.5) == pytest.approx((200, 100))  # top edge
    assert rect.to_widget(-1.0, -0.5) == pytest.approx((0, 300))  # bottom-left corner
    assert rect.unit == 200


def test_a_panned_and_zoomed_view_moves_and_scales_the_marks():
    still = image_rect(ViewerView(200, 100, (0, 0, 200, 100)), (400, 400))
    zoomed = image_rect(ViewerView(200, 100, (50, 30, 400, 200)), (400, 400))
    assert still is not None and zoomed is not None
    assert still.to_widget(0.5, 0.25) == pytest.approx((150, 25))
    assert zoomed.to_widget(0.5, 0.25) == pytest.approx((50 + 300, 30 + 50))
    for px, py in [(0, 0), (123.5, 77.25), (399, 1)]:
        assert zoomed.to_widget(*zoomed.to_ori(px, py)) == pytest.approx((px, py))


def test_no_image_rect_for_an_empty_widget_or_view():
    assert image_rect(None, (0, 10)) is None
    assert image_rect(ViewerView(10, 10, (0, 0, 0, 5)), (10, 10)) is None


def note(shape: Shape, width: float = 0.004) -> Annotation:
    return Annotation(id=new_id(), shape=shape, anchor=Anchor(frame=1), style=Style(width=width))


def test_hit_tests_find_the_mark_under_the_point_as_the_browser_does():
    stroke = note(Shape(kind="stroke", points=[[0, 0], [0.2, 0]]))
    box = note(Shape(kind="rect", min=(-0.4, -0.2), max=(-0.3, -0.1)))
    ring = note(Shape(kind="ellipse", min=(0.3, 0.1), max=(0.5, 0.3)))
    label = note(Shape(kind="text", at=(-0.4, 0.3), text="here", size=0.04))
    marks = [stroke, box, ring, label]
    assert geometry.pick(marks, (0.1, 0.005), 0.01) is stroke
    assert geometry.pick(marks, (-0.35, -0.1), 0.01) is box  # on the box's top edge
    assert geometry.pick(marks, (-0.35, -0.15), 0.01) is None  # inside a box is not on it
    assert geometry.pick(marks, (0.5, 0.2), 0.01) is ring
    assert geometry.pick(marks, (-0.37, 0.32), 0.01) is label  # inside the text's box
    assert geometry.pick(marks, (0.9, -0.4), 0.01) is None
    assert geometry.pick(marks, (0.1, 0.005), 0.01, allowed=lambda n: n is not stroke) is None


def test_a_thick_line_is_picked_at_its_edge():
    thick = note(Shape(kind="line", start=(0, 0), end=(0.2, 0)), width=0.05)
    assert geometry.pick([thick], (0.1, 0.03), 0.01) is thick
    assert geometry.pick([thick], (0.1, 0.05), 0.01) is None


def test_moving_a_shape_shifts_every_point_and_keeps_pressure():
    shape = Shape(kind="stroke", points=[[0, 0, 0.5], [0.1, 0.1, 0.7]])
    out = geometry.moved(shape, 0.1, -0.2)
    assert out.points == [[0.1, -0.2, 0.5], [0.2, -0.1, 0.7]]
    arrow = geometry.moved(Shape(kind="arrow", start=(0, 0), end=(0.1, 0)), 0.05, 0.05)
    assert (arrow.start, arrow.end) == ((0.05, 0.05), (0.15, 0.05))


def test_a_click_makes_no_line_but_a_dot_of_pen_is_a_stroke():
    assert geometry.degenerate(Shape(kind="line", start=(0.1, 0.1), end=(0.1, 0.1)))
    assert not geometry.degenerate(Shape(kind="rect", min=(0, 0), max=(0.1, 0.1)))
    assert not geometry.degenerate(Shape(kind="stroke", points=[[0, 0]]))
