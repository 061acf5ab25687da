//! One source, two APIs: the blocking and the async methods of every driver are generated
//! from a single body by `dual_impl!`.
//!
//! # How a dual `impl` is written
//!
//! ```text
//! dual_impl!({
//!     #[asynch(I2C: AsyncI2c)]
//!     impl<I2C> Sht3x<I2C>
//!     where
//!         I2C: I2c,
//!     {
//!         /// Measure once, waiting the datasheet's maximum time.
//!         #[asynch(measure_async, D: AsyncDelayNs)]
//!         pub fn measure<D>(&mut self, delay: &mut D) -> Result<Measurement, Error<I2C::Error>>
//!         where
//!             D: DelayNs,
//!         {
//!             call!(self.start / start_async())?;
//!             io!(delay.delay_ms(16));
//!             call!(self.fetch / fetch_async())
//!         }
//!     }
//! });
//! ```
//!
//! The block is an ordinary `impl` with the **blocking** bounds, and it comes out twice:
//!
//! * as written (minus the `#[asynch]` attributes): the blocking methods;
//! * as an `impl` whose `where` clause is the one `#[asynch(..)]` on the `impl` lists, holding
//!   for each method an `async fn` named by the first word of its `#[asynch(..)]`, whose
//!   `where` clause is the rest of it, with the doc comment plus "Async version of ...".
//!
//! The generic parameters' inline bounds (`impl<I2C, MODE: sealed::Mode>`, `fn f<T: Copy>`)
//! are shared by both; the bounds that differ (the bus, `DelayNs`, `Wait`) go in the `where`
//! clauses, the blocking ones in Rust's `where` and the async ones in `#[asynch(..)]`. An
//! inherent `impl` cannot hold two methods of one name even under different bounds (a bus
//! such as `udrv-core`'s or embedded-hal-mock's implements both traits), hence the two names.
//!
//! In a body, every call that waits (bus, delay) is wrapped in `io!(..)`: `e` in the blocking
//! method, `e.await` in the async one. A body calls another dual method (or any method with
//! an `_async` twin, on any receiver) with `call!(self.name / name_async(args))`:
//! `self.name(args)` in the blocking method, `self.name_async(args).await` in the async one.
//! Both are ordinary expressions.
//!
//! # Formatting
//!
//! The invocation is `dual_impl!({ .. });` with parentheses around a block on purpose:
//! rustfmt formats the arguments of a parenthesised macro call when they parse as an
//! expression, and a block holding an `impl` item is one, so every body, signature and
//! attribute inside is formatted like any other code (`cargo fmt` reindents them; a
//! `dual_impl! { .. }` call with braces is left exactly as typed). The forms the macro
//! accepts are plain Rust for that reason: the method pair is named by an attribute, the
//! async bounds are an attribute, `io!`/`call!` are expressions.
//!
//! A transport trait with a blocking and an async twin (`Registers` / `AsyncRegisters`) is
//! implemented from one `impl` the same way: `#[asynch(impl AsyncTrait, I2C: AsyncI2c)]` on
//! `impl<I2C> Trait for T<I2C> where I2C: I2c { .. }` gives the second `impl` with the same
//! method names, `async`, and the same associated types (`io!` and `call!` as above; one trait
//! `impl` per invocation, methods without generic parameters).
//!
//! Limits (compile errors if broken, not silent): each `#[asynch(..)]` comes after the doc
//! comment and before any other attribute; bounds are one path each (`D: DelayNs`, not
//! `D: A + B`); generic parameters are types, no lifetimes or consts; an `impl` holds methods
//! only.
//!
//! # Why a `macro_rules!` macro and not a crate
//!
//! Evaluated (2026-12, from their documentation): `maybe-async` (0.2.10) compiles *either*
//! the blocking *or* the async code, chosen by a feature (`is_sync`), which makes features
//! non-additive (a workspace merges them; the house style keeps both APIs always available),
//! so it does not fit. `bisync` (0.3.0) includes one source file twice, as a `blocking` and an
//! `asynchronous` module, with two copies of every type (`blocking::Lm75`,
//! `asynchronous::Lm75`), which would change every public path and every test.
//! `maybe-async-cfg` (0.2.5) can emit both, with renamed items, from features it is told, but
//! it is a proc macro (syn, quote and proc-macro2 built for every user, `no_std` targets
//! included) configured per item in a small language of its own, for what about a hundred
//! lines of `macro_rules!` do here without a dependency; embassy's drivers write the two by
//! hand. This macro needs nothing beyond the MSRV (1.85), works in `no_std`, and its input is
//! formatted by rustfmt like the rest of the crate (checked by `tests/formatting.rs`).

/// Generate a blocking and an async `impl` block from one `impl` (see the module docs).
macro_rules! dual_impl {
    // A trait implemented twice: `#[asynch(impl AsyncTrait, bounds..)]` on `impl Trait for T`.
    ({
        #[asynch(impl $atr:ident $(, $ap:ident : $apb:path)* $(,)?)]
        impl<$($g:ident $(: $gb:path)?),* $(,)?> $tr:ident for $ty:ty
        $(where $($bp:ident : $bpb:path),* $(,)?)?
        {
            $(type $assoc:ident = $aty:ty;)*
            $(
                $(#[$m:meta])*
                fn $name:ident ($($args:tt)*) $(-> $ret:ty)? $body:block
            )*
        }
    }) => {
        impl<$($g $(: $gb)?),*> $tr for $ty $(where $($bp: $bpb),*)? {
            $(type $assoc = $aty;)*
            $(
                $(#[$m])*
                fn $name($($args)*) $(-> $ret)? {
                    #[allow(unused_imports)]
                    use $crate::dual::{dual_call_blocking as call, dual_io_blocking as io};
                    $body
                }
            )*
        }

        impl<$($g $(: $gb)?),*> $atr for $ty where $($ap: $apb),* {
            $(type $assoc = $aty;)*
            $(
                $(#[$m])*
                async fn $name($($args)*) $(-> $ret)? {
                    #[allow(unused_imports)]
                    use $crate::dual::{dual_call_async as call, dual_io_async as io};
                    $body
                }
            )*
        }
    };
    // Inherent methods in pairs.
    ({
        $(
            #[asynch($($ap:ident : $apb:path),* $(,)?)]
            impl<$($g:ident $(: $gb:path)?),* $(,)?> $ty:ty
            $(where $($bp:ident : $bpb:path),* $(,)?)?
            {
                $(
                    $(#[doc = $doc:literal])*
                    #[asynch($aname:ident $(, $mp:ident : $mpb:path)* $(,)?)]
                    $(#[$m:meta])*
                    $vis:vis fn $name:ident $(<$($mg:ident $(: $mgb:path)?),* $(,)?>)? ($($args:tt)*)
                    $(-> $ret:ty)?
                    $(where $($wp:ident : $wpb:path),* $(,)?)?
                    $body:block
                )*
            }
        )*
    }) => {
        $(
            impl<$($g $(: $gb)?),*> $ty $(where $($bp: $bpb),*)? {
                $(
                    $(#[doc = $doc])*
                    $(#[$m])*
                    $vis fn $name $(<$($mg $(: $mgb)?),*>)? ($($args)*) $(-> $ret)?
                    $(where $($wp: $wpb),*)?
                    {
                        #[allow(unused_imports)]
                        use $crate::dual::{dual_call_blocking as call, dual_io_blocking as io};
                        $body
                    }
                )*
            }

            impl<$($g $(: $gb)?),*> $ty where $($ap: $apb),* {
                $(
                    $(#[doc = $doc])*
                    ///
                    #[doc = concat!("Async version of [`", stringify!($name), "`](Self::", stringify!($name), ").")]
                    $(#[$m])*
                    $vis async fn $aname $(<$($mg $(: $mgb)?),*>)? ($($args)*) $(-> $ret)?
                    where $($mp: $mpb),*
                    {
                        #[allow(unused_imports)]
                        use $crate::dual::{dual_call_async as call, dual_io_async as io};
                        $body
                    }
                )*
            }
        )*
    };
}

/// `io!(e)` in a blocking body: `e`.
macro_rules! dual_io_blocking {
    ($e:expr) => {
        $e
    };
}

/// `io!(e)` in an async body: `e.await`.
macro_rules! dual_io_async {
    ($e:expr) => {
        $e.await
    };
}

/// `call!(recv.name / name_async(args))` in a blocking body: `recv.name(args)`. The receiver
/// is any chain of tokens (`self`, `self.mux`, a local); it is collected one token at a time
/// up to `name / name_async (args)`.
macro_rules! dual_call_blocking {
    (@recv [$($recv:tt)*] $b:ident / $a:ident $params:tt) => {
        $($recv)* $b $params
    };
    (@recv [$($recv:tt)*] $t:tt $($rest:tt)*) => {
        dual_call_blocking!(@recv [$($recv)* $t] $($rest)*)
    };
    (@recv [$($recv:tt)*]) => {
        compile_error!("call! takes `receiver.name / name_async(args)`")
    };
    ($($t:tt)*) => {
        dual_call_blocking!(@recv [] $($t)*)
    };
}

/// `call!(recv.name / name_async(args))` in an async body: `recv.name_async(args).await`.
macro_rules! dual_call_async {
    (@recv [$($recv:tt)*] $b:ident / $a:ident $params:tt) => {
        $($recv)* $a $params.await
    };
    (@recv [$($recv:tt)*] $t:tt $($rest:tt)*) => {
        dual_call_async!(@recv [$($recv)* $t] $($rest)*)
    };
    (@recv [$($recv:tt)*]) => {
        compile_error!("call! takes `receiver.name / name_async(args)`")
    };
    ($($t:tt)*) => {
        dual_call_async!(@recv [] $($t)*)
    };
}

pub(crate) use {dual_call_async, dual_call_blocking, dual_io_async, dual_io_blocking};

/// Wait until an interrupt line reads low, blocking: an `InputPin` cannot wait, so this
/// polls it in a busy loop. The error is the pin's, as its kind.
pub(crate) fn wait_low<P: embedded_hal::digital::InputPin>(
    line: &mut P,
) -> Result<(), embedded_hal::digital::ErrorKind> {
    while line
        .is_high()
        .map_err(|e| embedded_hal::digital::Error::kind(&e))?
    {
        core::hint::spin_loop();
    }
    Ok(())
}

/// Wait until an interrupt line reads low, async ([`Wait::wait_for_low`]).
///
/// [`Wait::wait_for_low`]: embedded_hal_async::digital::Wait::wait_for_low
pub(crate) async fn wait_low_async<P: embedded_hal_async::digital::Wait>(
    line: &mut P,
) -> Result<(), embedded_hal::digital::ErrorKind> {
    line.wait_for_low()
        .await
        .map_err(|e| embedded_hal::digital::Error::kind(&e))
}

/// `Display` and `core::error::Error` for a driver's `Error<E>`; the body formats `self`
/// (named by the caller) into the formatter (also named by the caller).
///
/// Every driver error keeps its bus error: the body shows it with its own `Display` (not
/// `{:?}`), and `source()` returns it. `Display` needs `E: Display`; `Error` needs
/// `E: core::error::Error + 'static` (a bus error type that is not an `Error`, such as
/// embedded-hal 1.0's `ErrorKind`, gives a driver error that displays but is no
/// `Error`). `source()` is the `Bus(e)` variant's `e` unless the caller names the bus
/// error of each variant with a second closure `|s| expr` (an `Option<&E>`).
///
/// `impl_error!(Error + From, ..)` also gives `From<E>`: a bus error converts into the
/// `Bus(e)` variant (what `?` on a bus call does in a driver's methods).
macro_rules! impl_error {
    ($err:ident + From, $($rest:tt)*) => {
        impl<E> From<E> for $err<E> {
            fn from(e: E) -> Self {
                $err::Bus(e)
            }
        }

        impl_error!($err, $($rest)*);
    };
    ($err:ident, |$f:ident, $e:ident| $body:expr, |$s:ident| $source:expr $(,)?) => {
        impl<E: core::fmt::Display> core::fmt::Display for $err<E> {
            fn fmt(&self, $f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                let $e = self;
                $body
            }
        }

        impl<E: core::error::Error + 'static> core::error::Error for $err<E> {
            fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
                let $s = self;
                let bus: Option<&E> = $source;
                bus.map(|b| b as &(dyn core::error::Error + 'static))
            }
        }
    };
    ($err:ident, |$f:ident, $e:ident| $body:expr $(,)?) => {
        impl_error!($err, |$f, $e| $body, |s| match s {
            $err::Bus(b) => Some(b),
            _ => None,
        });
    };
}
