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
import {
  AUDIENCE_WORKER,
  LINKS_STREAM,
  RICH_MENU_STREAM,
  MEMBER_IMPORT,
  MESSAGE_WORKER,
  WEBHOOK_WORKER,
} from '../functions/manifest/functions.js';
import type { RouteDefinition } from '../functions/manifest/routes.js';
import { FunctionWiring } from './function-wiring.js';
import { FunctionLogGroups } from './constructs/function-log-groups.js';
import { LinkEvents } from './constructs/link-events.js';
import { RichMenuSwitch } from './constructs/rich-menu-switch.js';
import { MemberImport } from './constructs/member-import.js';
import { AudienceJobs } from './constructs/audience-jobs.js';
import { MessageJobs } from './constructs/message-jobs.js';
import { Operations } from './constructs/operations.js';
import { WebhookWork } from './constructs/webhook-work.js';
import type { ServiceFunction } from './constructs/service-function.js';
import type { DeploymentPlan } from './plan.js';
import type { Settings } from './settings.js';
import { pascal, type StatefulStack } from './stateful-stack.js';

export interface ApiStackProps extends StackProps {
  readonly settings: Settings;
  readonly plan: DeploymentPlan;
  /** Tables and secrets. */
  readonly stateful: StatefulStack;
}

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
 * functions/manifest/routes.ts deploys with no change here), the `$default` fallback, the event
 * functions of functions/manifest/functions.ts with what triggers them (the queues and their
 * workers, the links stream, the S3 member import), alarms and the dashboard. Every function's
 * variables and grants come from its manifest entry, through {@link FunctionWiring}.
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
    const functions = new FunctionWiring({
      settings,
      plan,
      tables: stateful.tables,
      secrets: stateful.secrets,
    });
    functions.compute('API_ROUTES', plan.routes.map((route) => `${route.method} ${route.path}`).join(','));
    const fallback = this.addFunction('Fallback', functions.create(this, 'Fallback', plan.fallback));

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
    functions.compute('PUBLIC_BASE_URL', this.baseUrl);

    for (const route of plan.routes) {
      const id = pascal(route.handler);
      const fn = this.addFunction(id, functions.create(this, id, route));
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${pascal(route.handler)}Integration`, fn.function),
        ...(route.authorization === 'aws-iam' ? { authorizer: new HttpIamAuthorizer() } : {}),
      });
    }
    this.adminPolicy = this.createAdminPolicy(plan.routes.filter((r) => r.authorization === 'aws-iam'));

    // Large message sends: a queue of batches and its worker; the send route sends to the queue.
    let messageJobs: MessageJobs | undefined;
    if (plan.events.includes(MESSAGE_WORKER)) {
      messageJobs = new MessageJobs(this, 'MessageJobs', { functions });
      this.addFunction('MessagesBatch', messageJobs.worker);
    }

    // Audiences from links: a queue of jobs and its worker; the audience route sends to the queue.
    let audienceJobs: AudienceJobs | undefined;
    if (plan.events.includes(AUDIENCE_WORKER)) {
      audienceJobs = new AudienceJobs(this, 'AudienceJobs', { functions });
      this.addFunction('AudienceJobs', audienceJobs.worker);
    }

    // The webhook's LINE work (replies, link tokens): a queue and its worker, so the webhook
    // answers LINE with DynamoDB alone; the webhook sends to the queue.
    let webhookWork: WebhookWork | undefined;
    if (plan.events.includes(WEBHOOK_WORKER)) {
      webhookWork = new WebhookWork(this, 'WebhookWork', { functions });
      this.addFunction('WebhookWork', webhookWork.worker);
    }

    // Link events: the links table's stream → EventBridge.
    const linkEvents = new LinkEvents(this, 'LinkEvents', {
      functions,
      linksTable: stateful.tables[LINKS_STREAM.trigger.table],
      logRetention: settings.logRetention,
      busName: `${settings.stackPrefix}-link-events`,
    });
    this.addFunction('LinksStream', linkEvents.function);

    // Rich menus by link status: a second reader of the links table's stream.
    let richMenus: RichMenuSwitch | undefined;
    if (plan.events.includes(RICH_MENU_STREAM)) {
      richMenus = new RichMenuSwitch(this, 'RichMenus', {
        functions,
        linksTable: stateful.tables[RICH_MENU_STREAM.trigger.table],
      });
      this.addFunction('RichMenuStream', richMenus.function);
    }

    let memberImport: MemberImport | undefined;
    if (plan.events.includes(MEMBER_IMPORT)) {
      memberImport = new MemberImport(this, 'MemberImport', { functions });
      this.addFunction('MembersImport', memberImport.function);
      stackOutput(this, 'ImportBucketName', {
        value: memberImport.bucket.bucketName,
        description: 'Put member CSV files under incoming/ in this bucket to import them',
      });
    }
    functions.assertComplete();

    new Operations(this, 'Operations', {
      api: this.api,
      functions: this.functions.map(({ name, function: fn }) => ({ name, function: fn.function })),
      tables: Object.values(stateful.tables),
      deadLetterQueues: [
        ...(memberImport ? [{ name: 'MembersImport', queue: memberImport.deadLetterQueue }] : []),
        ...(webhookWork ? [{ name: 'WebhookWork', queue: webhookWork.deadLetterQueue }] : []),
        ...(messageJobs ? [{ name: 'MessagesBatch', queue: messageJobs.deadLetterQueue }] : []),
        ...(audienceJobs ? [{ name: 'AudienceJobs', queue: audienceJobs.deadLetterQueue }] : []),
        { name: 'LinksStream', queue: linkEvents.failureQueue },
        ...(richMenus ? [{ name: 'RichMenuStream', queue: richMenus.failureQueue }] : []),
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

  /** Records a function for the alarms and the dashboard, under `name`. */
  private addFunction(name: string, fn: ServiceFunction): ServiceFunction {
    this.functions.push({ name, function: fn });
    return fn;
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
