/**
 * The people who exist in the local emulators by default: LINE users on the LINE Platform
 * emulator and members of the company IdP emulator. They are deterministic (same IDs on every
 * run and every machine) so the demo page, integration tests and docs can name them, and several
 * of them appear on both sides (e.g. Sato Hanako) so every linking pattern can be clicked through.
 *
 * LINE user IDs have LINE's shape (`U` + 32 lowercase hex) and are derived from a fixed label with
 * SHA-256, so they look real without being anyone's real ID.
 */
import { createHash } from 'node:crypto';

/** A LINE user known to the emulator; the fields of LINE's `GET /v2/profile` response. */
export interface LineTestUser {
  userId: string;
  displayName: string;
  pictureUrl?: string;
  statusMessage?: string;
}

/** A member of the organization, with the identifying data patterns 2 and 3 check. */
export interface CompanyTestMember {
  memberId: string;
  name: string;
  /** YYYY-MM-DD */
  birthDate: string;
  /** 7 digits, no hyphen. */
  postalCode: string;
  /** Digits only. */
  phone: string;
  email: string;
}

/** A LINE-shaped user ID (`U` + 32 lowercase hex chars) derived from `label`. */
export function testLineUserId(label: string): string {
  return `U${createHash('sha256').update(`line-id-link test user:${label}`).digest('hex').slice(0, 32)}`;
}

/**
 * The emulated LINE Official Account's Messaging API channel: what the dev stack gives the service
 * as LINE_MESSAGING_CHANNEL_ID / LINE_MESSAGING_CHANNEL_SECRET and what the LINE Platform emulator
 * signs webhook events with. Obviously fake; real channel secrets are 32 hex characters too.
 */
export const MESSAGING_CHANNEL_ID = '2000000101';
export const MESSAGING_CHANNEL_SECRET = createHash('sha256')
  .update('line-id-link test messaging channel secret')
  .digest('hex')
  .slice(0, 32);
/** The Official Account's bot user ID: the `destination` of every webhook body. */
export const BOT_USER_ID = testLineUserId('official-account-bot');

function frozen<T extends object>(items: T[]): T[] {
  for (const item of items) Object.freeze(item);
  return Object.freeze(items) as T[];
}

/**
 * Default LINE users. Optional profile fields vary on purpose (LINE omits `pictureUrl` and
 * `statusMessage` when the user has none), so clients are exercised with and without them.
 * Frozen: emulators copy them, tests must not change them.
 */
export const DEFAULT_LINE_USERS: LineTestUser[] = frozen<LineTestUser>([
  {
    userId: testLineUserId('sato-hanako'),
    displayName: 'Sato Hanako (test)',
    pictureUrl: 'https://example.com/line-test/sato-hanako.png',
    statusMessage: 'Hello from the LINE emulator',
  },
  {
    userId: testLineUserId('suzuki-ichiro'),
    displayName: 'Suzuki Ichiro (test)',
    pictureUrl: 'https://example.com/line-test/suzuki-ichiro.png',
  },
  {
    userId: testLineUserId('takahashi-yui'),
    displayName: 'Takahashi Yui (test)',
    statusMessage: '週末はカフェ巡り',
  },
  {
    userId: testLineUserId('tanaka-kenta'),
    displayName: 'Tanaka Kenta (test)',
  },
]);

/**
 * Default members of the company IdP (and the records of patterns 2 and 3). Japanese-style data:
 * kanji names, 7-digit postal codes, domestic phone numbers as digits. M-100005 is born on a leap
 * day to catch date handling bugs. Frozen, like {@link DEFAULT_LINE_USERS}.
 */
export const DEFAULT_COMPANY_MEMBERS: CompanyTestMember[] = frozen<CompanyTestMember>([
  {
    memberId: 'M-100001',
    name: '佐藤 花子',
    birthDate: '1990-04-12',
    postalCode: '1000001',
    phone: '09012345678',
    email: 'hanako.sato@example.com',
  },
  {
    memberId: 'M-100002',
    name: '鈴木 一郎',
    birthDate: '1985-11-03',
    postalCode: '5300001',
    phone: '08023456789',
    email: 'ichiro.suzuki@example.com',
  },
  {
    memberId: 'M-100003',
    name: '高橋 結衣',
    birthDate: '1998-07-25',
    postalCode: '4600008',
    phone: '07034567890',
    email: 'yui.takahashi@example.com',
  },
  {
    memberId: 'M-100004',
    name: '田中 健太',
    birthDate: '1976-01-30',
    postalCode: '8100001',
    phone: '0312345678',
    email: 'kenta.tanaka@example.com',
  },
  {
    memberId: 'M-100005',
    name: '伊藤 美咲',
    birthDate: '2000-02-29',
    postalCode: '0600001',
    phone: '09087654321',
    email: 'misaki.ito@example.com',
  },
  {
    memberId: 'M-100006',
    name: '渡辺 翔',
    birthDate: '1969-09-09',
    postalCode: '9800811',
    phone: '0221234567',
    email: 'sho.watanabe@example.com',
  },
]);
