//! Traits: the `Shape` interface, three shapes, and code that depends on the
//! trait alone, through dynamic dispatch (`&[Box<dyn Shape>]`) and through
//! generics (`S: Shape`).

use std::f64::consts::PI;
use std::fmt;

/// Anything with an area and a perimeter.
///
/// The trait is dyn-compatible (no generic methods, no `Self` by value), so
/// `Box<dyn Shape>` works; [`describe`](Shape::describe) has a default that
/// implementors may override.
pub trait Shape {
    /// A lower-case name: `"circle"`, `"rectangle"` and `"triangle"` for this
    /// crate's shapes.
    fn name(&self) -> &str;

    /// The area, in square units.
    fn area(&self) -> f64;

    /// The length of the boundary, in units.
    fn perimeter(&self) -> f64;

    /// One line: `"<name>: area <area>, perimeter <perimeter>"`, numbers with two
    /// decimals, e.g. `"circle: area 3.14, perimeter 6.28"`.
    fn describe(&self) -> String {
        format!(
            "{}: area {:.2}, perimeter {:.2}",
            self.name(),
            self.area(),
            self.perimeter()
        )
    }
}

/// A box of any shape (including `Box<dyn Shape>`) is a shape, so generic code
/// accepts boxes too. Every method is forwarded, `describe` included: without
/// that line a boxed shape would lose its own `describe` and fall back to the
/// default. `std` does the same for `Iterator`, `Read`, `Write`, `Error`...
impl<S: Shape + ?Sized> Shape for Box<S> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn area(&self) -> f64 {
        (**self).area()
    }
    fn perimeter(&self) -> f64 {
        (**self).perimeter()
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}

/// Why a shape could not be built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShapeError {
    /// A dimension was zero, negative, infinite or NaN.
    InvalidDimension {
        /// Which dimension: `"radius"`, `"width"`, `"height"`, `"side"`.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// Three sides that violate the strict triangle inequality (the longest side
    /// must be shorter than the other two together; flat triangles are refused).
    NotATriangle {
        /// The sides as given.
        sides: [f64; 3],
    },
    /// Valid dimensions whose area or perimeter does not fit in an `f64`.
    TooLarge,
}

impl fmt::Display for ShapeError {
    /// A message per variant: `InvalidDimension`'s names the dimension and the
    /// value (`radius`, `-2`), `NotATriangle`'s says the sides make no `triangle`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShapeError::InvalidDimension { name, value } => {
                write!(f, "{name} must be finite and positive, got {value}")
            }
            ShapeError::NotATriangle { sides: [a, b, c] } => {
                write!(f, "sides {a}, {b}, {c} do not make a triangle")
            }
            ShapeError::TooLarge => f.write_str("shape too large: its area is not finite"),
        }
    }
}

impl std::error::Error for ShapeError {}

/// `value` if it is a usable length: finite and strictly positive. Every
/// comparison with NaN is false, so NaN fails `value > 0.0` and is refused.
fn dimension(name: &'static str, value: f64) -> Result<f64, ShapeError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(ShapeError::InvalidDimension { name, value })
    }
}

/// Refuse a shape whose derived numbers overflowed to infinity.
fn finite<S: Shape>(shape: S) -> Result<S, ShapeError> {
    if shape.area().is_finite() && shape.perimeter().is_finite() {
        Ok(shape)
    } else {
        Err(ShapeError::TooLarge)
    }
}

/// A circle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circle {
    radius: f64,
}

impl Circle {
    /// A circle of the given radius; the radius must be finite and positive.
    pub fn new(radius: f64) -> Result<Circle, ShapeError> {
        finite(Circle {
            radius: dimension("radius", radius)?,
        })
    }

    /// The radius.
    pub fn radius(&self) -> f64 {
        self.radius
    }
}

impl Shape for Circle {
    fn name(&self) -> &str {
        "circle"
    }
    fn area(&self) -> f64 {
        PI * self.radius * self.radius
    }
    fn perimeter(&self) -> f64 {
        2.0 * PI * self.radius
    }
}

/// An axis-aligned rectangle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rectangle {
    width: f64,
    height: f64,
}

impl Rectangle {
    /// A rectangle; both sides must be finite and positive.
    pub fn new(width: f64, height: f64) -> Result<Rectangle, ShapeError> {
        finite(Rectangle {
            width: dimension("width", width)?,
            height: dimension("height", height)?,
        })
    }
}

impl Shape for Rectangle {
    fn name(&self) -> &str {
        "rectangle"
    }
    fn area(&self) -> f64 {
        self.width * self.height
    }
    fn perimeter(&self) -> f64 {
        2.0 * (self.width + self.height)
    }
    /// Overrides the default to show the sides, as `{}` prints an `f64`:
    /// `"rectangle 3 x 4: area 12.00, perimeter 14.00"`,
    /// `"rectangle 2.5 x 4: area 10.00, perimeter 13.00"`.
    fn describe(&self) -> String {
        format!(
            "rectangle {} x {}: area {:.2}, perimeter {:.2}",
            self.width,
            self.height,
            self.area(),
            self.perimeter()
        )
    }
}

/// A triangle given by its three side lengths.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Triangle {
    /// Sides sorted longest first, which the area formula needs.
    sides: [f64; 3],
}

impl Triangle {
    /// A triangle with sides `a`, `b`, `c` in any order. Each side must be finite
    /// and positive, and the longest must be strictly shorter than the sum of the
    /// other two (a flat triangle is refused). Checked in that order: a bad side
    /// is [`ShapeError::InvalidDimension`] even when the sides are also flat
    /// (`0, 1, 1`), then [`ShapeError::NotATriangle`], then [`ShapeError::TooLarge`].
    pub fn new(a: f64, b: f64, c: f64) -> Result<Triangle, ShapeError> {
        let given = [
            dimension("side", a)?,
            dimension("side", b)?,
            dimension("side", c)?,
        ];
        let mut sides = given;
        sides.sort_by(|x, y| y.total_cmp(x));
        let [a, b, c] = sides;
        // `c - (a - b) > 0` is `a < b + c` written so that it cannot overflow, and
        // it is exactly the factor of the area formula that must be positive.
        if c - (a - b) <= 0.0 {
            return Err(ShapeError::NotATriangle { sides: given });
        }
        finite(Triangle { sides })
    }
}

impl Shape for Triangle {
    fn name(&self) -> &str {
        "triangle"
    }
    /// Kahan's rearrangement of Heron's formula, accurate to a few ulps even for
    /// needle-thin triangles. Textbook Heron, `sqrt(s(s-a)(s-b)(s-c))`, computes
    /// `s - a` as a difference of nearly equal numbers and can lose most digits.
    /// The brackets matter: do not "simplify" them.
    fn area(&self) -> f64 {
        let [a, b, c] = self.sides;
        0.25 * ((a + (b + c)) * (c - (a - b)) * (c + (a - b)) * (a + (b - c))).sqrt()
    }
    fn perimeter(&self) -> f64 {
        let [a, b, c] = self.sides;
        a + b + c
    }
}

/// The sum of the areas; 0 for no shapes.
pub fn total_area(shapes: &[Box<dyn Shape>]) -> f64 {
    shapes.iter().map(|s| s.area()).sum()
}

/// The shape with the largest area; the first one among equals; `None` if empty.
pub fn largest(shapes: &[Box<dyn Shape>]) -> Option<&dyn Shape> {
    let mut best: Option<&dyn Shape> = None;
    for shape in shapes {
        // Strictly greater: an equal area later in the list does not win.
        if best.is_none_or(|b| shape.area() > b.area()) {
            best = Some(shape.as_ref());
        }
    }
    best
}

/// Each shape's [`describe`](Shape::describe), in order: a shape that overrides
/// `describe` is described its own way.
pub fn describe_all(shapes: &[Box<dyn Shape>]) -> Vec<String> {
    shapes.iter().map(|s| s.describe()).collect()
}

/// How round a shape is: `4π · area / perimeter²`, the isoperimetric quotient.
/// 1 for a circle, `π/4` for a square, less for anything stretched.
///
/// Generic, so each call is compiled for the concrete type (static dispatch);
/// `?Sized` lets it take a `dyn Shape` too.
pub fn compactness<S: Shape + ?Sized>(shape: &S) -> f64 {
    let p = shape.perimeter();
    4.0 * PI * shape.area() / (p * p)
}
