//! `fiable-lookup`: build address indexes, serve the lookup API.
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use fiable_lookup::address::{self, BuildOptions, Filters, Index};
use fiable_lookup::consent::store::Database;

#[derive(Parser)]
#[command(name = "fiable-lookup", version, about = "fiable lookup service")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the lookup API (and the demo pages when `www/` exists).
    Serve(Box<ServeArgs>),
    /// Verify a consent ledger (SQLite file, PostgreSQL database or
    /// JSON-lines export) or one receipt.
    Verify(VerifyArgs),
    /// Witness the consent log: fetch its signed tree head, check it
    /// against the pinned key and against the last head seen (kept in
    /// `--state`), store it; exit 1 with ALARM on a fork, a shrink or a bad
    /// signature. Run it from cron, off the service's host.
    Witness {
        /// The service, `http://host:port`.
        url: String,
        /// The witness's state file (created, then replaced atomically).
        #[arg(long)]
        state: PathBuf,
        /// The log's public key (64 hex digits, or a file holding them),
        /// given out of band; needed on the first run.
        #[arg(long)]
        public_key: Option<String>,
        /// On the first run without --public-key, pin the key the log
        /// presents (weaker: a log already forged is then trusted).
        #[arg(long)]
        trust_on_first_use: bool,
    },
    /// Export the consent ledger as JSON lines (what `verify` also reads).
    Export {
        /// The ledger's SQLite file, unless `--database` is given.
        #[arg(long = "consent-db", env = "FIABLE_CONSENT_DB", default_value = "fiable-consent.sqlite")]
        db: PathBuf,
        /// The ledger's database: `postgres://USER:PASSWORD@HOST:PORT/DBNAME`
        /// or a SQLite path / `sqlite:PATH` (read only). TLS verified with
        /// `?sslmode=verify-full&sslrootcert=CA.pem`, as for `serve`.
        #[arg(long = "database", env = "FIABLE_DATABASE_URL", hide_env_values = true)]
        database: Option<Database>,
        /// Output file (default: standard output).
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// Crypto-shred the subjects whose every consent record is past its
    /// retention (expiry or withdrawal + retention_days); prints counts.
    Purge {
        /// The ledger's SQLite file, unless `--database` is given.
        #[arg(long = "consent-db", env = "FIABLE_CONSENT_DB", default_value = "fiable-consent.sqlite")]
        db: PathBuf,
        /// The ledger's database: `postgres://USER:PASSWORD@HOST:PORT/DBNAME`
        /// or a SQLite path / `sqlite:PATH`. TLS verified with
        /// `?sslmode=verify-full&sslrootcert=CA.pem`, as for `serve`.
        #[arg(long = "database", env = "FIABLE_DATABASE_URL", hide_env_values = true)]
        database: Option<Database>,
        /// The receipt signing key (erasure records are signed).
        #[arg(long = "consent-key", env = "FIABLE_CONSENT_KEY", default_value = "fiable-consent.key")]
        key: PathBuf,
        /// The instant retention is judged at (RFC 3339; default: now).
        #[arg(long)]
        now: Option<String>,
        /// Count only; erase nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// The breach register: record a personal-data breach in the ledger,
    /// list the register, close a breach, and draft the notification
    /// (Markdown) with the subjects and purposes the ledger places in the
    /// breach's window and the 72-hour deadline.
    Breach {
        #[command(subcommand)]
        action: BreachCmd,
        #[command(flatten)]
        ledger: LedgerArgs,
    },
    /// Write the record of processing activities (GDPR article 30) of the
    /// forms: from their JSON configs (or the pages embedding them), as
    /// Markdown and JSON.
    ProcessingRecord {
        /// The forms' configs: JSON files, or HTML pages with a
        /// `data-config` or `data-fiable` config.
        #[arg(required = true)]
        configs: Vec<PathBuf>,
        /// Write the Markdown here (default: standard output, unless `--json` is given).
        #[arg(long)]
        markdown: Option<PathBuf>,
        /// Write the JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// The SMTP relay the service sends confirmation mail through (a recipient).
        #[arg(long)]
        smtp_relay: Option<String>,
        /// Transfers outside the EEA, in the controller's words.
        #[arg(long)]
        transfers: Option<String>,
    },
    /// Rotate the receipt signing key: append to the ledger a key-rotation
    /// entry signed by the current key (`--consent-key`) that names the new
    /// one (`--new-key`, created with mode 0600 if missing); from then on
    /// only the new key signs. Restart the service with `--consent-key`
    /// set to the new key file, and give witnesses the new public key.
    RotateKey {
        #[command(flatten)]
        consent: fiable_lookup::consent::Config,
        /// The new signing key file (64 hex digits; created if missing).
        #[arg(long)]
        new_key: PathBuf,
    },
    /// Re-wrap every per-subject key under a new key-encryption key
    /// (`--new-kek`, created with mode 0600 if missing), in one
    /// transaction; the old KEK (`--consent-kek`) must be the one the
    /// database was written with. Then restart with `--consent-kek` set to
    /// the new file.
    RotateKek {
        #[command(flatten)]
        consent: fiable_lookup::consent::Config,
        /// The new KEK file (64 hex digits; created if missing).
        #[arg(long)]
        new_kek: PathBuf,
    },
    /// Re-permission campaign: from the shop's contact list and the
    /// ledger, a signed personal link for each person whose consent to a
    /// purpose is missing or expired (never one who refused or was erased),
    /// written to DIR/outbox.csv, and the counts per purpose
    /// (DIR/report.csv, report.json). With --report: the counts again,
    /// from the answers in the ledger.
    Repermission(Box<RepermissionArgs>),
    /// For the demo only: a small SMTP receiver on loopback that stores
    /// every message in a maildir and prints one line per message with its
    /// recipients and links (point `serve --smtp-relay` at it to see the
    /// double opt-in mail on a machine without an MTA). It relays nothing.
    MailSink(fiable_lookup::smtp::sink::SinkConfig),
    /// Build an address index from BAN CSV files (plain or .gz).
    Index {
        /// BAN `adresses-*.csv[.gz]` files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output index file.
        #[arg(short, long)]
        out: PathBuf,
        /// House numbers sorted in memory at once; more are sorted in runs
        /// spilled next to the output and merged (0: 4 million, about
        /// 150 MiB).
        #[arg(long, default_value_t = 0)]
        run_len: usize,
    },
    /// Write a synthetic national-shaped BAN file (deterministic).
    Synth {
        /// Rows to write.
        #[arg(long, default_value_t = 1_000_000)]
        rows: u64,
        /// Random seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Real BAN file whose street names give the vocabulary.
        #[arg(long, default_value = "data/raw/ban/adresses-75.csv.gz")]
        vocabulary: PathBuf,
        /// Directory of the commune chunks (`communes-XX.tsv`) whose
        /// communes, postcodes and populations are used.
        #[arg(long, default_value = "core/chunks")]
        communes: PathBuf,
        /// Output file (`.csv` or `.csv.gz`).
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Derive a quality query set (TSV) from a BAN file.
    Corpus {
        /// BAN file to draw addresses from.
        #[arg(long, default_value = "data/raw/ban/adresses-75.csv.gz")]
        from: PathBuf,
        /// Number of queries.
        #[arg(short, long, default_value_t = 600)]
        n: usize,
        /// Random seed.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Output TSV.
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Measure top-1/top-5 hit rate and latency of an index on a query set.
    Bench {
        /// Index file (built with `index`).
        #[arg(short, long)]
        index: PathBuf,
        /// Query set TSV (from `corpus`).
        #[arg(short, long)]
        corpus: PathBuf,
        /// Times each query runs (hit rates from the first round; latency from the
        /// later ones when there are several, the first faulting the index in).
        #[arg(long, default_value_t = 5)]
        rounds: usize,
    },
    /// Run one address query against an index and print the results.
    Query {
        /// Index file.
        #[arg(short, long)]
        index: PathBuf,
        /// The query.
        q: String,
        /// Only this postcode.
        #[arg(long)]
        postcode: Option<String>,
        /// Only this INSEE code.
        #[arg(long)]
        citycode: Option<String>,
        /// Number of results.
        #[arg(long, default_value_t = 5)]
        limit: usize,
    },
}

/// The ledger a maintenance command writes to.
#[derive(clap::Args)]
struct LedgerArgs {
    /// The ledger's SQLite file, unless `--database` is given.
    #[arg(long = "consent-db", env = "FIABLE_CONSENT_DB", default_value = "fiable-consent.sqlite", global = true)]
    db: PathBuf,
    /// The ledger's database: `postgres://USER:PASSWORD@HOST:PORT/DBNAME`
    /// or a SQLite path / `sqlite:PATH` (no TLS).
    #[arg(long = "database", env = "FIABLE_DATABASE_URL", hide_env_values = true, global = true)]
    database: Option<Database>,
    /// The receipt signing key (register entries are signed; it must be
    /// the key the ledger was written with).
    #[arg(long = "consent-key", env = "FIABLE_CONSENT_KEY", default_value = "fiable-consent.key", global = true)]
    key: PathBuf,
    /// The instant deadlines and open windows are judged at (RFC 3339; default: now).
    #[arg(long, global = true)]
    now: Option<String>,
    /// The service's double opt-in delay (as `serve --double-opt-in-hours`):
    /// a grant not confirmed within it is counted "not confirmed".
    #[arg(long = "double-opt-in-hours", env = "FIABLE_DOUBLE_OPT_IN_HOURS", default_value_t = 72, global = true)]
    double_opt_in_hours: u64,
}

/// `breach …`
#[derive(Subcommand)]
enum BreachCmd {
    /// Record a new breach; prints its id and the notification draft.
    Open {
        /// When it began (RFC 3339), as far as known.
        #[arg(long)]
        started_at: String,
        /// When the controller became aware of it (RFC 3339): the 72 hours run from here.
        #[arg(long)]
        discovered_at: String,
        /// What happened (no personal data: the register cannot be erased).
        #[arg(long)]
        nature: String,
        /// A category of personal data concerned (repeatable).
        #[arg(long = "category", required = true)]
        categories: Vec<String>,
        /// A system concerned (repeatable).
        #[arg(long = "system")]
        systems: Vec<String>,
        /// Write the draft here instead of standard output.
        #[arg(long)]
        draft: Option<PathBuf>,
        /// Write the affected subjects' references here (one a line, mode 0600).
        #[arg(long)]
        subjects: Option<PathBuf>,
    },
    /// List the register: each breach, its state and its deadline.
    List,
    /// Close a breach: when it ended, what was done; prints the final draft.
    Close {
        /// The breach id (`b_…`).
        id: String,
        /// When it ended (RFC 3339).
        #[arg(long)]
        ended_at: String,
        /// The measures taken (no personal data).
        #[arg(long)]
        measures: String,
        /// Write the draft here instead of standard output.
        #[arg(long)]
        draft: Option<PathBuf>,
        /// Write the affected subjects' references here (one a line, mode 0600).
        #[arg(long)]
        subjects: Option<PathBuf>,
    },
    /// Print the notification draft of a breach again.
    Draft {
        /// The breach id (`b_…`).
        id: String,
        /// Write the draft here instead of standard output.
        #[arg(long)]
        draft: Option<PathBuf>,
        /// Write the affected subjects' references here (one a line, mode 0600).
        #[arg(long)]
        subjects: Option<PathBuf>,
    },
}

/// `serve`: the lookup service and the consent ledger.
#[derive(clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    http: fiable_lookup::config::Config,
    #[command(flatten)]
    consent: fiable_lookup::consent::Config,
}

/// `repermission`: a campaign's links, or its report.
#[derive(clap::Args)]
struct RepermissionArgs {
    /// The contact list: CSV with a header, columns email and/or phone,
    /// optional first_name, last_name (or name), and purposes (the ones the
    /// person was subscribed to, separated by ; | or spaces).
    #[arg(long, required_unless_present_any = ["report", "create_key"])]
    contacts: Option<PathBuf>,
    /// The campaign definition (JSON: id, controller {name, contact},
    /// locale, purposes [{id, text}], optional expires_after_days,
    /// retention_days); with --report, default DIR/campaign.json.
    #[arg(long)]
    campaign: Option<PathBuf>,
    /// The purposes to ask (ids of the campaign; default: all of them).
    #[arg(long, value_delimiter = ',')]
    purposes: Vec<String>,
    /// The campaign directory (created; one run per directory).
    #[arg(long, required_unless_present = "create_key")]
    out: Option<PathBuf>,
    /// The service's public URL the links point to.
    #[arg(long, default_value = "http://127.0.0.1:8787")]
    base_url: String,
    /// The key that signs the links (the file given to `serve
    /// --repermission-key`); it must exist.
    #[arg(long = "repermission-key", env = "FIABLE_REPERMISSION_KEY")]
    key: Option<PathBuf>,
    /// Create a new campaign key in this file (mode 0600) and stop;
    /// refuses to replace an existing one.
    #[arg(long)]
    create_key: Option<PathBuf>,
    /// Days a link stays valid.
    #[arg(long, default_value_t = fiable_lookup::consent::repermission::DEFAULT_LINK_DAYS)]
    link_days: u32,
    /// Compute the report of DIR from the ledger (no links are made).
    #[arg(long)]
    report: bool,
    /// The instant consents are judged at (RFC 3339; default: now).
    #[arg(long)]
    now: Option<String>,
    /// The service's double opt-in delay (as `serve --double-opt-in-hours`):
    /// a grant still waiting for its confirmation inside it is not asked,
    /// one never confirmed within it is no consent and is asked again.
    #[arg(long = "double-opt-in-hours", env = "FIABLE_DOUBLE_OPT_IN_HOURS", default_value_t = 72)]
    double_opt_in_hours: u64,
    /// The ledger's SQLite file, unless `--database` is given.
    #[arg(long = "consent-db", env = "FIABLE_CONSENT_DB", default_value = "fiable-consent.sqlite")]
    db: PathBuf,
    /// The ledger's database: `postgres://USER:PASSWORD@HOST:PORT/DBNAME`
    /// or a SQLite path / `sqlite:PATH` (read only; no TLS).
    #[arg(long = "database", env = "FIABLE_DATABASE_URL", hide_env_values = true)]
    database: Option<Database>,
    /// The blind-index key of the ledger (default as for `serve`: beside
    /// the SQLite ledger, `<db>.index.key`).
    #[arg(long = "consent-index-key", env = "FIABLE_CONSENT_INDEX_KEY")]
    index_key: Option<PathBuf>,
}

/// `fiable-lookup repermission`: links, or the report.
fn repermission(a: RepermissionArgs) -> anyhow::Result<()> {
    use fiable_lookup::consent::repermission::{self as rp, Campaign, CampaignKey, Dir};
    use fiable_lookup::consent::{ledger, store::Store, vault::IndexKey};
    if let Some(path) = &a.create_key {
        CampaignKey::create(path)?;
        println!("{}: new campaign key (mode 0600); give it to `serve --repermission-key` too", path.display());
        return Ok(());
    }
    let dir = Dir(a.out.clone().context("--out is required")?);
    let db = a.database.clone().unwrap_or_else(|| Database::Sqlite(a.db.clone()));
    if let Database::Sqlite(path) = &db {
        if !path.exists() {
            anyhow::bail!("{}: no such ledger", path.display());
        }
    }
    let store = Store::connect_read_only(&db).map_err(|e| anyhow::anyhow!("{db}: {e}"))?;
    let now_text = match &a.now {
        Some(t) => t.clone(),
        None => ledger::now_rfc3339(),
    };
    let now = ledger::parse_rfc3339(&now_text).with_context(|| format!("--now {now_text:?} is not an RFC 3339 date-time"))?;
    if a.report {
        let run: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.campaign())
                .with_context(|| format!("{}: no campaign was run in this directory", dir.campaign().display()))?,
        )?;
        let campaign = Campaign::load(a.campaign.as_deref().unwrap_or(&dir.campaign()))?;
        let asked: std::collections::BTreeMap<String, u64> =
            serde_json::from_value(run["asked"].clone()).context("campaign.json: no asked counts")?;
        let lines = rp::report(&store, &campaign, &asked)?;
        rp::write_report(&dir, &campaign, &lines, &now_text)?;
        print_report(&campaign.id, &lines);
        return Ok(());
    }
    let key = CampaignKey::load(a.key.as_deref().context("--repermission-key is required to sign the links")?)?;
    let campaign = Campaign::load(a.campaign.as_deref().context("--campaign is required")?)?;
    let asked: Vec<String> =
        if a.purposes.is_empty() { campaign.purposes.iter().map(|p| p.id.clone()).collect() } else { a.purposes.clone() };
    if let Some(p) = asked.iter().find(|p| campaign.text(p).is_none()) {
        anyhow::bail!("--purposes: {p:?} is not a purpose of campaign {}", campaign.id);
    }
    let index_path = a.index_key.clone().unwrap_or_else(|| match &db {
        Database::Sqlite(p) => p.with_extension("index.key"),
        Database::Postgres(_) => PathBuf::from("fiable-consent.index.key"),
    });
    if !index_path.exists() {
        anyhow::bail!("{}: no index key (the ledger's --consent-index-key)", index_path.display());
    }
    let index_key = IndexKey::load_or_create(&index_path)?;
    if dir.campaign().exists() {
        anyhow::bail!(
            "{}: a campaign already ran in this directory (one run per directory; --report to count its answers)",
            dir.0.display()
        );
    }
    let contacts = rp::read_contacts(a.contacts.as_deref().context("--contacts is required")?)?;
    let listed = contacts.len();
    let confirm_within = fiable_lookup::consent::optin::OptInConfig { hours: a.double_opt_in_hours, ..Default::default() }.valid_for();
    let sel = rp::select(&store, &index_key, &asked, contacts, now, confirm_within)?;
    std::fs::create_dir_all(&dir.0)?;
    let expires = now + i64::from(a.link_days.max(1)) * 86_400;
    let base = a.base_url.trim_end_matches('/');
    // The outbox holds contact data (as the shop's own list does): 0600.
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut w = csv::Writer::from_writer(opts.open(dir.outbox()).with_context(|| format!("creating {}", dir.outbox().display()))?);
    w.write_record(["email", "phone", "first_name", "last_name", "purposes", "link"])?;
    for inv in &sel.invitations {
        let token = rp::make_link(&key, &campaign, inv, expires)?;
        let c = &inv.contact;
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        w.write_record([
            s(&c.email),
            s(&c.phone),
            s(&c.first_name),
            s(&c.last_name),
            inv.purposes.join(";"),
            format!("{base}/v1/repermission/{token}"),
        ])?;
    }
    w.flush()?;
    let asked_counts: std::collections::BTreeMap<String, u64> = sel.counts.iter().map(|(p, n)| (p.clone(), n.asked)).collect();
    let run = serde_json::json!({
        "campaign": campaign,
        "fingerprint": campaign.fingerprint(),
        "run_at": now_text,
        "links_expire_at": ledger::rfc3339(expires, 0),
        "base_url": base,
        "listed": listed,
        "unidentified": sel.unidentified,
        "links": sel.invitations.len(),
        "asked": asked_counts,
        "counts": sel.counts,
    });
    std::fs::write(
        dir.campaign(),
        serde_json::to_string_pretty(&run)?
            + "
",
    )?;
    let lines = rp::report(&store, &campaign, &asked_counts)?;
    rp::write_report(&dir, &campaign, &lines, &now_text)?;
    println!(
        "repermission {}: {listed} contacts, {} links in {} (no relay: send them with your mailer), {} without a usable email or phone",
        campaign.id,
        sel.invitations.len(),
        dir.outbox().display(),
        sel.unidentified
    );
    for (p, n) in &sel.counts {
        println!(
            "  {p}: {} listed, {} asked, {} valid already, {} awaiting their double opt-in confirmation, {} refused before, {} erased",
            n.listed, n.asked, n.valid, n.pending, n.refused_before, n.erased
        );
    }
    Ok(())
}

fn print_report(campaign: &str, lines: &[fiable_lookup::consent::repermission::ReportLine]) {
    println!("repermission {campaign}: purpose, asked, confirmed, refused, silent");
    for l in lines {
        println!("  {}: {} asked, {} confirmed, {} refused, {} silent", l.purpose, l.asked, l.confirmed, l.refused, l.silent);
    }
}

/// `verify`: a ledger, a receipt, or both.
#[derive(clap::Args)]
struct VerifyArgs {
    /// The ledger: its SQLite file or a JSON-lines export.
    #[arg(long)]
    ledger: Option<PathBuf>,
    /// The ledger in a database: `postgres://USER:PASSWORD@HOST:PORT/DBNAME`
    /// or a SQLite path / `sqlite:PATH` (read only). TLS verified with
    /// `?sslmode=verify-full&sslrootcert=CA.pem`, as for `serve`.
    #[arg(long = "database", env = "FIABLE_DATABASE_URL", hide_env_values = true)]
    database: Option<Database>,
    /// A receipt (JSON) to check.
    #[arg(long)]
    receipt: Option<PathBuf>,
    /// The record (JSON) the receipt is for: its hash is checked too
    /// (needs the receipt's `prev_hash`, which the receipt carries).
    #[arg(long)]
    record: Option<PathBuf>,
    /// The expected public key: 64 hex digits, or a file holding them
    /// (what `GET /v1/consents/public-key` serves). Required for a
    /// receipt, a head or a proof; without it a ledger is checked under
    /// the key it carries itself, which proves nothing against whoever
    /// can rewrite it (said in the output).
    #[arg(long)]
    public_key: Option<String>,
    /// A signed tree head (JSON, `GET /v1/log/head` or a witness state
    /// file) that the ledger must still match: catches a truncated or
    /// rewritten tail.
    #[arg(long)]
    head: Option<PathBuf>,
    /// An inclusion proof (JSON, `GET /v1/log/inclusion?seq=N`): the
    /// receipt it carries (and `--receipt`, when given) is in the signed
    /// tree.
    #[arg(long)]
    inclusion: Option<PathBuf>,
    /// A consistency proof (JSON, `GET /v1/log/consistency?first=A`): the
    /// newer head extends the older one; with `--head`, the older head
    /// must be that one.
    #[arg(long)]
    consistency: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Serve(args) => {
            let ServeArgs { http: config, consent } = *args;
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        // The DNS library may name the domains it asks: only its errors.
                        .unwrap_or_else(|_| {
                            tracing_subscriber::EnvFilter::new("info,hickory_resolver=error,hickory_net=error,hickory_proto=error")
                        }),
                )
                // Colours for a terminal only: a log file gets plain lines
                // (and a line per request costs less to write).
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
                .init();
            let rt = tokio::runtime::Runtime::new()?;
            let consent = fiable_lookup::consent::ConsentState::open(&consent, &config.cors_origins)?;
            rt.block_on(fiable_lookup::app::serve(config, Some(consent)))?;
        }
        Cmd::Verify(args) => std::process::exit(verify(args)?),
        Cmd::Repermission(args) => repermission(*args)?,
        Cmd::MailSink(config) => {
            tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new("warn")).with_writer(std::io::stderr).init();
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async {
                let sink = fiable_lookup::smtp::sink::Sink::bind(&config).await?;
                println!(
                    "mail-sink: listening on {}, messages in {} (demo only: nothing is relayed)",
                    sink.local_addr()?,
                    config.maildir.display()
                );
                tokio::select! {
                    () = sink.run(|m| println!("{}", m.line())) => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
                anyhow::Ok(())
            })?;
        }
        Cmd::Witness { url, state, public_key, trust_on_first_use } => {
            use fiable_lookup::consent::witness;
            let key = public_key.as_deref().map(read_key).transpose()?;
            match witness::run(&url, &state, key.as_deref(), trust_on_first_use)? {
                witness::Outcome::Ok { head, pinned_now, rotated } => {
                    for k in &rotated {
                        println!("ROTATED: the log handed over to key {k} in a rotation signed by the key it replaces; now pinned");
                    }
                    if pinned_now {
                        println!(
                            "PINNED the log key {} (key id {}) in {}: every later head must be signed by it",
                            head.public_key,
                            head.key_id,
                            state.display()
                        );
                    }
                    println!("{url}: OK, {} entries, root {} signed at {}", head.size, head.root_hash, head.timestamp);
                }
                witness::Outcome::Alarm(w) => {
                    eprintln!("{url}: ALARM: {w}");
                    println!("{url}: ALARM: {w}");
                    std::process::exit(1);
                }
            }
        }
        Cmd::Export { db, database, out } => {
            let db = database.unwrap_or(Database::Sqlite(db));
            let store = fiable_lookup::consent::store::Store::connect_read_only(&db).with_context(|| format!("opening {db}"))?;
            let n = match out {
                Some(p) => {
                    let mut f = std::io::BufWriter::new(std::fs::File::create(&p)?);
                    let n = fiable_lookup::consent::store::export(&store, &mut f)?;
                    std::io::Write::flush(&mut f)?;
                    n
                }
                None => fiable_lookup::consent::store::export(&store, &mut std::io::stdout().lock())?,
            };
            eprintln!("exported {n} entries");
        }
        Cmd::Purge { db, database, key, now, dry_run } => {
            use fiable_lookup::consent::{ledger, retention, sign::Signer, store::Store};
            let now = match now {
                Some(t) => ledger::parse_rfc3339(&t).with_context(|| format!("--now {t:?} is not an RFC 3339 date-time"))?,
                None => ledger::parse_rfc3339(&ledger::now_rfc3339()).context("clock")?,
            };
            let db = database.unwrap_or(Database::Sqlite(db));
            if let Database::Sqlite(path) = &db {
                if !path.exists() {
                    anyhow::bail!("{}: no such ledger", path.display());
                }
            }
            // Erasures are written, so the store is opened for writing
            // (migrations included): one connection is enough.
            let store = Store::connect(&db, 1).map_err(|e| anyhow::anyhow!("{db}: {e}"))?;
            if !key.exists() {
                anyhow::bail!("{}: no signing key (the one the service signs with)", key.display());
            }
            let signer = Signer::load_or_create(&key)?;
            let r = retention::purge(&store, &signer, now, dry_run)?;
            println!(
                "purge{}: {} subjects with personal data, {} past retention, {} erased",
                if dry_run { " (dry run)" } else { "" },
                r.subjects,
                r.expired,
                r.erased
            );
        }
        Cmd::Breach { action, ledger } => breach(action, ledger)?,
        Cmd::ProcessingRecord { configs, markdown, json, smtp_relay, transfers } => {
            use fiable_lookup::processing;
            let mut forms = Vec::new();
            for path in &configs {
                for c in processing::read_configs(path)? {
                    forms.push((path.display().to_string(), c));
                }
            }
            let record = processing::build(&forms, &processing::Deployment { smtp_relay, transfers });
            if let Some(p) = &json {
                std::fs::write(p, serde_json::to_string_pretty(&record)? + "\n").with_context(|| format!("writing {}", p.display()))?;
            }
            match &markdown {
                Some(p) => std::fs::write(p, record.to_markdown()).with_context(|| format!("writing {}", p.display()))?,
                None if json.is_none() => print!("{}", record.to_markdown()),
                None => {}
            }
            eprintln!("processing record: {} forms, {} recipients", record.activities.len(), record.recipients.len());
        }
        Cmd::RotateKey { consent, new_key } => {
            use fiable_lookup::consent::{ConsentState, log, sign::Signer, store::Store};
            let db = ConsentState::database(&consent);
            let store = Store::connect(&db, 1).map_err(|e| anyhow::anyhow!("{db}: {e}"))?;
            let old = Signer::load(&consent.key)?;
            let old_id = log::key_id(old.public_key_hex()).unwrap_or_default();
            store
                .pin_key("signing", &old_id, &old.check_value(), Some(old.public_key_hex()))
                .map_err(|e| anyhow::anyhow!("{}: {e}", consent.key.display()))?;
            let new = Signer::load_or_create(&new_key)?;
            let r = store.rotate_key(&old, &new).map_err(|e| anyhow::anyhow!("{db}: {e}"))?;
            println!(
                "rotated: entry {} (signed by key {old_id}) hands over to key {} ({}). Restart the service with --consent-key {}, and give witnesses and auditors the new public key",
                r.seq,
                log::key_id(new.public_key_hex()).unwrap_or_default(),
                new.public_key_hex(),
                new_key.display()
            );
        }
        Cmd::RotateKek { consent, new_kek } => {
            use fiable_lookup::consent::{ConsentState, store::Store, vault::Kek};
            let db = ConsentState::database(&consent);
            let store = Store::connect(&db, 1).map_err(|e| anyhow::anyhow!("{db}: {e}"))?;
            let hex = std::env::var("FIABLE_CONSENT_KEK_HEX").ok().filter(|v| !v.is_empty());
            let old = Kek::load(&consent.kek_path(), hex.as_deref(), false)?;
            store.pin_key("kek", &old.id(), &old.check_value(), None).map_err(|e| anyhow::anyhow!("{}: {e}", consent.kek_source()))?;
            let old_id = old.id();
            store.set_kek(old);
            store.wrap_clear_keys().map_err(|e| anyhow::anyhow!("{db}: {e}"))?;
            let new = Kek::load(&new_kek, None, true)?;
            if new.id() == old_id {
                anyhow::bail!("{}: the new KEK is the old one", new_kek.display());
            }
            let n = store.rotate_kek(&new).map_err(|e| anyhow::anyhow!("{db}: {e}"))?;
            println!(
                "re-wrapped {n} subject keys from KEK {old_id} to KEK {}. Restart the service with --consent-kek {}, then destroy the old KEK",
                new.id(),
                new_kek.display()
            );
        }
        Cmd::Index { files, out, run_len } => {
            let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let r = address::index::write(&files, &out, &BuildOptions { progress, run_len, ..Default::default() })
                .with_context(|| format!("building {}", out.display()))?;
            eprintln!(
                "{}: {} rows ({} skipped), {} localities, {} streets, {} numbers, {} tokens, {:.1} MiB in {:.1?}",
                out.display(),
                r.read.rows,
                r.read.skipped,
                r.localities,
                r.streets,
                r.numbers,
                r.tokens,
                r.bytes as f64 / 1048576.0,
                r.elapsed
            );
            for s in &r.read.samples {
                eprintln!("  skipped {s}");
            }
        }
        Cmd::Synth { rows, seed, vocabulary, communes, out } => {
            let t = Instant::now();
            let v = fiable_lookup::synth::learn(&vocabulary)?;
            let places = fiable_lookup::synth::load_communes(&communes).with_context(|| format!("reading {}", communes.display()))?;
            let (n, communes) =
                fiable_lookup::synth::generate(&v, &places, rows, seed, &out).with_context(|| format!("writing {}", out.display()))?;
            eprintln!("{}: {n} rows, {communes} communes in {:.1?}", out.display(), t.elapsed());
        }
        Cmd::Corpus { from, n, seed, out } => {
            let cases = fiable_lookup::quality::make_corpus(&from, n, seed)?;
            let mut f = std::io::BufWriter::new(std::fs::File::create(&out)?);
            let name = from.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
            fiable_lookup::quality::write_corpus(&cases, &mut f, &format!("{name} (seed {seed})"))?;
            eprintln!("{}: {} queries", out.display(), cases.len());
        }
        Cmd::Bench { index, corpus, rounds } => {
            let t = Instant::now();
            let idx = Index::open(&index)?;
            eprintln!("opened {} ({:.1} MiB) in {:.1?}", index.display(), idx.byte_len() as f64 / 1048576.0, t.elapsed());
            let cases = fiable_lookup::quality::read_corpus(std::io::BufReader::new(std::fs::File::open(&corpus)?))?;
            let r = fiable_lookup::quality::evaluate(&idx, &cases, rounds);
            print!("{}", r.summary());
            for (q, got) in r.misses.iter().take(10) {
                println!("  miss: {q:?} → {got:?}");
            }
            if let Some(rss) = rss_kib() {
                println!("resident memory: {:.1} MiB", rss as f64 / 1024.0);
            }
        }
        Cmd::Query { index, q, postcode, citycode, limit } => {
            let idx = Index::open(&index)?;
            let t = Instant::now();
            let hits = address::search(&idx, &q, &Filters { postcode, citycode }, limit);
            let el = t.elapsed();
            for h in &hits {
                println!("{}", serde_json::to_string(h)?);
            }
            eprintln!("{} hits in {el:.2?}", hits.len());
        }
    }
    Ok(())
}

/// `fiable-lookup verify`: prints what holds, returns the exit code (0: all
/// verified; 1: something is broken, the first break is named).
fn verify(args: VerifyArgs) -> anyhow::Result<i32> {
    use fiable_lookup::consent::log;
    use fiable_lookup::consent::{ledger, store};
    let key = args.public_key.as_deref().map(read_key).transpose()?;
    if args.ledger.is_none() && args.database.is_none() && args.receipt.is_none() && args.inclusion.is_none() && args.consistency.is_none()
    {
        anyhow::bail!("give --ledger, --database, --receipt, --inclusion and/or --consistency");
    }
    let head: Option<log::TreeHead> = match &args.head {
        None => None,
        Some(p) => {
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p)?).with_context(|| format!("{}: not JSON", p.display()))?;
            // A witness state file holds the head under "head".
            let h = if v.get("head").is_some() { v["head"].clone() } else { v };
            Some(serde_json::from_value(h).with_context(|| format!("{}: not a signed tree head", p.display()))?)
        }
    };
    if head.is_some() && key.is_none() {
        anyhow::bail!("--public-key is required to check a signed head");
    }
    let mut ok = true;
    let check_head = |what: &str, s: &store::Store| -> bool {
        let (Some(h), Some(k)) = (&head, &key) else {
            return true;
        };
        let mut entries = Vec::new();
        let read = s.for_each(|e| {
            entries.push(e);
            Ok::<_, store::StoreError>(())
        });
        // The head is signed by the key in force after its last entry:
        // the pinned key, or the one its rotations handed over to.
        let key_at = |entries: &[ledger::Entry]| -> Result<String, String> {
            let mut v = ledger::ChainVerifier::new(Some(k.clone()));
            for e in entries.iter().take(usize::try_from(h.size).unwrap_or(usize::MAX)) {
                v.push(e).map_err(|b| b.to_string())?;
            }
            Ok(v.current_key().unwrap_or(k).to_string())
        };
        let r = read
            .map_err(|e| e.to_string())
            .and_then(|()| key_at(&entries))
            .and_then(|key| log::check_against_head(&mut entries.into_iter(), h, &key));
        match r {
            Ok(()) => {
                println!("{what}: OK, matches the signed head of {} entries ({})", h.size, h.timestamp);
                true
            }
            Err(w) => {
                println!("{what}: BROKEN against the signed head: {w}");
                false
            }
        }
    };
    if let Some(db) = &args.database {
        let r = store::Store::connect_read_only(db).with_context(|| format!("opening {db}"))?;
        match store::verify(&r, key.as_deref()) {
            Ok(v) => println!("{db}: OK, {} entries, chain head {}{}", v.entries, v.head, rotations(&v)),
            Err(b) => {
                println!("{db}: BROKEN at {b}");
                ok = false;
            }
        }
        ok &= check_head(&db.to_string(), &r);
    }
    if let Some(path) = &args.ledger {
        let mut head = [0u8; 16];
        let is_sqlite = std::io::Read::read_exact(&mut std::fs::File::open(path)?, &mut head).is_ok() && &head == b"SQLite format 3\0";
        let r = if is_sqlite {
            let s = store::Store::open_read_only(path)?;
            ok &= check_head(&path.display().to_string(), &s);
            store::verify(&s, key.as_deref())
        } else {
            ledger::verify_export(&std::fs::read(path)?, key.as_deref())
        };
        match r {
            Ok(v) => println!("{}: OK, {} entries, chain head {}{}", path.display(), v.entries, v.head, rotations(&v)),
            Err(b) => {
                println!("{}: BROKEN at {b}", path.display());
                ok = false;
            }
        }
    }
    if let Some(path) = &args.receipt {
        let key = key.as_deref().context("--public-key is required to verify a receipt")?;
        let receipt: ledger::Receipt =
            serde_json::from_slice(&std::fs::read(path)?).with_context(|| format!("{}: not a receipt", path.display()))?;
        let mut r = ledger::verify_receipt(&receipt, Some(key));
        if let (Ok(()), Some(rec)) = (&r, &args.record) {
            let record: fiable_consent::ConsentRecord = serde_json::from_slice(&std::fs::read(rec)?)?;
            if record.record_id != receipt.id {
                r = Err("the record's id is not the receipt's".into());
            } else if ledger::chain_hash(&receipt.prev_hash, &record.canonical_json()).as_deref() != Some(receipt.hash.as_str()) {
                r = Err("the record's hash is not the receipt's: the record was changed".into());
            }
        }
        match r {
            Ok(()) => println!("{}: OK, receipt seq {} signed at {}", path.display(), receipt.seq, receipt.signed_at),
            Err(w) => {
                println!("{}: BROKEN at seq {}: {w}", path.display(), receipt.seq);
                ok = false;
            }
        }
    }
    // After the results (scripts read the first line), and loud.
    if key.is_none() && (args.ledger.is_some() || args.database.is_some()) {
        println!(
            "WARNING: no --public-key: the ledger was checked under the key stored in it, so this only shows it is self-consistent; \
             whoever can write the database can rewrite and re-sign it. Give the key you hold (and --head) to detect that."
        );
    }
    if let Some(path) = &args.inclusion {
        let key = key.as_deref().context("--public-key is required to check an inclusion proof")?;
        let p: log::InclusionProof =
            serde_json::from_slice(&std::fs::read(path)?).with_context(|| format!("{}: not an inclusion proof", path.display()))?;
        let mut r = log::verify_inclusion(&p, key);
        if let (Ok(()), Some(rp)) = (&r, &args.receipt) {
            let receipt: ledger::Receipt = serde_json::from_slice(&std::fs::read(rp)?)?;
            if (receipt.id.as_str(), receipt.seq, receipt.hash.as_str()) != (p.receipt.id.as_str(), p.receipt.seq, p.receipt.hash.as_str())
            {
                r = Err(format!("the proof is for another entry than {}", rp.display()));
            }
        }
        if let (Ok(()), Some(h)) = (&r, &head) {
            if h.size == p.head.size && h.root_hash != p.head.root_hash {
                r = Err("FORK: the proof's head and --head have one size and two roots".into());
            }
        }
        match r {
            Ok(()) => println!(
                "{}: OK, seq {} is in the tree of {} entries signed at {}",
                path.display(),
                p.receipt.seq,
                p.head.size,
                p.head.timestamp
            ),
            Err(w) => {
                println!("{}: BROKEN: {w}", path.display());
                ok = false;
            }
        }
    }
    if let Some(path) = &args.consistency {
        let key = key.as_deref().context("--public-key is required to check a consistency proof")?;
        let p: log::ConsistencyProof =
            serde_json::from_slice(&std::fs::read(path)?).with_context(|| format!("{}: not a consistency proof", path.display()))?;
        // The older head is the one the verifier holds, when given.
        let first = head.clone().unwrap_or_else(|| p.first.clone());
        let r = if first.size == p.first.size && first.root_hash != p.first.root_hash {
            Err(format!("FORK: two roots for size {}", first.size))
        } else {
            log::verify_consistency(&first, &p.second, &p.proof, key)
        };
        match r {
            Ok(()) => println!("{}: OK, the tree of {} entries extends the tree of {}", path.display(), p.second.size, first.size),
            Err(w) => {
                println!("{}: BROKEN: {w}", path.display());
                ok = false;
            }
        }
    }
    Ok(if ok { 0 } else { 1 })
}

/// `fiable-lookup breach …`.
fn breach(action: BreachCmd, args: LedgerArgs) -> anyhow::Result<()> {
    use fiable_lookup::consent::{breach, ledger, log, sign::Signer, store::Store};
    let now = match &args.now {
        Some(t) => ledger::parse_rfc3339(t).with_context(|| format!("--now {t:?} is not an RFC 3339 date-time"))?,
        None => ledger::parse_rfc3339(&ledger::now_rfc3339()).context("clock")?,
    };
    let db = args.database.unwrap_or(Database::Sqlite(args.db));
    if let Database::Sqlite(path) = &db {
        if !path.exists() {
            anyhow::bail!("{}: no such ledger", path.display());
        }
    }
    let store = Store::connect(&db, 1).map_err(|e| anyhow::anyhow!("{db}: {e}"))?;
    // Writing needs the ledger's own signing key: another key would put a
    // second signer on the chain (and the service would refuse to start).
    let signer = || -> anyhow::Result<Signer> {
        if !args.key.exists() {
            anyhow::bail!("{}: no signing key (the one the service signs with)", args.key.display());
        }
        let signer = Signer::load_or_create(&args.key)?;
        let id = log::key_id(signer.public_key_hex()).unwrap_or_default();
        store
            .pin_key("signing", &id, &signer.check_value(), Some(signer.public_key_hex()))
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.key.display()))?;
        Ok(signer)
    };
    let find = |id: &str| -> anyhow::Result<breach::Case> {
        breach::register(&store)?.into_iter().find(|c| c.id == id).with_context(|| format!("no breach {id} in the register"))
    };
    let write_out = |case: &breach::Case, draft: Option<PathBuf>, subjects: Option<PathBuf>| -> anyhow::Result<()> {
        let confirm_within =
            fiable_lookup::consent::optin::OptInConfig { hours: args.double_opt_in_hours, ..Default::default() }.valid_for();
        let impact = breach::impact(&store, case, now, confirm_within)?;
        let text = breach::draft(case, &impact, now);
        match draft {
            Some(p) => std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?,
            None => print!("{text}"),
        }
        if let Some(p) = subjects {
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = opts.open(&p).with_context(|| format!("writing {}", p.display()))?;
            for s in &impact.subjects {
                writeln!(f, "{s}")?;
            }
        }
        eprintln!(
            "breach {}: {} subjects in the window, notify by {}",
            case.id,
            impact.subjects.len(),
            case.deadline().unwrap_or_default()
        );
        Ok(())
    };
    use std::io::Write;
    match action {
        BreachCmd::Open { started_at, discovered_at, nature, categories, systems, draft, subjects } => {
            let (case, receipt) =
                breach::open(&store, &signer()?, breach::Opening { started_at, discovered_at, nature, categories, systems })?;
            eprintln!("opened breach {} (ledger seq {})", case.id, receipt.seq);
            write_out(&case, draft, subjects)?;
        }
        BreachCmd::Close { id, ended_at, measures, draft, subjects } => {
            let (case, receipt) = breach::close(&store, &signer()?, &id, &ended_at, &measures)?;
            eprintln!("closed breach {} (ledger seq {})", case.id, receipt.seq);
            write_out(&case, draft, subjects)?;
        }
        BreachCmd::Draft { id, draft, subjects } => write_out(&find(&id)?, draft, subjects)?,
        BreachCmd::List => {
            let cases = breach::register(&store)?;
            if cases.is_empty() {
                println!("the breach register is empty");
            }
            for c in cases {
                let o = &c.open;
                let state = match &c.close {
                    Some(cl) => format!("closed, ended {}", cl.ended_at.clone().unwrap_or_default()),
                    None => "OPEN".into(),
                };
                let late = c.discovered().is_some_and(|d| now > d + breach::NOTIFY_WITHIN_HOURS * 3600);
                println!(
                    "{}\t{state}\tstarted {}\tdiscovered {}\tnotify by {}{}\t{}",
                    c.id,
                    o.started_at.clone().unwrap_or_default(),
                    o.discovered_at.clone().unwrap_or_default(),
                    c.deadline().unwrap_or_default(),
                    if late && c.close.is_none() { " (PASSED)" } else { "" },
                    o.categories.join(", ")
                );
            }
        }
    }
    Ok(())
}

/// How a verified ledger's key rotations are reported.
fn rotations(v: &fiable_lookup::consent::ledger::Verified) -> String {
    match (v.rotations, &v.public_key) {
        (0, _) => String::new(),
        (n, Some(k)) => format!(", {n} key rotation(s) followed, key in force {k}"),
        (n, None) => format!(", {n} key rotation(s) followed"),
    }
}

/// A public key given as 64 hex digits or as a file holding them.
fn read_key(k: &str) -> anyhow::Result<String> {
    let k = if k.len() == 64 && k.bytes().all(|c| c.is_ascii_hexdigit()) {
        k.to_string()
    } else {
        std::fs::read_to_string(k).with_context(|| format!("reading public key {k}"))?.trim().to_string()
    };
    if k.len() != 64 || !k.bytes().all(|c| c.is_ascii_hexdigit()) {
        anyhow::bail!("the public key is not 64 hex digits");
    }
    Ok(k.to_ascii_lowercase())
}

/// Resident set size of this process (Linux), in KiB.
fn rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        // Flattened settings (DNS, mailbox probe, relay…) must not reuse an argument id.
        super::Cli::command().debug_assert();
    }
}
