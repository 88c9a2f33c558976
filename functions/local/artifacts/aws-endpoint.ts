import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { MAX_CLOCK_SKEW_MS, NodeSha256 } from '../sigv4.js';
import type {
  DeployedNamed,
  DeployedQueue,
  DeployedTable,
  FunctionCredentials,
  Json,
  RecordedCall,
} from './types.js';

/**
 * The one AWS endpoint every function of the deployed-artifact mode talks to. Each function runs
 * with `AWS_ENDPOINT_URL` set to {@link AwsEndpoint.url} (the SDK v3 sends every client there,
 * `@smithy/core` endpoints' `getEndpointUrlConfig`) and with access keys of its own
 * ({@link functionCredentials}), so the endpoint knows from the signature which function called,
 * notes the IAM action and resource of every call ({@link RecordedCall}) for the IAM check, and
 * stands in for the services: DynamoDB calls go on to DynamoDB Local, Secrets Manager, SQS and
 * EventBridge are answered here. A call nobody stands in for is recorded and refused loudly.
 *
 * SQS: the SDK sends a call to the host of its `QueueUrl` rather than to the configured endpoint
 * (`@aws-sdk/middleware-sdk-sqs` `useQueueUrlAsEndpoint`), so the queue URLs a function is given
 * must point here ({@link localQueueUrl}); queues are found by the URL's last path segment.
 */

/** Options of {@link startAwsEndpoint}. */
export interface AwsEndpointOptions {
  host?: '127.0.0.1';
  /** 0 (the default) picks a free port. */
  port?: number;
  region: string;
  account: string;
  partition?: string;
  /** DynamoDB Local (`http://127.0.0.1:PORT`), which serves every DynamoDB call. */
  dynamodbEndpoint: string;
  credentials: FunctionCredentials[];
  /** The secrets and their values; a function is asked at each read (values may be set late). */
  secrets:
    | Array<{ arn: string; name: string; value: string }>
    | (() => Array<{ arn: string; name: string; value: string }>);
  queues: DeployedQueue[];
  buses: DeployedNamed[];
  /** To name tables by ARN as the template does (tables not listed get an ARN built from the name). */
  tables: DeployedTable[];
  /**
   * The clock of the queues (delays, visibility timeouts) and of the events' times; a test moves
   * it on to see a message again after its visibility timeout. Signatures are checked against
   * the real time, which the functions sign with.
   */
  now?: () => Date;
}

/** An EventBridge entry a function put, as the endpoint accepted it. */
export interface RecordedEvent {
  functionLogicalId: string;
  eventId: string;
  eventBusArn: string;
  source: string;
  detailType: string;
  /** The `Detail` JSON text as sent. */
  detail: string;
  resources: string[];
  time: Date;
}

/** Options of {@link AwsEndpoint.receiveMessages}. */
export interface ReceiveOptions {
  /** Seconds the received messages stay hidden; the queue's visibility timeout by default. */
  visibilityTimeoutSeconds?: number;
  /** Wait up to this long for a first message (long polling); 0 (the default) answers at once. */
  waitMs?: number;
}

/** The running endpoint. */
export interface AwsEndpoint {
  /** `http://127.0.0.1:PORT`, the functions' AWS_ENDPOINT_URL. */
  url: string;
  /** Every authenticated call so far, in order (unauthenticated requests are never recorded). */
  calls(): RecordedCall[];
  /** Every EventBridge entry put so far, in order. */
  events(): RecordedEvent[];
  /**
   * The event-source side of a queue, as Lambda's SQS poller sees it: up to `max` visible messages
   * (hidden for the visibility timeout, receive count raised) as the records of an `SQSEvent`.
   * `queue` is the queue's ARN or URL. Not recorded: Lambda's poller is not the function.
   */
  receiveMessages(queue: string, max: number, options?: ReceiveOptions): Promise<SQSRecord[]>;
  /** Deletes received messages by receipt handle (what the poller does after a successful batch). */
  deleteMessages(queue: string, receiptHandles: string[]): void;
  /**
   * A message AWS sends with a function's role (Lambda to a stream mapping's on-failure
   * destination): queued, and recorded as that function's `sqs:SendMessage`.
   */
  sendOnBehalfOf(functionLogicalId: string, queue: string, body: string): void;
  /**
   * Calls `listener` whenever a message is sent to `queue` (ARN or URL), so a poller can wake up
   * instead of polling on a timer; returns the unsubscribe function.
   */
  onMessage(queue: string, listener: () => void): () => void;
  /** The credentials the function signs with (what its AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are). */
  credentialsFor(functionLogicalId: string): FunctionCredentials;
  close(): Promise<void>;
}

/**
 * Distinct random access keys, one pair per function: the endpoint tells callers apart by them,
 * so no function can pass for another.
 */
export function functionCredentials(functionLogicalIds: string[]): FunctionCredentials[] {
  return functionLogicalIds.map((functionLogicalId) => ({
    functionLogicalId,
    accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
  }));
}

/** The URL a function must be given for a queue so that its SQS client reaches `endpointUrl`. */
export function localQueueUrl(endpointUrl: string, account: string, queueName: string): string {
  return `${endpointUrl.replace(/\/$/, '')}/${account}/${queueName}`;
}

const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;

interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes: Json;
  senderId: string;
  sentAt: Date;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: Date;
  receiptHandle?: string;
}

interface LocalQueue {
  queue: DeployedQueue;
  messages: StoredMessage[];
  listeners: Set<() => void>;
}

/** A received message's system attributes, as both ReceiveMessage and Lambda's SQS event give them. */
function systemAttributesOf(m: StoredMessage) {
  return {
    ApproximateReceiveCount: String(m.receiveCount),
    SentTimestamp: String(m.sentAt.getTime()),
    SenderId: m.senderId,
    ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt!.getTime()),
  };
}

class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** Starts the endpoint; resolves once it listens. */
export async function startAwsEndpoint(options: AwsEndpointOptions): Promise<AwsEndpoint> {
  const partition = options.partition ?? 'aws';
  const now = options.now ?? (() => new Date());
  const byAccessKey = new Map(options.credentials.map((c) => [c.accessKeyId, c]));
  const recorded: RecordedCall[] = [];
  const recordedEvents: RecordedEvent[] = [];
  const queues = options.queues.map<LocalQueue>((queue) => ({ queue, messages: [], listeners: new Set() }));
  const waiters = new Set<() => void>();
  const arnPrefix = (service: string) => `arn:${partition}:${service}:${options.region}:${options.account}`;

  const tableArn = (nameOrArn: string): string => {
    if (nameOrArn.startsWith('arn:')) return nameOrArn;
    return (
      options.tables.find((t) => t.name === nameOrArn)?.arn ?? `${arnPrefix('dynamodb')}:table/${nameOrArn}`
    );
  };

  const findQueue = (urlOrArn: string): LocalQueue | undefined => {
    const name = urlOrArn.startsWith('arn:') ? urlOrArn.split(':').pop() : urlOrArn.split('/').pop();
    return queues.find((q) => q.queue.arn === urlOrArn || q.queue.url === urlOrArn || q.queue.name === name);
  };

  function record(functionLogicalId: string, action: string, resources: string[]): void {
    for (const resource of resources) recorded.push({ functionLogicalId, action, resource });
  }

  /** Resource ARNs of a DynamoDB call (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/api-permissions-reference.html). */
  function dynamoDbCalls(operation: string, input: Json): Array<{ action: string; resource: string }> {
    const onTable = (name: string, index?: string) => tableArn(name) + (index ? `/index/${index}` : '');
    switch (operation) {
      case 'BatchGetItem':
      case 'BatchWriteItem':
        return Object.keys(input.RequestItems ?? {}).map((t) => ({
          action: operation,
          resource: onTable(t),
        }));
      // Each item of a transaction is authorized as its own single-item action
      // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
      case 'TransactWriteItems':
      case 'TransactGetItems': {
        const kinds: Record<string, string> = {
          Put: 'PutItem',
          Update: 'UpdateItem',
          Delete: 'DeleteItem',
          ConditionCheck: 'ConditionCheckItem',
          Get: 'GetItem',
        };
        return ((input.TransactItems ?? []) as Json[]).flatMap((item) =>
          Object.entries(item as Record<string, Json>)
            .filter(([kind]) => kinds[kind])
            .map(([kind, op]) => ({ action: kinds[kind]!, resource: onTable(op.TableName) })),
        );
      }
      case 'ListTables':
      case 'ListBackups':
      case 'ListExports':
      case 'ListGlobalTables':
      case 'DescribeLimits':
      case 'DescribeEndpoints':
        return [{ action: operation, resource: '*' }];
      default: {
        const resource =
          input.TableName ?? input.TableArn ?? input.ResourceArn ?? input.ExportArn ?? input.StreamArn;
        return [
          {
            action: operation,
            resource:
              typeof resource === 'string'
                ? resource.startsWith('arn:')
                  ? resource
                  : onTable(resource, input.IndexName)
                : '*',
          },
        ];
      }
    }
  }

  async function forwardToDynamoDb(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    const target = new URL(req.url ?? '/', options.dynamodbEndpoint);
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !['host', 'connection', 'content-length'].includes(name))
        headers[name] = value;
    }
    headers['content-length'] = String(body.length);
    await new Promise<void>((resolve, reject) => {
      const upstream = httpRequest(target, { method: req.method, headers }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('error', reject);
        answer.on('end', () => {
          const payload = Buffer.concat(chunks);
          const out: Record<string, string | string[]> = {};
          for (const [name, value] of Object.entries(answer.headers)) {
            if (
              value !== undefined &&
              !['connection', 'transfer-encoding', 'keep-alive', 'content-length'].includes(name)
            )
              out[name] = value;
          }
          out['content-length'] = String(payload.length);
          res.writeHead(answer.statusCode ?? 502, out);
          res.end(payload);
          resolve();
        });
      });
      upstream.on('error', reject);
      upstream.end(body);
    });
  }

  function getSecretValue(caller: string, input: Json): Json {
    const id = String(input.SecretId ?? '');
    const secrets = typeof options.secrets === 'function' ? options.secrets() : options.secrets;
    const secret = secrets.find(
      (s) => s.arn === id || s.name === id || (id.startsWith('arn:') && s.arn.startsWith(`${id}-`)),
    );
    record(caller, 'secretsmanager:GetSecretValue', [
      secret?.arn ?? (id.startsWith('arn:') ? id : `${arnPrefix('secretsmanager')}:secret:${id}`),
    ]);
    if (!secret)
      throw new ServiceError(
        400,
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
      );
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: createHash('sha256')
        .update(secret.arn)
        .digest('hex')
        .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/, '$1-$2-$3-$4-$5'),
      SecretString: secret.value,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: 0,
    };
  }

  function wake(local: LocalQueue): void {
    for (const listener of local.listeners) listener();
    for (const waiter of [...waiters]) waiter();
  }

  function sendMessage(local: LocalQueue, caller: string, entry: Json): Json {
    if (typeof entry.MessageBody !== 'string' || entry.MessageBody.length === 0)
      throw new ServiceError(
        400,
        'InvalidParameterValue',
        'The request must contain the parameter MessageBody.',
      );
    const message: StoredMessage = {
      messageId: randomUUID(),
      body: entry.MessageBody,
      md5OfBody: createHash('md5').update(entry.MessageBody, 'utf8').digest('hex'),
      messageAttributes: entry.MessageAttributes ?? {},
      senderId: options.credentials.find((c) => c.functionLogicalId === caller)?.accessKeyId ?? caller,
      sentAt: now(),
      visibleAt: now().getTime() + Number(entry.DelaySeconds ?? 0) * 1000,
      receiveCount: 0,
    };
    local.messages.push(message);
    queueMicrotask(() => wake(local));
    return { MessageId: message.messageId, MD5OfMessageBody: message.md5OfBody };
  }

  /**
   * SQS's redrive: a visible message already received maxReceiveCount times moves to the
   * dead-letter queue instead of being received again; it keeps its ID, body and sent time
   * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
   */
  function redrive(local: LocalQueue, at: number): void {
    const policy = local.queue.redrive;
    if (!policy) return;
    const deadLetters = findQueue(policy.deadLetterTargetArn);
    if (!deadLetters)
      throw new Error(`${local.queue.name}: no dead-letter queue ${policy.deadLetterTargetArn}.`);
    const exhausted = local.messages.filter(
      (m) => m.visibleAt <= at && m.receiveCount >= policy.maxReceiveCount,
    );
    if (exhausted.length === 0) return;
    local.messages = local.messages.filter((m) => !exhausted.includes(m));
    for (const message of exhausted) {
      deadLetters.messages.push({
        ...message,
        receiveCount: 0,
        visibleAt: at,
        firstReceivedAt: undefined,
        receiptHandle: undefined,
      });
    }
    queueMicrotask(() => wake(deadLetters));
  }

  function takeVisible(
    local: LocalQueue,
    max: number,
    visibilityTimeoutSeconds: number | undefined,
  ): StoredMessage[] {
    const at = now();
    redrive(local, at.getTime());
    const hideFor =
      (visibilityTimeoutSeconds ??
        local.queue.visibilityTimeoutSeconds ??
        DEFAULT_VISIBILITY_TIMEOUT_SECONDS) * 1000;
    const taken = local.messages
      .filter((m) => m.visibleAt <= at.getTime())
      .slice(0, Math.max(1, Math.min(max, 10)));
    for (const message of taken) {
      message.receiveCount += 1;
      message.firstReceivedAt ??= at;
      message.visibleAt = at.getTime() + hideFor;
      message.receiptHandle = randomBytes(24).toString('base64url');
    }
    return taken;
  }

  async function receive(
    local: LocalQueue,
    max: number,
    receiveOptions: ReceiveOptions,
  ): Promise<StoredMessage[]> {
    const deadline = Date.now() + (receiveOptions.waitMs ?? 0);
    for (;;) {
      const taken = takeVisible(local, max, receiveOptions.visibilityTimeoutSeconds);
      const left = deadline - Date.now();
      if (taken.length > 0 || left <= 0 || closed) return taken;
      const nextVisible = Math.min(...local.messages.map((m) => m.visibleAt - now().getTime()), left);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(1, nextVisible));
        waiters.add(done);
      });
    }
  }

  function deleteMessage(local: LocalQueue, receiptHandle: string): void {
    const index = local.messages.findIndex(
      (m) => m.receiptHandle !== undefined && m.receiptHandle === receiptHandle,
    );
    if (index < 0)
      throw new ServiceError(
        400,
        'ReceiptHandleIsInvalid',
        `The receipt handle "${receiptHandle}" is not valid.`,
      );
    local.messages.splice(index, 1);
  }

  const messageAttributesOf = (m: StoredMessage) =>
    Object.keys(m.messageAttributes).length ? m.messageAttributes : undefined;

  async function sqs(caller: string, operation: string, input: Json): Promise<Json> {
    if (operation === 'GetQueueUrl') {
      const local = findQueue(String(input.QueueName ?? ''));
      record(caller, 'sqs:GetQueueUrl', [
        local?.queue.arn ?? `${arnPrefix('sqs')}:${String(input.QueueName)}`,
      ]);
      if (!local) throw new ServiceError(400, 'QueueDoesNotExist', 'The specified queue does not exist.');
      return { QueueUrl: local.queue.url };
    }
    const url = String(input.QueueUrl ?? '');
    const local = findQueue(url);
    // A batch call is authorized as its single action: "the permissions for SendMessageBatch,
    // DeleteMessageBatch and ChangeMessageVisibilityBatch are the same as for SendMessage,
    // DeleteMessage and ChangeMessageVisibility" (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html).
    record(caller, `sqs:${operation.replace(/Batch$/, '')}`, [
      local?.queue.arn ?? `${arnPrefix('sqs')}:${url.split('/').pop() ?? ''}`,
    ]);
    if (!local) throw new ServiceError(400, 'QueueDoesNotExist', 'The specified queue does not exist.');
    switch (operation) {
      case 'SendMessage':
        return sendMessage(local, caller, input);
      case 'SendMessageBatch': {
        const entries = (input.Entries ?? []) as Json[];
        return {
          Successful: entries.map((e) => ({ Id: e.Id, ...sendMessage(local, caller, e) })),
          Failed: [],
        };
      }
      case 'ReceiveMessage': {
        const taken = await receive(local, Number(input.MaxNumberOfMessages ?? 1), {
          visibilityTimeoutSeconds: input.VisibilityTimeout,
          waitMs: Number(input.WaitTimeSeconds ?? 0) * 1000,
        });
        return {
          Messages: taken.map((m) => ({
            MessageId: m.messageId,
            ReceiptHandle: m.receiptHandle,
            MD5OfBody: m.md5OfBody,
            Body: m.body,
            Attributes: systemAttributesOf(m),
            MessageAttributes: messageAttributesOf(m),
          })),
        };
      }
      case 'DeleteMessage':
        deleteMessage(local, String(input.ReceiptHandle));
        return {};
      case 'DeleteMessageBatch': {
        const Successful: Json[] = [];
        const Failed: Json[] = [];
        for (const entry of (input.Entries ?? []) as Json[]) {
          try {
            deleteMessage(local, String(entry.ReceiptHandle));
            Successful.push({ Id: entry.Id });
          } catch (error) {
            Failed.push({
              Id: entry.Id,
              Code: (error as ServiceError).type,
              SenderFault: true,
              Message: (error as Error).message,
            });
          }
        }
        return { Successful, Failed };
      }
      case 'GetQueueAttributes': {
        const at = now().getTime();
        return {
          Attributes: {
            QueueArn: local.queue.arn,
            ApproximateNumberOfMessages: String(local.messages.filter((m) => m.visibleAt <= at).length),
            ApproximateNumberOfMessagesNotVisible: String(
              local.messages.filter((m) => m.visibleAt > at).length,
            ),
            VisibilityTimeout: String(
              local.queue.visibilityTimeoutSeconds ?? DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
            ),
          },
        };
      }
      default:
        throw unknownOperation('sqs', operation);
    }
  }

  function putEvents(caller: string, input: Json): Json {
    const defaultBus = `${arnPrefix('events')}:event-bus/default`;
    const busArn = (nameOrArn: unknown) => {
      if (typeof nameOrArn !== 'string' || nameOrArn === '' || nameOrArn === 'default') return defaultBus;
      if (nameOrArn.startsWith('arn:')) return nameOrArn;
      return (
        options.buses.find((b) => b.name === nameOrArn)?.arn ??
        `${arnPrefix('events')}:event-bus/${nameOrArn}`
      );
    };
    const entries = (input.Entries ?? []) as Json[];
    record(caller, 'events:PutEvents', [...new Set(entries.map((e) => busArn(e.EventBusName)))]);
    let failed = 0;
    const answers = entries.map((entry) => {
      if (!entry.Source || !entry.DetailType || !entry.Detail) {
        failed += 1;
        return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Source, DetailType and Detail are required.' };
      }
      const eventId = randomUUID();
      recordedEvents.push({
        functionLogicalId: caller,
        eventId,
        eventBusArn: busArn(entry.EventBusName),
        source: String(entry.Source),
        detailType: String(entry.DetailType),
        detail: String(entry.Detail),
        resources: (entry.Resources ?? []) as string[],
        time: entry.Time !== undefined ? new Date(Number(entry.Time) * 1000) : now(),
      });
      return { EventId: eventId };
    });
    return { FailedEntryCount: failed, Entries: answers };
  }

  const unknownOperation = (service: string, operation: string) =>
    new ServiceError(
      400,
      'UnknownOperationException',
      `The deployed-artifact mode has no stand-in for ${service}:${operation}; add one to functions/local/artifacts/aws-endpoint.ts.`,
    );

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const headers = singleValued(req);
    const target = headers['x-amz-target'] ?? '';
    const jsonContentType = headers['content-type']?.startsWith('application/x-amz-json')
      ? headers['content-type']
      : 'application/x-amz-json-1.1';
    const fail = (error: ServiceError) => {
      res.writeHead(error.status, { 'content-type': jsonContentType, 'x-amzn-errortype': error.type });
      res.end(JSON.stringify({ __type: error.type, message: error.message }));
    };

    const verdict = await verifySignature(
      req.method ?? 'GET',
      req.url ?? '/',
      headers,
      body,
      byAccessKey,
      options.region,
      new Date(),
    );
    if (!verdict.ok) return fail(verdict.error);
    const caller = verdict.credentials.functionLogicalId;
    const operation = target.includes('.') ? target.slice(target.indexOf('.') + 1) : '';
    const input = parseJsonBody(body);

    try {
      switch (verdict.service) {
        case 'dynamodb': {
          const isStreams = target.startsWith('DynamoDBStreams_');
          for (const call of dynamoDbCalls(operation, input))
            record(caller, `dynamodb:${call.action}`, [call.resource]);
          if (!isStreams && !target.startsWith('DynamoDB_'))
            throw unknownOperation('dynamodb', target || req.method || '');
          return await forwardToDynamoDb(req, body, res);
        }
        case 'secretsmanager':
          if (operation !== 'GetSecretValue') {
            record(caller, `secretsmanager:${operation}`, [input.SecretId ?? '*']);
            throw unknownOperation('secretsmanager', operation);
          }
          return json(res, jsonContentType, getSecretValue(caller, input));
        case 'sqs':
          if (!target.startsWith('AmazonSQS.')) {
            record(caller, 'sqs:Unknown', ['*']);
            throw unknownOperation('sqs', `${req.method} ${req.url} (only the JSON protocol is served)`);
          }
          return json(res, jsonContentType, await sqs(caller, operation, input));
        case 'events':
          if (operation !== 'PutEvents') {
            record(caller, `events:${operation}`, ['*']);
            throw unknownOperation('events', operation);
          }
          return json(res, jsonContentType, putEvents(caller, input));
        default:
          record(caller, `${verdict.service}:${operation || `${req.method} ${req.url}`}`, ['*']);
          throw unknownOperation(verdict.service, operation || `${req.method} ${req.url}`);
      }
    } catch (error) {
      if (error instanceof ServiceError) return fail(error);
      throw error;
    }
  }

  let closed = false;
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'InternalFailure', message: String(error) }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;

  const queueOrThrow = (queue: string) => {
    const local = findQueue(queue);
    if (!local) throw new Error(`No queue ${queue} at the local AWS endpoint.`);
    return local;
  };

  return {
    url: `http://${address.address}:${address.port}`,
    calls: () => [...recorded],
    events: () => [...recordedEvents],
    async receiveMessages(queue, max, receiveOptions = {}) {
      const local = queueOrThrow(queue);
      const taken = await receive(local, max, receiveOptions);
      return taken.map<SQSRecord>((m) => ({
        messageId: m.messageId,
        receiptHandle: m.receiptHandle!,
        body: m.body,
        attributes: systemAttributesOf(m),
        messageAttributes: lambdaMessageAttributes(m.messageAttributes),
        md5OfBody: m.md5OfBody,
        eventSource: 'aws:sqs',
        eventSourceARN: local.queue.arn,
        awsRegion: options.region,
      }));
    },
    deleteMessages(queue, receiptHandles) {
      const local = queueOrThrow(queue);
      for (const handle of receiptHandles) deleteMessage(local, handle);
    },
    sendOnBehalfOf(functionLogicalId, queue, body) {
      const local = queueOrThrow(queue);
      record(functionLogicalId, 'sqs:SendMessage', [local.queue.arn]);
      sendMessage(local, functionLogicalId, { MessageBody: body });
    },
    onMessage(queue, listener) {
      const local = queueOrThrow(queue);
      local.listeners.add(listener);
      return () => local.listeners.delete(listener);
    },
    credentialsFor(functionLogicalId) {
      const found = options.credentials.find((c) => c.functionLogicalId === functionLogicalId);
      if (!found) throw new Error(`No credentials for function ${functionLogicalId}.`);
      return found;
    },
    async close() {
      closed = true;
      for (const waiter of [...waiters]) waiter();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** SQS API message attributes (`StringValue`, `DataType`) in the shape Lambda's event gives them. */
function lambdaMessageAttributes(attributes: Json): SQSMessageAttributes {
  return Object.fromEntries(
    Object.entries(attributes as Record<string, Json>).map(([name, a]) => [
      name,
      {
        dataType: a.DataType,
        stringValue: a.StringValue,
        binaryValue: a.BinaryValue,
        stringListValues: [],
        binaryListValues: [],
      },
    ]),
  );
}

/** The JSON protocols' input; `{}` for an empty or non-JSON body (the operation then finds nothing in it). */
function parseJsonBody(body: Buffer): Json {
  try {
    return body.length ? JSON.parse(body.toString('utf8')) : {};
  } catch {
    return {};
  }
}

function json(res: ServerResponse, contentType: string, body: Json): void {
  const payload = JSON.stringify(body);
  res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function singleValued(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

type SignatureVerdict =
  { ok: true; credentials: FunctionCredentials; service: string } | { ok: false; error: ServiceError };

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/**
 * Checks the request's SigV4 signature as the AWS services do
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html):
 * the access key must be one of the functions', the scope's region this endpoint's, `X-Amz-Date`
 * within the allowed skew, the payload hash (when the SDK sent one; it does not for every
 * service) the body's, and the signature equal to the one computed again from exactly the signed
 * headers. Answers the errors the services answer.
 */
async function verifySignature(
  method: string,
  rawUrl: string,
  headers: Record<string, string>,
  body: Buffer,
  byAccessKey: Map<string, FunctionCredentials>,
  region: string,
  now: Date,
): Promise<SignatureVerdict> {
  const invalid = (message: string): SignatureVerdict => ({
    ok: false,
    error: new ServiceError(400, 'InvalidSignatureException', message),
  });
  const match = (headers.authorization ?? '').match(AUTHORIZATION);
  if (!match)
    return {
      ok: false,
      error: new ServiceError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token'),
    };
  const [, accessKeyId, scopeDate, scopeRegion, service, signedHeaderList, signature] =
    match as unknown as string[];
  const credentials = byAccessKey.get(accessKeyId!);
  if (!credentials)
    return {
      ok: false,
      error: new ServiceError(
        400,
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      ),
    };
  if (scopeRegion !== region)
    return invalid(`Credential should be scoped to a valid region, not '${scopeRegion}'.`);
  const amzDate = headers['x-amz-date'] ?? '';
  const m = amzDate.match(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/);
  if (!m || amzDate.slice(0, 8) !== scopeDate)
    return invalid('X-Amz-Date is missing or does not match the credential scope.');
  const signedAt = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  if (Math.abs(now.getTime() - signedAt.getTime()) > MAX_CLOCK_SKEW_MS) return invalid('Signature expired.');
  const sentHash = headers['x-amz-content-sha256'];
  if (sentHash !== undefined && sentHash !== createHash('sha256').update(body).digest('hex'))
    return invalid('The provided x-amz-content-sha256 header does not match what was computed.');

  const signedHeaders = signedHeaderList!.split(';');
  const signable: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headers[name];
    if (value === undefined) return invalid(`Signed header ${name} is missing.`);
    signable[name] = value;
  }
  const url = new URL(rawUrl, 'http://localhost');
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const existing = query[key];
    query[key] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  const signer = new SignatureV4({
    service: service!,
    region: scopeRegion!,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    sha256: NodeSha256,
    uriEscapePath: service !== 's3',
  });
  const signed = await signer.sign(
    {
      method,
      protocol: 'http:',
      hostname: (signable.host ?? '').split(':')[0]!,
      path: url.pathname,
      query,
      headers: signable,
      body: body.length ? body : undefined,
    },
    { signingDate: signedAt, signableHeaders: new Set(signedHeaders) },
  );
  const expected = (signed.headers.authorization ?? '').match(/Signature=([0-9a-f]{64})/)?.[1];
  if (!expected || !timingSafeEqual(Buffer.from(expected), Buffer.from(signature!)))
    return {
      ok: false,
      error: new ServiceError(
        400,
        'InvalidSignatureException',
        'The request signature we calculated does not match the signature you provided.',
      ),
    };
  return { ok: true, credentials, service: service! };
}
