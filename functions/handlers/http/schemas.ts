import * as z from 'zod/mini';

/**
 * `consentVersion` of the link requests (`POST /links`, `/links/by-api`, `/links/by-record`):
 * the consent / policy version the front end showed the user, kept in the audit trail. Optional,
 * at most 64 characters, starting with a letter or digit, then letters, digits and `._:/+-`
 * (e.g. `2026-04`, `tos-v3.1`, `privacy/2026-01`). The tight alphabet keeps a client-controlled
 * string harmless wherever the trail goes later (CSV in a spreadsheet, logs, HTML).
 */
export const consentVersionSchema = z.optional(
  z.string().check(z.maxLength(64), z.regex(/^[A-Za-z0-9][A-Za-z0-9._:/+-]*$/, 'Invalid consent version.')),
);
