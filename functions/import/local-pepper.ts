/**
 * The pepper of local runs only (`npm start` and `npm run import` against the local DynamoDB
 * Local when MEMBER_HASH_PEPPER is unset). Obviously fake; a deployment reads its own from
 * Secrets Manager.
 */
export const LOCAL_MEMBER_HASH_PEPPER = 'dev-member-hash-pepper-not-for-production';
