/**
 * The API's CORS policy, applied in one place: by API Gateway in the cloud (the CDK API stack
 * reads this) and by the local API Gateway adapter on a developer's machine. Origins come from
 * CORS_ALLOWED_ORIGINS and must match exactly; credentials are allowed so the LIFF app can carry
 * the web-flow binding cookie.
 */
export const CORS_POLICY = {
  allowMethods: ['GET', 'POST', 'DELETE'],
  allowHeaders: ['authorization', 'content-type'],
  exposeHeaders: ['retry-after', 'www-authenticate', 'location', 'unlink-result'],
  maxAgeSeconds: 600,
  allowCredentials: true,
} as const;
