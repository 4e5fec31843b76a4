//! Stage 1: three shapes implement the trait, and their constructors refuse
//! dimensions that make no sense. Floats are compared with a tolerance.

use std::f64::consts::PI;

use traits::{Circle, Rectangle, Shape, ShapeError, Triangle};

/// `actual` is within a relative `1e-12` of `expected`.
fn assert_close(actual: f64, expected: f64, what: &str) {
    let tolerance = 1e-12 * expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: got {actual}, expected {expected} (floats are compared with a tolerance, \
         but this is more than rounding error)"
    );
}

#[test]
fn circle() {
    let c = Circle::new(1.0).unwrap();
    assert_eq!(c.name(), "circle");
    assert_eq!(c.radius(), 1.0);
    assert_close(c.area(), PI, "area of the unit circle");
    assert_close(
        c.perimeter(),
        2.0 * PI,
        "perimeter (circumference) of the unit circle",
    );
    let c = Circle::new(2.5).unwrap();
    assert_eq!(c.radius(), 2.5);
    assert_close(c.area(), PI * 6.25, "area of a circle of radius 2.5");
    assert_close(
        c.perimeter(),
        5.0 * PI,
        "perimeter of a circle of radius 2.5",
    );
}

#[test]
fn rectangle() {
    let r = Rectangle::new(3.0, 4.0).unwrap();
    assert_eq!(r.name(), "rectangle");
    assert_close(r.area(), 12.0, "area of 3 x 4");
    assert_close(r.perimeter(), 14.0, "perimeter of 3 x 4");
    let r = Rectangle::new(0.5, 10.0).unwrap();
    assert_close(r.area(), 5.0, "area of 0.5 x 10");
    assert_close(r.perimeter(), 21.0, "perimeter of 0.5 x 10");
}

#[test]
fn triangle() {
    let t = Triangle::new(3.0, 4.0, 5.0).unwrap();
    assert_eq!(t.name(), "triangle");
    assert_close(t.area(), 6.0, "area of the 3-4-5 triangle");
    assert_close(t.perimeter(), 12.0, "perimeter of the 3-4-5 triangle");
    for (a, b, c) in [(5.0, 3.0, 4.0), (4.0, 5.0, 3.0), (3.0, 5.0, 4.0)] {
        let t = Triangle::new(a, b, c).unwrap();
        assert_close(t.area(), 6.0, "the order of the sides must not matter");
    }
    let t = Triangle::new(2.0, 2.0, 2.0).unwrap();
    assert_close(
        t.area(),
        3f64.sqrt(),
        "area of the equilateral triangle of side 2",
    );
}

#[test]
fn needle_triangles_keep_their_digits() {
    // Textbook Heron's formula loses most of its digits here (relative errors of
    // 1e-4 and 3e-8); a numerically stable formula is accurate to a few ulps.
    for ((a, b, c), expected) in [
        ((1e10, 1e10, 1e-3), 5e6),
        ((100_000.0, 99_999.999_79, 0.000_29), 10.000_000_077_021_038),
        ((0.000_29, 100_000.0, 99_999.999_79), 10.000_000_077_021_038),
    ] {
        let area = Triangle::new(a, b, c).unwrap().area();
        assert!(
            ((area - expected) / expected).abs() < 1e-9,
            "triangle ({a}, {b}, {c}): area {area}, expected {expected}; naive Heron \
             cancels catastrophically on needle-thin triangles (see the note: Kahan)"
        );
    }
}

#[test]
fn flat_and_impossible_triangles_are_refused() {
    for sides in [
        [1.0, 2.0, 3.0],
        [3.0, 1.0, 2.0],
        [1.0, 1.0, 5.0],
        [10.0, 1.0, 1.0],
    ] {
        let [a, b, c] = sides;
        assert_eq!(
            Triangle::new(a, b, c),
            Err(ShapeError::NotATriangle { sides }),
            "the longest side must be strictly shorter than the other two together; \
             the error reports the sides in the order given"
        );
    }
    assert!(
        Triangle::new(1.0, 1.0, 1.999_999_999_9).is_ok(),
        "a very thin triangle is still a triangle"
    );
}

#[test]
fn invalid_dimensions_are_refused() {
    let bad = [0.0, -0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
    for v in bad {
        let is_invalid = |r: Result<(), ShapeError>, name: &str| match r {
            Err(ShapeError::InvalidDimension { name: n, value }) => {
                n == name && (value == v || (value.is_nan() && v.is_nan()))
            }
            _ => false,
        };
        assert!(
            is_invalid(Circle::new(v).map(drop), "radius"),
            "Circle::new({v}) must be refused as an invalid radius"
        );
        assert!(
            is_invalid(Rectangle::new(v, 1.0).map(drop), "width"),
            "Rectangle::new({v}, 1) must be refused as an invalid width"
        );
        assert!(
            is_invalid(Rectangle::new(1.0, v).map(drop), "height"),
            "Rectangle::new(1, {v}) must be refused as an invalid height"
        );
        for (a, b, c) in [(v, 1.0, 1.0), (1.0, v, 1.0), (1.0, 1.0, v)] {
            assert!(
                is_invalid(Triangle::new(a, b, c).map(drop), "side"),
                "Triangle::new({a}, {b}, {c}) must be refused as an invalid side"
            );
        }
    }
}

#[test]
fn shapes_too_large_for_f64_are_refused() {
    assert_eq!(
        Circle::new(1e200),
        Err(ShapeError::TooLarge),
        "its area is infinite"
    );
    assert_eq!(
        Rectangle::new(1e200, 1e200),
        Err(ShapeError::TooLarge),
        "its area is infinite"
    );
    assert_eq!(
        Rectangle::new(f64::MAX, 1e-300),
        Err(ShapeError::TooLarge),
        "its area is finite but its perimeter is infinite"
    );
    assert_eq!(
        Triangle::new(1e300, 1e300, 1e300),
        Err(ShapeError::TooLarge)
    );
    assert!(Circle::new(1e100).is_ok(), "big but finite is fine");
    let sides = [f64::MAX, f64::MAX / 4.0, 1.0];
    assert_eq!(
        Triangle::new(sides[0], sides[1], sides[2]),
        Err(ShapeError::NotATriangle { sides }),
        "sides that make no triangle are NotATriangle, checked before their infinite \
         perimeter would make them TooLarge"
    );
}

#[test]
fn errors_display() {
    let e = Circle::new(-2.0).unwrap_err().to_string();
    assert!(
        e.contains("radius") && e.contains("-2"),
        "name the dimension and value: {e:?}"
    );
    let e = Triangle::new(1.0, 2.0, 3.0).unwrap_err().to_string();
    assert!(e.contains("triangle"), "say it is not a triangle: {e:?}");
    assert!(!ShapeError::TooLarge.to_string().is_empty());
}
