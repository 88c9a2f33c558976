/**
 * The emulated audiences for uploading user IDs of the Messaging API, by JSON:
 *
 * - `POST /v2/bot/audienceGroup/upload` — creates an audience (`description` ≤ 120 characters,
 *   `isIfaAudience` false, `uploadDescription` ≤ 300, `audiences` ≤ 10,000 user IDs, possibly
 *   none); 202 with the audience
 *   (https://developers.line.biz/en/reference/messaging-api/#create-upload-audience-group);
 * - `PUT /v2/bot/audienceGroup/upload` — adds ≤ 10,000 user IDs to one; 202 `{}`
 *   (https://developers.line.biz/en/reference/messaging-api/#update-upload-audience-group);
 * - `GET /v2/bot/audienceGroup/{audienceGroupId}` — the audience and its upload jobs
 *   (https://developers.line.biz/en/reference/messaging-api/#get-audience-group);
 * - `GET /v2/bot/audienceGroup/list` — audiences by page, name (in part, ignoring case), status
 *   and create route (https://developers.line.biz/en/reference/messaging-api/#get-audience-groups).
 *
 * As LINE does, a well-formed user ID is accepted whether or not LINE knows the user (LINE
 * leaves such users out when it sends); a malformed one refuses the request. Refusals carry
 * LINE's error body (`message`, `details[].message` such as AUDIENCE_GROUP_NOT_FOUND). State is
 * per emulator instance; tests read it with {@link LineAudienceStore.groups}.
 */
import { randomInt } from 'node:crypto';
import { json, type AppRequest, type AppResponse, type Handler, type HttpApp } from './http-app.js';
import { isRecord, USER_ID } from './line-message-validation.js';
import type { BotEndpoint } from './line-messaging-store.js';

/** Audiences per channel (AUDIENCE_GROUP_COUNT_MAX_OVER beyond). */
const MAX_AUDIENCES = 1_000;
/** User IDs per JSON upload request. */
const MAX_PER_REQUEST = 10_000;
/** Audiences for uploading user IDs are kept 180 days. */
const RETENTION_SECONDS = 180 * 24 * 3600;
/** An audience shows at most 50 upload jobs. */
const MAX_JOBS_SHOWN = 50;

/** One upload to an audience, as `jobs[]` shows it. */
export interface AudienceUploadJob {
  audienceGroupJobId: number;
  audienceGroupId: number;
  description?: string;
  type: 'DIFF_ADD';
  jobStatus: 'FINISHED';
  audienceCount: number;
  created: number;
}

/** An audience the emulator holds. */
export interface EmulatedAudience {
  audienceGroupId: number;
  description: string;
  created: number;
  /** Every user ID uploaded, in first-upload order. */
  userIds: ReadonlySet<string>;
  jobs: readonly AudienceUploadJob[];
}

/** The audiences of the emulated channel. */
export class LineAudienceStore {
  private readonly audiences = new Map<
    number,
    EmulatedAudience & { userIds: Set<string>; jobs: AudienceUploadJob[] }
  >();
  private nextJobId = 10_000_000;

  constructor(private readonly now: () => number) {}

  /** Every audience, oldest first. */
  groups(): readonly EmulatedAudience[] {
    return [...this.audiences.values()];
  }

  nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  get(audienceGroupId: number): EmulatedAudience | undefined {
    return this.audiences.get(audienceGroupId);
  }

  create(description: string, uploadDescription: string | undefined, userIds: readonly string[]) {
    let id: number;
    do id = 1_000_000_000_000 + randomInt(0, 2 ** 40);
    while (this.audiences.has(id));
    const audience = {
      audienceGroupId: id,
      description,
      created: Math.floor(this.now() / 1000),
      userIds: new Set<string>(),
      jobs: [] as AudienceUploadJob[],
    };
    this.audiences.set(id, audience);
    if (userIds.length > 0) this.add(id, uploadDescription, userIds);
    return audience;
  }

  add(audienceGroupId: number, uploadDescription: string | undefined, userIds: readonly string[]): void {
    const audience = this.audiences.get(audienceGroupId)!;
    for (const id of userIds) audience.userIds.add(id);
    audience.jobs.push({
      audienceGroupJobId: this.nextJobId++,
      audienceGroupId,
      ...(uploadDescription !== undefined ? { description: uploadDescription } : {}),
      type: 'DIFF_ADD',
      jobStatus: 'FINISHED',
      audienceCount: userIds.length,
      created: Math.floor(this.now() / 1000),
    });
  }
}

/** LINE's error body: a message and the reason codes in `details`. */
function refusal(message: string, ...reasons: string[]): AppResponse {
  return json(400, { message, details: reasons.map((reason) => ({ message: reason })) });
}

/** The audience as the create answer and the list show it. */
function summary(audience: EmulatedAudience) {
  return {
    audienceGroupId: audience.audienceGroupId,
    createRoute: 'MESSAGING_API',
    type: 'UPLOAD',
    description: audience.description,
    status: 'READY',
    audienceCount: audience.userIds.size,
    created: audience.created,
    permission: 'READ_WRITE',
    isIfaAudience: false,
    expireTimestamp: audience.created + RETENTION_SECONDS,
  };
}

/** The problem with the audiences of an upload request, if any. */
function checkAudiences(value: unknown, required: boolean): AppResponse | string[] {
  if (value === undefined && !required) return [];
  if (!Array.isArray(value))
    return json(400, {
      message: 'The request body has 1 error(s)',
      details: [{ message: 'must be specified', property: 'audiences' }],
    });
  if (value.length > MAX_PER_REQUEST)
    return json(400, {
      message: 'The request body has 1 error(s)',
      details: [{ message: `size must be between 0 and ${MAX_PER_REQUEST}`, property: 'audiences' }],
    });
  const ids: string[] = [];
  for (const entry of value) {
    const id = isRecord(entry) ? entry.id : undefined;
    if (typeof id !== 'string' || !USER_ID.test(id))
      return refusal('invalid audience id format', 'UPLOAD_AUDIENCE_GROUP_INVALID_AUDIENCE_ID_FORMAT');
    ids.push(id);
  }
  return ids;
}

/** The problem with an upload description, if any (at most 300 characters). */
function checkUploadDescription(value: unknown): AppResponse | string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || [...value].length > 300)
    return refusal('size over uploadDescription', 'AUDIENCE_GROUP_UPLOAD_DESCRIPTION_SIZE_OVER');
  return value;
}

/**
 * Registers the routes above; `bot` wraps each in the Messaging API's checks (channel access
 * token, switchable 429, the endpoint's test fault).
 */
export function registerAudienceApi(
  app: HttpApp,
  store: LineAudienceStore,
  bot: (endpoint: BotEndpoint, handler: (req: AppRequest) => AppResponse) => Handler,
): void {
  app.post(
    '/v2/bot/audienceGroup/upload',
    bot('audienceCreate', (req) => {
      const body = req.json;
      if (!isRecord(body)) return json(400, { message: 'The request body could not be parsed as JSON' });
      const { description } = body;
      if (typeof description !== 'string' || description.trim() === '')
        return refusal('audienceGroupName is empty', 'AUDIENCE_GROUP_NAME_EMPTY');
      if ([...description].length > 120)
        return refusal('size over audienceGroupName', 'AUDIENCE_GROUP_NAME_SIZE_OVER');
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f\u007f-\u009f]/.test(description))
        return refusal('invalid audienceGroupName', 'AUDIENCE_GROUP_NAME_WRONG');
      if (body.isIfaAudience === true)
        return json(403, { message: 'Access to this API is not available for your account' });
      const uploadDescription = checkUploadDescription(body.uploadDescription);
      if (typeof uploadDescription === 'object') return uploadDescription;
      const ids = checkAudiences(body.audiences, false);
      if (!Array.isArray(ids)) return ids;
      if (store.groups().length >= MAX_AUDIENCES)
        return refusal('audience group count max over', 'AUDIENCE_GROUP_COUNT_MAX_OVER');
      return json(202, summary(store.create(description, uploadDescription, ids)));
    }),
  );

  app.route(
    'PUT',
    '/v2/bot/audienceGroup/upload',
    bot('audienceAdd', (req) => {
      const body = req.json;
      if (!isRecord(body)) return json(400, { message: 'The request body could not be parsed as JSON' });
      const id = body.audienceGroupId;
      if (typeof id !== 'number' || !Number.isSafeInteger(id))
        return json(400, {
          message: 'The request body has 1 error(s)',
          details: [{ message: 'must be specified', property: 'audienceGroupId' }],
        });
      const uploadDescription = checkUploadDescription(body.uploadDescription);
      if (typeof uploadDescription === 'object') return uploadDescription;
      const ids = checkAudiences(body.audiences, true);
      if (!Array.isArray(ids)) return ids;
      const audience = store.get(id);
      if (!audience) return refusal('audience group not found', 'AUDIENCE_GROUP_NOT_FOUND');
      if (store.nowSeconds() > audience.created + RETENTION_SECONDS)
        return refusal('audience group expired', 'AUDIENCE_GROUP_CAN_NOT_UPLOAD_STATUS_EXPIRED');
      store.add(id, uploadDescription, ids);
      return json(202, {});
    }),
  );

  app.get(
    '/v2/bot/audienceGroup/list',
    bot('audienceList', (req) => {
      const page = Number(req.query.get('page'));
      const size = req.query.has('size') ? Number(req.query.get('size')) : 20;
      if (!Number.isSafeInteger(page) || page < 1)
        return json(400, { message: "The value for the 'page' parameter is invalid" });
      if (!Number.isSafeInteger(size) || size < 1 || size > 40)
        return json(400, { message: "The value for the 'size' parameter is invalid" });
      const name = req.query.get('description')?.toLowerCase();
      const status = req.query.get('status');
      const route = req.query.get('createRoute');
      const matching = store
        .groups()
        .filter(
          (a) =>
            (name === undefined || a.description.toLowerCase().includes(name)) &&
            (status === null || status === 'READY') &&
            (route === null || route === 'MESSAGING_API'),
        )
        .reverse();
      const audienceGroups = matching.slice((page - 1) * size, page * size).map(summary);
      return json(200, {
        audienceGroups,
        hasNextPage: page * size < matching.length,
        totalCount: matching.length,
        readWriteAudienceGroupTotalCount: matching.length,
        page,
        size,
      });
    }),
  );

  app.get(
    '/v2/bot/audienceGroup/:audienceGroupId',
    bot('audienceGet', (req) => {
      const id = Number(req.params.audienceGroupId);
      const audience = Number.isSafeInteger(id) ? store.get(id) : undefined;
      if (!audience) return refusal('audience group not found', 'AUDIENCE_GROUP_NOT_FOUND');
      return json(200, {
        audienceGroup: summary(audience),
        jobs: [...audience.jobs].reverse().slice(0, MAX_JOBS_SHOWN),
      });
    }),
  );
}
