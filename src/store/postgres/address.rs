//! A PostgreSQL store's address: the connection string parsed as libpq users write it, how TLS
//! is used for each host, the connection itself with its time-outs, and the address as people
//! see it (never with a password).

use super::*;

/// What libpq fills in when a connection string leaves it out (the local socket, the login
/// name as user and database, `PGPASSWORD`), and the time-outs every command relies on.
fn fill_in_defaults(config: &mut postgres::Config) {
    if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
        config.host_path("/var/run/postgresql");
    }
    if config.get_user().is_none() {
        let user = std::env::var("PGUSER")
            .or_else(|_| std::env::var("USER"))
            .unwrap_or_else(|_| "postgres".to_owned());
        config.user(&user);
    }
    if config.get_dbname().is_none() {
        let user = config.get_user().unwrap_or("postgres").to_owned();
        config.dbname(&user);
    }
    if config.get_password().is_none()
        && let Ok(password) = std::env::var("PGPASSWORD")
    {
        config.password(password);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_tcp_user_timeout().is_none() {
        // A server that vanishes mid-command (a network cut) ends the command instead of
        // leaving it waiting on data that is never acknowledged.
        config.tcp_user_timeout(TCP_USER_TIMEOUT);
    }
    config.application_name("breach");
}

/// What every session sets before its first statement: how long an append waits for another
/// writer of the same incident, and that a transaction left idle (a client that vanished while
/// holding a lock) is ended.
pub(crate) const SESSION_SETTINGS: &str =
    "SET lock_timeout = '30s'; SET idle_in_transaction_session_timeout = '10min'";

/// A connection string as people see it: without its password.
pub(crate) fn shown(url: &str) -> String {
    Address::parse(url).map_or_else(|_| "a PostgreSQL store".to_owned(), |a| a.shown)
}

/// Where the organisation's own files (profile, runbooks, templates) live on this machine for
/// a database store: a private directory of the user's, one per database.
pub(crate) fn files_dir(url: &str) -> PathBuf {
    let shown = Address::parse(url).map_or_else(|_| url.to_owned(), |a| a.shown);
    let key = hex::encode(&Sha256::digest(shown.as_bytes())[..8]);
    crate::store::default_root().join("postgresql").join(key)
}

/// A parsed connection string: the settings for the client, how TLS is used, and the address
/// as people see it (never with a password).
#[derive(Clone)]
pub(crate) struct Address {
    pub(super) config: postgres::Config,
    pub(super) tls: tls::Mode,
    /// `postgresql://user@host:port/dbname`, for messages and `--json`.
    pub shown: String,
    /// Every host (with its `hostaddr` where one is given), for "cannot reach" messages.
    pub(super) host: String,
}

impl std::fmt::Debug for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

/// Every host a connection string may reach, classified before TLS is relaxed for any: a
/// string is local only when every host is a Unix socket or a loopback name, and every
/// `hostaddr` (which libpq connects to instead of the name) a loopback address.
struct Hosts {
    /// Every host is a Unix socket (which never carries TLS).
    unix: bool,
    /// Every host is reached on this machine.
    local: bool,
    /// Each host as people read it, with its `hostaddr` where one is given.
    shown: Vec<String>,
    /// Each TCP host with its port where that is not 5432, for the shown address.
    with_ports: Vec<String>,
}

impl Hosts {
    fn of(config: &postgres::Config) -> Hosts {
        use postgres::config::Host;
        let addrs = config.get_hostaddrs();
        let ports = config.get_ports();
        let mut hosts = Hosts {
            unix: true,
            local: addrs.iter().all(std::net::IpAddr::is_loopback),
            shown: Vec::new(),
            with_ports: Vec::new(),
        };
        let count = config.get_hosts().len().max(addrs.len());
        for n in 0..count {
            let addr = addrs.get(n);
            let name = match config.get_hosts().get(n) {
                Some(Host::Unix(path)) if addr.is_none() => {
                    hosts.shown.push(path.display().to_string());
                    continue;
                }
                Some(Host::Unix(path)) => path.display().to_string(),
                Some(Host::Tcp(name)) => name.clone(),
                None => String::new(),
            };
            hosts.unix = false;
            hosts.local &= addr.is_some()
                || matches!(name.as_str(), "localhost" | "127.0.0.1" | "::1" | "[::1]");
            let shown = match (name.is_empty(), addr) {
                (false, Some(a)) => format!("{name} (hostaddr {a})"),
                (true, Some(a)) => a.to_string(),
                (_, None) => name.clone(),
            };
            let port = ports.get(n).or(ports.first()).copied().unwrap_or(5432);
            let bare = if name.is_empty() {
                addr.map(ToString::to_string).unwrap_or_default()
            } else {
                name
            };
            hosts.with_ports.push(if port == 5432 {
                bare
            } else {
                format!("{bare}:{port}")
            });
            hosts.shown.push(shown);
        }
        hosts
    }
}

impl Address {
    /// Parses a `postgresql://` connection string as libpq users write it, including a
    /// Unix-socket host (`?host=/path` or a percent-encoded path), `sslmode` (`disable`,
    /// `allow`, `prefer`, `require`, `verify-ca`, `verify-full`) and `sslrootcert`. A password
    /// may be in the string or in `PGPASSWORD`; it is never shown.
    pub(crate) fn parse(url: &str) -> Result<Address, Error> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut kept = Vec::new();
        let mut sslmode = None;
        let mut root_cert = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "sslmode" => sslmode = Some(percent_decode(value)),
                "sslrootcert" => root_cert = Some(PathBuf::from(percent_decode(value))),
                _ => kept.push(pair),
            }
        }
        let stripped = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        let without_password = redact(url);
        let mut config: postgres::Config = stripped.parse().map_err(|e| {
            Error::input(format!(
                "--store {without_password}: not a PostgreSQL connection string: {e}"
            ))
        })?;
        fill_in_defaults(&mut config);
        let hosts = Hosts::of(&config);
        let host = hosts.shown.join(",");
        let tls = tls::Mode::choose(
            sslmode.as_deref(),
            root_cert,
            hosts.unix,
            hosts.local,
            &host,
        )?;
        config.ssl_mode(tls.ssl_mode());
        let shown = if hosts.unix {
            format!(
                "postgresql://{}@/{}?host={host}",
                config.get_user().unwrap_or(""),
                config.get_dbname().unwrap_or("")
            )
        } else {
            format!(
                "postgresql://{}@{}/{}",
                config.get_user().unwrap_or(""),
                hosts.with_ports.join(","),
                config.get_dbname().unwrap_or("")
            )
        };
        Ok(Address {
            config,
            tls,
            shown,
            host,
        })
    }

    /// A new connection, with the session settings every command relies on.
    pub(crate) fn connect(&self) -> Result<Client, Error> {
        let mut client = self.connect_unset()?;
        client
            .batch_execute(SESSION_SETTINGS)
            .map_err(|e| self.error("set up the session", &e))?;
        Ok(client)
    }

    /// A connection whose session is not set up yet: the caller sends [`SESSION_SETTINGS`]
    /// with its first query, saving a round trip.
    pub(crate) fn connect_unset(&self) -> Result<Client, Error> {
        // The client library's timeout covers opening the socket only; a server that accepts
        // and then never answers would hold the command forever. The whole connection (TLS,
        // start-up, authentication) gets the same limit here.
        let limit = self
            .config
            .get_connect_timeout()
            .copied()
            .unwrap_or(CONNECT_TIMEOUT);
        let (sender, receiver) = std::sync::mpsc::channel();
        let (tls, config) = (self.tls.clone(), self.config.clone());
        std::thread::spawn(move || {
            let _ = sender.send(tls.connect(&config).map_err(|e| e.to_string()));
        });
        let connected = match receiver.recv_timeout(limit) {
            Ok(connected) => connected,
            Err(_) => Err(format!(
                "no answer within {} s (connect_timeout)",
                limit.as_secs()
            )),
        };
        connected.map_err(|e| {
            Error::database(
                format!(
                    "cannot reach the PostgreSQL store at {} (host {}): {e}",
                    self.shown, self.host
                ),
                Some(e.into()),
            )
        })
    }

    pub(super) fn error(&self, doing: &str, e: &postgres::Error) -> Error {
        Error::database(
            format!(
                "the PostgreSQL store at {} could not {doing}: {}",
                self.shown,
                one_line(e)
            ),
            Some(one_line(e).into()),
        )
    }
}

/// A database error as one line: the server's own message and hint where there is one.
pub(super) fn one_line(e: &postgres::Error) -> String {
    let text = match e.as_db_error() {
        Some(db) => match db.hint() {
            Some(hint) => format!("{} ({hint})", db.message()),
            None => db.message().to_owned(),
        },
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                let more = s.to_string();
                if !text.contains(&more) {
                    text = format!("{text}: {more}");
                }
                source = s.source();
            }
            text
        }
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The connection string with any password taken out, for messages about a string that did
/// not parse.
pub(super) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "the connection string".to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => format!("{}@{host}", user.split(':').next().unwrap_or("")),
        None => authority.to_owned(),
    };
    let tail: String = tail
        .split('&')
        .map(|p| {
            if p.trim_start_matches('?').starts_with("password=") {
                if p.starts_with('?') {
                    "?password=…"
                } else {
                    "password=…"
                }
                .to_owned()
            } else {
                p.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    format!("{scheme}://{authority}{tail}")
}

pub(super) fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = value
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
