//! The textbook decorator: toppings wrap a pizza and add to its price and
//! description. Each wrapper is a `Pizza` itself, so wrappers stack.
//!
//! ```
//! use decorator::pizza::{Margherita, Pizza, Toppings};
//!
//! let order = Margherita.cheese().olives().discount(10);
//! assert_eq!(order.description(), "Margherita, extra cheese, olives (10% off)");
//! assert_eq!(order.price_cents(), 945); // (800 + 150 + 100) minus 10%
//! ```

/// Anything that can be sold as a pizza.
pub trait Pizza {
    /// The price in cents.
    fn price_cents(&self) -> u32;
    /// What is on it, innermost first, e.g. `"Margherita, extra cheese"`.
    fn description(&self) -> String;
}

// Forwarding impls: a boxed or borrowed pizza is a pizza, so decorators can
// wrap trait objects (`Box<dyn Pizza>`) chosen at run time as well as
// concrete types chosen at compile time.
impl<P: Pizza + ?Sized> Pizza for Box<P> {
    fn price_cents(&self) -> u32 {
        todo!()
    }
    fn description(&self) -> String {
        todo!()
    }
}

impl<P: Pizza + ?Sized> Pizza for &P {
    fn price_cents(&self) -> u32 {
        todo!()
    }
    fn description(&self) -> String {
        todo!()
    }
}

/// Tomato and mozzarella: 800 cents, `"Margherita"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Margherita;

impl Pizza for Margherita {
    fn price_cents(&self) -> u32 {
        todo!()
    }
    fn description(&self) -> String {
        todo!()
    }
}

/// Peppers, onions, mushrooms: 950 cents, `"Veggie"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Veggie;

impl Pizza for Veggie {
    fn price_cents(&self) -> u32 {
        todo!()
    }
    fn description(&self) -> String {
        todo!()
    }
}

/// Extra cheese: +150 cents, appends `", extra cheese"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cheese<P> {
    inner: P,
}

impl<P: Pizza> Cheese<P> {
    /// Puts extra cheese on `inner`.
    pub fn new(inner: P) -> Self {
        todo!()
    }
}

impl<P: Pizza> Pizza for Cheese<P> {
    fn price_cents(&self) -> u32 {
        todo!("the inner price plus 150")
    }
    fn description(&self) -> String {
        todo!("the inner description, then \", extra cheese\"")
    }
}

/// Olives: +100 cents, appends `", olives"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Olives<P> {
    inner: P,
}

impl<P: Pizza> Olives<P> {
    /// Puts olives on `inner`.
    pub fn new(inner: P) -> Self {
        todo!()
    }
}

impl<P: Pizza> Pizza for Olives<P> {
    fn price_cents(&self) -> u32 {
        todo!()
    }
    fn description(&self) -> String {
        todo!()
    }
}

/// A percentage off everything it wraps — and nothing added outside it, which
/// is why the stacking order matters for the price.
///
/// The discount is `price * percent / 100` rounded down (the customer pays the
/// rounded-up remainder); percentages above 100 count as 100. Appends
/// `" (N% off)"` with the clamped percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Discount<P> {
    inner: P,
    percent: u8,
}

impl<P: Pizza> Discount<P> {
    /// Takes `percent` (clamped to 100) off `inner`.
    pub fn new(inner: P, percent: u8) -> Self {
        todo!("clamp the percentage")
    }
}

impl<P: Pizza> Pizza for Discount<P> {
    fn price_cents(&self) -> u32 {
        todo!("round the saving down; mind overflow")
    }
    fn description(&self) -> String {
        todo!()
    }
}

/// Fluent stacking: `Margherita.cheese().olives()` is
/// `Olives::new(Cheese::new(Margherita))`. Implemented for every sized pizza,
/// including ones defined outside this crate.
pub trait Toppings: Pizza + Sized {
    /// Wraps `self` in [`Cheese`].
    fn cheese(self) -> Cheese<Self> {
        todo!()
    }
    /// Wraps `self` in [`Olives`].
    fn olives(self) -> Olives<Self> {
        todo!()
    }
    /// Wraps `self` in [`Discount`].
    fn discount(self, percent: u8) -> Discount<Self> {
        todo!()
    }
}

impl<P: Pizza> Toppings for P {}
