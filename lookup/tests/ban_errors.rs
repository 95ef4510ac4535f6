//! Broken BAN inputs give clean errors or skipped-row counts, never a panic.
use std::io::Write;
use std::path::PathBuf;

use fiable_lookup::address::{BuildOptions, IndexError, ban, index};

const HEADER: &str = "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;source_position;source_nom_voie;certification_commune;cad_parcelles";
const ROW: &str = "75111_8358_00001;75111_8358;1;;Rue de la Roquette;75011;75111;Paris 11e Arrondissement;;;0;0;2.37;48.85;entrée;;;PARIS;RUE DE LA ROQUETTE;commune;commune;1;";

fn file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fiable-ban-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn gz(text: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text).unwrap();
    e.finish().unwrap()
}

#[test]
fn bad_rows_are_skipped_and_counted() {
    let mut text = format!("{HEADER}\n{ROW}\n").into_bytes();
    text.extend_from_slice(b"only;three;columns\n");
    text.extend_from_slice(&ROW.replace("Roquette", "Roqu\u{0}").replace(";1;", ";x;").into_bytes());
    text.push(b'\n');
    let mut bad_utf8 = ROW.as_bytes().to_vec();
    bad_utf8[40] = 0xff;
    text.extend_from_slice(&bad_utf8);
    text.push(b'\n');
    let p = file("rows.csv", &text);
    let (idx, r) = index::build_in_memory(std::slice::from_ref(&p), &BuildOptions::default()).unwrap();
    assert_eq!(r.read.rows, 1);
    assert_eq!(r.read.skipped, 3);
    assert!(r.read.samples[0].contains("rows.csv:3"), "{:?}", r.read.samples);
    assert_eq!(idx.number_count(), 1);
}

#[test]
fn truncated_gzip_is_an_error_naming_the_file() {
    let mut text = format!("{HEADER}\n").into_bytes();
    for _ in 0..2000 {
        text.extend_from_slice(ROW.as_bytes());
        text.push(b'\n');
    }
    let z = gz(&text);
    let p = file("cut.csv.gz", &z[..z.len() / 2]);
    let e = index::build(&[p], &BuildOptions::default()).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, IndexError::Ban(ban::BanError::Read { .. })), "{msg}");
    assert!(msg.contains("cut.csv.gz:"), "{msg}");
}

#[test]
fn wrong_header_and_empty_and_missing() {
    let p = file("comma.csv", b"id,numero,rep\n1,2,3\n");
    let e = index::build(&[p], &BuildOptions::default()).unwrap_err().to_string();
    assert!(e.contains("comma.csv:1: missing column `numero`"), "{e}");
    let p = file("empty.csv", b"");
    assert!(index::build(&[p], &BuildOptions::default()).unwrap_err().to_string().contains("empty"));
    let p = file("header-only.csv", format!("{HEADER}\n").as_bytes());
    assert!(matches!(index::build(&[p], &BuildOptions::default()), Err(IndexError::NoAddress { .. })));
    let e = index::build(&[PathBuf::from("/nonexistent/x.csv")], &BuildOptions::default()).unwrap_err().to_string();
    assert!(e.contains("/nonexistent/x.csv"), "{e}");
}

#[test]
fn corrupt_index_files_are_refused() {
    let p = file("ok.csv.gz", &gz(format!("{HEADER}\n{ROW}\n").as_bytes()));
    let out = p.with_file_name("ok.idx");
    index::write(&[p], &out, &BuildOptions::default()).unwrap();
    assert!(fiable_lookup::address::Index::open(&out).is_ok());
    let bytes = std::fs::read(&out).unwrap();
    let cut = file("cut.idx", &bytes[..bytes.len() - 16]);
    assert!(matches!(fiable_lookup::address::Index::open(&cut), Err(IndexError::Corrupt { .. })));
    let empty = file("empty.idx", b"");
    assert!(matches!(fiable_lookup::address::Index::open(&empty), Err(IndexError::Corrupt { .. })));
    let junk = file("junk.idx", b"not an index at all");
    assert!(matches!(fiable_lookup::address::Index::open(&junk), Err(IndexError::Corrupt { .. })));
    // Flip bytes across the file: refused or valid, never a panic.
    for i in (1024..bytes.len()).step_by(97) {
        let mut b = bytes.clone();
        b[i] ^= 0xA5;
        let p = file("flip.idx", &b);
        if let Ok(idx) = fiable_lookup::address::Index::open(&p) {
            let _ = fiable_lookup::address::search(&idx, "1 rue de la roquette", &Default::default(), 5);
        }
    }
}

/// An index file is read into memory the kernel may back with 2 MiB pages
/// (a national index's searches then miss the TLB less), unless this
/// machine has transparent huge pages off.
#[test]
fn an_opened_index_may_live_on_huge_pages() {
    let p = file("huge.csv.gz", &gz(format!("{HEADER}\n{ROW}\n").as_bytes()));
    let out = p.with_file_name("huge.idx");
    index::write(&[p], &out, &BuildOptions::default()).unwrap();
    let idx = fiable_lookup::address::Index::open(&out).unwrap();
    let thp = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").unwrap_or_default();
    match idx.huge_pages() {
        Some(eligible) if thp.contains("[madvise]") || thp.contains("[always]") => assert!(eligible, "THP: {thp}"),
        seen => eprintln!("transparent huge pages not available here ({thp:?}): {seen:?}"),
    }
}
