import { Aspects, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { stackOutput } from './constructs/stack-output.js';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  DomainName,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  type CorsPreflightOptions,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
// cdk-nag's own rendering of an ARN in its findings (the name an acknowledgement must carry).
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { CORS_POLICY } from '../functions/manifest/cors-policy.js';
import { MESSAGE_WORKER, WEBHOOK_WORKER, type RouteDefinition } from '../functions/manifest/routes.js';
import { handlerEntry } from './bundling.js';
import { FunctionLogGroups } from './constructs/function-log-groups.js';
import { LinkEvents } from './constructs/link-events.js';
import { MemberImport } from './constructs/member-import.js';
import { MessageJobs } from './constructs/message-jobs.js';
import { Operations } from './constructs/operations.js';
import { WebhookWork } from './constructs/webhook-work.js';
import { ServiceFunction } from './constructs/service-function.js';
import { MEMBER_IMPORT, type DeploymentPlan } from './plan.js';
import { environmentFor, type Settings } from './settings.js';
import { pascal, type StatefulStack } from './stateful-stack.js';

export interface ApiStackProps extends StackProps {
  readonly settings: Settings;
  readonly plan: DeploymentPlan;
  /** Tables and secrets. */
  readonly stateful: StatefulStack;
}

/** Memory and timeout per route (`METHOD /path`) where the defaults do not fit. */
const DEFAULT_SIZING = { memorySize: 512, timeout: Duration.seconds(15) };
export const FUNCTION_SIZING: Record<string, { memorySize?: number; timeout?: Duration }> = {
  // No dependency touched: the smallest size answers in a few milliseconds.
  'GET /health': { memorySize: 256, timeout: Duration.seconds(3) },
  $default: { memorySize: 256, timeout: Duration.seconds(3) },
  // Token fetch plus the company API call with one retry after back-off, each with a 3 s timeout.
  'POST /links/by-api': { timeout: Duration.seconds(25) },
};

/**
 * The access log line: who (source IP), what (method and *route key*, never the path or query
 * string: callbacks carry authorization codes and state there), outcome and timing. No header
 * is logged (Authorization, Cookie).
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTimeEpoch',
  method: '$context.httpMethod',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  error: '$context.error.message',
} as const;

/**
 * The stateless side: the HTTP API, one function per route of the manifest (so a route added to
 * functions/manifest/routes.ts deploys with no change here), the `$default` fallback, the S3
 * member import, alarms and the dashboard.
 */
export class ApiStack extends Stack {
  readonly api: HttpApi;
  readonly functions: Array<{ name: string; function: ServiceFunction }> = [];
  readonly baseUrl: string;
  /** execute-api:Invoke on the IAM-authorized admin routes; undefined when none is deployed. */
  readonly adminPolicy: ManagedPolicy | undefined;
  readonly settings: Settings;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { settings, plan, stateful } = props;
    this.settings = settings;
    // CDK's own provider functions (custom resources) get a log group with the retention too.
    Aspects.of(this).add(new FunctionLogGroups(settings.logRetention));
    const common = {
      POWERTOOLS_SERVICE_NAME: settings.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: settings.metricsNamespace,
      POWERTOOLS_LOG_LEVEL: settings.logLevel,
    };

    // The fallback answers 405 only for methods of routes this deployment really has.
    const deployedRoutes = plan.routes.map((route) => `${route.method} ${route.path}`).join(',');
    const fallback = this.createFunction('Fallback', plan.fallback.handler, '$default', {
      ...common,
      API_ROUTES: deployedRoutes,
    });

    const domain = settings.domain
      ? new DomainName(this, 'CustomDomain', {
          domainName: settings.domain.name,
          certificate: Certificate.fromCertificateArn(this, 'Certificate', settings.domain.certificateArn),
        })
      : undefined;

    this.api = new HttpApi(this, 'HttpApi', {
      description: 'line-id-link: links company user IDs with LINE user IDs',
      createDefaultStage: false,
      corsPreflight: corsPreflight(settings.corsOrigins),
      defaultIntegration: new HttpLambdaIntegration('FallbackIntegration', fallback.function),
      // With a custom domain, that is the only way in (so redirect URIs have one origin).
      disableExecuteApiEndpoint: domain !== undefined,
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        "Callers authenticate with LINE tokens (and company ID tokens), which the handlers verify themselves (signature, iss, aud, exp, nonce; or LINE's verify endpoint). API Gateway has no authorizer for LINE access tokens; the web-login routes are public by nature.",
    });

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: settings.logRetention });
    new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: settings.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
      domainMapping: domain ? { domainName: domain } : undefined,
    });

    // No cycle: the functions reference the API's ID, the API does not reference the functions
    // (only its routes and integrations do).
    this.baseUrl =
      settings.values.PUBLIC_BASE_URL ??
      (settings.domain ? `https://${settings.domain.name}` : this.api.apiEndpoint);

    for (const route of plan.routes) {
      const routeKey = `${route.method} ${route.path}`;
      const fn = this.createFunction(pascal(route.handler), route.handler, routeKey, {
        ...common,
        ...environmentFor(settings, { groups: route.settings, overrides: { PUBLIC_BASE_URL: this.baseUrl } }),
        // The webhook offers pattern 4's linking URL only when that route is deployed.
        ...(route.handler === 'webhook-line-post' ? { API_ROUTES: deployedRoutes } : {}),
      });
      this.grant(fn, route, stateful, plan);
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${pascal(route.handler)}Integration`, fn.function),
        ...(route.authorization === 'aws-iam' ? { authorizer: new HttpIamAuthorizer() } : {}),
      });
    }
    this.adminPolicy = this.createAdminPolicy(plan.routes.filter((r) => r.authorization === 'aws-iam'));

    // Large message sends: a queue of batches and its worker; the send route gets the queue URL.
    const sendFunction = this.functions.find((f) => f.name === pascal('admin-messages-post'));
    const messagingSecret = stateful.secrets.LINE_MESSAGING_CHANNEL_SECRET;
    let messageJobs: MessageJobs | undefined;
    if (sendFunction && messagingSecret) {
      messageJobs = new MessageJobs(this, 'MessageJobs', {
        entry: handlerEntry(MESSAGE_WORKER.handler),
        linksTable: stateful.tables.links,
        jobsTable: stateful.tables.jobs,
        messagingSecret,
        environment: {
          ...common,
          ...environmentFor(settings, { groups: MESSAGE_WORKER.settings }),
        },
        logRetention: settings.logRetention,
        tracing: settings.operations?.tracing ?? true,
      });
      this.functions.push({ name: 'MessagesBatch', function: messageJobs.worker });
      sendFunction.function.useQueue('MESSAGE_QUEUE_URL', messageJobs.queue);
    }

    // The webhook's LINE work (replies, link tokens): a queue and its worker, so the webhook
    // answers LINE with DynamoDB alone; the webhook gets the queue URL.
    const webhookFunction = this.functions.find((f) => f.name === pascal('webhook-line-post'));
    let webhookWork: WebhookWork | undefined;
    if (webhookFunction && messagingSecret) {
      webhookWork = new WebhookWork(this, 'WebhookWork', {
        entry: handlerEntry(WEBHOOK_WORKER.handler),
        messagingTable: stateful.tables.messaging,
        messagingSecret,
        environment: {
          ...common,
          ...environmentFor(settings, {
            groups: WEBHOOK_WORKER.settings,
            overrides: { PUBLIC_BASE_URL: this.baseUrl },
          }),
          // The linking URL is offered only where pattern 4's route is deployed, as by the webhook.
          API_ROUTES: deployedRoutes,
        },
        logRetention: settings.logRetention,
        tracing: settings.operations?.tracing ?? true,
      });
      this.functions.push({ name: 'WebhookWork', function: webhookWork.worker });
      webhookFunction.function.useQueue('WEBHOOK_QUEUE_URL', webhookWork.queue);
    }

    // Link events: the links table's stream → EventBridge.
    const linkEvents = new LinkEvents(this, 'LinkEvents', {
      entry: handlerEntry('links-stream'),
      linksTable: stateful.tables.links,
      environment: common,
      logRetention: settings.logRetention,
      tracing: settings.operations?.tracing ?? true,
      busName: `${settings.stackPrefix}-link-events`,
    });
    this.functions.push({ name: 'LinksStream', function: linkEvents.function });

    let memberImport: MemberImport | undefined;
    if (plan.memberImport) {
      memberImport = new MemberImport(this, 'MemberImport', {
        entry: handlerEntry(MEMBER_IMPORT.handler),
        membersTable: stateful.tables.members,
        membersTableActions: MEMBER_IMPORT.tables[0].actions,
        pepper: stateful.secrets.MEMBER_HASH_PEPPER,
        environment: {
          ...common,
          ...environmentFor(settings, { groups: MEMBER_IMPORT.settings, variables: MEMBER_IMPORT.variables }),
        },
        logRetention: settings.logRetention,
        tracing: settings.operations?.tracing ?? true,
      });
      this.functions.push({ name: 'MembersImport', function: memberImport.function });
      stackOutput(this, 'ImportBucketName', {
        value: memberImport.bucket.bucketName,
        description: 'Put member CSV files under incoming/ in this bucket to import them',
      });
    }

    new Operations(this, 'Operations', {
      api: this.api,
      functions: this.functions.map(({ name, function: fn }) => ({ name, function: fn.function })),
      tables: Object.values(stateful.tables),
      deadLetterQueues: [
        ...(memberImport ? [{ name: 'MembersImport', queue: memberImport.deadLetterQueue }] : []),
        ...(webhookWork ? [{ name: 'WebhookWork', queue: webhookWork.deadLetterQueue }] : []),
        ...(messageJobs ? [{ name: 'MessagesBatch', queue: messageJobs.deadLetterQueue }] : []),
        { name: 'LinksStream', queue: linkEvents.failureQueue },
      ],
      metricsNamespace: settings.metricsNamespace,
      serviceName: settings.serviceName,
      dashboardName: `${settings.stackPrefix}-operations`,
      alarmEmail: settings.alarmEmail,
      alarmTopicArn: settings.alarmTopicArn,
    });

    stackOutput(this, 'ApiUrl', {
      value: this.baseUrl,
      description: 'Base URL of the API (point the LIFF app here)',
    });
    if (settings.patterns.has('web')) {
      stackOutput(this, 'LineCallbackUrl', {
        value: `${this.baseUrl}/auth/line/callback`,
        description: 'Register as a callback URL of the LINE Login channel',
      });
      stackOutput(this, 'CompanyCallbackUrl', {
        value: `${this.baseUrl}/auth/company/callback`,
        description: "Register as a redirect URI of this service's client at the company IdP",
      });
    }
    if (plan.routes.some((route) => route.handler === 'webhook-line-post')) {
      stackOutput(this, 'WebhookUrl', {
        value: `${this.baseUrl}/webhook/line`,
        description:
          'Set as the Webhook URL of the Messaging API channel (LINE Developers Console), with "Use webhook" on',
      });
    }
    if (domain) {
      stackOutput(this, 'CustomDomainTarget', {
        value: domain.regionalDomainName,
        description: `Point ${settings.domain!.name} here (CNAME, or Route 53 alias with zone ${domain.regionalHostedZoneId})`,
      });
    }
  }

  /**
   * The admin API's access: a managed policy allowing `execute-api:Invoke` on exactly the
   * IAM-authorized routes, which the deployer attaches to the company's role (docs/admin-api.md).
   * Its ARN is a stack output with a stable export name, so the company's own stack can import it.
   */
  private createAdminPolicy(routes: readonly RouteDefinition[]): ManagedPolicy | undefined {
    if (routes.length === 0) return undefined;
    const resources = routes.map((route) =>
      this.api.arnForExecuteApi(route.method, route.path.replace(/\{[^}]+\}/g, '*'), '$default'),
    );
    const policy = new ManagedPolicy(this, 'AdminApiPolicy', {
      description: "line-id-link admin API: attach to the company systems' role to call /admin/… (SigV4)",
      statements: [
        new PolicyStatement({
          actions: ['execute-api:Invoke'],
          resources,
        }),
      ],
    });
    // Each wildcard acknowledged by name: it stands for a path parameter of that one route. The
    // name is the ARN as cdk-nag itself renders it, so it matches whether the CLI resolved the
    // region and account (`cdk deploy`) or left them as tokens (an environment-agnostic synth).
    routes.forEach((route, index) => {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${flattenCfnReference(this.resolve(resources[index]))}]`,
        reason: `The wildcard is the path parameter of ${route.method} ${route.path}; the method and the rest of the path are fixed.`,
      });
    });
    stackOutput(this, 'AdminApiPolicyArn', {
      value: policy.managedPolicyArn,
      description:
        "Attach to the company systems' IAM role to call the admin API (SigV4, service execute-api)",
    });
    return policy;
  }

  private createFunction(
    id: string,
    handler: string,
    routeKey: string,
    environment: Record<string, string>,
  ): ServiceFunction {
    const sizing = { ...DEFAULT_SIZING, ...FUNCTION_SIZING[routeKey] };
    const fn = new ServiceFunction(this, id, {
      entry: handlerEntry(handler),
      description: `line-id-link ${routeKey}`,
      memorySize: sizing.memorySize,
      timeout: sizing.timeout,
      environment,
      logRetention: this.settings.logRetention,
      tracing: this.settings.operations?.tracing ?? true,
    });
    this.functions.push({ name: id, function: fn });
    return fn;
  }

  /**
   * Exactly the tables and secrets the route lists, minus a secret the settings make unused
   * (the company API's client secret with an API key, and the other way round).
   */
  private grant(
    fn: ServiceFunction,
    route: RouteDefinition,
    stateful: StatefulStack,
    plan: DeploymentPlan,
  ): void {
    for (const { table, actions } of route.tables) fn.useTable(stateful.tables[table], actions);
    for (const name of route.secrets)
      if (plan.secrets.includes(name)) fn.useSecret(name, stateful.secrets[name]);
  }
}

/** CORS for the front-end origins, from the one policy the local server uses too. */
function corsPreflight(origins: readonly string[]): CorsPreflightOptions | undefined {
  if (origins.length === 0) return undefined;
  return {
    allowOrigins: [...origins],
    allowMethods: CORS_POLICY.allowMethods.map((method) => CorsHttpMethod[method]),
    allowHeaders: [...CORS_POLICY.allowHeaders],
    exposeHeaders: [...CORS_POLICY.exposeHeaders],
    maxAge: Duration.seconds(CORS_POLICY.maxAgeSeconds),
    allowCredentials: CORS_POLICY.allowCredentials,
  };
}
