//! The one interface both databases implement, so that each query of the
//! store is written once.
//!
//! Rules for a query written against [`Tx`]:
//! - placeholders are `$1, $2…` (PostgreSQL's own; the SQLite side binds
//!   them by number, so order and repetition are free);
//! - values are [`Value`]s: 64-bit integers, text, NULL. In the DDL, an
//!   integer column is `INTEGER` in SQLite and `BIGINT` in PostgreSQL, text
//!   is `TEXT` in both (the PostgreSQL side also converts to `INTEGER` and
//!   `SMALLINT` columns, range-checked);
//! - SQL both engines accept: no `INSERT OR …`, `ON CONFLICT` is fine
//!   (both have it), no engine-specific functions.
//!
//! Only the DDL migrations are per backend (`sqlite.rs`, `postgres.rs`).
use super::StoreError;

/// A value bound to a placeholder or read from a column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A 64-bit integer.
    Int(i64),
    /// Text (UTF-8).
    Text(String),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// One result row, its columns in `SELECT` order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn at(&self, i: usize) -> Result<&Value, StoreError> {
        self.0.get(i).ok_or_else(|| StoreError::Db(format!("no column {i} in the result")))
    }

    /// Column `i` as an integer.
    pub fn int(&self, i: usize) -> Result<i64, StoreError> {
        match self.at(i)? {
            Value::Int(v) => Ok(*v),
            other => Err(StoreError::Db(format!("column {i}: expected an integer, found {}", kind(other)))),
        }
    }

    /// Column `i` as a non-negative integer.
    pub fn uint(&self, i: usize) -> Result<u64, StoreError> {
        u64::try_from(self.int(i)?).map_err(|_| StoreError::Db(format!("column {i}: negative integer")))
    }

    /// Column `i` as text.
    pub fn text(&self, i: usize) -> Result<String, StoreError> {
        match self.at(i)? {
            Value::Text(v) => Ok(v.clone()),
            other => Err(StoreError::Db(format!("column {i}: expected text, found {}", kind(other)))),
        }
    }

    /// Column `i` as text or NULL.
    pub fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        match self.at(i)? {
            Value::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL",
        Value::Int(_) => "an integer",
        Value::Text(_) => "text",
    }
}

/// A transaction of either database. Implemented for
/// `rusqlite::Transaction` and a `postgres::Transaction` (with its
/// connection's prepared-statement cache); the store opens it
/// (`Store::tx`), commits it when the closure succeeds and rolls it back
/// otherwise.
pub trait Tx {
    /// Runs a statement; returns the number of rows it changed.
    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64, StoreError>;

    /// Runs a query, calling `f` on each row in order as it arrives (the
    /// result is not collected first: the ledger can be large).
    fn each(&mut self, sql: &str, args: &[Value], f: &mut dyn FnMut(Row) -> Result<(), StoreError>) -> Result<(), StoreError>;

    /// Runs a script of statements without parameters (a migration).
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;
}

impl dyn Tx + '_ {
    /// The first row of a query mapped by `f`, or `None` without a row.
    pub fn query_opt<T>(
        &mut self,
        sql: &str,
        args: &[Value],
        f: impl FnOnce(Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let mut first = None;
        self.each(sql, args, &mut |r| {
            if first.is_none() {
                first = Some(r);
            }
            Ok(())
        })?;
        first.map(f).transpose()
    }

    /// Every row of a query mapped by `f`.
    pub fn query_map<T>(
        &mut self,
        sql: &str,
        args: &[Value],
        mut f: impl FnMut(Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = vec![];
        self.each(sql, args, &mut |r| {
            out.push(f(r)?);
            Ok(())
        })?;
        Ok(out)
    }
}

/// Parses a `$n` placeholder name into a 0-based index into `args`.
pub(super) fn placeholder_index(name: &str, args: usize) -> Result<usize, StoreError> {
    name.strip_prefix('$')
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| (1..=args).contains(n))
        .map(|n| n - 1)
        .ok_or_else(|| StoreError::Db(format!("placeholder {name} has no value ({args} given; write $1, $2…)")))
}
