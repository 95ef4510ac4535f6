// The seam between the widget and the modules it loads lazily (lookup.js,
// combobox.js, consent.js, advisor.js): the state of one checked field, and
// the one object, `Widget`, that each of them receives. Types only (JSDoc,
// checked by `tsc -p pkg/jsconfig.json` in `make test`); nothing here runs.

/** @typedef {import('./index.d.ts').Verdict} Verdict */
/** @typedef {import('./index.d.ts').WidgetConfig} WidgetConfig */
/** @typedef {import('./index.d.ts').WidgetField} WidgetField */
/** @typedef {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} Control */

/**
 * One checked field. Created by fieldsOf() in field.js only: every property
 * is declared here, and no module adds its own.
 * @typedef {object} Field
 * @property {string} name Its name in `config.fields`.
 * @property {Control} el
 * @property {WidgetField['type']} type
 * @property {WidgetField} fc Its config, as given.
 * @property {boolean} required
 * @property {number | undefined} minAge
 * @property {Set<string>} block Statuses that stop a submit.
 * @property {HTMLSpanElement} hint Where its message shows (aria-describedby).
 * @property {number} stage Its hint state (core/src/hint.rs): what shows and when; changed by show.js's happened() only.
 * @property {number[]} early The hint events that came before ready, kept by listen.js, told by widget.js at ready.
 * @property {Verdict | null} verdict The verdict shown (remote facts and config.messages applied).
 * @property {Verdict | null} base The local verdict it came from.
 * @property {string} shown What is painted now (to skip repainting the same).
 * @property {number} seq Bumped by each check: an older async check is dropped.
 * @property {Promise<void> | null} inflight A remote check a submit waits for (lookup.js).
 * @property {AbortController | null} ctrl lookup.js: aborts its call in flight.
 * @property {string} asking lookup.js: the domain or postcode being asked about.
 * @property {AbortController | null} mailboxCtrl lookup.js: aborts its mailbox check in flight.
 * @property {string} probing lookup.js: the address whose mailbox is being asked about.
 * @property {boolean} filling lookup.js: a chosen address is being written in.
 */

/**
 * `on(target, type, listener, options)`: adds a listener that detach() removes.
 * @typedef {(target: EventTarget, type: string, fn: (e: any) => void, opts?: boolean | AddEventListenerOptions) => void} On
 */

/**
 * An attached form, what does not change while it is attached: the part the
 * Widget and the State below share.
 * @typedef {object} Form
 * @property {HTMLFormElement} form
 * @property {WidgetConfig} config Checked by checkConfig().
 * @property {string} locale As resolved (config, the form's lang, "en").
 * @property {string} lang Its language part ("fr").
 * @property {string} id Unique per attached form: a prefix for element ids.
 * @property {Field[]} fields
 * @property {HTMLElement} live The polite live region.
 * @property {On} on
 * @property {(() => void)[]} undo What detach() runs (each module pushes its clean-up).
 */

/**
 * The widget's side, as every lazily loaded module receives it: the Form and
 * these functions.
 * @typedef {object} WidgetCalls
 * @property {(f: Field, v: Verdict) => Verdict} show Records a local verdict and shows it when it is time.
 * @property {(f: Field) => Promise<void>} check The local check of one field.
 * @property {() => Promise<void>} crossCheck The whole form with the cross-field rules.
 * @property {(el: Control, value: string) => void} setValue Sets a value as a person would (frameworks follow).
 * @property {(el: Control, value: string) => void} place Sets a value for the person (a chosen address's parts), as the page would: its problems show at once.
 * @property {(kind: string, status: string, heard: number, cities: string) => string} remoteVerdict The core's verdict from the lookup service's answers (the Wasm export, passed here so that lazily loaded modules do not share the Wasm glue with the widget's own bundle, which would split it into a chunk of its own).
 * @property {() => Record<string, string>} values Normalised values by field name.
 * @property {() => string[]} cities The communes of the postcode's last verdict (the city field's options).
 * @property {() => boolean} detached
 * @property {() => boolean} gating True while a submit is being checked (a pending remote check counts as its local verdict).
 */
/** @typedef {Form & WidgetCalls} Widget */

/**
 * An attached form as the widget's own modules share it: the Form and what
 * changes (widget.js makes it and sets ready/detached; show.js, checks.js,
 * listen.js, gate.js and parts.js read it; show.js sets the cities, parts.js
 * the optional modules' parts). The lazily loaded modules never see it: they
 * get the Widget.
 * @typedef {object} Now
 * @property {boolean} ready The checks run: init() and the optional modules have loaded (or failed alone).
 * @property {boolean} detached
 * @property {string[]} cities The communes of the postcode's last verdict (show.js).
 * @property {RemoteChecks | null} [rc] lookup.js's checks, with `lookup` only; absent until loaded.
 * @property {ConsentCapture | null} [cc] consent.js, with `consent` or a queued record; absent until loaded.
 * @property {Promise<void> | null} [ccLoad] consent.js while it loads (a submit waits for it).
 * @property {(() => void) | null} [offer] Offers the communes in the city combobox (combobox.js); absent until loaded.
 */
/** @typedef {Form & Now} State */

/**
 * What lookup.js's remoteChecks() returns.
 * @typedef {object} RemoteChecks
 * @property {(f: Field) => void} ask On blur: what the service can add to this field's verdict.
 * @property {(f: Field) => void} forget A newer value supersedes the remote check of the old one.
 * @property {(f: Field, v: Verdict) => Verdict} amend A local verdict with what the service said.
 */

/**
 * What consent.js's consentCapture() returns: `capture` is true when it holds the submit.
 * @typedef {object} ConsentCapture
 * @property {(submitter: HTMLElement | null, resubmit: (submitter: HTMLElement | null) => void) => boolean} capture
 */

export {};
