/**
 * Runs DynamoDB Local for one integration run in a process of its own (forked by
 * global-setup.mjs with tsx), reports its endpoint over IPC, and stops it when jest's teardown
 * signals or when jest goes away. Keeping tsx out of jest's own process lets jest exit promptly.
 */
import { startDynamoDbLocal } from '../../functions/local/dynamodb-local.js';

const dynamo = await startDynamoDbLocal();
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await dynamo.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
process.send?.({ endpoint: dynamo.endpoint });
