//! A private PostgreSQL server for tests: Debian's `postgresql` package (installed by `cargo
//! xtask setup`), a cluster in a temporary directory, reachable only on a Unix socket there, run
//! as a non-root user (`postgres` when the tests run as root: `initdb` refuses root), with
//! password authentication, stopped and removed when dropped.

use sqlx::postgres::PgConnectOptions;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The superuser-free owner the cluster is created with: it may create databases and roles, as
/// the owner of a hosted database usually may.
pub const OWNER: &str = "dealdesk_owner";
/// The password of the cluster's superuser and of the owner (a throwaway cluster).
const PASSWORD: &str = "password-for-a-throwaway-cluster";

pub struct PrivatePostgres {
    dir: tempfile::TempDir,
    port: u16,
    bin: PathBuf,
    run_as: Option<&'static str>,
}

impl PrivatePostgres {
    /// Creates and starts the cluster; a second of `initdb` and a start.
    pub fn start() -> Result<PrivatePostgres, String> {
        let bin = server_bin()?;
        let dir = tempfile::Builder::new().prefix("dealdesk-pg-").tempdir().map_err(|e| e.to_string())?;
        let run_as = is_root().then_some("postgres");
        let port = free_port()?;
        if let Some(user) = run_as {
            run(Command::new("chown").args(["-R", user]).arg(dir.path()))?;
        }
        let server = PrivatePostgres { dir, port, bin, run_as };
        let data = server.dir.path().join("data");
        // The superuser's password through a pipe the server's user opens itself (a pipe made by
        // root would be closed to it): nothing secret is written beside the cluster.
        let mut initdb = server.command("sh");
        initdb
            .args(["-c", "printf %s \"$DEALDESK_PG_PASSWORD\" | \"$0\" \"$@\""])
            .arg(server.bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--pwfile=/dev/stdin", "-A", "scram-sha-256", "-E", "UTF8", "--no-sync"])
            .env("DEALDESK_PG_PASSWORD", PASSWORD);
        run(&mut initdb)?;
        server.start_server()?;
        Ok(server)
    }

    /// Runs `sql` as the cluster's superuser through `psql` (setting the test up, never the code
    /// under test): the owner role is made here.
    pub fn superuser_sql(&self, database: &str, sql: &str) -> Result<String, String> {
        let socket = self.dir.path().display().to_string();
        let port = self.port.to_string();
        let mut command = self.command("psql");
        command
            .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", &socket, "-p", &port, "-U", "postgres"])
            .args(["-d", database, "-c", sql])
            .env("PGPASSWORD", PASSWORD);
        run(&mut command)
    }

    /// The owner of a fresh, empty database `name`: a role with CREATEROLE, not a superuser.
    pub fn owner_database(&self, name: &str) -> Result<PgConnectOptions, String> {
        self.superuser_sql(
            "postgres",
            &format!(
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{OWNER}') THEN \
                 CREATE ROLE {OWNER} LOGIN CREATEROLE PASSWORD '{PASSWORD}'; END IF; END $$"
            ),
        )?;
        self.superuser_sql("postgres", &format!("CREATE DATABASE {name} OWNER {OWNER}"))?;
        Ok(self.connect_as(OWNER, PASSWORD, name))
    }

    /// The owner's URL for database `database` (made by [`Self::owner_database`]) and its
    /// password, as a user gives them to `team init`.
    pub fn owner_url(&self, database: &str) -> (String, String) {
        let dir = self.dir.path().display().to_string();
        let host: String = url::form_urlencoded::byte_serialize(dir.as_bytes()).collect();
        (format!("postgres://{OWNER}@localhost:{}/{database}?host={host}", self.port), PASSWORD.to_string())
    }

    /// How to reach database `database` as `role`.
    pub fn connect_as(&self, role: &str, password: &str, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(self.dir.path())
            .port(self.port)
            .username(role)
            .password(password)
            .database(database)
    }

    /// The directory holding the socket (the "host" of a join code here).
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `program` from the server's binaries (or `sh`), as the server's user.
    fn command(&self, program: &str) -> Command {
        let path = if program == "sh" { PathBuf::from("/bin/sh") } else { self.bin.join(program) };
        match self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(path);
                command
            }
            None => Command::new(path),
        }
    }

    fn start_server(&self) -> Result<(), String> {
        let data = self.dir.path().join("data");
        let options = format!("-k {} -p {} -c listen_addresses= -c fsync=off", self.dir.path().display(), self.port);
        self.pg(
            "pg_ctl",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-o".as_ref(),
                options.as_ref(),
                "-l".as_ref(),
                self.dir.path().join("log").as_os_str(),
                "-w".as_ref(),
                "start".as_ref(),
            ],
        )?;
        Ok(())
    }

    /// Stops the server, as a hub that goes away (its data stays for [`Self::resume`]).
    pub fn pause(&self) -> Result<(), String> {
        let data = self.dir.path().join("data");
        self.pg(
            "pg_ctl",
            &["-D".as_ref(), data.as_os_str(), "-m".as_ref(), "fast".as_ref(), "-w".as_ref(), "stop".as_ref()],
        )?;
        Ok(())
    }

    /// Starts the server again after [`Self::pause`].
    pub fn resume(&self) -> Result<(), String> {
        self.start_server()
    }

    fn pg(&self, program: &str, args: &[&std::ffi::OsStr]) -> Result<String, String> {
        run(self.command(program).args(args))
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let stopped = self.pg(
            "pg_ctl",
            &["-D".as_ref(), data.as_os_str(), "-m".as_ref(), "immediate".as_ref(), "-w".as_ref(), "stop".as_ref()],
        );
        if let Err(error) = stopped {
            tracing::warn!(%error, "the private PostgreSQL did not stop");
        }
    }
}

/// The newest server version's binaries Debian installed (`/usr/lib/postgresql/15/bin`).
fn server_bin() -> Result<PathBuf, String> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .map_err(|_| "PostgreSQL is not installed: run `cargo xtask setup` (Debian's postgresql package)".to_string())?
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let version = path.file_name()?.to_str()?.parse().ok()?;
            path.join("bin/initdb").exists().then(|| (version, path.join("bin")))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).ok_or_else(|| format!("no initdb under {}", root.display()))
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// A port number free now: the server listens on no TCP port, but names its socket by it.
fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn run(command: &mut Command) -> Result<String, String> {
    let out = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    finished(command, out)
}

fn finished(command: &Command, out: std::process::Output) -> Result<String, String> {
    if !out.status.success() {
        return Err(format!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}
