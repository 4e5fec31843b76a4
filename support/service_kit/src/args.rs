//! The command line every case-study binary shares, and its readiness line.
//!
//! ```text
//! url_shortener --addr 127.0.0.1:0 --data-dir /tmp/d --clock-file /tmp/d/now --fsync always
//! listening on 127.0.0.1:41877
//! ```

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The address a service binds when `--addr` is not given: loopback, any free port.
pub const DEFAULT_ADDR: &str = "127.0.0.1:0";

/// The flags of a service binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceArgs {
    /// `--addr`: where to listen (default `127.0.0.1:0`).
    pub addr: SocketAddr,
    /// `--data-dir`: where the service keeps its durable state, if it has any.
    pub data_dir: Option<PathBuf>,
    /// `--clock-file`: run on the time this file holds (see [`crate::FileClock`])
    /// instead of the system clock.
    pub clock_file: Option<PathBuf>,
    /// Every other `--name value` pair, for the service's own settings.
    pub settings: BTreeMap<String, String>,
}

impl ServiceArgs {
    /// Parses the process's own arguments.
    pub fn from_env() -> Result<Self, String> {
        Self::parse(std::env::args_os().skip(1))
    }

    /// Parses `--name value` pairs (the program name already removed).
    pub fn parse(args: impl IntoIterator<Item = impl Into<OsString>>) -> Result<Self, String> {
        let mut parsed = ServiceArgs {
            addr: DEFAULT_ADDR.parse().expect("the default address parses"),
            data_dir: None,
            clock_file: None,
            settings: BTreeMap::new(),
        };
        let mut args = args.into_iter().map(Into::into);
        while let Some(flag) = args.next() {
            let flag = flag
                .into_string()
                .map_err(|f| format!("{f:?} is not a flag: flags are UTF-8, `--name value`"))?;
            let Some(name) = flag.strip_prefix("--").filter(|n| !n.is_empty()) else {
                return Err(format!("`{flag}` is not a flag: expected `--name value`"));
            };
            let value = args
                .next()
                .ok_or_else(|| format!("`{flag}` needs a value"))?;
            match name {
                "addr" => {
                    let text = value.to_string_lossy();
                    parsed.addr = text
                        .parse()
                        .map_err(|e| format!("--addr {text}: {e} (expected e.g. 127.0.0.1:0)"))?;
                }
                "data-dir" => parsed.data_dir = Some(value.into()),
                "clock-file" => parsed.clock_file = Some(value.into()),
                _ => {
                    let value = value
                        .into_string()
                        .map_err(|v| format!("--{name} {v:?}: values are UTF-8"))?;
                    if parsed.settings.insert(name.to_owned(), value).is_some() {
                        return Err(format!("`--{name}` is given twice"));
                    }
                }
            }
        }
        Ok(parsed)
    }

    /// The `--data-dir`, or an error naming the flag.
    pub fn require_data_dir(&self) -> Result<PathBuf, String> {
        self.data_dir
            .clone()
            .ok_or_else(|| "--data-dir is required: the service keeps its data there".to_owned())
    }

    /// A `--name value` setting parsed as `T`, or `default` when it is absent.
    pub fn setting<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String>
    where
        T::Err: std::fmt::Display,
    {
        match self.settings.get(name) {
            None => Ok(default),
            Some(text) => text.parse().map_err(|e| format!("--{name} {text}: {e}")),
        }
    }
}

/// The readiness line for a bound address, exactly as [`announce`] prints it.
pub fn readiness_line(addr: SocketAddr) -> String {
    format!("listening on {addr}")
}

/// Prints the readiness line for `listener` and flushes stdout, so a parent
/// waiting on the pipe sees it at once. Call it after binding, before serving:
/// connections that arrive in between wait in the listen backlog.
pub fn announce(listener: &tokio::net::TcpListener) -> std::io::Result<SocketAddr> {
    let addr = listener.local_addr()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", readiness_line(addr))?;
    out.flush()?;
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_settings() {
        let args = ServiceArgs::parse(["--data-dir", "/d", "--fsync", "always"]).unwrap();
        assert_eq!(args.addr.to_string(), "127.0.0.1:0");
        assert_eq!(args.data_dir, Some(PathBuf::from("/d")));
        assert_eq!(args.clock_file, None);
        assert_eq!(args.setting("fsync", "never".to_owned()).unwrap(), "always");
        assert_eq!(args.setting("cache", 16_u32).unwrap(), 16);
    }

    #[test]
    fn bad_input_is_named() {
        let no_value = ServiceArgs::parse(["--addr"]).unwrap_err();
        assert!(no_value.contains("--addr"), "{no_value}");
        let bad_addr = ServiceArgs::parse(["--addr", "localhost"]).unwrap_err();
        assert!(bad_addr.contains("127.0.0.1:0"), "{bad_addr}");
        let not_flag = ServiceArgs::parse(["addr"]).unwrap_err();
        assert!(not_flag.contains("--name value"), "{not_flag}");
        let twice = ServiceArgs::parse(["--k", "1", "--k", "2"]).unwrap_err();
        assert!(twice.contains("twice"), "{twice}");
        let args = ServiceArgs::parse(["--cache", "many"]).unwrap();
        assert!(
            args.setting("cache", 1_u32)
                .unwrap_err()
                .contains("--cache many")
        );
        assert!(args.require_data_dir().unwrap_err().contains("--data-dir"));
    }
}
