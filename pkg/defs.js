// placeholder until the generator lands
// Shared definitions of the core, for the JS layer: the kinds, the verdict
// codes, the texts of the verdicts built from the service's answers, and the
// E.164 shape. Written by hand here; `make tables` generates this file from Rust.

/** The field kinds (the `type` of a widget field). */
export const KINDS = ['email', 'phone', 'postcode', 'city', 'first_name', 'last_name', 'civility', 'birth_date', 'country', 'street'];

/** The verdict codes. */
export const CODES = [
  'birth_date.format', 'birth_date.format_us', 'birth_date.future', 'birth_date.impossible', 'birth_date.out_of_range',
  'birth_date.reordered', 'birth_date.too_old', 'birth_date.too_young', 'birth_date.valid', 'birth_date.very_old',
  'city.invalid_characters', 'city.no_letters', 'city.normalized', 'city.postcode_mismatch', 'city.valid',
  'civility.first_name_mismatch', 'civility.unknown', 'civility.valid', 'country.unknown', 'country.valid',
  'email.comment', 'email.consecutive_dots', 'email.disposable', 'email.domain_no_mail', 'email.domain_not_found',
  'email.domain_pending', 'email.domain_typo', 'email.empty_domain', 'email.empty_local', 'email.invalid_char',
  'email.invalid_domain', 'email.ip_literal', 'email.label_too_long', 'email.local_dot', 'email.local_too_long',
  'email.missing_at', 'email.missing_tld', 'email.quoted_local', 'email.role_account', 'email.several_at', 'email.space',
  'email.tld_typo', 'email.too_long', 'email.trailing_dot', 'email.unicode_local', 'email.unknown_tld', 'email.valid',
  'phone.country_mismatch', 'phone.invalid_chars', 'phone.invalid_country_code', 'phone.invalid_length',
  'phone.invalid_number', 'phone.missing_country', 'phone.other_country', 'phone.too_long', 'phone.too_short',
  'phone.valid', 'postcode.invalid_format', 'postcode.not_used', 'postcode.unknown', 'postcode.valid', 'street.valid',
];

/** Texts of the verdicts built from the service's answers (the core never sees them). */
export const MESSAGES = {
  fr: {
    'email.domain_pending': 'Vérification du domaine…',
    'email.domain_not_found': 'Ce domaine n\u2019existe pas : vérifiez ce qui suit le «\u00a0@\u00a0».',
    'email.domain_no_mail': 'Ce domaine ne reçoit pas d\u2019e-mails : vérifiez l\u2019adresse.',
    'email.disposable': 'Cette adresse semble jetable : utilisez une adresse permanente pour continuer à recevoir nos messages.',
  },
  en: {
    'email.domain_pending': 'Checking the domain…',
    'email.domain_not_found': 'This domain does not exist: check what follows the “@”.',
    'email.domain_no_mail': 'This domain does not receive email: check the address.',
    'email.disposable': 'This looks like a disposable address: use a permanent one to keep hearing from us.',
  },
};

/** A phone number in E.164 (what the service accepts as a phone). */
export const E164 = /^\+[1-9][0-9]{5,14}$/;
