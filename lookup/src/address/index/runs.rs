//! House numbers sorted in bounded memory (an external sort): rows are
//! gathered in runs of at most `run_len`; a full run is sorted and spilled
//! to a temporary file, and the runs are merged at the end. A build whose
//! rows fit in one run never touches the disk.
//!
//! The final order (street by locality then name, number, repetition
//! index) is only known once every row is read, but it is an order on
//! strings that are known as each row is read: a run is sorted by those
//! strings, so the merge can compare the final numeric keys.
//!
//! Of rows with the same street, number and repetition index, the first
//! read is kept (whatever the run size).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::format::{IndexError, REP_BITS};

const REP_MASK: u32 = (1 << REP_BITS) - 1;

/// One house number as read: street and repetition index by their
/// provisional (reading-order) ids.
struct Row {
    street: u32,
    packed: u32,
    lon: i32,
    lat: i32,
    id_start: usize,
    id_len: u32,
}

/// A section of the index being built: in memory, or in a temporary file.
pub(super) enum Section {
    Mem(Vec<u8>),
    File(PathBuf, u64),
}

impl Section {
    pub(super) fn len(&self) -> u64 {
        match self {
            Section::Mem(v) => v.len() as u64,
            Section::File(_, n) => *n,
        }
    }
}

/// Where sorted house numbers go: memory, or a temporary file.
enum Sink {
    Mem(Vec<u8>),
    File(BufWriter<File>, PathBuf, u64),
}

impl Sink {
    fn create(dir: Option<&Path>, name: &str) -> Result<Sink, IndexError> {
        Ok(match dir {
            None => Sink::Mem(Vec::new()),
            Some(d) => {
                let path = d.join(name);
                let f = File::create(&path).map_err(|source| IndexError::Io { path: path.clone(), source })?;
                Sink::File(BufWriter::with_capacity(1 << 20, f), path, 0)
            }
        })
    }
    fn put(&mut self, b: &[u8]) -> Result<(), IndexError> {
        match self {
            Sink::Mem(v) => v.extend_from_slice(b),
            Sink::File(w, path, n) => {
                w.write_all(b).map_err(|source| IndexError::Io { path: path.clone(), source })?;
                *n += b.len() as u64;
            }
        }
        Ok(())
    }
    fn finish(self) -> Result<Section, IndexError> {
        Ok(match self {
            Sink::Mem(v) => Section::Mem(v),
            Sink::File(mut w, path, n) => {
                w.flush().map_err(|source| IndexError::Io { path: path.clone(), source })?;
                Section::File(path, n)
            }
        })
    }
}

/// The sorted house numbers: records, BAN id offsets and bytes, and the
/// count per street (final street ids).
pub(super) struct SortedNumbers {
    pub(super) records: Section,
    pub(super) id_off: Section,
    pub(super) id_bytes: Section,
    pub(super) per_street: Vec<u32>,
    pub(super) count: usize,
}

/// Writes the records of the numbers in final order, dropping repeats.
struct Emitter {
    records: Sink,
    id_off: Sink,
    id_bytes: Sink,
    id_len: u64,
    per_street: Vec<u32>,
    count: usize,
    last: Option<u64>,
}

impl Emitter {
    fn new(dir: Option<&Path>, n_streets: usize) -> Result<Emitter, IndexError> {
        let mut id_off = Sink::create(dir, "id_off")?;
        id_off.put(&0u32.to_le_bytes())?;
        Ok(Emitter {
            records: Sink::create(dir, "numbers")?,
            id_off,
            id_bytes: Sink::create(dir, "ids")?,
            id_len: 0,
            per_street: vec![0; n_streets],
            count: 0,
            last: None,
        })
    }
    fn emit(&mut self, key: u64, lon: i32, lat: i32, id: &[u8]) -> Result<(), IndexError> {
        if self.last == Some(key) {
            return Ok(());
        }
        self.last = Some(key);
        self.per_street[(key >> 32) as usize] += 1;
        self.count += 1;
        let mut rec = [0u8; 12];
        rec[..4].copy_from_slice(&(key as u32).to_le_bytes());
        rec[4..8].copy_from_slice(&lon.to_le_bytes());
        rec[8..].copy_from_slice(&lat.to_le_bytes());
        self.records.put(&rec)?;
        self.id_bytes.put(id)?;
        self.id_len += id.len() as u64;
        let end = u32::try_from(self.id_len).map_err(|_| IndexError::TooLarge("more than 4 GiB of ids"))?;
        self.id_off.put(&end.to_le_bytes())
    }
    fn finish(self) -> Result<SortedNumbers, IndexError> {
        Ok(SortedNumbers {
            records: self.records.finish()?,
            id_off: self.id_off.finish()?,
            id_bytes: self.id_bytes.finish()?,
            per_street: self.per_street,
            count: self.count,
        })
    }
}

/// House numbers being gathered.
pub(super) struct Runs {
    run_len: usize,
    rows: Vec<Row>,
    ids: Vec<u8>,
    tmp_in: PathBuf,
    dir: Option<tempfile::TempDir>,
    spilled: Vec<PathBuf>,
    pushed: u64,
}

impl Runs {
    /// Runs of at most `run_len` rows, spilled under `tmp_in` if needed.
    pub(super) fn new(run_len: usize, tmp_in: PathBuf) -> Runs {
        Runs { run_len: run_len.max(1), rows: Vec::new(), ids: Vec::new(), tmp_in, dir: None, spilled: Vec::new(), pushed: 0 }
    }

    /// Adds a number; true when the run is full (call [`Runs::spill`]).
    pub(super) fn push(&mut self, street: u32, packed: u32, lon: i32, lat: i32, id: &str) -> bool {
        self.rows.push(Row { street, packed, lon, lat, id_start: self.ids.len(), id_len: id.len() as u32 });
        self.ids.extend_from_slice(id.as_bytes());
        self.pushed += 1;
        self.rows.len() >= self.run_len
    }

    /// Sorts the current run in final order, given how provisional street
    /// ids and repetition ids compare in it, and writes it to disk.
    pub(super) fn spill(
        &mut self,
        street_cmp: impl Fn(u32, u32) -> Ordering,
        rep_cmp: impl Fn(u32, u32) -> Ordering,
    ) -> Result<(), IndexError> {
        if self.rows.is_empty() {
            return Ok(());
        }
        // Rank the streets and repetition indices of this run, then sort
        // the rows on (street rank, number, rep rank), stably.
        let mut streets: Vec<u32> = self.rows.iter().map(|r| r.street).collect();
        streets.sort_unstable();
        streets.dedup();
        let mut by_name = streets.clone();
        by_name.sort_by(|&a, &b| street_cmp(a, b));
        let mut street_rank = vec![0u32; streets.len()];
        for (rank, s) in by_name.iter().enumerate() {
            street_rank[streets.binary_search(s).unwrap_or(0)] = rank as u32;
        }
        let max_rep = self.rows.iter().map(|r| r.packed & REP_MASK).max().unwrap_or(0);
        let mut reps: Vec<u32> = (0..=max_rep).collect();
        reps.sort_by(|&a, &b| rep_cmp(a, b));
        let mut rep_rank = vec![0u32; reps.len()];
        for (rank, &r) in reps.iter().enumerate() {
            rep_rank[r as usize] = rank as u32;
        }
        let key = |r: &Row| {
            let s = street_rank[streets.binary_search(&r.street).unwrap_or(0)];
            (u64::from(s) << 32) | u64::from((r.packed & !REP_MASK) | rep_rank[(r.packed & REP_MASK) as usize])
        };
        let mut keyed: Vec<(u64, u32)> = self.rows.iter().enumerate().map(|(i, r)| (key(r), i as u32)).collect();
        keyed.sort_unstable(); // (key, reading position): stable
        let dir = match &self.dir {
            Some(d) => d.path().to_path_buf(),
            None => {
                let d = tempfile::Builder::new()
                    .prefix(".fiable-index-")
                    .tempdir_in(&self.tmp_in)
                    .map_err(|source| IndexError::Io { path: self.tmp_in.clone(), source })?;
                let p = d.path().to_path_buf();
                self.dir = Some(d);
                p
            }
        };
        let path = dir.join(format!("run-{}", self.spilled.len()));
        let io = |source| IndexError::Io { path: path.clone(), source };
        let mut w = BufWriter::with_capacity(1 << 20, File::create(&path).map_err(io)?);
        for &(_, i) in &keyed {
            let r = &self.rows[i as usize];
            let mut head = [0u8; 20];
            for (k, v) in [r.street, r.packed, r.lon as u32, r.lat as u32, r.id_len].into_iter().enumerate() {
                head[k * 4..k * 4 + 4].copy_from_slice(&v.to_le_bytes());
            }
            w.write_all(&head).map_err(io)?;
            w.write_all(&self.ids[r.id_start..][..r.id_len as usize]).map_err(io)?;
        }
        w.flush().map_err(io)?;
        self.spilled.push(path);
        self.rows.clear();
        self.ids.clear();
        Ok(())
    }

    /// Numbers gathered so far (repeats included).
    pub(super) fn rows_total(&self) -> u64 {
        self.pushed
    }

    /// Sorts everything in final order (`st_new`, `rep_new`: provisional
    /// id → final id), keeping the first of repeated numbers. `on_row` is
    /// called for every row merged (progress).
    pub(super) fn finish(
        mut self,
        st_new: &[u32],
        rep_new: &[u32],
        street_cmp: impl Fn(u32, u32) -> Ordering,
        rep_cmp: impl Fn(u32, u32) -> Ordering,
        mut on_row: impl FnMut(),
    ) -> Result<(SortedNumbers, Option<tempfile::TempDir>), IndexError> {
        let final_key = |street: u32, packed: u32| {
            (u64::from(st_new[street as usize]) << 32) | u64::from((packed & !REP_MASK) | rep_new[(packed & REP_MASK) as usize])
        };
        if self.spilled.is_empty() {
            // One run: sorted in memory.
            let mut keyed: Vec<(u64, u32)> = self.rows.iter().enumerate().map(|(i, r)| (final_key(r.street, r.packed), i as u32)).collect();
            keyed.sort_unstable();
            let mut out = Emitter::new(None, st_new.len())?;
            for (k, i) in keyed {
                let r = &self.rows[i as usize];
                out.emit(k, r.lon, r.lat, &self.ids[r.id_start..][..r.id_len as usize])?;
                on_row();
            }
            return Ok((out.finish()?, None));
        }
        self.spill(street_cmp, rep_cmp)?;
        self.rows = Vec::new();
        self.ids = Vec::new();
        let dir = self.dir.take();
        let dir_path = dir.as_ref().map(|d| d.path().to_path_buf());
        let mut out = Emitter::new(dir_path.as_deref(), st_new.len())?;
        let mut readers: Vec<RunReader> = Vec::with_capacity(self.spilled.len());
        for p in &self.spilled {
            readers.push(RunReader::open(p)?);
        }
        // Heap of (key, run): equal keys come out in run order, i.e. in
        // reading order, so the first row read is the one kept.
        let mut heap: BinaryHeap<Reverse<(u64, usize)>> = BinaryHeap::new();
        for (i, r) in readers.iter_mut().enumerate() {
            if r.advance()? {
                heap.push(Reverse((final_key(r.street, r.packed), i)));
            }
        }
        while let Some(Reverse((k, i))) = heap.pop() {
            let r = &mut readers[i];
            out.emit(k, r.lon, r.lat, &r.id)?;
            on_row();
            if r.advance()? {
                heap.push(Reverse((final_key(r.street, r.packed), i)));
            }
        }
        drop(readers);
        for p in &self.spilled {
            let _ = std::fs::remove_file(p); // space back early; the directory goes at the end
        }
        Ok((out.finish()?, dir))
    }
}

/// Reads back one spilled run.
struct RunReader {
    r: BufReader<File>,
    path: PathBuf,
    street: u32,
    packed: u32,
    lon: i32,
    lat: i32,
    id: Vec<u8>,
}

impl RunReader {
    fn open(path: &Path) -> Result<RunReader, IndexError> {
        let f = File::open(path).map_err(|source| IndexError::Io { path: path.to_path_buf(), source })?;
        Ok(RunReader {
            r: BufReader::with_capacity(1 << 18, f),
            path: path.to_path_buf(),
            street: 0,
            packed: 0,
            lon: 0,
            lat: 0,
            id: Vec::new(),
        })
    }

    /// Reads the next row; false at the end of the run.
    fn advance(&mut self) -> Result<bool, IndexError> {
        let io = |source| IndexError::Io { path: self.path.clone(), source };
        let mut head = [0u8; 20];
        match self.r.read_exact(&mut head) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(false),
            Err(e) => return Err(io(e)),
        }
        let w = |k: usize| u32::from_le_bytes([head[k * 4], head[k * 4 + 1], head[k * 4 + 2], head[k * 4 + 3]]);
        (self.street, self.packed, self.lon, self.lat) = (w(0), w(1), w(2) as i32, w(3) as i32);
        self.id.resize(w(4) as usize, 0);
        self.r.read_exact(&mut self.id).map_err(io)?;
        Ok(true)
    }
}
