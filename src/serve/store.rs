//! The SQLite store: raw deliveries, their events, folded job states and the
//! forward outbox, all written in one transaction per batch of deliveries.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::{JobEvent, JobState, Provider};

use super::Error;

/// Schema migrations, applied in order; `PRAGMA user_version` counts those
/// done. Never edit one that has shipped: append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        provider TEXT NOT NULL,
        hash BLOB NOT NULL,
        received_at INTEGER NOT NULL,
        body BLOB,
        duplicate_of INTEGER REFERENCES deliveries(id)
    );
    CREATE UNIQUE INDEX deliveries_first ON deliveries(provider, hash)
        WHERE duplicate_of IS NULL;
    CREATE INDEX deliveries_age ON deliveries(received_at) WHERE body IS NOT NULL;
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
        provider TEXT NOT NULL,
        job_id TEXT NOT NULL,
        status TEXT NOT NULL,
        applied TEXT NOT NULL,
        event TEXT NOT NULL
    );
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        provider TEXT NOT NULL,
        job_id TEXT NOT NULL,
        status TEXT NOT NULL,
        last_seq INTEGER NOT NULL,
        state TEXT NOT NULL,
        UNIQUE (provider, job_id)
    );
    CREATE INDEX jobs_status ON jobs(status, id);
    CREATE TABLE outbox (
        event_seq INTEGER PRIMARY KEY REFERENCES events(seq),
        provider TEXT NOT NULL,
        job_id TEXT NOT NULL,
        msg_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        last_error TEXT
    );
    CREATE INDEX outbox_job ON outbox(provider, job_id, state, event_seq);
    CREATE INDEX outbox_state ON outbox(state, event_seq);
    ",
];

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// What SQLite's `application_id` says of mjhook's stores ("mjhk"): a
/// database of another application is never written to.
const APPLICATION_ID: i64 = 0x6d6a_686b;

/// What opening a database that holds no store yet does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IfNew {
    /// Makes it a store (`mjhook serve`).
    Create,
    /// Refuses it (`mjhook outbox`, which only works on a gateway's store).
    Refuse,
}

/// The lock a running `mjhook serve` holds on its store until it exits: a
/// second server on the same store would forward each event twice.
///
/// It is an advisory lock on a file beside the database SQLite opened (its
/// real path, past symlinks and `file:` URIs: `mjhook.db-serve.lock`), not
/// on the database file, whose locks are SQLite's: closing another handle of
/// that file would drop them. The file stays when the lock is released.
#[derive(Debug)]
pub(crate) struct ServeLock {
    _file: std::fs::File,
}

/// Takes the [`ServeLock`] of the store `conn` has open, or says that another
/// server holds it. Where the file system cannot lock at all, the server
/// runs without the lock, with a warning.
pub(crate) fn lock_for_serve(conn: &Connection, store: &Path) -> Result<Option<ServeLock>, Error> {
    let database = conn
        .path()
        .filter(|path| !path.is_empty())
        .map(|path| std::fs::canonicalize(path).unwrap_or_else(|_| path.into()))
        .ok_or_else(|| {
            Error::UnusableStore(format!("the store {} is not a file", store.display()))
        })?;
    let mut lock_path = database.into_os_string();
    lock_path.push("-serve.lock");
    let lock_path = std::path::PathBuf::from(lock_path);
    let open = |write: bool| {
        std::fs::OpenOptions::new()
            .create(write)
            .truncate(false)
            .write(write)
            .read(!write)
            .open(&lock_path)
    };
    // A lock file another user left can still be locked for reading.
    let file = open(true)
        .or_else(|err| match err.kind() {
            std::io::ErrorKind::PermissionDenied => open(false),
            _ => Err(err),
        })
        .map_err(|err| {
            Error::UnusableStore(format!(
                "cannot open {}, the lock file of the store: {err}",
                lock_path.display()
            ))
        })?;
    match file.try_lock() {
        Ok(()) => Ok(Some(ServeLock { _file: file })),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::UnusableStore(format!(
            "the store {} is in use by another mjhook serve (it holds {}): one server per store, or each event would be forwarded twice",
            store.display(),
            lock_path.display()
        ))),
        Err(std::fs::TryLockError::Error(err)) if err.kind() == std::io::ErrorKind::Unsupported => {
            tracing::warn!(
                lock = %lock_path.display(),
                error = %err,
                "cannot lock the store's lock file here: nothing stops a second server on this store"
            );
            Ok(None)
        }
        Err(std::fs::TryLockError::Error(err)) => Err(Error::UnusableStore(format!(
            "cannot lock {}, the lock file of the store: {err}",
            lock_path.display()
        ))),
    }
}

/// Opens (creating and migrating, as `if_new` allows) the store. `durable`
/// selects `synchronous=FULL`; otherwise `OFF`.
pub(crate) fn open(path: &Path, durable: bool, if_new: IfNew) -> Result<Connection, Error> {
    let mut conn = Connection::open(path).map_err(|err| Error::store(path, err))?;
    // Before anything is written, not even the journal mode.
    check_owner(&conn, path, if_new)?;
    let setup = || -> rusqlite::Result<String> {
        conn.busy_timeout(Duration::from_secs(10))?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
        conn.pragma_update(None, "synchronous", if durable { "FULL" } else { "OFF" })?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(mode)
    };
    let mode = setup().map_err(|err| Error::store(path, err))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::UnusableStore(format!(
            "the store {} cannot use write-ahead logging (journal mode {mode})",
            path.display()
        )));
    }
    migrate(&mut conn).map_err(|err| match err {
        Error::Store { source, .. } => Error::store(path, source),
        other => other,
    })?;
    Ok(conn)
}

/// Refuses a database that is another application's: marked so, or holding
/// tables of its own and no store schema; and, unless `if_new` allows, one
/// that holds no store yet.
fn check_owner(conn: &Connection, path: &Path, if_new: IfNew) -> Result<(), Error> {
    let read = || -> rusqlite::Result<(i64, i64, i64, bool)> {
        let application: i64 = conn.query_row("PRAGMA application_id", [], |row| row.get(0))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        let tables: i64 =
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))?;
        // A store made before stores were marked has the first schema's.
        let first_schema: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('meta', 'deliveries')",
            [],
            |row| row.get(0),
        )?;
        Ok((application, version, tables, first_schema == 2))
    };
    let (application, version, tables, first_schema) =
        read().map_err(|err| Error::store(path, err))?;
    let unusable = |why: &str| {
        Err(Error::UnusableStore(format!(
            "{} is not an mjhook store: {why}",
            path.display()
        )))
    };
    match (application, version, tables) {
        (APPLICATION_ID, _, _) => Ok(()),
        (0, 1.., _) if first_schema => Ok(()),
        (0, 0, 0) if if_new == IfNew::Create => Ok(()),
        (0, 0, 0) => unusable("it holds no store yet (`mjhook serve --store` makes one)"),
        (0, _, _) => unusable("it holds another application's tables"),
        (other, _, _) => unusable(&format!("its application id is {other:#x}")),
    }
}

fn migrate(conn: &mut Connection) -> Result<(), Error> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(Error::sql)?;
    let version: i64 = tx
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(Error::sql)?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(Error::UnusableStore(format!(
            "the store's schema is version {version}, newer than this mjhook knows ({known}); use a newer mjhook"
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql).map_err(Error::sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)
            .map_err(Error::sql)?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)
        .map_err(Error::sql)?;
    let instance: Option<String> = tx
        .query_row("SELECT value FROM meta WHERE key = 'instance'", [], |row| {
            row.get(0)
        })
        .optional()
        .map_err(Error::sql)?;
    if instance.is_none() {
        // Forwarded message ids embed it, so that two stores never reuse one.
        let instance = format!("{:016x}", fastrand::u64(..));
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('instance', ?1)",
            [instance],
        )
        .map_err(Error::sql)?;
    }
    tx.commit().map_err(Error::sql)
}

/// A decoded, authenticated delivery on its way to the store.
pub(crate) struct Delivery {
    pub provider: Provider,
    pub hash: [u8; 32],
    pub body: axum::body::Bytes,
    pub events: Vec<JobEvent>,
}

/// What the store made of a delivery.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Receipt {
    /// The delivery's id in the store.
    pub delivery: i64,
    /// The first delivery with the same bytes, when this one repeats it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<i64>,
    /// Each job of the delivery as it stands after the commit.
    pub jobs: Vec<JobSummary>,
}

/// One job in a [`Receipt`].
#[derive(Clone, Debug, Serialize)]
pub(crate) struct JobSummary {
    pub provider: Provider,
    pub job_id: String,
    pub status: String,
    /// What folding this delivery's event did (absent for a duplicate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<String>,
}

/// Counts a batch's writes for the forwarder and metrics.
#[derive(Debug, Default)]
pub(crate) struct BatchOutcome {
    pub outbox_rows: usize,
    /// Events queued behind their job's dead letters, dead letters too.
    pub dead_on_arrival: usize,
}

/// The store's instance id (part of every forwarded message id).
pub(crate) fn instance(conn: &Connection) -> rusqlite::Result<String> {
    conn.query_row("SELECT value FROM meta WHERE key = 'instance'", [], |row| {
        row.get(0)
    })
}

/// Writes one delivery inside the batch's transaction.
pub(crate) fn write_delivery(
    tx: &Connection,
    delivery: &Delivery,
    received_at: i64,
    forward_instance: Option<&str>,
    outcome: &mut BatchOutcome,
) -> rusqlite::Result<Receipt> {
    let provider = delivery.provider.as_str();
    let first: Option<i64> = tx
        .prepare_cached(
            "SELECT id FROM deliveries WHERE provider = ?1 AND hash = ?2 AND duplicate_of IS NULL",
        )?
        .query_row(params![provider, &delivery.hash[..]], |row| row.get(0))
        .optional()?;
    if let Some(first) = first {
        // The bytes are known: only the fact that they came again is stored.
        tx.prepare_cached(
            "INSERT INTO deliveries (provider, hash, received_at, body, duplicate_of)
             VALUES (?1, ?2, ?3, NULL, ?4)",
        )?
        .execute(params![provider, &delivery.hash[..], received_at, first])?;
        let id = tx.last_insert_rowid();
        let mut jobs = Vec::with_capacity(delivery.events.len());
        for event in &delivery.events {
            let status = job_status(tx, delivery.provider, event.job_id.as_str())?
                .unwrap_or_else(|| status_name(event));
            jobs.push(JobSummary {
                provider: delivery.provider,
                job_id: event.job_id.as_str().to_owned(),
                status,
                applied: None,
            });
        }
        return Ok(Receipt {
            delivery: id,
            duplicate_of: Some(first),
            jobs,
        });
    }

    tx.prepare_cached(
        "INSERT INTO deliveries (provider, hash, received_at, body) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        provider,
        &delivery.hash[..],
        received_at,
        &delivery.body[..]
    ])?;
    let delivery_id = tx.last_insert_rowid();
    let mut jobs = Vec::with_capacity(delivery.events.len());
    for event in &delivery.events {
        let job_id = event.job_id.as_str();
        let stored: Option<String> = tx
            .prepare_cached("SELECT state FROM jobs WHERE provider = ?1 AND job_id = ?2")?
            .query_row(params![provider, job_id], |row| row.get(0))
            .optional()?;
        let (state, applied) = match stored {
            Some(json) => {
                let mut state: JobState = serde_json::from_str(&json)
                    .map_err(|err| rusqlite::Error::ToSqlConversionFailure(Box::new(err)))?;
                let applied = state.apply(event);
                (state, to_name(&applied))
            }
            None => (JobState::new(event), "new".to_owned()),
        };
        let event_json = to_json(event)?;
        let status = to_name(&state.status());
        tx.prepare_cached(
            "INSERT INTO events (delivery_id, provider, job_id, status, applied, event)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            delivery_id,
            provider,
            job_id,
            status_name(event),
            applied,
            event_json
        ])?;
        let seq = tx.last_insert_rowid();
        tx.prepare_cached(
            "INSERT INTO jobs (provider, job_id, status, last_seq, state) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (provider, job_id) DO UPDATE SET
                 status = excluded.status, last_seq = excluded.last_seq, state = excluded.state",
        )?
        .execute(params![provider, job_id, status, seq, to_json(&state)?])?;
        if let Some(instance) = forward_instance {
            // Behind a job's dead letters, a new event is one too: a retry
            // re-sends them all in their order, never this one first.
            let state: String = tx
                .prepare_cached(
                    "INSERT INTO outbox (event_seq, provider, job_id, msg_id, state, next_at)
                     VALUES (?1, ?2, ?3, ?4,
                             CASE WHEN EXISTS (SELECT 1 FROM outbox
                                               WHERE provider = ?2 AND job_id = ?3 AND state = 'dead')
                                  THEN 'dead' ELSE 'pending' END,
                             ?5)
                     RETURNING state",
                )?
                .query_row(
                    params![
                        seq,
                        provider,
                        job_id,
                        format!("msg_{instance}_{seq}"),
                        received_at
                    ],
                    |row| row.get(0),
                )?;
            outcome.outbox_rows += 1;
            if state == "dead" {
                outcome.dead_on_arrival += 1;
            }
        }
        jobs.push(JobSummary {
            provider: delivery.provider,
            job_id: job_id.to_owned(),
            status,
            applied: Some(applied),
        });
    }
    Ok(Receipt {
        delivery: delivery_id,
        duplicate_of: None,
        jobs,
    })
}

fn job_status(
    tx: &Connection,
    provider: Provider,
    job_id: &str,
) -> rusqlite::Result<Option<String>> {
    tx.prepare_cached("SELECT status FROM jobs WHERE provider = ?1 AND job_id = ?2")?
        .query_row(params![provider.as_str(), job_id], |row| row.get(0))
        .optional()
}

fn to_json<T: Serialize>(value: &T) -> rusqlite::Result<String> {
    serde_json::to_string(value)
        .map_err(|err| rusqlite::Error::ToSqlConversionFailure(Box::new(err)))
}

/// A unit-like enum's JSON name (`in_progress`, `advanced`, …).
fn to_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        Ok(serde_json::Value::Object(map)) => map.keys().next().cloned().unwrap_or_default(),
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn status_name(event: &JobEvent) -> String {
    to_name(&event.status)
}

/// Drops the raw bytes of deliveries received before `before` (ms).
pub(crate) fn prune(conn: &Connection, before: i64) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE deliveries SET body = NULL WHERE body IS NOT NULL AND received_at < ?1",
        [before],
    )
}

/// A job's folded state, as stored JSON.
pub(crate) fn job(
    conn: &Connection,
    provider: Provider,
    job_id: &str,
) -> rusqlite::Result<Option<Box<RawValue>>> {
    conn.prepare_cached("SELECT state FROM jobs WHERE provider = ?1 AND job_id = ?2")?
        .query_row(params![provider.as_str(), job_id], |row| {
            row.get::<_, String>(0)
        })
        .optional()?
        .map(raw)
        .transpose()
}

fn raw(json: String) -> rusqlite::Result<Box<RawValue>> {
    RawValue::from_string(json).map_err(|err| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(err))
    })
}

/// One page of `/jobs`.
#[derive(Debug, Serialize)]
pub(crate) struct JobPage {
    pub jobs: Vec<Box<RawValue>>,
    /// The `after` of the next page; `null` on the last one.
    pub next: Option<i64>,
}

/// Job states in creation order, after the cursor `after`.
pub(crate) fn jobs(
    conn: &Connection,
    provider: Option<Provider>,
    status: Option<&str>,
    after: i64,
    limit: usize,
) -> rusqlite::Result<JobPage> {
    let mut statement = conn.prepare_cached(
        "SELECT id, state FROM jobs
         WHERE id > ?1 AND (?2 IS NULL OR provider = ?2) AND (?3 IS NULL OR status = ?3)
         ORDER BY id LIMIT ?4",
    )?;
    let rows = statement.query_map(
        params![
            after,
            provider.map(Provider::as_str),
            status,
            limit as i64 + 1
        ],
        |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
    )?;
    let mut jobs = Vec::new();
    let mut last = None;
    let mut more = false;
    for row in rows {
        let (id, state) = row?;
        if jobs.len() == limit {
            more = true;
            break;
        }
        jobs.push(raw(state)?);
        last = Some(id);
    }
    Ok(JobPage {
        jobs,
        next: if more { last } else { None },
    })
}

/// One event of `/events`.
#[derive(Debug, Serialize)]
pub(crate) struct EventRow {
    /// Its place in commit order: the cursor.
    pub cursor: i64,
    /// The delivery it came in.
    pub delivery: i64,
    /// What folding it into its job did.
    pub applied: String,
    /// The canonical event.
    pub event: Box<RawValue>,
}

/// One page of `/events`.
#[derive(Debug, Serialize)]
pub(crate) struct EventPage {
    pub events: Vec<EventRow>,
    /// Pass as `after` to read on (the same cursor when nothing was new).
    pub next: i64,
}

/// Events in commit order, after the cursor `after`.
pub(crate) fn events(conn: &Connection, after: i64, limit: usize) -> rusqlite::Result<EventPage> {
    let mut statement = conn.prepare_cached(
        "SELECT seq, delivery_id, applied, event FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = statement.query_map(params![after, limit as i64], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
        ))
    })?;
    let mut events = Vec::new();
    let mut next = after;
    for row in rows {
        let (cursor, delivery, applied, event) = row?;
        next = cursor;
        events.push(EventRow {
            cursor,
            delivery,
            applied,
            event: raw(event)?,
        });
    }
    Ok(EventPage { events, next })
}

/// A forward outbox row that is due.
#[derive(Debug, Clone)]
pub(crate) struct Due {
    pub seq: i64,
    pub msg_id: String,
    pub attempts: u32,
    pub body: String,
}

/// The head of each job's pending events whose time has come, oldest first.
pub(crate) fn due(conn: &Connection, now: i64, limit: usize) -> rusqlite::Result<Vec<Due>> {
    let mut statement = conn.prepare_cached(
        "SELECT o.event_seq, o.msg_id, o.attempts, e.event
         FROM outbox o JOIN events e ON e.seq = o.event_seq
         WHERE o.state = 'pending' AND o.next_at <= ?1
           AND o.event_seq = (SELECT MIN(h.event_seq) FROM outbox h
                              WHERE h.provider = o.provider AND h.job_id = o.job_id
                                AND h.state = 'pending')
         ORDER BY o.event_seq LIMIT ?2",
    )?;
    let rows = statement.query_map(params![now, limit as i64], |row| {
        Ok(Due {
            seq: row.get(0)?,
            msg_id: row.get(1)?,
            attempts: row.get(2)?,
            body: row.get(3)?,
        })
    })?;
    rows.collect()
}

/// When the next pending head is due (ms), if any is pending. Only heads:
/// an event queued behind a head that waits to be retried keeps the time it
/// was queued at, and is not due before its head is delivered.
pub(crate) fn next_due(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT MIN(o.next_at) FROM outbox o
         WHERE o.state = 'pending'
           AND o.event_seq = (SELECT MIN(h.event_seq) FROM outbox h
                              WHERE h.provider = o.provider AND h.job_id = o.job_id
                                AND h.state = 'pending')",
    )?
    .query_row([], |row| row.get(0))
}

/// Marks an event delivered.
pub(crate) fn delivered(conn: &Connection, seq: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, last_error = NULL
         WHERE event_seq = ?1",
    )?
    .execute([seq])?;
    Ok(())
}

/// Records a failed attempt and when to try again.
pub(crate) fn retry_at(
    conn: &Connection,
    seq: i64,
    next_at: i64,
    error: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET attempts = attempts + 1, next_at = ?2, last_error = ?3 WHERE event_seq = ?1",
    )?
    .execute(params![seq, next_at, error])?;
    Ok(())
}

/// Makes an event a dead letter, with every later pending event of its job,
/// so that a retry re-sends them in their order. Returns how many rows died.
pub(crate) fn dead(conn: &mut Connection, seq: i64, error: &str) -> rusqlite::Result<usize> {
    let tx = conn.transaction()?;
    tx.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE event_seq = ?1",
        params![seq, error],
    )?;
    let count = tx.execute(
        "UPDATE outbox SET state = 'dead'
         WHERE state = 'pending' AND event_seq >= ?1
           AND (provider, job_id) = (SELECT provider, job_id FROM outbox WHERE event_seq = ?1)",
        [seq],
    )?;
    tx.commit()?;
    Ok(count)
}

/// Counts of the outbox's pending and dead rows, and the age (ms) of the
/// oldest pending one.
pub(crate) fn outbox_stats(conn: &Connection, now: i64) -> rusqlite::Result<(i64, i64, i64)> {
    conn.prepare_cached(
        "SELECT
            (SELECT COUNT(*) FROM outbox WHERE state = 'pending'),
            (SELECT COUNT(*) FROM outbox WHERE state = 'dead'),
            COALESCE((SELECT ?1 - d.received_at FROM outbox o
                      JOIN events e ON e.seq = o.event_seq
                      JOIN deliveries d ON d.id = e.delivery_id
                      WHERE o.state = 'pending' ORDER BY o.event_seq LIMIT 1), 0)",
    )?
    .query_row([now], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
}

/// Queues every dead letter again; returns how many.
pub(crate) fn requeue_dead(conn: &Connection) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE outbox SET state = 'pending', attempts = 0, next_at = ?1 WHERE state = 'dead'",
        [now_ms()],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_due_time_is_a_head_s_not_a_queued_event_s() {
        let mut conn = Connection::open_in_memory().expect("in memory");
        migrate(&mut conn).expect("schema");
        // The job's head waits for its retry at 5000; the event queued behind
        // it was queued at 1000, and is not due before the head is sent. (The
        // outbox alone is read: its rows stand without their events here.)
        conn.execute_batch(
            "PRAGMA foreign_keys = OFF;
             INSERT INTO outbox (event_seq, provider, job_id, msg_id, state, next_at) VALUES
                 (1, 'asyncapi', 'j', 'm1', 'pending', 5000),
                 (2, 'asyncapi', 'j', 'm2', 'pending', 1000),
                 (3, 'asyncapi', 'k', 'm3', 'delivered', 10);",
        )
        .expect("rows");
        assert_eq!(next_due(&conn).expect("query"), Some(5000));
    }
}
