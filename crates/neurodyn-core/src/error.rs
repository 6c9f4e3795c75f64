//! The error type shared by the library crates.

use std::fmt;

/// Result alias for neurodyn library code.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong below the command line.
#[derive(Debug)]
pub enum Error {
    /// A parameter is outside its allowed range; names the parameter and what is allowed.
    InvalidParameter {
        /// The parameter's name, with its unit (`tau_ms`).
        name: String,
        /// What was given.
        value: String,
        /// What is allowed.
        allowed: String,
    },
    /// A recorder was used wrongly (unknown table, wrong column count or type).
    Record(String),
    /// An input or output failure, with the path it concerns.
    Io {
        /// The file or folder.
        path: std::path::PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Anything else, already worded for the user.
    Other(String),
}

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn invalid(name: &str, value: impl fmt::Display, allowed: &str) -> Self {
        Error::InvalidParameter {
            name: name.to_string(),
            value: value.to_string(),
            allowed: allowed.to_string(),
        }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(path: impl Into<std::path::PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidParameter {
                name,
                value,
                allowed,
            } => write!(f, "parameter `{name}` = {value} is not allowed: {allowed}"),
            Error::Record(m) => write!(f, "recorder: {m}"),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
