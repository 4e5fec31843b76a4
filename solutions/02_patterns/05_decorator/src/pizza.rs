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
        (**self).price_cents()
    }
    fn description(&self) -> String {
        (**self).description()
    }
}

impl<P: Pizza + ?Sized> Pizza for &P {
    fn price_cents(&self) -> u32 {
        (**self).price_cents()
    }
    fn description(&self) -> String {
        (**self).description()
    }
}

/// Tomato and mozzarella: 800 cents, `"Margherita"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Margherita;

impl Pizza for Margherita {
    fn price_cents(&self) -> u32 {
        800
    }
    fn description(&self) -> String {
        "Margherita".to_owned()
    }
}

/// Peppers, onions, mushrooms: 950 cents, `"Veggie"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Veggie;

impl Pizza for Veggie {
    fn price_cents(&self) -> u32 {
        950
    }
    fn description(&self) -> String {
        "Veggie".to_owned()
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
        Cheese { inner }
    }
}

impl<P: Pizza> Pizza for Cheese<P> {
    fn price_cents(&self) -> u32 {
        self.inner.price_cents() + 150
    }
    fn description(&self) -> String {
        format!("{}, extra cheese", self.inner.description())
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
        Olives { inner }
    }
}

impl<P: Pizza> Pizza for Olives<P> {
    fn price_cents(&self) -> u32 {
        self.inner.price_cents() + 100
    }
    fn description(&self) -> String {
        format!("{}, olives", self.inner.description())
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
        Discount {
            inner,
            percent: percent.min(100),
        }
    }
}

impl<P: Pizza> Pizza for Discount<P> {
    fn price_cents(&self) -> u32 {
        let price = self.inner.price_cents();
        // Widen so a large price times 100 cannot overflow.
        let off = u64::from(price) * u64::from(self.percent) / 100;
        // off <= price, so the difference fits back into u32.
        price - off as u32
    }
    fn description(&self) -> String {
        format!("{} ({}% off)", self.inner.description(), self.percent)
    }
}

/// Fluent stacking: `Margherita.cheese().olives()` is
/// `Olives::new(Cheese::new(Margherita))`. Implemented for every sized pizza,
/// including ones defined outside this crate.
pub trait Toppings: Pizza + Sized {
    /// Wraps `self` in [`Cheese`].
    fn cheese(self) -> Cheese<Self> {
        Cheese::new(self)
    }
    /// Wraps `self` in [`Olives`].
    fn olives(self) -> Olives<Self> {
        Olives::new(self)
    }
    /// Wraps `self` in [`Discount`].
    fn discount(self, percent: u8) -> Discount<Self> {
        Discount::new(self, percent)
    }
}

impl<P: Pizza> Toppings for P {}
