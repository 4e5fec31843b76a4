//! Traits: the `Shape` interface, three shapes, and code that depends on the
//! trait alone, through dynamic dispatch (`&[Box<dyn Shape>]`) and through
//! generics (`S: Shape`).

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code)]

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
        todo!("format name, area and perimeter, two decimals each")
    }
}

/// A box of any shape (including `Box<dyn Shape>`) is a shape, so generic code
/// accepts boxes too. Every method is forwarded, `describe` included: without
/// that line a boxed shape would lose its own `describe` and fall back to the
/// default. `std` does the same for `Iterator`, `Read`, `Write`, `Error`...
impl<S: Shape + ?Sized> Shape for Box<S> {
    fn name(&self) -> &str {
        todo!("forward to the boxed shape")
    }
    fn area(&self) -> f64 {
        todo!("forward to the boxed shape")
    }
    fn perimeter(&self) -> f64 {
        todo!("forward to the boxed shape")
    }
    fn describe(&self) -> String {
        todo!("forward this one too, or boxed shapes lose their own describe")
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
        todo!("a message per variant that names the bad value")
    }
}

impl std::error::Error for ShapeError {}

/// A circle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circle {
    radius: f64,
}

impl Circle {
    /// A circle of the given radius; the radius must be finite and positive.
    pub fn new(radius: f64) -> Result<Circle, ShapeError> {
        todo!("check the radius is finite and positive, and the area finite")
    }

    /// The radius.
    pub fn radius(&self) -> f64 {
        todo!("return the radius")
    }
}

impl Shape for Circle {
    fn name(&self) -> &str {
        todo!("the name")
    }
    fn area(&self) -> f64 {
        todo!("pi r squared")
    }
    fn perimeter(&self) -> f64 {
        todo!("the circumference")
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
        todo!("check both sides, then that area and perimeter are finite")
    }
}

impl Shape for Rectangle {
    fn name(&self) -> &str {
        todo!("the name")
    }
    fn area(&self) -> f64 {
        todo!("width times height")
    }
    fn perimeter(&self) -> f64 {
        todo!("twice width plus height")
    }
    /// Overrides the default to show the sides, as `{}` prints an `f64`:
    /// `"rectangle 3 x 4: area 12.00, perimeter 14.00"`,
    /// `"rectangle 2.5 x 4: area 10.00, perimeter 13.00"`.
    fn describe(&self) -> String {
        todo!("override: show the sides")
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
        todo!("check each side, sort them, check the strict triangle inequality")
    }
}

impl Shape for Triangle {
    fn name(&self) -> &str {
        todo!("the name")
    }
    /// Must stay accurate (relative error < 1e-9) even for needle-thin triangles.
    /// Textbook Heron, `sqrt(s(s-a)(s-b)(s-c))`, computes `s - a` as a difference
    /// of nearly equal numbers and can lose most of its digits: see the note.
    fn area(&self) -> f64 {
        todo!("a numerically stable form of Heron's formula (see the note)")
    }
    fn perimeter(&self) -> f64 {
        todo!("the sum of the sides")
    }
}

/// The sum of the areas; 0 for no shapes.
pub fn total_area(shapes: &[Box<dyn Shape>]) -> f64 {
    todo!("sum the areas")
}

/// The shape with the largest area; the first one among equals; `None` if empty.
pub fn largest(shapes: &[Box<dyn Shape>]) -> Option<&dyn Shape> {
    todo!("the first shape with the largest area")
}

/// Each shape's [`describe`](Shape::describe), in order: a shape that overrides
/// `describe` is described its own way.
pub fn describe_all(shapes: &[Box<dyn Shape>]) -> Vec<String> {
    todo!("call each shape's describe")
}

/// How round a shape is: `4π · area / perimeter²`, the isoperimetric quotient.
/// 1 for a circle, `π/4` for a square, less for anything stretched.
///
/// Generic, so each call is compiled for the concrete type (static dispatch);
/// `?Sized` lets it take a `dyn Shape` too.
pub fn compactness<S: Shape + ?Sized>(shape: &S) -> f64 {
    todo!("4 pi area / perimeter squared")
}
