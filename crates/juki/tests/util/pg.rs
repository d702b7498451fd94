//! The shared PostgreSQL server of the tests (127.0.0.1:5432, trust auth) and databases of a
//! test's own on it.

/// The server, without a database.
pub const SERVER: &str = "postgres://postgres@127.0.0.1:5432";

/// A database name of this test's own, dropped at the end whatever happens (it need not have
/// been created: juki creates the database a store URL names).
pub struct Database(pub String);

impl Database {
    /// `juki_PREFIX_PID_N`: unique to this process and this call.
    pub fn named(prefix: &str) -> Database {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Database(format!("juki_{prefix}_{}_{n}", std::process::id()))
    }

    /// Creates the database (empty) and returns it.
    pub fn created(self) -> Database {
        let mut c =
            postgres::Client::connect(&format!("{SERVER}/postgres"), postgres::NoTls).unwrap();
        c.batch_execute(&format!("CREATE DATABASE \"{}\"", self.0))
            .unwrap();
        self
    }

    /// The database's URL.
    pub fn url(&self) -> String {
        format!("{SERVER}/{}", self.0)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&format!("{SERVER}/postgres"), postgres::NoTls)
        {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.0
            ));
        }
    }
}
