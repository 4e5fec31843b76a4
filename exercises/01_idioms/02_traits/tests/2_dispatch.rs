//! Stage 2: code written against the trait alone. The shapes defined in this
//! file are unknown to the library, yet every function accepts them.

use std::f64::consts::PI;

use traits::{Circle, Rectangle, Shape, Triangle, compactness, describe_all, largest, total_area};

/// A regular hexagon: defined here, in the test, not in the library.
struct Hexagon {
    side: f64,
}

impl Shape for Hexagon {
    fn name(&self) -> &str {
        "hexagon"
    }
    fn area(&self) -> f64 {
        3.0 * 3f64.sqrt() / 2.0 * self.side * self.side
    }
    fn perimeter(&self) -> f64 {
        6.0 * self.side
    }
}

/// A shape with fixed numbers and its own `describe`.
struct Blob {
    label: &'static str,
    area: f64,
    perimeter: f64,
}

impl Shape for Blob {
    fn name(&self) -> &str {
        self.label
    }
    fn area(&self) -> f64 {
        self.area
    }
    fn perimeter(&self) -> f64 {
        self.perimeter
    }
    fn describe(&self) -> String {
        format!("a blob called {}", self.label)
    }
}

fn blob(label: &'static str, area: f64) -> Box<dyn Shape> {
    Box::new(Blob {
        label,
        area,
        perimeter: 10.0,
    })
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

#[test]
fn default_describe() {
    assert_eq!(
        Circle::new(1.0).unwrap().describe(),
        "circle: area 3.14, perimeter 6.28"
    );
    assert_eq!(
        Triangle::new(3.0, 4.0, 5.0).unwrap().describe(),
        "triangle: area 6.00, perimeter 12.00"
    );
    assert_eq!(
        Hexagon { side: 1.0 }.describe(),
        "hexagon: area 2.60, perimeter 6.00",
        "a shape that does not override describe gets the default, built from name, \
         area and perimeter"
    );
}

#[test]
fn rectangle_overrides_describe() {
    assert_eq!(
        Rectangle::new(3.0, 4.0).unwrap().describe(),
        "rectangle 3 x 4: area 12.00, perimeter 14.00"
    );
    assert_eq!(
        Rectangle::new(2.5, 4.0).unwrap().describe(),
        "rectangle 2.5 x 4: area 10.00, perimeter 13.00"
    );
}

fn mixed() -> Vec<Box<dyn Shape>> {
    vec![
        Box::new(Circle::new(1.0).unwrap()),
        Box::new(Rectangle::new(3.0, 4.0).unwrap()),
        Box::new(Hexagon { side: 2.0 }),
        blob("bob", 7.0),
    ]
}

#[test]
fn describe_all_dispatches_to_overrides() {
    assert_eq!(
        describe_all(&mixed()),
        vec![
            "circle: area 3.14, perimeter 6.28".to_string(),
            "rectangle 3 x 4: area 12.00, perimeter 14.00".to_string(),
            "hexagon: area 10.39, perimeter 12.00".to_string(),
            "a blob called bob".to_string(),
        ],
        "through Box<dyn Shape>, each shape's own describe must run (dynamic dispatch)"
    );
    assert!(describe_all(&[]).is_empty());
}

#[test]
fn total_area_over_trait_objects() {
    assert_eq!(total_area(&[]), 0.0, "no shapes, no area");
    let expected = PI + 12.0 + 6.0 * 3f64.sqrt() + 7.0;
    let got = total_area(&mixed());
    assert!(
        close(got, expected),
        "total area: got {got}, expected {expected}"
    );
    assert!(close(total_area(&[blob("only", 2.5)]), 2.5));
}

#[test]
fn largest_picks_by_area_first_among_equals() {
    assert!(largest(&[]).is_none(), "no shapes, no largest");
    let shapes = mixed();
    assert_eq!(largest(&shapes).map(|s| s.name()), Some("rectangle"));

    let shapes = vec![
        blob("small", 1.0),
        blob("first", 50.0),
        blob("second", 50.0),
        blob("tiny", 0.5),
    ];
    let big = largest(&shapes).expect("four shapes have a largest");
    assert_eq!(big.name(), "first", "among equal areas, the first one wins");
    assert!(
        std::ptr::addr_eq(big, shapes[1].as_ref()),
        "largest must return a reference into the slice, not a copy"
    );
    let shapes = vec![blob("a", 3.0), blob("b", 2.0), blob("c", 1.0)];
    assert_eq!(
        largest(&shapes).unwrap().name(),
        "a",
        "the largest can be the first"
    );
    let shapes = vec![blob("a", 1.0), blob("b", 2.0), blob("c", 3.0)];
    assert_eq!(
        largest(&shapes).unwrap().name(),
        "c",
        "the largest can be the last"
    );
}

#[test]
fn compactness_is_generic() {
    let c = compactness(&Circle::new(3.0).unwrap());
    assert!(close(c, 1.0), "a circle's compactness is 1, got {c}");
    let c = compactness(&Rectangle::new(2.0, 2.0).unwrap());
    assert!(
        close(c, PI / 4.0),
        "a square's compactness is pi/4, got {c}"
    );
    let c = compactness(&Hexagon { side: 1.0 });
    assert!(
        close(c, PI * 3f64.sqrt() / 6.0),
        "a regular hexagon's is pi/(2 sqrt 3), got {c}"
    );
    let c = compactness(&Blob {
        label: "x",
        area: 5.0,
        perimeter: 10.0,
    });
    assert!(
        close(c, 4.0 * PI * 5.0 / 100.0),
        "compactness uses only area and perimeter"
    );
}

#[test]
fn compactness_accepts_trait_objects() {
    let shapes = mixed();
    // `&dyn Shape`: needs `?Sized` on the generic parameter.
    let c = compactness(shapes[0].as_ref());
    assert!(close(c, 1.0), "compactness of a &dyn Shape circle, got {c}");
    // `&Box<dyn Shape>`: needs `impl Shape for Box<S>`.
    let c = compactness(&shapes[1]);
    assert!(
        close(c, 12.0 * 4.0 * PI / 196.0),
        "compactness of a boxed rectangle, got {c}"
    );
}

/// Generic code sees a `Box<dyn Shape>` as a shape of its own: the `Box` impl.
fn describe_generic<S: Shape>(shape: &S) -> String {
    shape.describe()
}

#[test]
fn boxes_forward_every_method() {
    let shapes = mixed();
    assert_eq!(
        describe_generic(&shapes[1]),
        "rectangle 3 x 4: area 12.00, perimeter 14.00",
        "impl Shape for Box<S> must forward describe too, or a boxed shape loses its override"
    );
    assert_eq!(describe_generic(&shapes[3]), "a blob called bob");
    assert_eq!(
        describe_generic(&shapes[2]),
        "hexagon: area 10.39, perimeter 12.00"
    );
    let boxed: Box<Rectangle> = Box::new(Rectangle::new(1.0, 2.0).unwrap());
    assert_eq!(
        describe_generic(&boxed),
        "rectangle 1 x 2: area 2.00, perimeter 6.00"
    );
    assert_eq!(boxed.name(), "rectangle");
    let twice: Box<Box<dyn Shape>> = Box::new(blob("deep", 4.0));
    assert_eq!(describe_generic(&twice), "a blob called deep");
    assert_eq!(twice.area(), 4.0);
    assert_eq!(twice.perimeter(), 10.0);
}
