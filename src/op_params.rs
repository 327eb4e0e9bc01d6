//! An operator's parameters declared once: `op_params!` yields both the schema's `ParamSpec`s
//! (type, default, doc, as `rnx ops` prints them) and a typed struct read from the checked `Params`.
//!
//! ```
//! use rnx::schema::ParamType;
//! rnx::op_params! {
//!     /// The parameters of an example operator.
//!     pub struct ExampleParams {
//!         components: usize = ParamType::int(1, 64), "3", "Components kept.";
//!         path: String = ParamType::Path, required, "The file read.";
//!         label: Option<String> = ParamType::Str, "\"\"", "A label; empty for none.";
//!     }
//! }
//! assert_eq!(ExampleParams::PARAMS[0].name, "components");
//! assert_eq!(ExampleParams::PARAMS[1].default, None);
//! ```

use crate::op_error::OpError;
use crate::params::Params;

/// A Rust type one parameter can be read as, by name, from checked parameters.
pub trait FromParam: Sized {
    fn from_param(params: &Params, name: &str) -> Result<Self, OpError>;
}

impl FromParam for f64 {
    fn from_param(params: &Params, name: &str) -> Result<Self, OpError> {
        params.f64(name)
    }
}

impl FromParam for i64 {
    fn from_param(params: &Params, name: &str) -> Result<Self, OpError> {
        params.i64(name)
    }
}

impl FromParam for usize {
    fn from_param(params: &Params, name: &str) -> Result<Self, OpError> {
        params.usize(name)
    }
}

impl FromParam for bool {
    fn from_param(params: &Params, name: &str) -> Result<Self, OpError> {
        params.bool(name)
    }
}

/// A string, enumeration or path parameter.
impl FromParam for String {
    fn from_param(params: &Params, name: &str) -> Result<Self, OpError> {
        params.str(name).map(str::to_string)
    }
}

impl FromParam for Vec<f64> {
    fn from_param(params: &Params, name: &str) -> Result<Self, OpError> {
        params.list_f64(name)
    }
}

impl FromParam for Vec<String> {
    fn from_param(params: &Params, name: &str) -> Result<Self, OpError> {
        params.list_str(name)
    }
}

/// A nested block, as its own parameter set.
impl FromParam for Params {
    fn from_param(params: &Params, name: &str) -> Result<Self, OpError> {
        params.block(name)
    }
}

/// An optional parameter: `None` when it is missing or left at an empty string or list
/// (`Params::is_set`).
impl<T: FromParam> FromParam for Option<T> {
    fn from_param(params: &Params, name: &str) -> Result<Self, OpError> {
        if params.is_set(name) {
            T::from_param(params, name).map(Some)
        } else {
            Ok(None)
        }
    }
}

/// Declares an operator's parameters once. Each entry is
/// `name: RustType = ParamType, DEFAULT, DOC;` where `DEFAULT` is the default as `.rnx` source
/// text (a string literal) or the word `required`. The struct gets a public field per entry,
/// `PARAMS` (the `ParamSpec`s, in order, for the operator's `OpSchema`) and
/// `read(&Params) -> Result<Self, OpError>`.
#[macro_export]
macro_rules! op_params {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $field:ident : $ty:ty = $pty:expr , $default:tt , $doc:expr ; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        $vis struct $name {
            $( #[doc = $doc] pub $field: $ty, )*
        }

        impl $name {
            /// The parameters' specifications, in declaration order.
            pub const PARAMS: &'static [$crate::schema::ParamSpec] = &[
                $( $crate::op_params!(@spec $field, $pty, $default, $doc), )*
            ];

            /// Reads every parameter from checked parameters.
            pub fn read(
                params: &$crate::params::Params,
            ) -> ::std::result::Result<Self, $crate::op_error::OpError> {
                ::std::result::Result::Ok($name {
                    $( $field: <$ty as $crate::op_params::FromParam>::from_param(params, stringify!($field))?, )*
                })
            }
        }
    };
    (@spec $field:ident, $pty:expr, required, $doc:expr) => {
        $crate::schema::ParamSpec::required(stringify!($field), $pty, $doc)
    };
    (@spec $field:ident, $pty:expr, $default:literal, $doc:expr) => {
        $crate::schema::ParamSpec::new(stringify!($field), $pty, $default, $doc)
    };
}
