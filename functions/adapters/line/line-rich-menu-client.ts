import { HTTPFetchError, messagingApi } from '@line/bot-sdk';
import { InvalidRequestError, UpstreamError } from '../../core/errors.js';
import type { RichMenuApi } from '../../core/ports/index.js';
import { isObject } from '../http/fetch-with-timeout.js';
import type { LineChannelTokenClient } from './line-channel-token-client.js';
import { callWithChannelToken, lineSdkError } from './line-sdk-call.js';

/** Options of {@link LineRichMenuClient}. */
export interface LineRichMenuClientOptions {
  /** Channel access tokens of the Messaging API channel. */
  tokens: LineChannelTokenClient;
  /** LINE_API_DATA_BASE (`https://api-data.line.me`): where rich menu images go. Only the image calls need it. */
  dataBase?: string;
  /** Timeout of every call to LINE, milliseconds. */
  timeoutMs: number;
}

/** A rich menu's image: PNG or JPEG bytes. */
export interface RichMenuImage {
  bytes: Uint8Array;
  contentType: 'image/png' | 'image/jpeg';
}

/**
 * Rich menus through `@line/bot-sdk`'s MessagingApiClient (`baseURL` = LINE_API_BASE) and
 * MessagingApiBlobClient (`baseURL` = LINE_API_DATA_BASE, the image upload): the per-user links
 * the stream function and `npm run richmenu -- sync` make
 * (https://developers.line.biz/en/reference/messaging-api/#rich-menu), and the creation
 * `npm run richmenu -- apply` does. A 401 (a revoked channel access token) gets one retry with a
 * fresh token. Failures become `line-unavailable` (429, 5xx, timeouts) or `line-bad-response`
 * (other statuses); LINE's 400 to a rich menu definition becomes an {@link InvalidRequestError}
 * carrying LINE's own reasons, for the operator who wrote it.
 */
export class LineRichMenuClient implements RichMenuApi {
  constructor(private readonly options: LineRichMenuClientOptions) {}

  async linkToUser(lineUserId: string, richMenuId: string): Promise<void> {
    await this.call((api) => api.linkRichMenuIdToUser(lineUserId, richMenuId));
  }

  async unlinkFromUser(lineUserId: string): Promise<void> {
    await this.call((api) => api.unlinkRichMenuIdFromUser(lineUserId));
  }

  async linkToUsers(lineUserIds: readonly string[], richMenuId: string): Promise<void> {
    await this.call((api) => api.linkRichMenuIdToUsers({ richMenuId, userIds: [...lineUserIds] }));
  }

  async unlinkFromUsers(lineUserIds: readonly string[]): Promise<void> {
    await this.call((api) => api.unlinkRichMenuIdFromUsers({ userIds: [...lineUserIds] }));
  }

  /** `POST /v2/bot/richmenu/validate`. @throws InvalidRequestError with LINE's reasons. */
  async validate(definition: unknown): Promise<void> {
    await this.call((api) => api.validateRichMenuObject(definition as messagingApi.RichMenuRequest), true);
  }

  /** `POST /v2/bot/richmenu`: the new menu's ID. @throws InvalidRequestError with LINE's reasons. */
  async create(definition: unknown): Promise<string> {
    const created = await this.call(
      (api) => api.createRichMenu(definition as messagingApi.RichMenuRequest),
      true,
    );
    if (!isObject(created) || typeof created.richMenuId !== 'string' || !created.richMenuId)
      throw new UpstreamError('line', 'bad-response');
    return created.richMenuId;
  }

  /** `POST https://api-data.line.me/v2/bot/richmenu/{richMenuId}/content`. */
  async uploadImage(richMenuId: string, image: RichMenuImage): Promise<void> {
    const dataBase = this.options.dataBase;
    if (!dataBase) throw new Error('LineRichMenuClient: uploading an image needs dataBase.');
    await this.call(async () => {
      const blob = new messagingApi.MessagingApiBlobClient({
        baseURL: dataBase.replace(/\/+$/, ''),
        channelAccessToken: await this.options.tokens.token(),
      });
      return blob.setRichMenuImage(
        richMenuId,
        new Blob([new Uint8Array(image.bytes)], { type: image.contentType }),
      );
    }, true);
  }

  /** `POST /v2/bot/user/all/richmenu/{richMenuId}`: the menu of every user without a per-user one. */
  async setDefault(richMenuId: string): Promise<void> {
    await this.call((api) => api.setDefaultRichMenu(richMenuId));
  }

  /** `DELETE /v2/bot/richmenu/{richMenuId}` (a menu whose image upload failed is not left behind). */
  async delete(richMenuId: string): Promise<void> {
    await this.call((api) => api.deleteRichMenu(richMenuId));
  }

  /**
   * One call with the current channel access token ({@link callWithChannelToken}). With
   * `reasons`, LINE's 400 becomes an InvalidRequestError with LINE's message and details.
   */
  private call<T>(
    request: (api: messagingApi.MessagingApiClient) => Promise<T>,
    reasons = false,
  ): Promise<T> {
    return callWithChannelToken(this.options.tokens, this.options.timeoutMs, request, (error) =>
      reasons && error instanceof HTTPFetchError && error.status === 400
        ? refusal(error)
        : lineSdkError(error),
    );
  }
}

/** LINE's 400 body (`message`, `details[].property/message`) as an InvalidRequestError. */
function refusal(error: HTTPFetchError): InvalidRequestError {
  let body: unknown;
  try {
    body = JSON.parse(error.body);
  } catch {
    body = undefined;
  }
  const message = isObject(body) && typeof body.message === 'string' ? body.message : 'LINE answered 400';
  const details = isObject(body) && Array.isArray(body.details) ? (body.details as unknown[]) : [];
  return new InvalidRequestError(
    `LINE refused the rich menu: ${message}`,
    details.filter(isObject).map((detail) => ({
      path: typeof detail.property === 'string' ? detail.property : '',
      message: typeof detail.message === 'string' ? detail.message : '',
    })),
  );
}
