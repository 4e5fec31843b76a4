//! Stage 3: properties every correct shape has, over many random sizes.

use std::f64::consts::PI;

use proptest::prelude::*;
use traits::{Circle, Rectangle, Shape, ShapeError, Triangle, compactness};

fn len() -> impl Strategy<Value = f64> {
    1e-3f64..1e3
}

fn rel_eq(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs())
}

proptest! {
    // A fixed seed, and no failure files beside the shipped tests.
    #![proptest_config(ProptestConfig {
        cases: 128,
        rng_seed: proptest::test_runner::RngSeed::Fixed(202),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn scaling_scales_area_by_k_squared(r in len(), w in len(), h in len(), k in 0.1f64..10.0) {
        let pairs: [(Box<dyn Shape>, Box<dyn Shape>); 2] = [
            (Box::new(Circle::new(r).unwrap()), Box::new(Circle::new(r * k).unwrap())),
            (Box::new(Rectangle::new(w, h).unwrap()), Box::new(Rectangle::new(w * k, h * k).unwrap())),
        ];
        for (small, big) in pairs {
            prop_assert!(rel_eq(big.area(), small.area() * k * k, 1e-9),
                "{}: scaling by {} must scale the area by {}", small.name(), k, k * k);
            prop_assert!(rel_eq(big.perimeter(), small.perimeter() * k, 1e-9),
                "{}: scaling by {} must scale the perimeter by {}", small.name(), k, k);
        }
    }

    #[test]
    fn triangles_are_valid_exactly_when_the_inequality_holds(a in len(), b in len(), c in len()) {
        let mut s = [a, b, c];
        s.sort_by(|x, y| y.total_cmp(x));
        match Triangle::new(a, b, c) {
            Ok(t) => {
                prop_assert!(s[0] < s[1] + s[2], "({}, {}, {}) is not a triangle", a, b, c);
                prop_assert!(t.area() > 0.0 && t.area().is_finite());
                prop_assert!(rel_eq(t.perimeter(), a + b + c, 1e-12));
                for (x, y, z) in [(b, c, a), (c, a, b), (b, a, c)] {
                    let u = Triangle::new(x, y, z).unwrap();
                    prop_assert!(rel_eq(u.area(), t.area(), 1e-12), "order of sides changed the area");
                }
            }
            Err(e) => {
                prop_assert_eq!(e, ShapeError::NotATriangle { sides: [a, b, c] });
                prop_assert!(s[0] >= s[1] + s[2] - 1e-9 * s[0], "({}, {}, {}) is a triangle", a, b, c);
            }
        }
    }

    #[test]
    fn compactness_is_at_most_one(r in len(), w in len(), h in len(), a in len(), b in len(), c in len()) {
        let circle = compactness(&Circle::new(r).unwrap());
        prop_assert!(rel_eq(circle, 1.0, 1e-12), "a circle's compactness is 1, got {}", circle);
        let rect = compactness(&Rectangle::new(w, h).unwrap());
        prop_assert!(rect <= PI / 4.0 * (1.0 + 1e-12), "no rectangle is rounder than a square: {}", rect);
        if let Ok(t) = Triangle::new(a, b, c) {
            let tri = compactness(&t);
            prop_assert!(tri <= PI / (3.0 * 3f64.sqrt()) * (1.0 + 1e-9),
                "no triangle is rounder than the equilateral one: {}", tri);
        }
    }
}
