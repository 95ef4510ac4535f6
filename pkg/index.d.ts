// Types of the fiable package (hand-written; the Wasm glue's own types are internal).

/** The field kinds fiable checks. */
export type Kind =
  | 'email' | 'phone' | 'postcode' | 'city' | 'first_name' | 'last_name'
  | 'civility' | 'birth_date' | 'country';

/** valid → fine; warning → usable but probably not meant; invalid → cannot be right; pending → remote check running. */
export type Status = 'valid' | 'warning' | 'invalid' | 'pending';

/** The result of every check: data, never an exception. */
export interface Verdict {
  /** The field name in the form, or the kind for a lone check. */
  field: string;
  status: Status;
  /** Stable machine code, e.g. "email.domain_typo": switch on this, not on the message. */
  code: string;
  /** Localised message ("" when there is nothing to say). */
  message: string;
  /** A one-click correction of the whole value. */
  suggestion?: string;
  /** The canonical form: E.164 phone, punycode domain, ISO date, alpha-2 country… */
  normalized?: string;
  /** Extra facts: phone `type` and `country`, email `free`, postcode `cities`, birth date `age`… */
  details?: Record<string, string | number | boolean | string[]>;
}

export interface Options {
  /** Message language: "fr", "en" (BCP 47; defaults to <html lang>, then English). */
  locale?: string;
  /** Default country, ISO 3166 alpha-2 ("FR"), for phones and postcodes. */
  country?: string;
  /** Minimum age in years for birth dates (France: 15 to consent alone). */
  minAge?: number;
  /** An empty value is invalid when true. */
  required?: boolean;
  /** Today's date for age checks (defaults to the local date). */
  today?: Date | string;
}

export interface FieldConfig {
  type: Kind;
  country?: string;
  required?: boolean;
  minAge?: number;
  [other: string]: unknown;
}

export interface FormConfig {
  locale?: string;
  country?: string;
  today?: Date | string;
  fields?: Record<string, FieldConfig>;
  [other: string]: unknown;
}

export interface City {
  name: string;
  /** INSEE commune code, e.g. "75056". */
  insee: string;
  postcode: string;
}

/** Where fiable's files are, for a toolchain that does not emit them itself (see README, "For developers"). */
export interface InitOptions {
  /** The .wasm file's URL, its bytes, a Response or a compiled module. */
  wasm?: string | URL | Response | BufferSource | WebAssembly.Module;
  /** Each data chunk by name ("communes-75"): its URL, or a function giving its URL or bytes. */
  chunks?: Record<string, string | URL> | ((name: string) => string | URL | Uint8Array | Promise<string | URL | Uint8Array>);
  /** A folder served with a copy of the package's dist/ (fiable_wasm_bg.wasm, chunks/). */
  assetsBase?: string | URL;
}
/**
 * Browser/bundler: loads the Wasm module once (Node: already done on import).
 * Without options the files come from the package's dist/, as the bundler emitted them.
 */
export function init(options?: InitOptions | string | URL | Response | BufferSource | WebAssembly.Module): Promise<void>;
/** Checks one value. Throws only for a wrong call (unknown kind, bad option type). */
export function validate(kind: Kind, value: string | number | null | undefined, options?: Options): Verdict;
/** Like validate, after loading the data chunks the check uses (communes, first names). */
export function validateAsync(kind: Kind, value: string | number | null | undefined, options?: Options): Promise<Verdict>;
/** Checks a whole form with the cross-field rules; keyed by field name. */
export function validateForm(values: Record<string, string | number | null | undefined>, config?: FormConfig): Record<string, Verdict>;
/** Like validateForm, after loading the data chunks its checks use. */
export function validateFormAsync(values: Record<string, string | number | null | undefined>, config?: FormConfig): Promise<Record<string, Verdict>>;
/** Formats a phone number as it is typed. */
export function formatPhone(value: string, country?: string): string;
/** The communes of a French postcode (its data chunk must be loaded: see loadData/validateAsync). */
export function citiesForPostcode(postcode: string | number): City[];
/** Loads data chunks by name ("firstnames-j", "communes-75"…). */
export function loadData(names: string[]): Promise<void>;
/** The data chunks a check would use that are not loaded yet. */
export function chunksFor(kind: Kind, value: string, options?: Options): string[];
/** The package version. */
export function version(): string;

/** A status that can stop a submit (`block` in the widget config). */
export type BlockingStatus = 'invalid' | 'warning' | 'pending';

/** One field of the widget config (see fiable.schema.json). */
export interface WidgetField {
  /** CSS selector of the input, select or textarea (looked up in the form, then in the page). */
  selector: string;
  /** A kind of the core, or "street": the address autocomplete fed by the lookup service (`lookup`). */
  type: Kind | 'street';
  /** An empty value is invalid (defaults to the element's `required`). */
  required?: boolean;
  /** ISO 3166 alpha-2 country for this field ("FR"). */
  country?: string;
  /** Statuses of this field that block submit (overrides the form's `block`). */
  block?: BlockingStatus[];
  /** Minimum age in years (birth dates). */
  minAge?: number;
  /** Name of the civility field a first name is checked against. */
  civility?: string;
  /** Street fields: name of the postcode field a chosen address fills (a valid one narrows the suggestions). */
  postcode?: string;
  /** Street fields: name of the city field a chosen address fills. */
  city?: string;
  /** Street fields: name of a separate house-number field (else the number stays in the street field). */
  housenumber?: string;
}

/** The widget config of `attach()` and of the script tag: the JSON of fiable.schema.json. */
export interface WidgetConfig {
  fields: Record<string, WidgetField>;
  /** Message language; defaults to the form's or the page's `lang`, then English. */
  locale?: string;
  /** Default country for phones and postcodes. */
  country?: string;
  /** Statuses that block submit; default `["invalid"]` (warnings never block by default). */
  block?: BlockingStatus[];
  /** Message overrides: locale → verdict code → text (`{suggestion}`, `{value}` are replaced). */
  messages?: Record<string, Record<string, string>>;
  /** Form selector, for the script tag (its `data-form` wins). */
  form?: string;
  /** Lookup service base URL ("https://…", or a path resolved against the page's URL, "/" = same origin): email domains on blur, street autocomplete; fails open. */
  lookup?: string;
  /** Today's date "YYYY-MM-DD" for age checks (defaults to the local date). */
  today?: string;
  /** Consent capture (needs `lookup`): loaded only when present. See ConsentConfig. */
  consent?: ConsentConfig;
}

/** A legal basis of GDPR art. 6. */
export type LegalBasis = 'consent' | 'contract' | 'legal_obligation' | 'vital_interests' | 'public_task' | 'legitimate_interests';

/** One purpose: a checkbox, or a button used as an `aria-pressed` toggle; never ticked when the widget attaches. */
export interface ConsentPurpose {
  /** Stable id ("newsletter"): letters, digits, `. _ : -`. */
  id: string;
  /** CSS selector of the `<input type="checkbox">` or of the toggle `<button>` (fiable toggles its aria-pressed). */
  selector: string;
  /** CSS selector of the element showing the wording (default: the box's `<label>`, its aria-labelledby, or the button). Its rendered text at submit is recorded verbatim. */
  label?: string;
  /** The wording, recorded only when the page shows none for this purpose. */
  text?: string;
  /** Default "consent". */
  legalBasis?: LegalBasis;
}

/** Advisor mode: staff capturing consent for a customer (records of channel store/phone). */
export interface AdvisorConfig {
  advisorId: string;
  /** Store or call-centre id. */
  storeId: string;
  channel: 'store' | 'phone';
  /** An API key with the advisor scope (Authorization: Bearer); for staff-only pages. */
  apiKey: string;
}

/** `config.consent`: the consent capture (see fiable.schema.json). */
export interface ConsentConfig {
  controller: { name: string; contact: string };
  /** Change `version` whenever a wording changes. */
  form: { id: string; version: string };
  purposes: ConsentPurpose[];
  advisor?: AdvisorConfig;
  /** Hidden input carrying the record id to the page's backend (default "fiable_consent_receipt"); `<name>_status` says "delivered" or "queued". */
  receiptInput?: string;
  /** Field names (in `fields`) identifying the person; default: the first field of each kind. */
  subjectData?: Partial<Record<'email' | 'phone' | 'first_name' | 'last_name' | 'postcode', string>>;
  retentionDays?: number;
  expiresAfterDays?: number;
}

/** The signed receipt of the consent service for one record. */
export interface ConsentReceipt {
  /** The record id (what the hidden input carries). */
  id: string;
  seq: number;
  hash: string;
  prev_hash: string;
  signed_at: string;
  signature: string;
  public_key: string;
  /** The pseudonymous subject reference the service derived. */
  subject?: string;
}

/** Detail of the `fiable:consent` event, dispatched on the form (or the document for a record of an earlier page). */
export interface ConsentEventDetail {
  /** delivered: receipt in hand; queued: kept in the browser, sent later; rejected: the service refused the record (dropped). */
  status: 'delivered' | 'queued' | 'rejected';
  /** The record id: the receipt's once delivered. */
  id: string;
  receipt?: ConsentReceipt;
  /** For `rejected`: the service's error (`code`, `problems`); for `queued` after a refused API key (401/403): `code` "auth.required". */
  error?: { code?: string; message?: string; problems?: { path: string; code: string; message?: string }[] };
}

declare global {
  interface HTMLElementEventMap {
    'fiable:consent': CustomEvent<ConsentEventDetail>;
    'fiable:verdict': CustomEvent<Verdict>;
  }
}

/** What `attach()` returns. */
export interface WidgetHandle {
  /** Resolves true once the checks run and the form's lazy parts (comboboxes, lookup client, consent) are attached; false when fiable could not start (bad config, no Wasm). */
  readonly ready: Promise<boolean>;
  /** Removes every listener, hint, class and attribute fiable added. */
  detach(): void;
  /** Checks every field with the cross-field rules, shows the verdicts, resolves to them by field name. */
  validate(): Promise<Record<string, Verdict>>;
  /** The values by field name, normalised (E.164 phone, capitalised names, ISO date…). */
  values(): Record<string, string>;
}

/**
 * Attaches fiable to a form (browser only): live hints, suggestions, phone
 * formatting, cross-field rules, submit gate. A bad config logs one console
 * error and returns an inert handle: the form keeps working without fiable.
 * DOM events on the fields: `fiable:verdict`, `fiable:valid`, `fiable:invalid` (detail: the verdict);
 * on the form, with `consent`: `fiable:consent` (detail: ConsentEventDetail).
 */
export function attach(form: HTMLFormElement | string, config: WidgetConfig): WidgetHandle;
/** Checks a widget config: null when good, else one sentence naming the bad key and the expected shape. */
export function checkConfig(config: unknown): string | null;
