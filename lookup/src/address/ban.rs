//! Reading the Base Adresse Nationale CSV (`adresses-XX.csv[.gz]`): the
//! 23-column, `;`-separated export, plain or gzip. Columns are found by
//! their header name, so extra or reordered columns are fine.
//!
//! A bad row (wrong column count, bad UTF-8, unparsable number or
//! coordinates) is skipped and counted, with the first few reported by
//! file and line. A file that cannot be read to its end (truncated gzip,
//! I/O error) or that lacks a required column is an error naming the file
//! and the line.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

/// Columns the index needs.
pub const REQUIRED: &[&str] = &["numero", "rep", "nom_voie", "code_postal", "code_insee", "nom_commune", "lon", "lat"];

/// The full header of the BAN "adresses" export, in order.
pub const BAN_HEADER: &[&str] = &[
    "id",
    "id_fantoir",
    "numero",
    "rep",
    "nom_voie",
    "code_postal",
    "code_insee",
    "nom_commune",
    "code_insee_ancienne_commune",
    "nom_ancienne_commune",
    "x",
    "y",
    "lon",
    "lat",
    "type_position",
    "alias",
    "nom_ld",
    "libelle_acheminement",
    "nom_afnor",
    "source_position",
    "source_nom_voie",
    "certification_commune",
    "cad_parcelles",
];

/// What can stop a BAN file from being read.
#[derive(Debug, thiserror::Error)]
pub enum BanError {
    /// The file cannot be opened.
    #[error("{path}: cannot open: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// Reading stopped before the end (truncated gzip, I/O error).
    #[error("{path}:{line}: cannot read: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The line reached.
        line: u64,
        /// What went wrong.
        message: String,
    },
    /// The header lacks a column the index needs.
    #[error("{path}:1: missing column `{column}` (is this a BAN `adresses` CSV with `;` separators?)")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: &'static str,
    },
    /// The file is empty.
    #[error("{path}: empty file")]
    Empty {
        /// The file.
        path: PathBuf,
    },
}

/// One address row, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    /// BAN id, e.g. `75111_8358_00012` (may be empty).
    pub id: &'a str,
    /// House number; `None` for a place without number (BAN `99999`).
    pub numero: Option<u32>,
    /// Repetition index as written (`b`, `bis`, `a`…), may be empty.
    pub rep: &'a str,
    /// Street (or place) name.
    pub nom_voie: &'a str,
    /// Postcode.
    pub code_postal: &'a str,
    /// INSEE commune code.
    pub code_insee: &'a str,
    /// Commune name.
    pub nom_commune: &'a str,
    /// Longitude (WGS84).
    pub lon: f64,
    /// Latitude (WGS84).
    pub lat: f64,
}

/// What reading one file did.
#[derive(Debug, Default, Clone)]
pub struct ReadStats {
    /// Rows handed to the caller.
    pub rows: u64,
    /// Rows skipped as malformed.
    pub skipped: u64,
    /// The first few skipped rows: "file:line: reason".
    pub samples: Vec<String>,
}

impl ReadStats {
    fn skip(&mut self, path: &Path, line: u64, why: &str) {
        self.skipped += 1;
        if self.samples.len() < 10 {
            self.samples.push(format!("{}:{line}: {why}", path.display()));
        }
    }

    /// Adds another file's figures.
    pub fn merge(&mut self, other: ReadStats) {
        self.rows += other.rows;
        self.skipped += other.skipped;
        for s in other.samples {
            if self.samples.len() < 10 {
                self.samples.push(s);
            }
        }
    }
}

/// Opens a file, transparently gunzipping it when it starts with the gzip
/// magic bytes. `on_read` is told how many (compressed) bytes were read.
pub fn open(path: &Path, on_read: Option<Box<dyn FnMut(u64) + Send>>) -> Result<Box<dyn Read + Send>, BanError> {
    let file = File::open(path).map_err(|source| BanError::Open { path: path.to_path_buf(), source })?;
    let mut raw = BufReader::with_capacity(1 << 16, CountingReader { inner: file, on_read });
    let head = io::BufRead::fill_buf(&mut raw).map_err(|e| read_error(path, 0, &e))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::with_capacity(1 << 16, flate2::bufread::MultiGzDecoder::new(raw))))
    } else {
        Ok(Box::new(raw))
    }
}

struct CountingReader {
    inner: File,
    on_read: Option<Box<dyn FnMut(u64) + Send>>,
}

impl Read for CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(f) = self.on_read.as_mut() {
            f(n as u64);
        }
        Ok(n)
    }
}

fn read_error(path: &Path, line: u64, e: &dyn std::fmt::Display) -> BanError {
    BanError::Read { path: path.to_path_buf(), line, message: e.to_string() }
}

/// Reads every row of one BAN file, calling `each` for each good row.
pub fn read(path: &Path, on_read: Option<Box<dyn FnMut(u64) + Send>>, mut each: impl FnMut(&Row<'_>)) -> Result<ReadStats, BanError> {
    let input = open(path, on_read)?;
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .quoting(true)
        .buffer_capacity(1 << 16)
        .from_reader(input);
    let mut rec = csv::ByteRecord::new();
    let mut stats = ReadStats::default();

    // Header.
    let got = rdr.read_byte_record(&mut rec).map_err(|e| read_error(path, 1, &e))?;
    if !got {
        return Err(BanError::Empty { path: path.to_path_buf() });
    }
    let names: Vec<String> = rec.iter().map(|f| String::from_utf8_lossy(f).trim().trim_start_matches('\u{feff}').to_string()).collect();
    let col = |name: &'static str| -> Result<usize, BanError> {
        names.iter().position(|n| n == name).ok_or(BanError::MissingColumn { path: path.to_path_buf(), column: name })
    };
    let c_numero = col("numero")?;
    let c_rep = col("rep")?;
    let c_voie = col("nom_voie")?;
    let c_cp = col("code_postal")?;
    let c_insee = col("code_insee")?;
    let c_commune = col("nom_commune")?;
    let c_lon = col("lon")?;
    let c_lat = col("lat")?;
    let c_id = names.iter().position(|n| n == "id");
    let width = names.len();

    loop {
        let line = rdr.position().line().max(1);
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // An I/O error (truncated gzip…) ends the file; a CSV-level
                // error would be a row problem, but with `flexible` and
                // quoting only UTF-8/IO can fail here.
                return Err(read_error(path, line, &e));
            }
        }
        let line = rec.position().map(|p| p.line()).unwrap_or(line);
        if rec.len() != width {
            if rec.len() == 1 && rec.get(0).is_some_and(|f| f.is_empty()) {
                continue; // blank line
            }
            stats.skip(path, line, &format!("{} columns, expected {width}", rec.len()));
            continue;
        }
        let field = |i: usize| std::str::from_utf8(rec.get(i).unwrap_or(b"")).map(str::trim);
        let (Ok(numero), Ok(rep), Ok(voie), Ok(cp), Ok(insee), Ok(commune), Ok(lon), Ok(lat)) =
            (field(c_numero), field(c_rep), field(c_voie), field(c_cp), field(c_insee), field(c_commune), field(c_lon), field(c_lat))
        else {
            stats.skip(path, line, "invalid UTF-8");
            continue;
        };
        let id = c_id.and_then(|c| field(c).ok()).unwrap_or("");
        let numero = match numero.parse::<u32>() {
            Ok(n) if n >= 99_999 => None,
            Ok(n) => Some(n),
            Err(_) => {
                stats.skip(path, line, "house number is not a number");
                continue;
            }
        };
        let (Ok(lon), Ok(lat)) = (lon.parse::<f64>(), lat.parse::<f64>()) else {
            stats.skip(path, line, "lon/lat are not numbers");
            continue;
        };
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            stats.skip(path, line, "lon/lat out of range");
            continue;
        }
        if voie.is_empty() || cp.is_empty() || insee.is_empty() || voie.len() > 200 || commune.len() > 200 {
            stats.skip(path, line, "empty or oversized street, postcode or commune");
            continue;
        }
        if cp.len() > 10 || insee.len() > 10 || rep.len() > 12 || id.len() > 64 {
            stats.skip(path, line, "oversized code");
            continue;
        }
        stats.rows += 1;
        each(&Row { id, numero, rep, nom_voie: voie, code_postal: cp, code_insee: insee, nom_commune: commune, lon, lat });
    }
    Ok(stats)
}
