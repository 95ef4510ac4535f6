//! The consent ledger: `POST /v1/consents` appends a record checked by
//! `fiable_consent` to an append-only, hash-chained ledger (SQLite by
//! default, PostgreSQL with `--database postgres://…`, see `store`) and
//! returns an Ed25519-signed receipt that verifies offline
//! (`fiable-lookup verify`).
//!
//! Personal data (crypto-shredding): a submission may carry the person's
//! contact data (`subject_data`). The service derives the pseudonymous
//! subject from it (blind indexes: HMAC-SHA256 of the normalised email,
//! then phone, under the service's index key; else a fresh random
//! `s_…`), seals it under a per-subject key (ChaCha20-Poly1305, the record
//! id as associated data) and hashes only the sealed form into the chain.
//! Keys and blind indexes live in mutable tables beside the ledger
//! ([`vault`], the subjects-vault part of [`store`]), in the same database
//! (SQLite or PostgreSQL), the keys only wrapped under the key-encryption
//! key (`--consent-kek`, outside the database): service instances sharing
//! a PostgreSQL database must share the index key and the KEK too
//! (`--consent-index-key`), so that one email gives one pseudonym whichever
//! instance sees it first.
//!
//! Subject rights (HTTP in `crate::routes::rights`, admin API key): access
//! and portability (`GET /v1/subjects/{ref}/consents`, decrypted),
//! withdrawal (a new record), erasure (`DELETE /v1/subjects/{ref}`: the key
//! and indexes are destroyed, an erasure record is appended as proof, the
//! chain still verifies), duplicate check for advisors (`POST /v1/match`,
//! blind indexes only, [`matching`]), retention (`fiable-lookup purge`,
//! [`retention`]).
//! API keys are scoped ([`auth`]): `advisor` for store/phone records and
//! matching, `admin` for everything.
use std::path::PathBuf;
use std::sync::Arc;

pub mod auth;
pub mod breach;
pub mod ledger;
pub mod log;
pub mod matching;
pub mod optin;
pub mod repermission;
pub mod retention;
pub mod returns;
pub mod sign;
pub mod state;
pub mod store;
pub mod vault;
pub mod witness;

/// Consent configuration: flags or environment.
#[derive(clap::Args, Clone, Debug)]
#[group(id = "consent")]
pub struct Config {
    /// SQLite file of the consent ledger (created if missing), unless
    /// `--database` is given.
    #[arg(long = "consent-db", env = "FIABLE_CONSENT_DB", default_value = "fiable-consent.sqlite")]
    pub db: PathBuf,
    /// Database of the consent ledger, instead of `--consent-db`:
    /// `postgres://USER:PASSWORD@HOST:PORT/DBNAME` for PostgreSQL (several
    /// service instances may share it), or a SQLite path / `sqlite:PATH`.
    /// Migrations run at start. TLS with the server's certificate and
    /// host name verified: `?sslmode=verify-full&sslrootcert=/path/ca.pem`
    /// (`require` and `verify-ca` mean the same here; `prefer` is refused);
    /// a server that does not verify is refused. Without `sslmode` the
    /// connection is plain text: a private network or a local socket only.
    /// Prefer the environment variable for a URL with a password (a flag
    /// shows in `ps`).
    #[arg(long = "database", env = "FIABLE_DATABASE_URL", hide_env_values = true)]
    pub database: Option<store::Database>,
    /// Most PostgreSQL connections one service instance opens.
    #[arg(long = "database-pool", env = "FIABLE_DATABASE_POOL", default_value_t = 8)]
    pub pool: usize,
    /// Ed25519 signing key of receipts (64 hex digits; created with mode 0600 if missing).
    #[arg(long = "consent-key", env = "FIABLE_CONSENT_KEY", default_value = "fiable-consent.key")]
    pub key: PathBuf,
    /// Secret key of the blind indexes (64 hex digits; created with mode
    /// 0600 if missing). Default: beside the SQLite ledger, `<db>.index.key`;
    /// with PostgreSQL, beside the signing key, `<consent-key>.index.key`.
    /// Every instance on one database needs the same one.
    #[arg(long = "consent-index-key", env = "FIABLE_CONSENT_INDEX_KEY")]
    pub index_key: Option<PathBuf>,
    /// Key-encryption key (KEK) of the per-subject keys: a file of 64 hex
    /// digits (created with mode 0600 only beside a brand-new database;
    /// keep it off the database's disk and backups). The environment
    /// variable `FIABLE_CONSENT_KEK_HEX`, when set, gives the key itself
    /// instead. Default: beside the SQLite ledger, `<db>.kek`; with
    /// PostgreSQL, beside the signing key, `<consent-key>.kek`.
    #[arg(long = "consent-kek", env = "FIABLE_CONSENT_KEK")]
    pub kek: Option<PathBuf>,
    /// Shorthand for `--api-key admin:<key>`.
    #[arg(long = "admin-key", env = "FIABLE_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,
    /// Scoped API key, `advisor:<key>` (store/phone records, duplicate
    /// check) or `admin:<key>` (subject rights, and what advisors do);
    /// repeatable. Without any, those routes answer 401.
    #[arg(long = "api-key", env = "FIABLE_API_KEYS", value_delimiter = ',', hide_env_values = true)]
    pub api_keys: Vec<String>,
    /// The list of erased subjects kept outside the database (one
    /// pseudonymous reference a line), applied again at every start so a
    /// restored backup forgets them too. Default: beside the SQLite
    /// ledger, `<db>.erasures`; with PostgreSQL, beside the signing key.
    #[arg(long = "consent-erasure-list", env = "FIABLE_CONSENT_ERASURE_LIST")]
    pub erasure_list: Option<PathBuf>,
    /// Largest consent request body, in bytes.
    #[arg(long = "consent-max-body", env = "FIABLE_CONSENT_MAX_BODY", default_value_t = 32 * 1024)]
    pub max_body: usize,
    /// Most consent appends waiting for the writer; past it a submission
    /// gets 503 `consent.busy` with `Retry-After` instead of a longer wait.
    #[arg(long = "consent-max-queue", env = "FIABLE_CONSENT_MAX_QUEUE", default_value_t = DEFAULT_MAX_QUEUE)]
    pub max_queue: usize,
    /// Double opt-in: the SMTP relay and the confirmation links ([`optin`]).
    #[command(flatten)]
    pub optin: optin::OptInConfig,
    /// The key of re-permission links (64 hex digits, the file
    /// `fiable-lookup repermission --create-key` made; never created
    /// here). Without it the re-permission page answers 404.
    #[arg(long = "repermission-key", env = "FIABLE_REPERMISSION_KEY")]
    pub repermission_key: Option<PathBuf>,
    /// A re-permission campaign whose links this service answers: its
    /// definition, or the `campaign.json` of its run directory; repeatable.
    #[arg(long = "repermission-campaign", env = "FIABLE_REPERMISSION_CAMPAIGNS", value_delimiter = ',')]
    pub repermission_campaigns: Vec<PathBuf>,
}

/// Default of `--consent-max-queue`: four full group commits.
pub const DEFAULT_MAX_QUEUE: usize = 4 * store::batch::MAX_BATCH;

/// Shared state of the consent routes (`crate::routes::consent`,
/// `crate::routes::rights`).
#[derive(Clone, Debug)]
pub struct ConsentState {
    /// The ledger.
    pub store: Arc<store::Store>,
    /// The receipt signer.
    pub signer: Arc<sign::Signer>,
    /// The API keys and their scopes.
    pub keys: Arc<auth::ApiKeys>,
    /// The blind-index key.
    pub index_key: Arc<vault::IndexKey>,
    /// The Merkle tree over the ledger (signed heads, proofs).
    pub log: Arc<log::Log>,
    /// Largest request body.
    pub max_body: usize,
    /// Origins allowed by CORS for the widget's `POST /v1/consents`.
    pub cors_origins: Vec<String>,
    /// Most appends waiting for the writer before 503 `consent.busy`.
    pub max_queue: usize,
    /// The mailer of double opt-in links (`None`: no relay, no mail).
    pub optin: Option<Arc<optin::OptIn>>,
    /// The re-permission campaigns and their key (`None`: the page answers 404).
    pub repermission: Option<Arc<repermission::Campaigns>>,
    /// The double opt-in delay (`--double-opt-in-hours`): how readers of
    /// the ledger judge a grant still waiting for its confirmation
    /// ([`state::effective`]), with or without a relay.
    pub confirm_within: std::time::Duration,
}

impl ConsentState {
    /// The ledger's database: `--database`, else the `--consent-db` file.
    pub fn database(config: &Config) -> store::Database {
        config.database.clone().unwrap_or_else(|| store::Database::Sqlite(config.db.clone()))
    }

    /// Opens the ledger (running migrations) and the signing key named by
    /// `config`. Blocking: call it before entering the async runtime.
    pub fn open(config: &Config, cors_origins: &[String]) -> anyhow::Result<Self> {
        let db = Self::database(config);
        let store = store::Store::connect(&db, config.pool).map_err(|e| anyhow::anyhow!("{db}: {e}"))?;
        // Keys are generated only beside a brand-new, empty database: next
        // to existing data a missing key file is an error, never a new key
        // (two keys on one chain, or pseudonyms split in two).
        let fresh = store.is_empty().map_err(|e| anyhow::anyhow!("{db}: {e}"))?
            && store.vault_subjects().map_err(|e| anyhow::anyhow!("{db}: {e}"))?.is_empty();
        let missing = |p: &std::path::Path, what: &str| -> anyhow::Result<()> {
            if !fresh && !p.exists() {
                anyhow::bail!(
                    "{}: the {what} file is missing and {db} already holds data: refusing to generate a new key next to it. Restore the key file (or create keys with `fiable-lookup keygen` for a new database)",
                    p.display()
                );
            }
            Ok(())
        };
        missing(&config.key, "consent signing key")?;
        missing(&config.index_key_path(), "consent index key")?;
        let kek_hex = std::env::var("FIABLE_CONSENT_KEK_HEX").ok().filter(|v| !v.is_empty());
        let kek = vault::Kek::load(&config.kek_path(), kek_hex.as_deref(), fresh)?;
        let signer = sign::Signer::load_or_create(&config.key)?;
        let keys = auth::ApiKeys::parse(&config.api_keys, config.admin_key.as_deref()).map_err(|e| anyhow::anyhow!("--api-key: {e}"))?;
        let index_key = vault::IndexKey::load_or_create(&config.index_key_path())?;
        let signing_id = log::key_id(signer.public_key_hex()).unwrap_or_default();
        store
            .pin_key("signing", &signing_id, &signer.check_value(), Some(signer.public_key_hex()))
            .map_err(|e| anyhow::anyhow!("{}: {e}", config.key.display()))?;
        let (index_id, index_check) = index_key.id_and_check();
        store.pin_key("index", &index_id, &index_check, None).map_err(|e| anyhow::anyhow!("{}: {e}", config.index_key_path().display()))?;
        // The KEK is checked before any key is unwrapped or wrapped under
        // it; then keys still in clear (a database from before the KEK)
        // are wrapped.
        store.pin_key("kek", &kek.id(), &kek.check_value(), None).map_err(|e| anyhow::anyhow!("{}: {e}", config.kek_source()))?;
        let kek_id = kek.id();
        store.set_kek(kek);
        let wrapped = store.wrap_clear_keys().map_err(|e| anyhow::anyhow!("{db}: {e}"))?;
        if wrapped > 0 {
            tracing::warn!(subjects = wrapped, kek_id = %kek_id, "wrapped subject keys that were stored in clear under the KEK");
        }
        // A backup restored from before an erasure must not bring the
        // person back: the erasures recorded are applied again.
        let list = config.erasure_list_path();
        let reapplied = store.keep_erasure_list(&list).map_err(|e| anyhow::anyhow!("{db}: {e}"))?;
        if reapplied > 0 {
            tracing::warn!(
                subjects = reapplied,
                "re-applied erasures: keys of erased subjects were present (restored backup?) and are deleted again"
            );
        }
        tracing::info!(signing_key_id = %signing_id, index_key_id = %index_id, kek_id = %kek_id, "consent keys checked against the database");
        let mut st = Self::new(store, signer, None, config.max_body, cors_origins.to_vec()).with_api_keys(keys).with_index_key(index_key);
        st.max_queue = config.max_queue.max(1);
        st.optin = optin::OptIn::from_config(&config.optin).map(Arc::new);
        st.confirm_within = config.optin.valid_for();
        match (&config.repermission_key, config.repermission_campaigns.is_empty()) {
            (Some(key), _) => st.repermission = Some(Arc::new(repermission::Campaigns::load(key, &config.repermission_campaigns)?)),
            (None, false) => anyhow::bail!("--repermission-campaign needs --repermission-key (the key its links were signed with)"),
            (None, true) => {}
        }
        Ok(st)
    }

    /// State around an opened store and key, with `admin_key` as the one
    /// API key and an index key derived from the signing key (see
    /// [`Self::with_api_keys`], [`Self::with_index_key`]).
    pub fn new(store: store::Store, signer: sign::Signer, admin_key: Option<&str>, max_body: usize, cors_origins: Vec<String>) -> Self {
        let mut keys = auth::ApiKeys::default();
        if let Some(k) = admin_key.filter(|k| !k.is_empty()) {
            keys.add(auth::Scope::Admin, k);
        }
        let index_key = vault::IndexKey::derived_from(&signer);
        // Embedders and tests that set none get a KEK derived like the
        // index key; `open` sets the real one first.
        store.set_kek(vault::Kek::derived_from(&signer));
        ConsentState {
            store: Arc::new(store),
            signer: Arc::new(signer),
            keys: Arc::new(keys),
            index_key: Arc::new(index_key),
            log: Arc::new(log::Log::new()),
            max_body,
            cors_origins,
            max_queue: DEFAULT_MAX_QUEUE,
            optin: None,
            repermission: None,
            confirm_within: optin::OptInConfig::default().valid_for(),
        }
    }

    /// Answers the links of these re-permission campaigns.
    pub fn with_repermission(mut self, campaigns: repermission::Campaigns) -> Self {
        self.repermission = Some(Arc::new(campaigns));
        self
    }

    /// Sends double opt-in mails through `optin`'s relay.
    pub fn with_opt_in(mut self, optin: optin::OptIn) -> Self {
        self.confirm_within = optin.valid_for();
        self.optin = Some(Arc::new(optin));
        self
    }

    /// Replaces the API keys.
    pub fn with_api_keys(mut self, keys: auth::ApiKeys) -> Self {
        self.keys = Arc::new(keys);
        self
    }

    /// Replaces the blind-index key.
    pub fn with_index_key(mut self, key: vault::IndexKey) -> Self {
        self.index_key = Arc::new(key);
        self
    }

    /// Whether `given` is an admin key (constant-time comparison).
    pub fn is_admin(&self, given: &str) -> bool {
        self.keys.scope_of(given) == Some(auth::Scope::Admin)
    }
}

impl Config {
    /// The erasure list file: `--consent-erasure-list`, else beside the
    /// SQLite ledger, or beside the signing key for PostgreSQL.
    pub fn erasure_list_path(&self) -> PathBuf {
        self.erasure_list.clone().unwrap_or_else(|| match &self.database {
            Some(store::Database::Postgres(_)) => self.key.with_extension("erasures"),
            Some(store::Database::Sqlite(p)) => p.with_extension("erasures"),
            None => self.db.with_extension("erasures"),
        })
    }

    /// The KEK file: `--consent-kek`, else beside the SQLite ledger, or
    /// beside the signing key for PostgreSQL.
    pub fn kek_path(&self) -> PathBuf {
        self.kek.clone().unwrap_or_else(|| match &self.database {
            Some(store::Database::Postgres(_)) => self.key.with_extension("kek"),
            Some(store::Database::Sqlite(p)) => p.with_extension("kek"),
            None => self.db.with_extension("kek"),
        })
    }

    /// Where the KEK comes from, for messages.
    pub fn kek_source(&self) -> String {
        match std::env::var("FIABLE_CONSENT_KEK_HEX") {
            Ok(v) if !v.is_empty() => "FIABLE_CONSENT_KEK_HEX".into(),
            _ => self.kek_path().display().to_string(),
        }
    }

    /// The index key file: `--consent-index-key`, else beside the SQLite
    /// ledger, or beside the signing key for PostgreSQL (instances sharing
    /// a database share the signing key, and must share this one too).
    pub fn index_key_path(&self) -> PathBuf {
        self.index_key.clone().unwrap_or_else(|| match &self.database {
            Some(store::Database::Postgres(_)) => self.key.with_extension("index.key"),
            Some(store::Database::Sqlite(p)) => p.with_extension("index.key"),
            None => self.db.with_extension("index.key"),
        })
    }
}
