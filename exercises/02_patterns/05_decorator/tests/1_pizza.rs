//! Stage 1: pizza and toppings. Each topping wraps a pizza and is a pizza.

use decorator::pizza::{Cheese, Discount, Margherita, Olives, Pizza, Toppings, Veggie};

#[test]
fn plain_bases() {
    assert_eq!(
        (Margherita.price_cents(), Margherita.description()),
        (800, "Margherita".to_owned())
    );
    assert_eq!(
        (Veggie.price_cents(), Veggie.description()),
        (950, "Veggie".to_owned())
    );
}

#[test]
fn one_topping_adds_its_price_and_name() {
    let p = Cheese::new(Margherita);
    assert_eq!(p.price_cents(), 950);
    assert_eq!(p.description(), "Margherita, extra cheese");
    let p = Olives::new(Veggie);
    assert_eq!(p.price_cents(), 1050);
    assert_eq!(p.description(), "Veggie, olives");
}

#[test]
fn toppings_stack_and_can_repeat() {
    let p = Olives::new(Cheese::new(Cheese::new(Margherita)));
    assert_eq!(p.price_cents(), 800 + 150 + 150 + 100);
    assert_eq!(
        p.description(),
        "Margherita, extra cheese, extra cheese, olives",
        "descriptions read innermost first: each layer appends to what it wraps"
    );
}

#[test]
fn the_fluent_form_builds_the_same_stack() {
    let fluent = Margherita.cheese().olives();
    let nested = Olives::new(Cheese::new(Margherita));
    assert_eq!(
        fluent, nested,
        "x.cheese().olives() is Olives::new(Cheese::new(x))"
    );
    assert_eq!(fluent.description(), "Margherita, extra cheese, olives");
    assert_eq!(Veggie.discount(50), Discount::new(Veggie, 50));
}

#[test]
fn a_discount_applies_to_what_it_wraps_only() {
    // Discount outside the cheese: 10% off 950.
    let outside = Margherita.cheese().discount(10);
    assert_eq!(outside.price_cents(), 855);
    assert_eq!(outside.description(), "Margherita, extra cheese (10% off)");
    // Discount inside the cheese: 10% off 800, then full-price cheese.
    let inside = Margherita.discount(10).cheese();
    assert_eq!(inside.price_cents(), 870);
    assert_eq!(inside.description(), "Margherita (10% off), extra cheese");
    assert_ne!(
        outside.price_cents(),
        inside.price_cents(),
        "stacking order changes the price: a decorator only sees what it wraps"
    );
}

#[test]
fn discounts_round_the_saving_down_and_clamp() {
    // 15% of 950 is 142.5: the saving rounds down to 142, the price is 808.
    assert_eq!(Margherita.cheese().discount(15).price_cents(), 808);
    // 33% of 1050 is 346.5 -> 346 off.
    assert_eq!(Veggie.olives().discount(33).price_cents(), 704);
    assert_eq!(Margherita.discount(0).price_cents(), 800);
    assert_eq!(Margherita.discount(0).description(), "Margherita (0% off)");
    assert_eq!(Margherita.discount(100).price_cents(), 0);
    let over = Margherita.discount(250);
    assert_eq!(
        over.price_cents(),
        0,
        "more than 100% off is 100% off, never an underflow"
    );
    assert_eq!(over.description(), "Margherita (100% off)");
    // Two discounts compound: 10% off, then 10% off that.
    assert_eq!(Margherita.discount(10).discount(10).price_cents(), 648);
}

#[test]
fn discounts_do_not_overflow_on_big_orders() {
    struct Banquet;
    impl Pizza for Banquet {
        fn price_cents(&self) -> u32 {
            4_000_000_000
        }
        fn description(&self) -> String {
            "Banquet".into()
        }
    }
    assert_eq!(
        Banquet.discount(50).price_cents(),
        2_000_000_000,
        "price * percent overflows u32: widen before multiplying"
    );
}

/// A base the library has never heard of.
struct Calzone;
impl Pizza for Calzone {
    fn price_cents(&self) -> u32 {
        1100
    }
    fn description(&self) -> String {
        "Calzone".into()
    }
}

/// A topping the library has never heard of, wrapping any pizza.
struct Truffle<P>(P);
impl<P: Pizza> Pizza for Truffle<P> {
    fn price_cents(&self) -> u32 {
        self.0.price_cents() + 500
    }
    fn description(&self) -> String {
        format!("{}, truffle", self.0.description())
    }
}

#[test]
fn decorators_compose_with_types_defined_elsewhere() {
    let p = Truffle(Calzone.cheese()).olives().discount(20);
    assert_eq!(
        p.description(),
        "Calzone, extra cheese, truffle, olives (20% off)"
    );
    assert_eq!(p.price_cents(), (1100 + 150 + 500 + 100) * 80 / 100);
}

#[test]
fn stacks_can_be_chosen_at_run_time_as_trait_objects() {
    let order = ["cheese", "olives", "cheese"];
    let mut pizza: Box<dyn Pizza> = Box::new(Veggie);
    for topping in order {
        pizza = match topping {
            "cheese" => Box::new(Cheese::new(pizza)),
            "olives" => Box::new(Olives::new(pizza)),
            other => panic!("unknown topping {other}"),
        };
    }
    assert_eq!(pizza.price_cents(), 950 + 150 + 100 + 150);
    assert_eq!(
        pizza.description(),
        "Veggie, extra cheese, olives, extra cheese"
    );
    // A borrowed pizza is a pizza too.
    let base = Margherita;
    let borrowed = Cheese::new(&base);
    assert_eq!(borrowed.price_cents(), 950);
    assert_eq!(borrowed.description(), "Margherita, extra cheese");
}
