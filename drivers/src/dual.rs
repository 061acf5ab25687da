//! One source, two APIs: the blocking and the async methods of every driver are generated
//! from a single body by [`dual_impl!`].
//!
//! Inside a body, every bus call is wrapped in `io!(..)`; the macro expands `io!(e)` to `e`
//! in the blocking `impl` (bounded by `embedded_hal` traits) and to `e.await` in the async
//! one (bounded by `embedded_hal_async` traits). Method names come in pairs,
//! `fn name / name_async [receiver] (args) -> Ret { body }`, because an inherent `impl`
//! cannot hold two methods of one name even under different bounds (a bus such as
//! `udrv-core`'s or embedded-hal-mock's implements both traits).
//!
//! A body calls another method of the same pair list with
//! `call!(self.name / name_async(args))`: `self.name(args)` in the blocking `impl`,
//! `self.name_async(args).await` in the async one.

/// Generate a blocking and an async `impl` block from one list of method bodies.
macro_rules! dual_impl {
    (
        impl[$($gen:tt)*] $ty:ty {
            blocking: [$($bb:tt)*],
            asynch: [$($ab:tt)*] $(,)?
        }
        $(
            $(#[$m:meta])*
            pub fn $name:ident / $aname:ident [$($recv:tt)*] ( $($arg:ident : $argty:ty),* $(,)? ) -> $ret:ty $body:block
        )*
    ) => {
        impl<$($gen)*> $ty where $($bb)* {
            $(
                $(#[$m])*
                pub fn $name($($recv)*, $($arg: $argty),*) -> $ret {
                    #[allow(unused_macros)]
                    macro_rules! io { ($e:expr) => { $e }; }
                    #[allow(unused_macros)]
                    macro_rules! call {
                        ($s:ident . $b:ident / $a:ident $args:tt) => { $s.$b $args };
                    }
                    $body
                }
            )*
        }
        impl<$($gen)*> $ty where $($ab)* {
            $(
                $(#[$m])*
                ///
                #[doc = concat!("Async version of [`", stringify!($name), "`](Self::", stringify!($name), ").")]
                pub async fn $aname($($recv)*, $($arg: $argty),*) -> $ret {
                    #[allow(unused_macros)]
                    macro_rules! io { ($e:expr) => { $e.await }; }
                    #[allow(unused_macros)]
                    macro_rules! call {
                        ($s:ident . $b:ident / $a:ident $args:tt) => { $s.$a $args.await };
                    }
                    $body
                }
            )*
        }
    };
}

/// `Display` and `core::error::Error` for a driver's `Error<E>`; the body formats `self`
/// (named by the caller) into the formatter (also named by the caller).
///
/// Every driver error keeps its bus error: the body shows it with its own `Display` (not
/// `{:?}`), and `source()` returns it. `Display` needs `E: Display`; `Error` needs
/// `E: core::error::Error + 'static` (a bus error type that is not an `Error`, such as
/// embedded-hal 1.0's `ErrorKind`, gives a driver error that displays but is no
/// `Error`). `source()` is the `Bus(e)` variant's `e` unless the caller names the bus
/// error of each variant with `source: |e| expr` (an `Option<&E>`).
macro_rules! impl_error {
    ($err:ident, |$f:ident, $e:ident| $body:expr) => {
        impl_error!($err, source: |s| match s {
            $err::Bus(b) => Some(b),
            _ => None,
        }, |$f, $e| $body);
    };
    ($err:ident, source: |$s:ident| $source:expr, |$f:ident, $e:ident| $body:expr) => {
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
}
