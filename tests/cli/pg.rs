//! A throwaway PostgreSQL cluster for the tests, started by the tests themselves: `initdb` into
//! a temporary directory and `pg_ctl` listening only on a Unix socket in that directory, run as
//! a user other than root (initdb refuses root; as root the cluster runs as `postgres` or
//! `nobody`), stopped and removed when the test process exits. Each test gets a database of
//! its own in it, set up with `breach store init`.
//!
//! Without `initdb` on the machine the PostgreSQL tests say so and pass, unless
//! `BREACH_REQUIRE_POSTGRES=1` (set by `.ci/run`, which installs Debian's `postgresql`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

/// The running cluster.
#[derive(Debug)]
pub struct Cluster {
    /// The directory holding the data directory, the socket and the server's log.
    pub dir: PathBuf,
    bin: PathBuf,
    /// The user the server runs as, when the tests run as root.
    run_as: Option<String>,
    /// Whether this is a test's own cluster, stopped when dropped.
    private: bool,
    /// Settings added to the server's command line (TCP and TLS for the TLS tests).
    extra: String,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.private {
            let _ = as_user(self.run_as.as_deref(), &self.bin, "pg_ctl")
                .arg("-D")
                .arg(self.dir.join("data"))
                .args(["-m", "immediate", "-w", "stop"])
                .output();
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
/// The pipe to the watcher that stops the cluster: held open for the life of the test process.
static WATCHER: Mutex<Option<std::process::ChildStdin>> = Mutex::new(None);
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// The cluster, started on first use; `None` when PostgreSQL is not installed (and not
/// required).
pub fn cluster() -> Option<&'static Cluster> {
    CLUSTER
        .get_or_init(|| {
            let Some(bin) = find_bin() else {
                assert!(
                    std::env::var_os("BREACH_REQUIRE_POSTGRES").is_none(),
                    "BREACH_REQUIRE_POSTGRES is set but initdb is not installed"
                );
                eprintln!("note: initdb not found; the PostgreSQL tests are skipped");
                return None;
            };
            let dir = PathBuf::from(format!("/tmp/breach-pg-{}", std::process::id()));
            let cluster = Cluster::init(bin, dir);
            cluster.pg_ctl_start();
            stop_when_this_process_ends(&cluster);
            Some(cluster)
        })
        .as_ref()
}

/// Where `initdb` and `pg_ctl` are: on PATH, or Debian's versioned directory.
fn find_bin() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|p| p.join("initdb").is_file() && p.join("pg_ctl").is_file())
    });
    on_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| Some(e.ok()?.path().join("bin")))
            .filter(|p| p.join("initdb").is_file())
            .collect();
        versions.sort();
        versions.pop()
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A command from the cluster's binaries, as the cluster's user.
fn as_user(run_as: Option<&str>, bin: &Path, program: &str) -> Command {
    match run_as {
        Some(user) => {
            let runuser = ["/usr/sbin/runuser", "/sbin/runuser"]
                .into_iter()
                .find(|p| Path::new(p).is_file())
                .unwrap_or("runuser");
            let mut cmd = Command::new(runuser);
            cmd.args(["-u", user, "--"]).arg(bin.join(program));
            cmd
        }
        None => Command::new(bin.join(program)),
    }
}

impl Cluster {
    /// A cluster of the test's own, for a test that restarts the server (the shared one serves
    /// tests running at the same time); stopped and removed when dropped.
    pub fn private(name: &str) -> Option<Cluster> {
        cluster()?;
        let dir = PathBuf::from(format!("/tmp/breach-pg-{}-{name}", std::process::id()));
        let mut cluster = Cluster::init(find_bin()?, dir);
        cluster.private = true;
        cluster.pg_ctl_start();
        Some(cluster)
    }

    /// A cluster of the test's own that also listens on 127.0.0.1 and takes only TLS there,
    /// with a certificate for `localhost` from a throwaway authority; returns it, its port and
    /// the authority's certificate.
    pub fn private_tls(name: &str) -> Option<(Cluster, u16, PathBuf)> {
        cluster()?;
        let dir = PathBuf::from(format!("/tmp/breach-pg-{}-{name}", std::process::id()));
        let mut cluster = Cluster::init(find_bin()?, dir);
        cluster.private = true;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let d = &cluster.dir;
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(d)
                .output()
                .expect("openssl");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=breach test authority",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ]);
        std::fs::write(d.join("ext"), "subjectAltName=DNS:localhost\n").unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext",
        ]);
        std::fs::write(
            d.join("data").join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
        )
        .unwrap();
        if let Some(user) = &cluster.run_as {
            for file in ["server.key", "server.pem"] {
                Command::new("chown")
                    .arg(user)
                    .arg(d.join(file))
                    .status()
                    .unwrap();
            }
        }
        Command::new("chmod")
            .arg("600")
            .arg(d.join("server.key"))
            .status()
            .unwrap();
        cluster.extra = format!(
            " -c listen_addresses=127.0.0.1 -c port={port} -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
            d.join("server.pem").display(),
            d.join("server.key").display()
        );
        cluster.pg_ctl_start();
        let ca = d.join("ca.pem");
        Some((cluster, port, ca))
    }

    fn init(bin: PathBuf, dir: PathBuf) -> Cluster {
        let run_as = is_root().then(|| {
            if Command::new("id")
                .arg("postgres")
                .output()
                .is_ok_and(|o| o.status.success())
            {
                "postgres".to_owned()
            } else {
                "nobody".to_owned()
            }
        });
        // A short path (a Unix socket's path is limited to about 100 bytes).
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).expect("cluster dir");
        if let Some(user) = &run_as {
            let ok = Command::new("chown")
                .arg(user)
                .arg(&dir)
                .status()
                .expect("chown")
                .success();
            assert!(ok, "chown {} to {user}", dir.display());
        }
        let data = dir.join("data");
        let out = as_user(run_as.as_deref(), &bin, "initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"])
            .env("LC_ALL", "C")
            .output()
            .expect("initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Cluster {
            dir,
            bin,
            run_as,
            private: false,
            extra: String::new(),
        }
    }

    fn pg_ctl_start(&self) {
        let out = as_user(self.run_as.as_deref(), &self.bin, "pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .arg("-o")
            .arg(format!(
                "-c listen_addresses='' -c unix_socket_directories={} -c max_connections=200{}",
                self.dir.display(),
                self.extra
            ))
            .args(["-w", "-t", "60", "start"])
            .output()
            .expect("pg_ctl start");
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
        );
    }

    /// Stops the server (`fast`: sessions are cut off, as in a restart by an administrator) and
    /// starts it again.
    pub fn restart(&self) {
        let out = as_user(self.run_as.as_deref(), &self.bin, "pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "fast", "-w", "stop"])
            .output()
            .expect("pg_ctl stop");
        assert!(out.status.success(), "pg_ctl stop failed");
        self.pg_ctl_start();
    }

    /// The connection string of `db` as `user`.
    pub fn url(&self, user: &str, db: &str) -> String {
        format!("postgresql://{user}@/{db}?host={}", self.dir.display())
    }

    /// A client connected to `db` as the superuser.
    pub fn admin(&self, db: &str) -> postgres::Client {
        postgres::Config::new()
            .host_path(&self.dir)
            .user("postgres")
            .dbname(db)
            .connect(postgres::NoTls)
            .expect("connect as postgres")
    }

    /// A new empty database; returns its name.
    pub fn create_database(&self) -> String {
        let name = format!("t{}", NEXT_DB.fetch_add(1, Ordering::SeqCst));
        self.admin("postgres")
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        name
    }
}

/// Stops the cluster and removes its directory when the test process exits.
fn stop_when_this_process_ends(cluster: &Cluster) {
    // A watcher reads its standard input, a pipe only this process holds (Rust opens pipes
    // close-on-exec, so no `breach` it starts inherits it). However this process ends, even
    // killed, the kernel closes the pipe, the read returns, and the watcher stops the cluster.
    let quote = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', r"'\''"));
    let pg_ctl = quote(&cluster.bin.join("pg_ctl"));
    let data = quote(&cluster.dir.join("data"));
    let stop = match cluster.run_as.as_deref() {
        Some(user) => format!("runuser -u {user} -- {pg_ctl} -D {data} -m immediate -w stop"),
        None => format!("{pg_ctl} -D {data} -m immediate -w stop"),
    };
    let script = format!(
        "read -r _; {stop} >/dev/null 2>&1; rm -rf {}",
        quote(&cluster.dir)
    );
    // Never waited for: it outlives this process by design.
    #[allow(clippy::zombie_processes)]
    let watcher = Command::new("sh")
        .args(["-c", &script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the cluster's watcher");
    *WATCHER.lock().unwrap() = watcher.stdin;
}
