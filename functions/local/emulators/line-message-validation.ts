/**
 * Request-body checks of the emulated Messaging API send endpoints, with LINE's error shape
 * (https://developers.line.biz/en/reference/messaging-api/#error-responses):
 * `400 {"message": "The request body has N error(s)", "details": [{"message", "property"}]}`.
 *
 * The limits are those of the message objects reference
 * (https://developers.line.biz/en/reference/messaging-api/#message-objects) for the types a
 * service is likely to send: text, template (buttons, confirm, carousel), flex, sticker, image.
 * They are strict so the service's messages are checked before they ever reach the real LINE.
 */

/** One problem with the request body. */
export interface ErrorDetail {
  message: string;
  property: string;
}

/** LINE's documented message types. */
const MESSAGE_TYPES = [
  'text',
  'sticker',
  'image',
  'video',
  'audio',
  'location',
  'imagemap',
  'template',
  'flex',
] as const;
const ACTION_TYPES = [
  'postback',
  'message',
  'uri',
  'datetimepicker',
  'camera',
  'cameraRoll',
  'location',
  'richmenuswitch',
  'clipboard',
];
/** Per request (reply, push, multicast). */
export const MAX_MESSAGES = 5;
/** Recipients of one multicast. */
export const MAX_MULTICAST_RECIPIENTS = 500;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Checker {
  readonly details: ErrorDetail[] = [];

  fail(property: string, message: string): void {
    this.details.push({ property, message });
  }

  /** A required string of 1..max characters. */
  text(value: unknown, property: string, max: number, required = true): void {
    if (value === undefined || value === null) {
      if (required) this.fail(property, 'must be specified');
      return;
    }
    if (typeof value !== 'string') this.fail(property, 'must be a string');
    else if (value.length === 0) this.fail(property, 'may not be empty');
    else if ([...value].length > max) this.fail(property, `length must be between 1 and ${max}`);
  }

  httpsUrl(value: unknown, property: string): void {
    this.text(value, property, 2000);
    if (typeof value === 'string' && value !== '' && !/^https:\/\//.test(value)) {
      this.fail(property, 'must be an HTTPS URL');
    }
  }

  action(value: unknown, property: string, labelRequired: boolean): void {
    if (!isRecord(value)) {
      this.fail(property, 'must be specified');
      return;
    }
    if (typeof value.type !== 'string' || !ACTION_TYPES.includes(value.type)) {
      this.fail(`${property}.type`, `must be one of the following values: [${ACTION_TYPES.join(', ')}]`);
      return;
    }
    this.text(value.label, `${property}.label`, 20, labelRequired);
    switch (value.type) {
      case 'uri':
        this.text(value.uri, `${property}.uri`, 1000);
        if (typeof value.uri === 'string' && !/^(https?|line|tel):/i.test(value.uri)) {
          this.fail(`${property}.uri`, 'must use the http, https, line or tel scheme');
        }
        break;
      case 'postback':
        this.text(value.data, `${property}.data`, 300);
        this.text(value.displayText, `${property}.displayText`, 300, false);
        break;
      case 'message':
        this.text(value.text, `${property}.text`, 300);
        break;
    }
  }

  actions(value: unknown, property: string, min: number, max: number): void {
    if (!Array.isArray(value)) {
      this.fail(property, 'must be specified');
      return;
    }
    if (value.length < min || value.length > max) {
      this.fail(property, min === max ? `size must be ${min}` : `size must be between ${min} and ${max}`);
    }
    value.forEach((action, i) => this.action(action, `${property}[${i}]`, true));
  }

  template(value: unknown, property: string): void {
    if (!isRecord(value)) {
      this.fail(property, 'must be specified');
      return;
    }
    switch (value.type) {
      case 'buttons': {
        const short = value.title !== undefined || value.thumbnailImageUrl !== undefined;
        this.text(value.title, `${property}.title`, 40, false);
        this.text(value.text, `${property}.text`, short ? 60 : 160);
        if (value.thumbnailImageUrl !== undefined)
          this.httpsUrl(value.thumbnailImageUrl, `${property}.thumbnailImageUrl`);
        if (value.defaultAction !== undefined)
          this.action(value.defaultAction, `${property}.defaultAction`, false);
        this.actions(value.actions, `${property}.actions`, 1, 4);
        break;
      }
      case 'confirm':
        this.text(value.text, `${property}.text`, 240);
        this.actions(value.actions, `${property}.actions`, 2, 2);
        break;
      case 'carousel':
        if (!Array.isArray(value.columns) || value.columns.length < 1 || value.columns.length > 10) {
          this.fail(`${property}.columns`, 'size must be between 1 and 10');
          break;
        }
        value.columns.forEach((column: unknown, i) => {
          const p = `${property}.columns[${i}]`;
          if (!isRecord(column)) return this.fail(p, 'must be specified');
          this.text(column.title, `${p}.title`, 40, false);
          this.text(column.text, `${p}.text`, column.title !== undefined ? 60 : 120);
          this.actions(column.actions, `${p}.actions`, 1, 3);
        });
        break;
      default:
        this.fail(`${property}.type`, 'must be one of the following values: [buttons, confirm, carousel]');
    }
  }

  message(value: unknown, property: string): void {
    if (!isRecord(value)) {
      this.fail(property, 'must be specified');
      return;
    }
    const type = value.type;
    if (typeof type !== 'string' || !(MESSAGE_TYPES as readonly string[]).includes(type)) {
      this.fail(`${property}.type`, `must be one of the following values: [${MESSAGE_TYPES.join(', ')}]`);
      return;
    }
    switch (type) {
      case 'text':
        this.text(value.text, `${property}.text`, 5000);
        break;
      case 'sticker':
        this.text(value.packageId, `${property}.packageId`, 100);
        this.text(value.stickerId, `${property}.stickerId`, 100);
        break;
      case 'image':
      case 'video':
        this.httpsUrl(value.originalContentUrl, `${property}.originalContentUrl`);
        this.httpsUrl(value.previewImageUrl, `${property}.previewImageUrl`);
        break;
      case 'template':
        this.text(value.altText, `${property}.altText`, 1500);
        this.template(value.template, `${property}.template`);
        break;
      case 'flex':
        this.text(value.altText, `${property}.altText`, 1500);
        if (!isRecord(value.contents) || !['bubble', 'carousel'].includes(String(value.contents.type))) {
          this.fail(`${property}.contents`, 'must be a bubble or carousel container');
        }
        break;
    }
    if (value.quickReply !== undefined) {
      const items = isRecord(value.quickReply) ? value.quickReply.items : undefined;
      if (!Array.isArray(items) || items.length < 1 || items.length > 13) {
        this.fail(`${property}.quickReply.items`, 'size must be between 1 and 13');
      } else {
        items.forEach((item: unknown, i) =>
          this.action(
            isRecord(item) ? item.action : undefined,
            `${property}.quickReply.items[${i}].action`,
            true,
          ),
        );
      }
    }
  }

  messages(value: unknown): void {
    if (!Array.isArray(value)) {
      this.fail('messages', 'must be specified');
      return;
    }
    if (value.length < 1 || value.length > MAX_MESSAGES) {
      this.fail('messages', `size must be between 1 and ${MAX_MESSAGES}`);
      return;
    }
    value.forEach((message, i) => this.message(message, `messages[${i}]`));
  }
}

/** A LINE user ID: `U` followed by 32 lowercase hex digits. */
export const USER_ID = /^U[0-9a-f]{32}$/;

/** The problems of a reply body (`replyToken`, `messages`). */
export function checkReply(body: unknown): ErrorDetail[] {
  const c = new Checker();
  if (!isRecord(body)) return [{ property: '', message: 'must be a JSON object' }];
  c.text(body.replyToken, 'replyToken', 100);
  c.messages(body.messages);
  return c.details;
}

/** The problems of a push body (`to`, `messages`). */
export function checkPush(body: unknown): ErrorDetail[] {
  const c = new Checker();
  if (!isRecord(body)) return [{ property: '', message: 'must be a JSON object' }];
  if (typeof body.to !== 'string' || !USER_ID.test(body.to)) c.fail('to', 'must be a valid user ID');
  c.messages(body.messages);
  return c.details;
}

/** The problems of a multicast body (`to`: 1..500 user IDs, `messages`). */
export function checkMulticast(body: unknown): ErrorDetail[] {
  const c = new Checker();
  if (!isRecord(body)) return [{ property: '', message: 'must be a JSON object' }];
  if (!Array.isArray(body.to)) {
    c.fail('to', 'must be specified');
  } else if (body.to.length < 1 || body.to.length > MAX_MULTICAST_RECIPIENTS) {
    c.fail('to', `size must be between 1 and ${MAX_MULTICAST_RECIPIENTS}`);
  } else {
    body.to.forEach((to: unknown, i) => {
      if (typeof to !== 'string' || !USER_ID.test(to)) c.fail(`to[${i}]`, 'must be a valid user ID');
    });
  }
  c.messages(body.messages);
  return c.details;
}
