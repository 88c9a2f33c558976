/**
 * Ports: what the use cases need from the outside world, one file per area. Handlers plug in
 * the real adapters (DynamoDB, LINE Platform, company IdP); unit tests pass in-memory fakes.
 */
export * from './audit.js';
export * from './company.js';
export * from './line.js';
export * from './links.js';
export * from './members.js';
export * from './messaging.js';
export * from './rich-menus.js';
export * from './system.js';
export * from './web-login.js';
export * from './audiences.js';
