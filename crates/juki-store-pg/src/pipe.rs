//! A bulk load into a new store with its connection on a thread of its own, so that the
//! server takes one part of the load while the engine works out the next in memory.
//!
//! The loading thread sends [`Cmd`]s down a bounded channel; the connection's thread
//! ([`serve`]) carries them out in order, one transaction per batch as before: it begins the
//! batch's transaction (checking that the journal's head is where the load left it), streams
//! the journal's rows with `COPY` in chunks of about 1 MiB as they are encoded, runs the few
//! queries the engine needs (their answers come back on a second bounded channel), writes the
//! batch's residents and counts, and commits. At most two batches are uncommitted at a time.
//! Either side's error stops both: the connection's thread returns it (rolling back its open
//! transaction) and the loading thread, finding the channel closed, joins it.

use crate::rows::Value;
use crate::{Db, Statements, txn};
use juki_store::StoreError;
use postgres::types::ToSql;
use postgres::{Client, Row, Transaction};
use std::cell::Cell;
use std::io::Write;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Work run on the connection's thread inside the open transaction; its rows and the count of
/// rows it changed.
pub(crate) type Job =
    Box<dyn FnOnce(&mut Transaction<'_>, &mut Statements) -> Result<Answer, StoreError> + Send>;

/// What a [`Job`] read: the rows, and how many rows it changed.
pub(crate) type Answer = (Vec<Row>, u64);

pub(crate) enum Cmd {
    /// Begin a batch's transaction; the journal's head must be `head`.
    Begin {
        head: u64,
    },
    /// Run a job and answer with its result.
    Run(Job),
    /// Run a job without answering: an error ends the load.
    Exec(Job),
    /// Open a `COPY … FROM STDIN` and send its first bytes; [`Cmd::Data`] follow, then
    /// [`Cmd::End`].
    Copy {
        sql: String,
        bytes: Vec<u8>,
    },
    Data(Vec<u8>),
    End,
    /// Commit the batch and answer [`Reply::Committed`].
    Commit,
}

pub(crate) enum Reply {
    Ran(Result<Answer, StoreError>),
    Committed,
}

/// The loading thread's end of the connection.
pub(crate) struct Link {
    cmds: SyncSender<Cmd>,
    replies: Receiver<Reply>,
    /// Commits answered while waiting for a job's answer, not yet taken.
    committed: Cell<usize>,
    /// Whether a `COPY` is open.
    copying: Cell<bool>,
}

/// What the loading thread sees when the connection's thread has stopped; that thread's own
/// error is the one reported.
fn stopped() -> StoreError {
    StoreError::Io("the bulk load's connection stopped".into())
}

/// The channels between the two threads.
pub(crate) fn channels() -> (Link, Receiver<Cmd>, SyncSender<Reply>) {
    // Two commands ahead (a journal chunk of about 1 MiB, or a batch's residents, about 40
    // bytes each); at most two commits and one job's answer are ever waiting to be read.
    let (cmds, cmd_rx) = sync_channel(2);
    let (reply_tx, replies) = sync_channel(4);
    let link = Link {
        cmds,
        replies,
        committed: Cell::new(0),
        copying: Cell::new(false),
    };
    (link, cmd_rx, reply_tx)
}

impl Link {
    fn send(&self, cmd: Cmd) -> Result<(), StoreError> {
        self.cmds.send(cmd).map_err(|_| stopped())
    }

    pub(crate) fn begin(&self, head: u64) -> Result<(), StoreError> {
        self.send(Cmd::Begin { head })
    }

    pub(crate) fn commit(&self) -> Result<(), StoreError> {
        self.send(Cmd::Commit)
    }

    /// Waits until the oldest batch not yet seen committed has committed.
    pub(crate) fn committed(&self) -> Result<(), StoreError> {
        if self.committed.get() > 0 {
            self.committed.set(self.committed.get() - 1);
            return Ok(());
        }
        match self.replies.recv() {
            Ok(Reply::Committed) => Ok(()),
            Ok(Reply::Ran(_)) => Err(StoreError::Io("an answer nobody asked for".into())),
            Err(_) => Err(stopped()),
        }
    }

    /// Runs `sql` with `params` in the batch's transaction: a query's rows, a statement's count.
    pub(crate) fn run(&self, sql: &str, params: &[Value<'_>]) -> Result<Answer, StoreError> {
        let sql = sql.to_string();
        let params: Vec<Owned> = params.iter().map(Owned::of).collect();
        self.send(Cmd::Run(Box::new(move |tx, statements| {
            let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(Owned::param).collect();
            run(tx, statements, &sql, &refs)
        })))?;
        loop {
            match self.replies.recv() {
                Ok(Reply::Ran(answer)) => return answer,
                Ok(Reply::Committed) => self.committed.set(self.committed.get() + 1),
                Err(_) => return Err(stopped()),
            }
        }
    }

    /// Runs `job` in the batch's transaction; its error stops the load.
    pub(crate) fn exec(&self, job: Job) -> Result<(), StoreError> {
        self.send(Cmd::Exec(job))
    }

    /// Sends rows of the `COPY` `sql`, opening it first if needed.
    pub(crate) fn copy(&self, sql: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        match self.copying.replace(true) {
            true => self.send(Cmd::Data(bytes)),
            false => self.send(Cmd::Copy {
                sql: sql.to_string(),
                bytes,
            }),
        }
    }

    /// Closes the channel to the connection's thread, which then ends.
    pub(crate) fn close(self) -> Closed {
        Closed {
            replies: self.replies,
            committed: self.committed.get(),
        }
    }

    /// Whether a `COPY` is open.
    pub(crate) fn copying(&self) -> bool {
        self.copying.get()
    }

    /// Ends the open `COPY`, if any.
    pub(crate) fn end_copy(&self) -> Result<(), StoreError> {
        match self.copying.replace(false) {
            true => self.send(Cmd::End),
            false => Ok(()),
        }
    }
}

/// Runs `sql` (prepared once per connection) with `params` in `tx`: a query's rows, a
/// statement's count.
pub(crate) fn run(
    tx: &mut Transaction<'_>,
    statements: &mut Statements,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Answer, StoreError> {
    let st = statements.get(tx, sql)?;
    match st.columns().is_empty() {
        true => Ok((Vec::new(), tx.execute(&st, params).db()?)),
        false => Ok((tx.query(&st, params).db()?, 0)),
    }
}

/// What the connection's thread answered after the loading thread stopped waiting.
pub(crate) struct Closed {
    replies: Receiver<Reply>,
    committed: usize,
}

impl Closed {
    /// How many batches committed that the loading thread has not seen committed; read once
    /// the connection's thread has ended.
    pub(crate) fn committed(&self) -> usize {
        let later = self.replies.try_iter();
        self.committed + later.filter(|r| matches!(r, Reply::Committed)).count()
    }
}

/// A parameter as sent to the connection's thread.
enum Owned {
    Int(Option<i64>),
    Text(Option<String>),
}

impl Owned {
    fn of(v: &Value<'_>) -> Owned {
        match v {
            Value::Int(i) => Owned::Int(*i),
            Value::Text(t) => Owned::Text(t.map(str::to_string)),
        }
    }

    fn param(&self) -> &(dyn ToSql + Sync) {
        match self {
            Owned::Int(v) => v,
            Owned::Text(v) => v,
        }
    }
}

/// The connection's thread: carries out `cmds` until the loading thread drops its end.
pub(crate) fn serve(
    client: &mut Client,
    statements: &mut Statements,
    cmds: Receiver<Cmd>,
    replies: SyncSender<Reply>,
) -> Result<(), StoreError> {
    let out_of_order = || StoreError::Io("bulk load commands out of order".into());
    while let Ok(cmd) = cmds.recv() {
        let Cmd::Begin { head } = cmd else {
            return Err(out_of_order());
        };
        let (mut tx, found) = txn::begin(client)?;
        if found != head {
            // Another writer appended between two batches of a load into a new store.
            return Err(StoreError::Busy);
        }
        loop {
            match cmds.recv() {
                Ok(Cmd::Run(job)) => {
                    let answer = job(&mut tx, statements);
                    let failed = answer.is_err();
                    // The loading thread reports the error it is sent.
                    if replies.send(Reply::Ran(answer)).is_err() || failed {
                        return Ok(());
                    }
                }
                Ok(Cmd::Exec(job)) => {
                    job(&mut tx, statements)?;
                }
                Ok(Cmd::Copy { sql, bytes }) => copy(&mut tx, &sql, bytes, &cmds)?,
                Ok(Cmd::Commit) => {
                    tx.commit().db()?;
                    if replies.send(Reply::Committed).is_err() {
                        return Ok(());
                    }
                    break;
                }
                Ok(_) => return Err(out_of_order()),
                // The load stopped on its side: the transaction rolls back.
                Err(_) => return Ok(()),
            }
        }
    }
    Ok(())
}

/// One `COPY`: `bytes`, then each [`Cmd::Data`] until [`Cmd::End`].
fn copy(
    tx: &mut Transaction<'_>,
    sql: &str,
    bytes: Vec<u8>,
    cmds: &Receiver<Cmd>,
) -> Result<(), StoreError> {
    let sent = |e: std::io::Error| StoreError::Unreachable(e.to_string());
    let mut w = tx.copy_in(sql).db()?;
    w.write_all(&bytes).map_err(sent)?;
    loop {
        match cmds.recv() {
            Ok(Cmd::Data(bytes)) => w.write_all(&bytes).map_err(sent)?,
            Ok(Cmd::End) => break,
            Ok(_) => return Err(StoreError::Io("bulk load commands out of order".into())),
            // Dropping the writer without finishing aborts the COPY.
            Err(_) => return Ok(()),
        }
    }
    w.finish().db()?;
    Ok(())
}
